/**
 * Teardown and day-2 operations: list, status, power, snapshots, migrate, evacuate. Targets are resolved within
 * the profile's pool (a channel bound to a profile acts on that profile's guests only).
 */
import { z } from "zod";
import type { Profile } from "../config/schema.js";
import { NotFound, PlanError, UsageError } from "../errors.js";
import { guestPath, readClusterView, readGuestStatus, type ClusterView, type GuestInfo } from "./cluster.js";
import { destroyGuest, powerAction, upidSchema, waitUnlocked } from "./guest-ops.js";
import { choosePlacement } from "./placement.js";
import { pickIpv4, macOfNet } from "./readiness.js";
import { runTask, throwIfCancelled, type RunContext } from "./runtime.js";
import type { EvacuatePlan, GuestRef, TeardownPlan } from "./types.js";

/** What a command names: a guest name, a VMID, or every guest with a tag. */
export type Target = { name: string } | { vmid: number } | { tag: string };

export function parseTarget(text: string): Target {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { vmid: Number(t) };
  if (t.startsWith("tag:")) return { tag: t.slice(4) };
  if (!t) throw new UsageError("Name a guest (name or VMID).");
  return { name: t.toLowerCase() };
}

export function describeTarget(t: Target): string {
  return "vmid" in t ? `VMID ${t.vmid}` : "tag" in t ? `tag ${t.tag}` : t.name;
}

export function toRef(g: GuestInfo, ip?: string): GuestRef {
  return {
    vmid: g.vmid,
    name: g.name,
    node: g.node,
    type: g.type,
    status: g.status,
    template: g.template,
    tags: g.tags,
    ...(g.pool ? { pool: g.pool } : {}),
    ...(g.hastate ? { hastate: g.hastate } : {}),
    ...(ip ? { ip } : {}),
  };
}

/** Guests of the profile's pool matching the target. Templates only when asked. */
export function resolveTargets(view: ClusterView, profile: Profile, target: Target, opts: { includeTemplates?: boolean } = {}): GuestInfo[] {
  const inPool = view.guests.filter((g) => g.pool === profile.pool);
  let found: GuestInfo[];
  if ("vmid" in target) found = inPool.filter((g) => g.vmid === target.vmid);
  else if ("tag" in target) found = inPool.filter((g) => g.tags.includes(target.tag.toLowerCase()));
  else found = inPool.filter((g) => g.name.toLowerCase() === target.name);
  if (found.length === 0) {
    const outside = view.guests.find((g) =>
      "vmid" in target ? g.vmid === target.vmid : "name" in target ? g.name.toLowerCase() === target.name : false,
    );
    throw new NotFound(
      outside
        ? `${describeTarget(target)} exists but is not in pool ${profile.pool} of profile ${profile.name}; this channel cannot act on it.`
        : `No guest matches ${describeTarget(target)} in pool ${profile.pool}.`,
    );
  }
  const templates = found.filter((g) => g.template);
  if (templates.length && !opts.includeTemplates) {
    if (templates.length === found.length) {
      throw new PlanError(`${templates.map((g) => `${g.name} (${g.vmid})`).join(", ")} ${templates.length === 1 ? "is a template" : "are templates"}; templates are refused unless asked for explicitly.`);
    }
    found = found.filter((g) => !g.template);
  }
  return found;
}

const qga = z.object({ result: z.array(z.looseObject({ name: z.string(), "hardware-address": z.string().optional(), "ip-addresses": z.array(z.looseObject({ "ip-address": z.string(), "ip-address-type": z.string() })).optional() })) });
const lxcIfaces = z.array(z.looseObject({ name: z.string(), inet: z.string().optional() })).nullable();

/** Best-effort IP of a running guest, for plans and status (never fails the caller). */
export async function guestIp(ctx: RunContext, g: GuestInfo): Promise<string | undefined> {
  if (g.status !== "running") return undefined;
  try {
    if (g.type === "lxc") {
      const r = await ctx.client.get(`${guestPath(g)}/interfaces`, {}, { schema: lxcIfaces, timeoutMs: 5000 });
      return r?.find((i) => i.name === "eth0")?.inet?.split("/")[0];
    }
    const cfg = await ctx.client.get(`${guestPath(g)}/config`, {}, { timeoutMs: 5000 });
    const net0 = (cfg as { net0?: unknown }).net0;
    const r = await ctx.client.get(`${guestPath(g)}/agent/network-get-interfaces`, {}, { schema: qga, timeoutMs: 5000 });
    return pickIpv4(r.result, macOfNet(typeof net0 === "string" ? net0 : undefined));
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------- teardown

export async function planTeardown(
  ctx: RunContext,
  profile: Profile,
  target: Target,
  opts: { includeTemplates?: boolean } = {},
): Promise<TeardownPlan> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const guests = resolveTargets(view, profile, target, opts);
  const refs = await Promise.all(guests.map(async (g) => toRef(g, await guestIp(ctx, g))));
  return {
    kind: "teardown",
    cluster: profile.cluster,
    profile: profile.name,
    target: describeTarget(target),
    guests: refs,
    shutdownTimeoutSec: profile.shutdownTimeoutSec,
  };
}

export interface TeardownResult {
  destroyed: GuestRef[];
  failed: Array<{ guest: GuestRef; error: string }>;
}

/** Shutdown (or stop), destroy with purge, and wait until each VMID is really gone. */
export async function executeTeardown(ctx: RunContext, plan: TeardownPlan, describeError: (e: unknown) => string): Promise<TeardownResult> {
  const result: TeardownResult = { destroyed: [], failed: [] };
  for (const g of plan.guests) {
    throwIfCancelled(ctx.signal);
    const step = `teardown ${g.name}`;
    const started = ctx.clock.now();
    ctx.emit({ type: "step-started", step, title: `Tear down ${g.name} (${g.vmid}) on ${g.node}`, guest: g.vmid });
    try {
      // The guest may have moved since the plan: find it again.
      const view = await readClusterView(ctx.client, ctx.signal);
      const now = view.guests.find((x) => x.vmid === g.vmid);
      if (!now) {
        ctx.emit({ type: "step-finished", step, title: `${g.name} (${g.vmid}) was already gone`, guest: g.vmid, durationMs: 0, alreadyDone: true });
        result.destroyed.push(g);
        continue;
      }
      if (now.name !== g.name) throw new PlanError(`VMID ${g.vmid} is now "${now.name}", not "${g.name}": refusing to destroy it.`);
      await destroyGuest(ctx, step, { node: now.node, type: now.type, vmid: now.vmid }, { shutdownTimeoutSec: plan.shutdownTimeoutSec });
      ctx.emit({ type: "step-finished", step, title: `Destroyed ${g.name} (${g.vmid})`, guest: g.vmid, durationMs: ctx.clock.now() - started });
      ctx.emit({ type: "guest-done", vmid: g.vmid, name: g.name, action: "destroyed" });
      result.destroyed.push(g);
    } catch (err) {
      result.failed.push({ guest: g, error: describeError(err) });
      ctx.emit({ type: "failed", step, message: describeError(err), rolledBack: [], leftBehind: [`${g.name} (${g.vmid}) on ${g.node}`] });
    }
  }
  return result;
}

// ------------------------------------------------------------------------------------------------- list/status

export interface ListFilter {
  text?: string;
  node?: string;
  type?: "qemu" | "lxc";
  tag?: string;
  includeTemplates?: boolean;
}

export async function listGuests(ctx: RunContext, profile: Profile, filter: ListFilter = {}): Promise<GuestRef[]> {
  const view = await readClusterView(ctx.client, ctx.signal);
  return view.guests
    .filter((g) => g.pool === profile.pool)
    .filter((g) => filter.includeTemplates || !g.template)
    .filter((g) => !filter.node || g.node === filter.node)
    .filter((g) => !filter.type || g.type === filter.type)
    .filter((g) => !filter.tag || g.tags.includes(filter.tag))
    .filter((g) => !filter.text || g.name.includes(filter.text) || String(g.vmid) === filter.text)
    .map((g) => toRef(g));
}

export interface GuestStatus extends GuestRef {
  cores: number;
  memoryMb: number;
  diskGb: number;
  uptimeSec?: number;
  lock?: string;
}

const statusSchema = z.looseObject({ status: z.string(), uptime: z.coerce.number().optional(), lock: z.string().optional(), cpus: z.coerce.number().optional(), maxmem: z.coerce.number().optional(), maxdisk: z.coerce.number().optional() });

export async function guestStatus(ctx: RunContext, profile: Profile, target: Target): Promise<GuestStatus> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const [g] = resolveTargets(view, profile, target, { includeTemplates: true });
  const st = await ctx.client.get(`${guestPath(g!)}/status/current`, {}, { schema: statusSchema });
  const ip = await guestIp(ctx, { ...g!, status: st.status });
  return {
    ...toRef({ ...g!, status: st.status }, ip),
    cores: st.cpus ?? g!.maxcpu,
    memoryMb: Math.round((st.maxmem ?? g!.maxmem) / 1024 ** 2),
    diskGb: Math.round(((st.maxdisk ?? g!.maxdisk) / 1024 ** 3) * 10) / 10,
    ...(st.uptime ? { uptimeSec: st.uptime } : {}),
    ...(st.lock ? { lock: st.lock } : {}),
  };
}

// ------------------------------------------------------------------------------------------------- power

export type PowerAction = "start" | "stop" | "shutdown" | "reboot";

export async function power(ctx: RunContext, profile: Profile, target: Target, action: PowerAction): Promise<GuestRef[]> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const guests = resolveTargets(view, profile, target);
  const done: GuestRef[] = [];
  for (const g of guests) {
    const step = `${action} ${g.name}`;
    const started = ctx.clock.now();
    ctx.emit({ type: "step-started", step, title: `${action} ${g.name} (${g.vmid})`, guest: g.vmid });
    const wantRunning = action === "start" || action === "reboot";
    if ((action === "start" && g.status === "running") || ((action === "stop" || action === "shutdown") && g.status === "stopped")) {
      ctx.emit({ type: "step-finished", step, title: `${g.name} is already ${g.status}`, guest: g.vmid, durationMs: 0, alreadyDone: true });
      done.push(toRef(g));
      continue;
    }
    if (action === "reboot" && g.status !== "running") throw new PlanError(`${g.name} is ${g.status}; only a running guest can reboot.`);
    const upid = await powerAction(ctx, step, g, action, action === "shutdown" ? { timeout: profile.shutdownTimeoutSec } : {});
    ctx.emit({ type: "step-finished", step, title: `${action} ${g.name}: done`, guest: g.vmid, upid, durationMs: ctx.clock.now() - started });
    done.push(toRef({ ...g, status: wantRunning ? "running" : "stopped" }));
  }
  return done;
}

// ------------------------------------------------------------------------------------------------- snapshots

const SNAPNAME = /^[a-zA-Z][a-zA-Z0-9_-]{1,39}$/;
const snapshotListSchema = z.array(z.looseObject({ name: z.string(), description: z.string().optional(), snaptime: z.coerce.number().optional(), parent: z.string().optional() }));

export type SnapshotAction = { action: "create"; name?: string; description?: string } | { action: "list" } | { action: "rollback"; name: string } | { action: "delete"; name: string };

export interface SnapshotOutcome {
  guest: GuestRef;
  snapshots?: Array<{ name: string; description?: string; time?: number }>;
  name?: string;
}

export function defaultSnapshotName(now: Date): string {
  // Proxmox snapshot names: a letter first, then letters, digits, _ and - (pve-configid); 40 characters at most.
  return `snap-${now.toISOString().replace(/[-:T]/g, "").slice(0, 12)}`;
}

export async function snapshot(ctx: RunContext, profile: Profile, target: Target, op: SnapshotAction): Promise<SnapshotOutcome[]> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const guests = resolveTargets(view, profile, target);
  const out: SnapshotOutcome[] = [];
  for (const g of guests) {
    const base = `${guestPath(g)}/snapshot`;
    if (op.action === "list") {
      const list = await ctx.client.get(base, {}, { schema: snapshotListSchema });
      out.push({
        guest: toRef(g),
        snapshots: list.filter((s) => s.name !== "current").map((s) => ({ name: s.name, ...(s.description ? { description: s.description } : {}), ...(s.snaptime ? { time: s.snaptime } : {}) })),
      });
      continue;
    }
    const name = op.action === "create" ? (op.name ?? defaultSnapshotName(new Date(ctx.clock.now()))) : op.name;
    if (!SNAPNAME.test(name)) throw new UsageError(`"${name}" is not a valid snapshot name: a letter, then 1-39 letters, digits, _ or -.`);
    const step = `snapshot ${op.action} ${g.name}`;
    const started = ctx.clock.now();
    ctx.emit({ type: "step-started", step, title: `Snapshot ${op.action} ${name} on ${g.name} (${g.vmid})`, guest: g.vmid });
    let upid: string;
    if (op.action === "create") {
      upid = await ctx.client.post(base, { snapname: name, ...(op.description ? { description: op.description } : {}) }, { schema: upidSchema });
    } else if (op.action === "rollback") {
      upid = await ctx.client.post(`${base}/${encodeURIComponent(name)}/rollback`, {}, { schema: upidSchema });
    } else {
      upid = await ctx.client.delete(`${base}/${encodeURIComponent(name)}`, {}, { schema: upidSchema });
    }
    await runTask(ctx, step, upid, g.vmid);
    ctx.emit({ type: "step-finished", step, title: `Snapshot ${op.action} ${name} on ${g.name}: done`, guest: g.vmid, upid, durationMs: ctx.clock.now() - started });
    out.push({ guest: toRef(g), name });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------- migrate

async function migrateOne(ctx: RunContext, g: GuestInfo, target: string, step: string): Promise<string> {
  // /cluster/resources lags up to 10 s behind (pvestatd); decide online vs offline on the current status.
  const running = (await readGuestStatus(ctx.client, g, ctx.signal)).status === "running";
  // Running VMs migrate live; local disks need with-local-disks. Running containers cannot: restart mode.
  const params =
    g.type === "qemu"
      ? { target, ...(running ? { online: true, "with-local-disks": true } : {}) }
      : { target, ...(running ? { restart: true } : {}) };
  await waitUnlocked(ctx, step, g);
  const upid = await ctx.client.post(`${guestPath(g)}/migrate`, params, { schema: upidSchema });
  await runTask(ctx, step, upid, g.vmid);
  return upid;
}

export async function migrate(ctx: RunContext, profile: Profile, target: Target, node: string): Promise<GuestRef[]> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const guests = resolveTargets(view, profile, target);
  const dest = view.nodes.find((n) => n.name === node);
  if (!dest) throw new UsageError(`Node "${node}" is not in the cluster (nodes: ${view.nodes.map((n) => n.name).join(", ")}).`);
  if (!dest.online) throw new PlanError(`Node ${node} is offline.`);
  const moved: GuestRef[] = [];
  for (const g of guests) {
    if (g.node === node) {
      moved.push(toRef(g));
      continue;
    }
    const step = `migrate ${g.name}`;
    const started = ctx.clock.now();
    const mode = g.status === "running" ? (g.type === "qemu" ? "online" : "restart") : "offline";
    ctx.emit({ type: "step-started", step, title: `Migrate ${g.name} (${g.vmid}) ${g.node} → ${node}, ${mode}`, guest: g.vmid });
    const upid = await migrateOne(ctx, g, node, step);
    ctx.emit({ type: "step-finished", step, title: `Migrated ${g.name} to ${node}`, guest: g.vmid, upid, durationMs: ctx.clock.now() - started });
    moved.push(toRef({ ...g, node }));
  }
  return moved;
}

// ------------------------------------------------------------------------------------------------- evacuate

export async function planEvacuate(ctx: RunContext, profile: Profile, node: string): Promise<EvacuatePlan> {
  const view = await readClusterView(ctx.client, ctx.signal);
  const source = view.nodes.find((n) => n.name === node);
  if (!source) throw new UsageError(`Node "${node}" is not in the cluster (nodes: ${view.nodes.map((n) => n.name).join(", ")}).`);
  const on = view.guests.filter((g) => g.node === node);
  const moves: EvacuatePlan["moves"] = [];
  const skipped: EvacuatePlan["skipped"] = [];
  const claimed = new Map<string, number>();
  const guestCount = new Map<string, number>();
  for (const g of view.guests) guestCount.set(g.node, (guestCount.get(g.node) ?? 0) + 1);
  const others = view.nodes.filter((n) => n.name !== node);
  let lastSpread: string | undefined;
  // Biggest guests first: they are the hardest to fit.
  for (const g of [...on].sort((a, b) => b.maxmem - a.maxmem)) {
    if (g.template) {
      skipped.push({ guest: toRef(g), reason: "templates are not migrated (their linked clones depend on their disks)" });
      continue;
    }
    try {
      const p = choosePlacement({
        rule: profile.placement,
        nodes: others,
        guestCount,
        claimedMemBytes: claimed,
        requestMemMb: Math.ceil(g.maxmem / 1024 ** 2),
        ...(lastSpread ? { lastSpreadNode: lastSpread } : {}),
      });
      lastSpread = p.node;
      claimed.set(p.node, (claimed.get(p.node) ?? 0) + g.maxmem);
      guestCount.set(p.node, (guestCount.get(p.node) ?? 0) + 1);
      moves.push({ guest: toRef(g), target: p.node, online: g.status === "running", reason: p.reason });
    } catch (err) {
      skipped.push({ guest: toRef(g), reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { kind: "evacuate", cluster: profile.cluster, profile: profile.name, node, moves, skipped };
}

export async function executeEvacuate(ctx: RunContext, plan: EvacuatePlan, describeError: (e: unknown) => string): Promise<{ moved: GuestRef[]; failed: Array<{ guest: GuestRef; error: string }> }> {
  const moved: GuestRef[] = [];
  const failed: Array<{ guest: GuestRef; error: string }> = [];
  for (const m of plan.moves) {
    throwIfCancelled(ctx.signal);
    const step = `migrate ${m.guest.name}`;
    const started = ctx.clock.now();
    ctx.emit({ type: "step-started", step, title: `Migrate ${m.guest.name} (${m.guest.vmid}) → ${m.target}${m.online ? " (live)" : ""}`, guest: m.guest.vmid });
    try {
      const view = await readClusterView(ctx.client, ctx.signal);
      const g = view.guests.find((x) => x.vmid === m.guest.vmid);
      if (!g) throw new NotFound(`${m.guest.name} (${m.guest.vmid}) no longer exists`);
      if (g.node === m.target) {
        ctx.emit({ type: "step-finished", step, title: `${m.guest.name} is already on ${m.target}`, guest: g.vmid, durationMs: 0, alreadyDone: true });
      } else {
        const upid = await migrateOne(ctx, g, m.target, step);
        ctx.emit({ type: "step-finished", step, title: `Migrated ${m.guest.name} to ${m.target}`, guest: g.vmid, upid, durationMs: ctx.clock.now() - started });
      }
      moved.push({ ...m.guest, node: m.target });
    } catch (err) {
      failed.push({ guest: m.guest, error: describeError(err) });
      ctx.emit({ type: "failed", step, message: describeError(err), rolledBack: [], leftBehind: [`${m.guest.name} stays on ${plan.node}`] });
    }
  }
  return { moved, failed };
}
