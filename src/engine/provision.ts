/**
 * Executing a provision plan, step by step. Each step can tell whether its effect is already there, so a job
 * interrupted between any two steps resumes (the durable job runner relies on this). On failure, what this run
 * created is undone (stop, destroy, verify gone) and the failure event says exactly what was left, if anything.
 */
import type { PveParams } from "../adapters/pve/types.js";
import { encodeSshKeysForQemu, formatTags } from "../adapters/pve/encode.js";
import { ChatOpsError, PveError, userFacingMessage } from "../errors.js";
import { GiB, bootDisk, guestPath, readGuestConfig, readGuestStatus } from "./cluster.js";
import { destroyGuest, haSid, isHaManaged, maybeUpid, upidSchema, waitUnlocked, type GuestAddr } from "./guest-ops.js";
import { macOfNet, waitForAgent, waitForContainerIp, waitForSsh, waitForVmIp } from "./readiness.js";
import { runTask, throwIfCancelled, type RunContext } from "./runtime.js";
import type { ProvisionPlan } from "./types.js";

/** Durable execution state of one provision: which steps are done and what they produced. */
export interface ProvisionState {
  /** Steps completed, in order. */
  completed: string[];
  /** The guest this run created (rollback removes it). Absent until the create/clone step made it. */
  created?: GuestAddr;
  /** Added to HA by this run. */
  ha?: boolean;
  ip?: string;
  /** Current VMID (may differ from the plan's first pick after an "already exists" re-pick). */
  vmid: number;
  /** Node the guest is on. */
  node: string;
  /** A Proxmox task started by a step that has not completed yet: a resumed run waits on it, never re-dispatches. */
  pendingTask?: { step: string; upid: string };
}

export interface ProvisionResult {
  vmid: number;
  name: string;
  node: string;
  ip?: string;
  ssh?: string;
  note?: string;
}

export interface ProvisionHooks {
  /** Persist the state after each step (the job runner stores it). */
  onState?: (state: ProvisionState) => void | Promise<void>;
  /** Picks a new VMID after a collision; returns it (the engine updates holds and claims). */
  repickVmid: (plan: ProvisionPlan, taken: number) => Promise<number>;
}

const STEP_TITLES: Record<string, (p: ProvisionPlan) => string> = {
  clone: (p) => p.image.kind === "vm-template" ? `Clone template ${p.image.name} (${p.image.vmid}) → ${p.name}, ${p.cloneMode} clone` : "Clone",
  "wait-unlocked": () => "Wait for the clone lock to clear",
  configure: (p) => `Configure ${p.cores} cores, ${p.memoryMb} MiB, CPU ${p.cpuType ?? "default"}, network, cloud-init`,
  resize: (p) => `Grow disk to ${p.diskGb} GiB`,
  ha: () => "Add to HA",
  create: (p) =>
    p.type === "lxc"
      ? `Create container ${p.name} from ${p.image.kind === "ostemplate" ? p.image.volid : "?"}`
      : `Create VM ${p.name} from ISO ${p.image.kind === "iso" ? p.image.volid : "?"}`,
  start: (p) => `Start ${p.name}`,
  "wait-agent": () => "Wait for the QEMU guest agent",
  "wait-ip": () => "Wait for an IP address",
  "wait-ssh": (p) => `Wait for SSH on port ${p.readiness.sshPort}`,
};

export function stepTitle(plan: ProvisionPlan, step: string): string {
  return STEP_TITLES[step]?.(plan) ?? step;
}

/** Proxmox says the VMID is taken: pick another one (BEHAVIOUR §5). */
function isVmidCollision(err: unknown): boolean {
  return (
    err instanceof PveError &&
    (err.kind === "already-exists" ||
      /already exists|config file already exists|lock-\d+\.conf' - got timeout/.test(err.pveMessage))
  );
}

function networkNet0Vm(plan: ProvisionPlan, existing: string | undefined): string {
  // Keep the model and MAC the clone got; Proxmox generates a new MAC when none is given.
  const modelMac = existing?.split(",").find((p) => /^(virtio|e1000|e1000e|rtl8139|vmxnet3)=/.test(p)) ?? "virtio";
  return [modelMac, `bridge=${plan.bridge}`, ...(plan.vlan !== undefined ? [`tag=${plan.vlan}`] : [])].join(",");
}

function ipconfig0(plan: ProvisionPlan): string {
  return plan.network.mode === "dhcp" ? "ip=dhcp" : `ip=${plan.network.ip},gw=${plan.network.gateway}`;
}

function description(plan: ProvisionPlan, requestedBy: string): string {
  return `Provisioned by pve-chatops for ${requestedBy}.\n${plan.ownerMarker}`;
}

/** Is the guest with this VMID ours (made by this plan)? Used to recognise our own effect on resume. */
async function ownsGuest(ctx: RunContext, plan: ProvisionPlan, g: GuestAddr): Promise<boolean> {
  try {
    const cfg = await readGuestConfig(ctx.client, g, ctx.signal);
    return typeof cfg.description === "string" && cfg.description.includes(plan.ownerMarker);
  } catch (err) {
    if (err instanceof PveError && err.kind === "not-found") return false;
    throw err;
  }
}

async function guestExistsAnywhere(ctx: RunContext, vmid: number, type: "qemu" | "lxc"): Promise<GuestAddr | undefined> {
  const rows = await ctx.client.get("/cluster/resources", { type: "vm" }, ctx.signal ? { signal: ctx.signal } : {});
  if (!Array.isArray(rows)) return undefined;
  for (const r of rows as Array<Record<string, unknown>>) {
    if (Number(r.vmid) === vmid && typeof r.node === "string") return { node: r.node, type, vmid };
  }
  return undefined;
}

/**
 * Starts a step's Proxmox task, or — when a previous run of this job already started it — picks that task up by
 * its UPID. The UPID is persisted before waiting, so a crash while the task runs never starts it twice.
 */
async function startOrResumeTask(
  ctx: RunContext,
  st: ProvisionState,
  hooks: ProvisionHooks,
  step: string,
  dispatch: () => Promise<string>,
  beforeWait?: () => void,
): Promise<string> {
  let upid: string;
  if (st.pendingTask?.step === step) {
    upid = st.pendingTask.upid;
  } else {
    upid = await dispatch();
    st.pendingTask = { step, upid };
    beforeWait?.();
    await hooks.onState?.(st);
  }
  try {
    await runTask(ctx, step, upid, st.vmid);
  } finally {
    // The task has ended (or we gave up on it): a retry must dispatch anew, never wait on this UPID again.
    // A crash skips this, so the persisted state still names the task for the next run.
    delete st.pendingTask;
  }
  return upid;
}

type StepFn = (ctx: RunContext, plan: ProvisionPlan, st: ProvisionState, hooks: ProvisionHooks, requestedBy: string) => Promise<{ upid?: string; alreadyDone?: boolean } | void>;

const steps: Record<string, StepFn> = {
  async clone(ctx, plan, st, hooks, requestedBy) {
    if (plan.image.kind !== "vm-template") throw new Error("clone step needs a VM template");
    const image = plan.image;
    for (let attempt = 0; ; attempt++) {
      const existing = await guestExistsAnywhere(ctx, st.vmid, "qemu");
      // A clone task this job started is awaited below (startOrResumeTask), not judged by its half-made guest.
      if (existing && st.pendingTask?.step !== "clone" && (await ownsGuest(ctx, plan, existing))) {
        st.created = existing;
        st.node = existing.node;
        return { alreadyDone: true };
      }
      const params: PveParams = {
        newid: st.vmid,
        name: plan.name,
        pool: plan.pool,
        description: description(plan, requestedBy),
        full: plan.cloneMode === "full",
        ...(plan.cloneMode === "full" ? { storage: plan.storage } : {}),
        ...(plan.node !== image.node ? { target: plan.node } : {}),
      };
      try {
        if (existing && st.pendingTask?.step !== "clone") {
          throw new PveError({ kind: "already-exists", pveMessage: `VMID ${st.vmid} already exists` });
        }
        const upid = await startOrResumeTask(
          ctx,
          st,
          hooks,
          "clone",
          () =>
            ctx.client.post(`/nodes/${encodeURIComponent(image.node)}/qemu/${image.vmid}/clone`, params, {
              schema: upidSchema,
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            }),
          () => {
            // From here the new guest may exist: record it before waiting, so a failure rolls it back.
            st.created = { node: plan.node, type: "qemu", vmid: st.vmid };
            st.node = plan.node;
          },
        );
        return { upid };
      } catch (err) {
        if (isVmidCollision(err) && attempt < 5) {
          // Another actor took the ID (nextid reserves nothing). If the guest there is not ours, re-pick.
          const there = await guestExistsAnywhere(ctx, st.vmid, "qemu");
          if (!there || !(await ownsGuest(ctx, plan, there))) {
            delete st.created;
            const old = st.vmid;
            st.vmid = await hooks.repickVmid(plan, old);
            ctx.emit({ type: "rollback", step: "clone", message: `VMID ${old} was taken meanwhile; using ${st.vmid}` });
            continue;
          }
        }
        throw err;
      }
    }
  },

  async "wait-unlocked"(ctx, _plan, st) {
    await waitUnlocked(ctx, "wait-unlocked", { node: st.node, type: "qemu", vmid: st.vmid });
  },

  async configure(ctx, plan, st) {
    const g = { node: st.node, type: "qemu" as const, vmid: st.vmid };
    const cfg = await readGuestConfig(ctx.client, g, ctx.signal);
    const params: PveParams = {
      cores: plan.cores,
      memory: plan.memoryMb,
      ...(plan.cpuType ? { cpu: plan.cpuType } : {}),
      net0: networkNet0Vm(plan, typeof cfg.net0 === "string" ? cfg.net0 : undefined),
      ipconfig0: ipconfig0(plan),
      agent: "1",
      ...(plan.tags.length ? { tags: formatTags(plan.tags) } : {}),
      ...(plan.network.mode === "static" && plan.network.dns ? { nameserver: plan.network.dns } : plan.nameserver ? { nameserver: plan.nameserver } : {}),
      ...(plan.searchdomain ? { searchdomain: plan.searchdomain } : {}),
      ...(plan.ciUser ? { ciuser: plan.ciUser } : {}),
      // sshkeys must be percent-encoded inside the form value (BEHAVIOUR §8.5); encode.ts does it.
      ...(plan.sshKeys.length ? { sshkeys: encodeSshKeysForQemu(plan.sshKeys) } : {}),
      digest: cfg.digest,
    };
    await ctx.client.put(`${guestPath(g)}/config`, params, ctx.signal ? { signal: ctx.signal } : {});
  },

  async resize(ctx, plan, st, hooks) {
    const g = { node: st.node, type: "qemu" as const, vmid: st.vmid };
    const cfg = await readGuestConfig(ctx.client, g, ctx.signal);
    const disk = bootDisk(cfg);
    if (!disk) throw new PveError({ kind: "not-found", pveMessage: `VM ${st.vmid} has no boot disk to resize` });
    if (disk.sizeBytes >= plan.diskGb * GiB) return { alreadyDone: true }; // never shrink; already grown
    if (st.pendingTask?.step === "resize") {
      return { upid: await startOrResumeTask(ctx, st, hooks, "resize", async () => st.pendingTask!.upid) };
    }
    const res = await ctx.client.put(`${guestPath(g)}/resize`, { disk: disk.key, size: `${plan.diskGb}G` }, {
      schema: maybeUpid,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    // Resize returns a task on PVE 8.x/9.x and null (synchronous) on older versions.
    if (!res) return undefined;
    return { upid: await startOrResumeTask(ctx, st, hooks, "resize", async () => res) };
  },

  async ha(ctx, plan, st) {
    const g = { node: st.node, type: plan.type, vmid: st.vmid };
    if (await isHaManaged(ctx, g)) {
      st.ha = true;
      return { alreadyDone: true };
    }
    // Needs Sys.Console on / (pve-manager API2/HA/Resources.pm): the one privilege only --ha-live asks for.
    await ctx.client.post("/cluster/ha/resources", { sid: haSid(g), state: "started", comment: `pve-chatops ${plan.name}` });
    st.ha = true;
  },

  async create(ctx, plan, st, hooks, requestedBy) {
    for (let attempt = 0; ; attempt++) {
      const g: GuestAddr = { node: plan.node, type: plan.type, vmid: st.vmid };
      const existing = await guestExistsAnywhere(ctx, st.vmid, plan.type);
      if (existing && st.pendingTask?.step !== "create" && (await ownsGuest(ctx, plan, existing))) {
        st.created = existing;
        return { alreadyDone: true };
      }
      const common: PveParams = {
        vmid: st.vmid,
        pool: plan.pool,
        description: description(plan, requestedBy),
        cores: plan.cores,
        memory: plan.memoryMb,
        ...(plan.tags.length ? { tags: formatTags(plan.tags) } : {}),
        ...(plan.nameserver ? { nameserver: plan.nameserver } : {}),
        ...(plan.searchdomain ? { searchdomain: plan.searchdomain } : {}),
      };
      let params: PveParams;
      if (plan.type === "lxc") {
        if (plan.image.kind !== "ostemplate") throw new Error("container create needs an ostemplate");
        const net = [
          "name=eth0",
          `bridge=${plan.bridge}`,
          plan.network.mode === "dhcp" ? "ip=dhcp" : `ip=${plan.network.ip},gw=${plan.network.gateway}`,
          ...(plan.vlan !== undefined ? [`tag=${plan.vlan}`] : []),
        ].join(",");
        params = {
          ...common,
          hostname: plan.name,
          ostemplate: plan.image.volid,
          rootfs: `${plan.storage}:${plan.diskGb}`,
          swap: plan.swapMb ?? 512,
          net0: net,
          unprivileged: plan.unprivileged ?? true,
          ...(plan.features ? { features: plan.features } : {}),
          // Containers take keys as plain text, one per line (unlike a VM's sshkeys; BEHAVIOUR §9).
          ...(plan.sshKeys.length ? { "ssh-public-keys": plan.sshKeys.join("\n") } : {}),
          ...(plan.network.mode === "static" && plan.network.dns ? { nameserver: plan.network.dns } : {}),
        };
      } else {
        if (plan.image.kind !== "iso") throw new Error("VM create needs an ISO");
        params = {
          ...common,
          name: plan.name,
          ostype: plan.windows ? "win11" : "l26",
          cpu: plan.cpuType ?? "host",
          scsihw: "virtio-scsi-single",
          scsi0: `${plan.storage}:${plan.diskGb}`,
          ide2: `${plan.image.volid},media=cdrom`,
          net0: networkNet0Vm(plan, undefined),
          boot: "order=scsi0;ide2",
          agent: "1",
        };
      }
      try {
        if (existing && st.pendingTask?.step !== "create") {
          throw new PveError({ kind: "already-exists", pveMessage: `VMID ${st.vmid} already exists` });
        }
        const upid = await startOrResumeTask(
          ctx,
          st,
          hooks,
          "create",
          () =>
            ctx.client.post(`/nodes/${encodeURIComponent(plan.node)}/${plan.type}`, params, {
              schema: upidSchema,
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            }),
          () => {
            st.created = g;
          },
        );
        return { upid };
      } catch (err) {
        if (isVmidCollision(err) && attempt < 5 && !st.created) {
          const old = st.vmid;
          st.vmid = await hooks.repickVmid(plan, old);
          ctx.emit({ type: "rollback", step: "create", message: `VMID ${old} was taken meanwhile; using ${st.vmid}` });
          continue;
        }
        throw err;
      }
    }
  },

  async start(ctx, plan, st, hooks) {
    const g = { node: st.node, type: plan.type, vmid: st.vmid };
    if (st.pendingTask?.step !== "start") {
      const status = await readGuestStatus(ctx.client, g, ctx.signal);
      if (status.status === "running") return { alreadyDone: true };
    }
    const upid = await startOrResumeTask(ctx, st, hooks, "start", () =>
      ctx.client.post(`${guestPath(g)}/status/start`, {}, { schema: upidSchema, ...(ctx.signal ? { signal: ctx.signal } : {}) }),
    );
    return { upid };
  },

  async "wait-agent"(ctx, plan, st) {
    await waitForAgent(ctx, { node: st.node, vmid: st.vmid }, plan.readiness.agentTimeoutSec);
  },

  async "wait-ip"(ctx, plan, st) {
    if (plan.type === "lxc") {
      st.ip = await waitForContainerIp(ctx, { node: st.node, vmid: st.vmid }, plan.readiness.ipTimeoutSec);
      return;
    }
    const cfg = await readGuestConfig(ctx.client, { node: st.node, type: "qemu", vmid: st.vmid }, ctx.signal);
    st.ip = await waitForVmIp(ctx, { node: st.node, vmid: st.vmid }, macOfNet(typeof cfg.net0 === "string" ? cfg.net0 : undefined), plan.readiness.ipTimeoutSec);
  },

  async "wait-ssh"(ctx, plan, st) {
    if (!st.ip) throw new Error("wait-ssh needs the guest's IP");
    await waitForSsh(ctx, st.ip, {
      port: plan.readiness.sshPort,
      timeoutSec: plan.readiness.sshTimeoutSec,
      handshake: plan.readiness.sshHandshake,
      guest: st.vmid,
    });
  },
};

export function initialProvisionState(plan: ProvisionPlan): ProvisionState {
  return { completed: [], vmid: plan.vmid, node: plan.node };
}

export class ProvisionFailed extends ChatOpsError {
  readonly code = "PROVISION_FAILED";
  constructor(
    readonly step: string,
    readonly causeError: unknown,
    readonly rolledBack: string[],
    readonly leftBehind: string[],
  ) {
    super(
      `Step "${step}" failed: ${userFacingMessage(causeError)}` +
        (rolledBack.length ? ` Rolled back: ${rolledBack.join("; ")}.` : "") +
        (leftBehind.length ? ` LEFT BEHIND: ${leftBehind.join("; ")}.` : ""),
      { cause: causeError },
    );
  }
}

/**
 * Runs the plan's steps from where `state` stands. Throws ProvisionFailed after rolling back.
 */
export async function executeProvision(
  ctx: RunContext,
  plan: ProvisionPlan,
  state: ProvisionState,
  hooks: ProvisionHooks,
  requestedBy: string,
): Promise<ProvisionResult> {
  for (const step of plan.steps) {
    if (state.completed.includes(step)) continue;
    const title = stepTitle(plan, step);
    const started = ctx.clock.now();
    ctx.emit({ type: "step-started", step, title, guest: state.vmid });
    try {
      throwIfCancelled(ctx.signal);
      const fn = steps[step];
      if (!fn) throw new Error(`unknown step ${step}`);
      const out = (await fn(ctx, plan, state, hooks, requestedBy)) ?? {};
      state.completed.push(step);
      await hooks.onState?.(state);
      ctx.emit({
        type: "step-finished",
        step,
        title,
        guest: state.vmid,
        durationMs: ctx.clock.now() - started,
        ...(out.upid ? { upid: out.upid } : {}),
        ...(out.alreadyDone ? { alreadyDone: true } : {}),
      });
    } catch (err) {
      const { rolledBack, leftBehind } = await rollbackProvision(ctx, plan, state);
      await hooks.onState?.(state);
      const pve = err instanceof PveError ? err : undefined;
      ctx.emit({
        type: "failed",
        step,
        message: userFacingMessage(err),
        ...(pve ? { pveMessage: pve.pveMessage } : {}),
        ...(pve?.upid ? { upid: pve.upid } : {}),
        ...(pve?.logTail?.length ? { logTail: pve.logTail } : {}),
        rolledBack,
        leftBehind,
      });
      throw new ProvisionFailed(step, err, rolledBack, leftBehind);
    }
  }
  const ip = state.ip;
  const result: ProvisionResult = {
    vmid: state.vmid,
    name: plan.name,
    node: state.node,
    ...(ip ? { ip } : {}),
    ...(ip && plan.type === "qemu" ? { ssh: `ssh ${plan.ciUser ?? (plan.windows ? "Administrator" : "root")}@${ip}` } : {}),
    ...(ip && plan.type === "lxc" ? { ssh: `ssh root@${ip}` } : {}),
    ...(plan.image.kind === "iso" ? { note: "started from the ISO: the installer is waiting on the console (no guest agent yet)" } : {}),
  };
  ctx.emit({ type: "ready", name: result.name, vmid: result.vmid, node: result.node, ...(result.ip ? { ip: result.ip } : {}), ...(result.ssh ? { ssh: result.ssh } : {}), ...(result.note ? { note: result.note } : {}) });
  return result;
}

/** Undo what this run created. Returns what was undone and what could not be. Never throws. */
export async function rollbackProvision(
  ctx: RunContext,
  plan: ProvisionPlan,
  state: ProvisionState,
): Promise<{ rolledBack: string[]; leftBehind: string[] }> {
  const rolledBack: string[] = [];
  const leftBehind: string[] = [];
  const created = state.created;
  if (!created) return { rolledBack, leftBehind };
  // Rollback must run even when the job was cancelled: use a context without the abort signal.
  const rctx: RunContext = { ...ctx, signal: undefined };
  ctx.emit({ type: "rollback", step: "rollback", message: `removing ${plan.type === "qemu" ? "VM" : "container"} ${created.vmid} (${plan.name})` });
  try {
    // The guest may still be locked by its failed task's cleanup, or on another node than we think.
    const where = (await guestExistsAnywhere(rctx, created.vmid, created.type)) ?? undefined;
    if (!where) {
      rolledBack.push(`${plan.name} (${created.vmid}) was not created or is already gone`);
    } else if (!(await ownsGuest(rctx, plan, where))) {
      leftBehind.push(`VMID ${created.vmid} exists but is not ours (another actor's guest): left untouched`);
    } else {
      try {
        await waitUnlocked(rctx, "rollback", where);
      } catch {
        // a stale lock: the destroy below will say so
      }
      await destroyGuest(rctx, "rollback", where, { shutdownTimeoutSec: 0 });
      rolledBack.push(`destroyed ${plan.name} (${created.vmid}) on ${where.node}`);
    }
    delete state.created;
    state.ha = false;
  } catch (err) {
    const why = err instanceof PveError ? err.pveMessage : userFacingMessage(err);
    leftBehind.push(
      `${plan.type === "qemu" ? "VM" : "container"} ${created.vmid} (${plan.name}) on ${created.node}: could not remove it (${why}). Remove it by hand: ${plan.type === "qemu" ? "qm" : "pct"} destroy ${created.vmid} --purge`,
    );
  }
  return { rolledBack, leftBehind };
}

