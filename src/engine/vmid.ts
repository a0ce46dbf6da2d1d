/**
 * VMID allocation without races. `/cluster/nextid` reserves nothing (BEHAVIOUR §5: two callers get the same ID),
 * so the engine picks from the profile's range, remembers IDs it has handed out but not yet created (in-flight),
 * optionally reserves them in the durable store (several replicas), confirms with `nextid?vmid=N` (which sees
 * guests a scoped token cannot list), and treats Proxmox's "already exists" as a signal to pick again.
 */
import type { VmidRange } from "../config/schema.js";

/** Durable reservations shared by replicas (the store implements this). */
export interface VmidReservations {
  reserveVmid(cluster: string, vmid: number, holder: string, ttlMs: number): Promise<boolean>;
  releaseVmid(cluster: string, vmid: number, holder: string): Promise<void>;
}

export class VmidAllocator {
  readonly #inFlight = new Map<string, Set<number>>();

  constructor(
    private readonly reservations?: VmidReservations,
    private readonly reservationTtlMs = 60 * 60 * 1000,
  ) {}

  #set(cluster: string): Set<number> {
    let s = this.#inFlight.get(cluster);
    if (!s) this.#inFlight.set(cluster, (s = new Set()));
    return s;
  }

  isInFlight(cluster: string, vmid: number): boolean {
    return this.#set(cluster).has(vmid);
  }

  /**
   * Picks the lowest ID in `range` that is neither `taken` (seen on the cluster) nor in flight, and holds it.
   * `confirmFree` asks Proxmox; IDs it rejects are skipped. Throws when the range is exhausted.
   */
  async allocate(
    cluster: string,
    range: VmidRange,
    taken: ReadonlySet<number>,
    holder: string,
    confirmFree: (vmid: number) => Promise<boolean>,
  ): Promise<number> {
    const skip = new Set<number>();
    for (let attempt = 0; attempt < 1000; attempt++) {
      // Synchronous pick-and-hold: no await between choosing and marking, so concurrent plans in this
      // process can never choose the same ID.
      const inFlight = this.#set(cluster);
      let candidate: number | undefined;
      for (let id = range.min; id <= range.max; id++) {
        if (!taken.has(id) && !inFlight.has(id) && !skip.has(id)) {
          candidate = id;
          break;
        }
      }
      if (candidate === undefined) break;
      inFlight.add(candidate);
      try {
        if (this.reservations && !(await this.reservations.reserveVmid(cluster, candidate, holder, this.reservationTtlMs))) {
          inFlight.delete(candidate);
          skip.add(candidate);
          continue;
        }
        if (!(await confirmFree(candidate))) {
          await this.release(cluster, candidate, holder);
          skip.add(candidate);
          continue;
        }
        return candidate;
      } catch (err) {
        await this.release(cluster, candidate, holder).catch(() => undefined);
        throw err;
      }
    }
    throw new VmidRangeExhausted(range);
  }

  /** Holds a specific ID (explicit `--vmid`, or a resumed job's). Returns false if another plan holds it. */
  async hold(cluster: string, vmid: number, holder: string): Promise<boolean> {
    const inFlight = this.#set(cluster);
    if (inFlight.has(vmid)) return false;
    inFlight.add(vmid);
    if (this.reservations && !(await this.reservations.reserveVmid(cluster, vmid, holder, this.reservationTtlMs))) {
      inFlight.delete(vmid);
      return false;
    }
    return true;
  }

  async release(cluster: string, vmid: number, holder: string): Promise<void> {
    this.#set(cluster).delete(vmid);
    if (this.reservations) await this.reservations.releaseVmid(cluster, vmid, holder);
  }
}

import { PlanError } from "../errors.js";

export class VmidRangeExhausted extends PlanError {
  constructor(range: VmidRange) {
    super(`No free VMID left in the profile's range ${range.min}-${range.max}.`);
  }
}
