/**
 * Provision planning: everything is resolved (type, image, size, name, VMID, node, quota) before anything on
 * the cluster changes, and the result is plain data a person can read.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { PveClient } from "../adapters/pve/types.js";
import type { Profile } from "../config/schema.js";
import { CapacityExceeded, PlanError, PveError, UsageError } from "../errors.js";
import {
  GiB,
  bootDisk,
  configDiskBytes,
  readGuestConfig,
  type ClusterView,
  type GuestInfo,
} from "./cluster.js";
import { choosePlacement } from "./placement.js";
import { checkQuota, type Usage } from "./quota.js";
import {
  DNS_LABEL,
  VM_FORCING_FLAGS,
  provisionRequestSchema,
  type GuestType,
  type ProvisionPlan,
  type ProvisionRequest,
  type ProvisionRequestInput,
  type ResolvedImage,
  type VmForcingFlag,
} from "./types.js";
import type { VmidAllocator } from "./vmid.js";

/** What a provision has been promised but Proxmox may not show yet (clone joins the pool at its end). */
export interface Claim {
  cluster: string;
  pool: string;
  node: string;
  name: string;
  cores: number;
  memoryMb: number;
  diskGb: number;
}

/** Engine-wide mutable state shared by concurrent plans in this process. */
export interface PlanningState {
  allocator: VmidAllocator;
  /** vmid → claim, per cluster. */
  claims: Map<string, Map<number, Claim>>;
  /** Last node chosen per profile for the spread rule. */
  lastSpreadNode: Map<string, string>;
  /** Sizes read from guest configs (cluster:vmid → usage), so quota checks do not re-read every config. */
  sizeCache: Map<string, { usage: Usage; at: number }>;
  now: () => number;
}

const VM_REASONS: Record<VmForcingFlag, string> = {
  docker: "--docker: Docker needs its own kernel (overlay storage, cgroups), which a container shares with the host",
  liveMigrate: "--live-migrate: only VMs migrate live",
  windows: "--windows: Windows cannot run in a Linux container",
  customKernel: "--custom-kernel: containers share the host's kernel",
  haLive: "--ha-live: HA with live relocation needs a VM",
  iso: "--iso: installing from an ISO needs a VM",
};

export function parseProvisionRequest(input: ProvisionRequestInput): ProvisionRequest {
  const parsed = provisionRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${issue.path.join(".") || "request"}: ${issue.message}`);
  }
  return parsed.data;
}

export function validateGuestName(name: string): string {
  const lower = name.toLowerCase();
  if (!DNS_LABEL.test(lower)) {
    throw new UsageError(
      `"${name}" is not a valid guest name: use 1-63 letters, digits and hyphens, not starting or ending with a hyphen (RFC 1123).`,
    );
  }
  return lower;
}

const contentSchema = z.array(z.looseObject({ volid: z.string(), content: z.string().optional() }));

interface PlanContext {
  client: PveClient;
  profile: Profile;
  view: ClusterView;
  state: PlanningState;
  signal?: AbortSignal;
}

/** Which VMs are templates, for error messages. */
function templateList(view: ClusterView): string {
  const t = view.guests.filter((g) => g.template && g.type === "qemu");
  const list = t.length ? t.map((g) => `${g.vmid} (${g.name} on ${g.node})`).join(", ") : "none";
  // Guests of an offline node are listed without name or template flag (their stats come from that node).
  const offline = view.nodes.filter((n) => !n.online).map((n) => n.name);
  return offline.length ? `${list}; node(s) ${offline.join(", ")} are offline and may hold more` : list;
}

async function listVolumes(ctx: PlanContext, node: string, content: "vztmpl" | "iso"): Promise<string[]> {
  const stores = ctx.view.storages.filter((s) => s.node === node && s.content.includes(content) && s.active);
  const volids: string[] = [];
  for (const s of stores) {
    const items = await ctx.client.get(
      `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(s.storage)}/content`,
      { content },
      { schema: contentSchema, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    volids.push(...items.map((i) => i.volid));
  }
  return volids;
}

async function resolveTemplate(ctx: PlanContext, tpl: GuestInfo, via: ResolvedImage["via"]): Promise<ResolvedImage> {
  const config = await readGuestConfig(ctx.client, tpl, ctx.signal);
  const disk = bootDisk(config);
  if (!disk) throw new PlanError(`Template ${tpl.vmid} (${tpl.name}) has no boot disk.`);
  const storage = ctx.view.storages.find((s) => s.storage === disk.storage);
  return {
    kind: "vm-template",
    vmid: tpl.vmid,
    name: tpl.name,
    node: tpl.node,
    diskKey: disk.key,
    diskStorage: disk.storage,
    diskSizeBytes: disk.sizeBytes,
    sharedStorage: storage?.shared ?? false,
    via,
  };
}

function findTemplate(ctx: PlanContext, by: { vmid?: number; name?: string }): GuestInfo | undefined {
  return ctx.view.guests.find(
    (g) => g.type === "qemu" && g.template && (by.vmid !== undefined ? g.vmid === by.vmid : g.name === by.name),
  );
}

const isVolid = (s: string) => /^[^:\s]+:(vztmpl|iso)\/\S+$/.test(s);
const isOpenRc = (volid: string) => /alpine|gentoo/i.test(volid);

/**
 * Image resolution, in priority order: explicit volid or ISO > template VMID > template name > alias from the
 * profile's `images` > the profile's default for the type.
 */
async function resolveImage(ctx: PlanContext, req: ProvisionRequest, forcedVm: boolean): Promise<ResolvedImage> {
  const { profile } = ctx;
  const fromSpec = async (alias: string, via: ResolvedImage["via"]): Promise<ResolvedImage> => {
    const spec = profile.images[alias]!;
    if ("template" in spec) {
      const t = findTemplate(ctx, { vmid: spec.template });
      if (!t) throw new PlanError(`Image "${alias}" names template ${spec.template}, which does not exist. Templates: ${templateList(ctx.view)}.`);
      return resolveTemplate(ctx, t, via);
    }
    if ("templateName" in spec) {
      const t = findTemplate(ctx, { name: spec.templateName });
      if (!t) throw new PlanError(`Image "${alias}" names template "${spec.templateName}", which does not exist. Templates: ${templateList(ctx.view)}.`);
      return resolveTemplate(ctx, t, via);
    }
    if ("ostemplate" in spec) return { kind: "ostemplate", volid: spec.ostemplate, via, openrc: isOpenRc(spec.ostemplate) };
    return { kind: "iso", volid: spec.iso, via };
  };

  if (req.iso) {
    if (!/^[^:\s]+:iso\/\S+$/.test(req.iso)) throw new UsageError(`--iso takes an ISO volid like local:iso/ubuntu.iso, got "${req.iso}".`);
    return { kind: "iso", volid: req.iso, via: "explicit volid" };
  }
  const image = req.image;
  if (image !== undefined) {
    if (isVolid(image)) {
      return image.includes(":iso/")
        ? { kind: "iso", volid: image, via: "explicit volid" }
        : { kind: "ostemplate", volid: image, via: "explicit volid", openrc: isOpenRc(image) };
    }
    if (/^\d+$/.test(image)) {
      const t = findTemplate(ctx, { vmid: Number(image) });
      if (!t) throw new PlanError(`Template ${image} does not exist. Templates: ${templateList(ctx.view)}.`);
      return resolveTemplate(ctx, t, "template vmid");
    }
    const byName = findTemplate(ctx, { name: image });
    if (byName) return resolveTemplate(ctx, byName, "template name");
    if (image in profile.images) return fromSpec(image, "profile alias");
    throw new PlanError(
      `Unknown image "${image}". Aliases in profile ${profile.name}: ${Object.keys(profile.images).join(", ") || "none"}; templates: ${templateList(ctx.view)}.`,
    );
  }
  const kind = forcedVm ? "vm" : "ct";
  const alias = profile.defaultImage[kind];
  if (!alias) throw new PlanError(`Profile ${profile.name} has no default ${kind === "vm" ? "VM" : "container"} image; name one with --os.`);
  return fromSpec(alias, "profile default");
}

function usageOfClaims(state: PlanningState, cluster: string, pool: string): Usage {
  const u: Usage = { cores: 0, memoryMb: 0, diskGb: 0 };
  for (const c of state.claims.get(cluster)?.values() ?? []) {
    if (c.pool !== pool) continue;
    u.cores += c.cores;
    u.memoryMb += c.memoryMb;
    u.diskGb += c.diskGb;
  }
  return u;
}

const SIZE_CACHE_MS = 60_000;

/**
 * Usage of the pool's members from their configs (cached). Members that an in-flight claim covers are left
 * out: the claim counts for them (see `withClaims`).
 */
async function poolMemberUsage(ctx: PlanContext): Promise<Usage> {
  const { client, profile, view, state } = ctx;
  const claims = state.claims.get(profile.cluster) ?? new Map<number, Claim>();
  const members = view.guests.filter((g) => g.pool === profile.pool && !claims.has(g.vmid));
  const total: Usage = { cores: 0, memoryMb: 0, diskGb: 0 };
  await Promise.all(
    members.map(async (g) => {
      const key = `${profile.cluster}:${g.vmid}`;
      const cached = state.sizeCache.get(key);
      let usage = cached && state.now() - cached.at < SIZE_CACHE_MS ? cached.usage : undefined;
      if (!usage) {
        try {
          const cfg = await readGuestConfig(client, g, ctx.signal);
          const sockets = cfg.sockets !== undefined ? Number(cfg.sockets) || 1 : 1;
          usage = {
            cores: (cfg.cores ?? g.maxcpu) * (g.type === "qemu" ? sockets : 1),
            memoryMb: cfg.memory ?? g.maxmem / 1024 ** 2,
            diskGb: configDiskBytes(cfg) / GiB,
          };
          state.sizeCache.set(key, { usage, at: state.now() });
        } catch (err) {
          // A guest destroyed between listing and reading no longer counts.
          if (err instanceof PveError && err.kind === "not-found") return;
          throw err;
        }
      }
      total.cores += usage.cores;
      total.memoryMb += usage.memoryMb;
      total.diskGb += usage.diskGb;
    }),
  );
  return total;
}

/** Member usage plus every in-flight claim on the pool as it stands right now (synchronous). */
function withClaims(members: Usage, state: PlanningState, profile: Profile): Usage {
  const c = usageOfClaims(state, profile.cluster, profile.pool);
  return { cores: members.cores + c.cores, memoryMb: members.memoryMb + c.memoryMb, diskGb: members.diskGb + c.diskGb };
}

function nextRoleName(view: ClusterView, state: PlanningState, cluster: string, prefix: string, role: string): string {
  const re = new RegExp(`^${prefix}-${role}-(\\d+)$`);
  let max = 0;
  const names = [...view.guests.map((g) => g.name), ...[...(state.claims.get(cluster)?.values() ?? [])].map((c) => c.name)];
  for (const n of names) {
    const m = re.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `${prefix}-${role}-${max + 1}`;
}

export interface PlanOptions {
  client: PveClient;
  profile: Profile;
  view: ClusterView;
  state: PlanningState;
  request: ProvisionRequest;
  /** Used as the VMID reservation holder and in the owner marker. */
  planId?: string;
  signal?: AbortSignal;
}

/**
 * Builds a provision plan. On success the plan holds its VMID and a quota claim in `state` until the engine
 * releases it (after execution, or when the plan is dropped).
 */
export async function buildProvisionPlan(opts: PlanOptions): Promise<ProvisionPlan> {
  const { client, profile, view, state, request: req } = opts;
  const ctx: PlanContext = { client, profile, view, state, ...(opts.signal ? { signal: opts.signal } : {}) };
  const planId = opts.planId ?? randomUUID().slice(0, 8);

  // --- type
  const forcing = VM_FORCING_FLAGS.filter((f) => (f === "iso" ? req.iso !== undefined : req[f]));
  const image = await resolveImage(ctx, req, forcing.length > 0);
  let type: GuestType;
  let typeReason: string;
  if (forcing.length > 0) {
    if (image.kind === "ostemplate") {
      throw new PlanError(`${forcing.map((f) => VM_REASONS[f].split(":")[0]).join(", ")} needs a VM, but image ${image.volid} is a container template.`);
    }
    type = "qemu";
    typeReason = `VM because ${forcing.map((f) => VM_REASONS[f]).join("; ")}`;
  } else if (image.kind === "ostemplate") {
    type = "lxc";
    typeReason = "container: no requested feature needs a VM (containers start faster and use less memory)";
  } else {
    type = "qemu";
    typeReason = `VM because the image ${image.kind === "iso" ? image.volid : `${image.name} (${image.vmid})`} is a VM image`;
  }
  if (req.nesting !== undefined && type === "qemu") {
    throw new UsageError("--nesting applies to containers only (a VM can always nest).");
  }

  // --- size
  const sizeName = req.size ?? ("small" in profile.sizes ? "small" : Object.keys(profile.sizes)[0]);
  const size = sizeName !== undefined ? profile.sizes[sizeName] : undefined;
  if (!size) {
    throw new UsageError(`Unknown size "${req.size}". Sizes in profile ${profile.name}: ${Object.keys(profile.sizes).join(", ")}.`);
  }
  const cores = req.cores ?? size.cores;
  const memoryMb = req.memoryMb ?? size.memoryMb;
  let diskGb = req.diskGb ?? size.diskGb;
  let diskNote: string | undefined;
  let grow = true;
  if (image.kind === "vm-template") {
    const templateGb = image.diskSizeBytes / GiB;
    const shown = Number.isInteger(templateGb) ? `${templateGb}` : templateGb.toFixed(1);
    grow = diskGb * GiB > image.diskSizeBytes;
    if (!grow) {
      // Proxmox cannot shrink disks; the clone keeps the template's size (counted rounded up for the quota).
      diskNote = `disk kept at the template's ${shown} GiB (requested ${diskGb} GiB; disks never shrink)`;
      diskGb = Math.ceil(templateGb);
    } else {
      diskNote = `disk grown from the template's ${shown} GiB to ${diskGb} GiB`;
    }
  }

  // --- name
  let name: string;
  if (req.name !== undefined) {
    name = validateGuestName(req.name);
  } else if (req.role !== undefined) {
    name = nextRoleName(view, state, profile.cluster, req.rolePrefix ?? profile.name, req.role);
    validateGuestName(name);
  } else {
    throw new UsageError("Give the guest a name (or a --role to number one automatically).");
  }
  const clash = view.guests.find((g) => g.name === name);
  const claimClash = [...(state.claims.get(profile.cluster)?.values() ?? [])].find((c) => c.name === name);
  if (clash || claimClash) {
    throw new PlanError(
      clash
        ? `A guest named ${name} already exists (VMID ${clash.vmid} on ${clash.node}). Pick another name.`
        : `A guest named ${name} is being provisioned right now. Pick another name.`,
    );
  }

  // --- node (a clone is made on the template's node: Proxmox requires {node} to be the source's node, and
  // `target` works only when every disk is on shared storage; BEHAVIOUR §7.3)
  let allowed: string[] | undefined;
  let allowedReason: string | undefined;
  const cloneMode: "linked" | "full" | undefined =
    image.kind === "vm-template" ? (req.fullClone ? "full" : "linked") : undefined;
  if (image.kind === "vm-template" && (cloneMode === "linked" || !image.sharedStorage)) {
    if (!image.sharedStorage) {
      allowed = [image.node];
      allowedReason = `the template ${image.name} is on local storage ${image.diskStorage} of ${image.node}, so its clones are made there`;
    }
  }
  if (image.kind === "ostemplate" || image.kind === "iso") {
    // The volume must exist on the node (local storage is per node).
    const online = view.nodes.filter((n) => n.online && (req.node === undefined || n.name === req.node));
    const have: string[] = [];
    for (const n of online) {
      const vols = await listVolumes(ctx, n.name, image.kind === "iso" ? "iso" : "vztmpl");
      if (vols.includes(image.volid)) have.push(n.name);
    }
    if (have.length === 0 && online.length > 0) {
      const vols = await listVolumes(ctx, online[0]!.name, image.kind === "iso" ? "iso" : "vztmpl");
      throw new PlanError(`${image.volid} does not exist on ${req.node ?? "any online node"}. Available: ${vols.join(", ") || "none"}.`);
    }
    allowed = have;
    allowedReason = `${image.volid} exists only on ${have.join(", ")}`;
  }
  const claims = state.claims.get(profile.cluster) ?? new Map<number, Claim>();
  const claimedMem = new Map<string, number>();
  for (const c of claims.values()) claimedMem.set(c.node, (claimedMem.get(c.node) ?? 0) + c.memoryMb * 1024 ** 2);
  const guestCount = new Map<string, number>();
  for (const g of view.guests) guestCount.set(g.node, (guestCount.get(g.node) ?? 0) + 1);
  for (const c of claims.values()) guestCount.set(c.node, (guestCount.get(c.node) ?? 0) + 1);
  const placement = choosePlacement({
    rule: profile.placement,
    nodes: view.nodes,
    guestCount,
    claimedMemBytes: claimedMem,
    requestMemMb: memoryMb,
    ...(allowed ? { allowed } : {}),
    ...(allowedReason ? { allowedReason } : {}),
    ...(req.node !== undefined ? { pinned: req.node } : {}),
    ...(state.lastSpreadNode.has(profile.name) ? { lastSpreadNode: state.lastSpreadNode.get(profile.name)! } : {}),
  });

  // --- storage space on the chosen node (a linked clone only needs the growth, but be conservative)
  const targetStorage = cloneMode === "linked" && image.kind === "vm-template" ? image.diskStorage : profile.storage;
  const st = view.storages.find((s) => s.storage === targetStorage && s.node === placement.node);
  if (!st) {
    throw new PlanError(`Storage ${targetStorage} is not available on node ${placement.node}.`);
  }
  const claimedDisk = [...claims.values()].filter((c) => c.node === placement.node).reduce((a, c) => a + c.diskGb, 0);
  const freeGb = (st.total - st.used) / GiB - claimedDisk;
  if (freeGb < diskGb) {
    throw new CapacityExceeded(`Storage ${targetStorage} on ${placement.node} has ${freeGb.toFixed(1)} GiB free, the guest needs ${diskGb} GiB.`);
  }

  // --- quota (after everything that can fail without side effects)
  const requested = { cores, memoryMb, diskGb };
  const memberUsage = await poolMemberUsage(ctx);
  checkQuota(profile.pool, profile.quota, withClaims(memberUsage, state, profile), requested);

  // --- VMID: explicit, or the lowest free in the auto range. Held in memory (and the store) until released.
  const taken = new Set(view.guests.map((g) => g.vmid));
  const confirmFree = (vmid: number) => vmidIsFree(client, vmid, opts.signal);
  let vmid: number;
  if (req.vmid !== undefined) {
    const t = profile.vmidRanges.templates;
    if (req.vmid >= t.min && req.vmid <= t.max) {
      throw new UsageError(`VMID ${req.vmid} is in the templates range ${t.min}-${t.max} of profile ${profile.name}.`);
    }
    if (taken.has(req.vmid) || !(await state.allocator.hold(profile.cluster, req.vmid, planId))) {
      throw new PlanError(`VMID ${req.vmid} is already in use.`);
    }
    if (!(await confirmFree(req.vmid))) {
      await state.allocator.release(profile.cluster, req.vmid, planId);
      throw new PlanError(`VMID ${req.vmid} is already in use.`);
    }
    vmid = req.vmid;
  } else {
    vmid = await state.allocator.allocate(profile.cluster, profile.vmidRanges.auto, taken, planId, confirmFree);
  }

  // Other plans may have claimed while this one awaited its VMID: check again against the claims as they are
  // now, and claim in the same synchronous stretch (no await in between), so concurrent plans cannot overbook.
  let quota: ReturnType<typeof checkQuota>;
  try {
    quota = checkQuota(profile.pool, profile.quota, withClaims(memberUsage, state, profile), requested);
  } catch (err) {
    await state.allocator.release(profile.cluster, vmid, planId);
    throw err;
  }
  if (!state.claims.has(profile.cluster)) state.claims.set(profile.cluster, new Map());
  state.claims.get(profile.cluster)!.set(vmid, {
    cluster: profile.cluster,
    pool: profile.pool,
    node: placement.node,
    name,
    cores,
    memoryMb,
    diskGb,
  });
  if (profile.placement === "spread") state.lastSpreadNode.set(profile.name, placement.node);

  // --- the rest of the guest's shape
  const steps =
    type === "lxc"
      ? ["create", "start", "wait-ip"]
      : image.kind === "iso"
        ? ["create", ...(req.haLive ? ["ha"] : []), "start"]
        : [
            "clone",
            "wait-unlocked",
            "configure",
            ...(grow ? ["resize"] : []),
            ...(req.haLive ? ["ha"] : []),
            "start",
            "wait-agent",
            "wait-ip",
            "wait-ssh",
          ];
  const tags = [...new Set([...profile.tags, ...req.tags].map((t) => t.toLowerCase()))];
  const openrc = image.kind === "ostemplate" && image.openrc;
  const nesting = type === "lxc" ? (req.nesting ?? !openrc) : undefined;
  const sshKeys = [...new Set([...profile.sshKeys, ...req.sshKeys])];
  const ciUser = req.ciUser ?? profile.ciUser;
  return {
    kind: "provision",
    cluster: profile.cluster,
    profile: profile.name,
    pool: profile.pool,
    type,
    typeReason,
    name,
    vmid,
    node: placement.node,
    nodeReason: placement.reason,
    image,
    cores,
    memoryMb,
    diskGb,
    ...(diskNote ? { diskNote } : {}),
    ...(type === "qemu" ? { cpuType: req.liveMigrate || req.haLive ? profile.migratableCpuType : "host" } : {}),
    ...(cloneMode ? { cloneMode } : {}),
    storage: targetStorage,
    bridge: profile.bridge,
    ...(profile.vlan !== undefined ? { vlan: profile.vlan } : {}),
    network: req.network,
    ...(profile.nameserver ? { nameserver: profile.nameserver } : {}),
    ...(profile.searchdomain ? { searchdomain: profile.searchdomain } : {}),
    ...(ciUser ? { ciUser } : {}),
    sshKeys,
    tags,
    ...(nesting !== undefined ? { features: nesting ? "nesting=1" : "", unprivileged: true, swapMb: profile.swapMb } : {}),
    haLive: req.haLive,
    windows: req.windows,
    ownerMarker: `pve-chatops:${planId}`,
    quota,
    readiness: { ...profile.readiness },
    steps,
  };
}

/**
 * Asks Proxmox whether a VMID is free: `nextid?vmid=N` sees every guest, also those a scoped token cannot list,
 * and answers 400 {"errors":{"vmid":"VM N already exists"}} for a used ID (BEHAVIOUR §5).
 */
export async function vmidIsFree(client: PveClient, vmid: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await client.get("/cluster/nextid", { vmid }, signal ? { signal } : {});
    return true;
  } catch (err) {
    if (err instanceof PveError && err.status === 400 && err.paramErrors?.vmid) return false;
    throw err;
  }
}

/** Drops a plan's VMID hold and quota claim (after execution, or when a plan is not executed). */
export async function releasePlan(state: PlanningState, plan: ProvisionPlan): Promise<void> {
  state.claims.get(plan.cluster)?.delete(plan.vmid);
  await state.allocator.release(plan.cluster, plan.vmid, plan.ownerMarker.replace("pve-chatops:", ""));
}

