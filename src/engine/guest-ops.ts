/**
 * Guest operations shared by provisioning (rollback), teardown and day-2 commands: each one waits for its
 * Proxmox task and reports progress.
 */
import { z } from "zod";
import { PveError } from "../errors.js";
import { guestPath, readClusterView, readGuestStatus } from "./cluster.js";
import type { GuestType } from "./types.js";
import { runTask, waitUntil, type RunContext } from "./runtime.js";

export interface GuestAddr {
  node: string;
  type: GuestType;
  vmid: number;
}

const upidSchema = z.string().startsWith("UPID:");
/** Some calls return a UPID on newer versions and null on older ones (e.g. resize before 8.x). */
const maybeUpid = z.string().startsWith("UPID:").nullable();

export async function powerAction(
  ctx: RunContext,
  step: string,
  g: GuestAddr,
  action: "start" | "stop" | "shutdown" | "reboot",
  params: Record<string, string | number | boolean> = {},
): Promise<string> {
  const upid = await ctx.client.post(`${guestPath(g)}/status/${action}`, params, { schema: upidSchema, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  await runTask(ctx, step, upid, g.vmid);
  return upid;
}

/** Waits until the guest's config lock (create, clone, migrate …) is gone. */
export async function waitUnlocked(ctx: RunContext, step: string, g: GuestAddr): Promise<void> {
  await waitUntil(ctx, { step, what: `the lock on ${g.vmid} to clear`, timeoutMs: ctx.timing.unlockTimeoutMs, guest: g.vmid }, async () => {
    const st = await readGuestStatus(ctx.client, g, ctx.signal);
    return st.lock ? undefined : true;
  });
}

/**
 * Waits until the VMID is gone from `/cluster/resources`. Proxmox's DELETE returns at once and the guest stays
 * listed (lock: destroyed) until its task ends; re-using the ID before that makes "ghost VMs" (BEHAVIOUR §12).
 */
export async function waitGone(ctx: RunContext, step: string, vmid: number): Promise<void> {
  await waitUntil(ctx, { step, what: `VMID ${vmid} to disappear from the cluster`, timeoutMs: ctx.timing.goneTimeoutMs, guest: vmid }, async () => {
    const view = await readClusterView(ctx.client, ctx.signal);
    return view.guests.some((x) => x.vmid === vmid) ? undefined : true;
  });
}

export function haSid(g: { type: GuestType; vmid: number }): string {
  return `${g.type === "qemu" ? "vm" : "ct"}:${g.vmid}`;
}

/** Is the guest HA-managed? From its own status (VM.Audit), not the HA resource list (Sys.Audit on /). */
export async function isHaManaged(ctx: RunContext, g: GuestAddr): Promise<boolean> {
  return (await readGuestStatus(ctx.client, g, ctx.signal)).ha?.managed === 1;
}

/** Takes the guest out of HA if it is in it (needs Sys.Console on /, which only --ha-live users grant). */
export async function removeFromHa(ctx: RunContext, g: GuestAddr): Promise<boolean> {
  if (!(await isHaManaged(ctx, g))) return false;
  await ctx.client.delete(`/cluster/ha/resources/${encodeURIComponent(haSid(g))}`);
  return true;
}

/**
 * Stops (if running) and destroys a guest with purge, then waits until it is really gone.
 * `shutdownTimeoutSec` > 0 tries a clean shutdown first.
 */
export async function destroyGuest(
  ctx: RunContext,
  step: string,
  g: GuestAddr,
  opts: { shutdownTimeoutSec: number },
): Promise<void> {
  await removeFromHa(ctx, g);
  let status: string;
  try {
    const current = await readGuestStatus(ctx.client, g, ctx.signal);
    if (current.lock === "destroyed") {
      // A destroy is already under way (e.g. a resumed job): wait for it instead of deleting again.
      await waitGone(ctx, step, g.vmid);
      return;
    }
    status = current.status;
  } catch (err) {
    if (err instanceof PveError && err.kind === "not-found") return; // already gone
    throw err;
  }
  if (status === "running") {
    let stopped = false;
    if (opts.shutdownTimeoutSec > 0) {
      try {
        // forceStop would also work, but a failed clean shutdown is worth a line in the thread.
        await powerAction(ctx, step, g, "shutdown", { timeout: opts.shutdownTimeoutSec });
        stopped = (await readGuestStatus(ctx.client, g, ctx.signal)).status === "stopped";
      } catch (err) {
        if (!(err instanceof PveError && err.kind === "task-failed")) throw err;
        ctx.emit({ type: "rollback", step, message: `clean shutdown of ${g.vmid} failed (${err.pveMessage}); stopping it` });
      }
    }
    if (!stopped) await powerAction(ctx, step, g, "stop");
  }
  const upid = await ctx.client.delete(guestPath(g), { purge: true, "destroy-unreferenced-disks": true }, {
    schema: upidSchema,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  await runTask(ctx, step, upid, g.vmid);
  await waitGone(ctx, step, g.vmid);
}

export { maybeUpid, upidSchema };
