/**
 * The provisioning engine: the one entry point for commands, the job runner, the CLI and tests. It plans
 * (resolving everything first), executes plans step by step and reports progress events. No Slack here.
 */
import type { PveClient } from "../adapters/pve/types.js";
import type { Profile } from "../config/schema.js";
import { NotFound, userFacingMessage } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { readClusterView } from "./cluster.js";
import * as ops from "./ops.js";
import { buildProvisionPlan, parseProvisionRequest, releasePlan, vmidIsFree, type PlanningState } from "./plan.js";
import {
  executeProvision,
  initialProvisionState,
  type ProvisionResult,
  type ProvisionState,
} from "./provision.js";
import { DEFAULT_TIMING, realClock, type Clock, type EngineTiming, type RunContext } from "./runtime.js";
import type { EvacuatePlan, ProgressListener, ProvisionPlan, ProvisionRequestInput, TeardownPlan } from "./types.js";
import { VmidAllocator, type VmidReservations } from "./vmid.js";

export interface EngineOptions {
  /** The Proxmox client of a cluster, by cluster name. */
  clientFor: (cluster: string) => PveClient;
  profiles: ReadonlyMap<string, Profile>;
  logger?: Logger;
  timing?: Partial<EngineTiming>;
  clock?: Clock;
  /** Durable VMID reservations (the store) when several replicas share clusters. */
  reservations?: VmidReservations;
}

export interface RunOptions {
  onEvent?: ProgressListener;
  signal?: AbortSignal;
  /** Logger for this run (the job runner passes one carrying the job id). */
  logger?: Logger;
}

export class Engine {
  readonly #opts: EngineOptions;
  readonly #timing: EngineTiming;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #state: PlanningState;

  constructor(opts: EngineOptions) {
    this.#opts = opts;
    this.#timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.logger ?? silentLogger;
    this.#state = {
      allocator: new VmidAllocator(opts.reservations),
      claims: new Map(),
      lastSpreadNode: new Map(),
      sizeCache: new Map(),
      now: () => this.#clock.now(),
    };
  }

  profile(name: string): Profile {
    const p = this.#opts.profiles.get(name);
    if (!p) throw new NotFound(`No profile named "${name}" (profiles: ${[...this.#opts.profiles.keys()].join(", ") || "none"}).`);
    return p;
  }

  profileNames(): string[] {
    return [...this.#opts.profiles.keys()];
  }

  #ctx(profile: Profile, run: RunOptions = {}): RunContext {
    const log = run.logger ?? this.#log;
    return {
      client: this.#opts.clientFor(profile.cluster),
      emit: (e) => {
        if (e.type !== "task-log") log.debug({ event: e }, "progress");
        try {
          run.onEvent?.(e);
        } catch (err) {
          log.warn({ err }, "progress listener threw");
        }
      },
      ...(run.signal ? { signal: run.signal } : {}),
      clock: this.#clock,
      timing: this.#timing,
    };
  }

  // ------------------------------------------------------------------------------------------- provision

  /** Resolves a request into a plan and holds its VMID and quota until `execute…` or `release…`. */
  async planProvision(profileName: string, input: ProvisionRequestInput, run: RunOptions & { planId?: string } = {}): Promise<ProvisionPlan> {
    const profile = this.profile(profileName);
    const request = parseProvisionRequest(input);
    const client = this.#opts.clientFor(profile.cluster);
    const view = await readClusterView(client, run.signal);
    const plan = await buildProvisionPlan({
      client,
      profile,
      view,
      state: this.#state,
      request,
      ...(run.planId ? { planId: run.planId } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
    });
    run.onEvent?.({ type: "plan-ready", plan });
    return plan;
  }

  /**
   * Holds a stored plan's VMID again after a restart (the in-memory holds were lost with the process).
   * Returns false when another plan of this process holds it.
   */
  async rehold(plan: ProvisionPlan, state?: ProvisionState): Promise<boolean> {
    const vmid = state?.vmid ?? plan.vmid;
    const ok = await this.#state.allocator.hold(plan.cluster, vmid, plan.ownerMarker.replace("pve-chatops:", ""));
    if (ok) {
      if (!this.#state.claims.has(plan.cluster)) this.#state.claims.set(plan.cluster, new Map());
      this.#state.claims.get(plan.cluster)!.set(vmid, { cluster: plan.cluster, pool: plan.pool, node: state?.node ?? plan.node, name: plan.name, cores: plan.cores, memoryMb: plan.memoryMb, diskGb: plan.diskGb });
    }
    return ok;
  }

  async releaseProvision(plan: ProvisionPlan, state?: ProvisionState): Promise<void> {
    await releasePlan(this.#state, state ? { ...plan, vmid: state.vmid } : plan);
    this.#state.sizeCache.delete(`${plan.cluster}:${state?.vmid ?? plan.vmid}`);
  }

  async executeProvision(
    plan: ProvisionPlan,
    run: RunOptions & { state?: ProvisionState; onState?: (s: ProvisionState) => void | Promise<void>; requestedBy?: string } = {},
  ): Promise<ProvisionResult> {
    const profile = this.profile(plan.profile);
    const ctx = this.#ctx(profile, run);
    const state = run.state ?? initialProvisionState(plan);
    try {
      return await executeProvision(
        ctx,
        plan,
        state,
        {
          ...(run.onState ? { onState: run.onState } : {}),
          repickVmid: async (p, taken) => {
            const holder = p.ownerMarker.replace("pve-chatops:", "");
            await this.#state.allocator.release(p.cluster, taken, holder);
            const claim = this.#state.claims.get(p.cluster)?.get(taken);
            this.#state.claims.get(p.cluster)?.delete(taken);
            const view = await readClusterView(ctx.client, ctx.signal);
            const takenSet = new Set(view.guests.map((g) => g.vmid));
            takenSet.add(taken);
            const next = await this.#state.allocator.allocate(p.cluster, profile.vmidRanges.auto, takenSet, holder, (vmid) => vmidIsFree(ctx.client, vmid));
            if (claim) this.#state.claims.get(p.cluster)?.set(next, claim);
            return next;
          },
        },
        run.requestedBy ?? "unknown",
      );
    } finally {
      await this.releaseProvision(plan, state);
    }
  }

  /** Plan and execute in one go (the CLI and tests). */
  async provision(profileName: string, input: ProvisionRequestInput, run: RunOptions = {}): Promise<ProvisionResult> {
    const plan = await this.planProvision(profileName, input, run);
    return this.executeProvision(plan, { ...run, requestedBy: input.requestedBy ?? "cli" });
  }

  // ------------------------------------------------------------------------------------------- teardown

  async planTeardown(profileName: string, target: ops.Target, opts: { includeTemplates?: boolean } & RunOptions = {}): Promise<TeardownPlan> {
    const profile = this.profile(profileName);
    const plan = await ops.planTeardown(this.#ctx(profile, opts), profile, target, opts);
    opts.onEvent?.({ type: "plan-ready", plan });
    return plan;
  }

  async executeTeardown(plan: TeardownPlan, run: RunOptions = {}): Promise<ops.TeardownResult> {
    const profile = this.profile(plan.profile);
    const result = await ops.executeTeardown(this.#ctx(profile, run), plan, userFacingMessage);
    for (const g of result.destroyed) this.#state.sizeCache.delete(`${plan.cluster}:${g.vmid}`);
    return result;
  }

  // ------------------------------------------------------------------------------------------- day 2

  list(profileName: string, filter: ops.ListFilter = {}, run: RunOptions = {}) {
    const profile = this.profile(profileName);
    return ops.listGuests(this.#ctx(profile, run), profile, filter);
  }

  status(profileName: string, target: ops.Target, run: RunOptions = {}) {
    const profile = this.profile(profileName);
    return ops.guestStatus(this.#ctx(profile, run), profile, target);
  }

  power(profileName: string, target: ops.Target, action: ops.PowerAction, run: RunOptions = {}) {
    const profile = this.profile(profileName);
    return ops.power(this.#ctx(profile, run), profile, target, action);
  }

  snapshot(profileName: string, target: ops.Target, op: ops.SnapshotAction, run: RunOptions = {}) {
    const profile = this.profile(profileName);
    return ops.snapshot(this.#ctx(profile, run), profile, target, op);
  }

  migrate(profileName: string, target: ops.Target, node: string, run: RunOptions = {}) {
    const profile = this.profile(profileName);
    return ops.migrate(this.#ctx(profile, run), profile, target, node);
  }

  async planEvacuate(profileName: string, node: string, run: RunOptions = {}): Promise<EvacuatePlan> {
    const profile = this.profile(profileName);
    const plan = await ops.planEvacuate(this.#ctx(profile, run), profile, node);
    run.onEvent?.({ type: "plan-ready", plan });
    return plan;
  }

  executeEvacuate(plan: EvacuatePlan, run: RunOptions = {}) {
    const profile = this.profile(plan.profile);
    return ops.executeEvacuate(this.#ctx(profile, run), plan, userFacingMessage);
  }
}

export { type ProvisionResult, type ProvisionState } from "./provision.js";
export { parseTarget, describeTarget, type Target } from "./ops.js";
