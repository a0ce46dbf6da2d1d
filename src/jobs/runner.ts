/**
 * The durable job runner. Jobs live in the store; a runner claims one under a lease (owner + expiry, renewed by
 * a heartbeat), runs it through the engine, and records every progress event. When a process dies, its leases
 * expire and another runner (or the same one restarted) claims the job and resumes after the last completed
 * step: the engine's steps recognise effects that are already there, and a Proxmox task that was running is
 * picked up by its recorded UPID instead of being started again.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Engine } from "../engine/engine.js";
import type { ProvisionState } from "../engine/provision.js";
import type { EvacuatePlan, ProgressEvent, ProvisionPlan, TeardownPlan } from "../engine/types.js";
import { Cancelled, ChatOpsError, UsageError, userFacingMessage } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type {
  Job,
  JobEvent,
  JobOutcome,
  JsonValue,
  StepRecord,
  Store,
  SubmitJobInput,
  SubmitJobResult,
} from "../adapters/store/types.js";
import { jsonValueSchema } from "../adapters/store/types.js";
import { LeaseLost } from "../adapters/store/errors.js";
import { JOB_SCHEMAS, isKnownKind, type JobKindName } from "./kinds.js";

export type JobListener = (job: Job, event: JobEvent) => void;

export interface JobRunnerOptions {
  store: Store;
  engine: Engine;
  logger?: Logger;
  /** Unique per process incarnation. */
  owner?: string;
  /** How long a claim lasts without a heartbeat. A dead runner's jobs are taken over after this. */
  leaseMs?: number;
  /** Heartbeat period; a third of the lease leaves two missed beats of slack. */
  heartbeatMs?: number;
  /** How often to look for work when idle (a submit in this process wakes the loop at once). */
  pollMs?: number;
  /** Jobs this runner runs at once. */
  maxParallel?: number;
  clusterLimits?: Record<string, number>;
  profileLimits?: Record<string, number>;
}

/** Converts engine data (plans, results, events) into the store's JSON type. */
export function toJson(value: unknown): JsonValue {
  return jsonValueSchema.parse(JSON.parse(JSON.stringify(value ?? null)));
}

const provisionStateSchema = z.looseObject({
  completed: z.array(z.string()),
  vmid: z.number(),
  node: z.string(),
  created: z.object({ node: z.string(), type: z.enum(["qemu", "lxc"]), vmid: z.number() }).optional(),
  ha: z.boolean().optional(),
  ip: z.string().optional(),
  pendingTask: z.object({ step: z.string(), upid: z.string() }).optional(),
});

const planKind = z.looseObject({ kind: z.enum(["provision", "teardown", "evacuate"]), cluster: z.string(), profile: z.string() });

/** Plans are engine data stored as JSON; their kind is checked before use. */
function storedPlan<K extends "provision" | "teardown" | "evacuate">(
  plan: JsonValue | null,
  kind: K,
): (K extends "provision" ? ProvisionPlan : K extends "teardown" ? TeardownPlan : EvacuatePlan) | undefined {
  if (plan === null) return undefined;
  const head = planKind.parse(plan);
  if (head.kind !== kind) throw new Error(`stored plan is a ${head.kind} plan, expected ${kind}`);
  return plan as never;
}

interface Running {
  job: Job;
  abort: AbortController;
  done: Promise<void>;
  leaseLost: boolean;
}

export class JobRunner {
  readonly owner: string;
  readonly #store: Store;
  readonly #engine: Engine;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #heartbeatMs: number;
  readonly #pollMs: number;
  readonly #maxParallel: number;
  readonly #opts: JobRunnerOptions;
  readonly #running = new Map<string, Running>();
  readonly #listeners = new Set<JobListener>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(opts: JobRunnerOptions) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#engine = opts.engine;
    this.#log = opts.logger ?? silentLogger;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.#leaseMs = opts.leaseMs ?? 30_000;
    this.#heartbeatMs = opts.heartbeatMs ?? Math.max(50, Math.floor(this.#leaseMs / 3));
    this.#pollMs = opts.pollMs ?? 500;
    this.#maxParallel = opts.maxParallel ?? 8;
  }

  get store(): Store {
    return this.#store;
  }

  /** Listens to every event of every job this process records (for live progress in Slack or a console). */
  onEvent(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #record(job: Job, type: string, data: unknown): Promise<JobEvent> {
    const event = await this.#store.appendEvent(job.id, type, toJson(data));
    this.#notify(job, event);
    return event;
  }

  #notify(job: Job, event: JobEvent): void {
    for (const l of this.#listeners) {
      try {
        l(job, event);
      } catch (err) {
        this.#log.warn({ err, jobId: job.id }, "job listener threw");
      }
    }
  }

  /**
   * Submits a job. The same idempotency key returns the existing job (`created: false`) — a retried Slack
   * delivery never starts a second job. The request is validated for its kind before it is stored.
   */
  async submit(input: SubmitJobInput & { kind: JobKindName }): Promise<SubmitJobResult> {
    const kind: JobKindName = input.kind;
    const parsed = JOB_SCHEMAS[kind].safeParse(input.request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`Invalid ${input.kind} request: ${issue.path.join(".")}: ${issue.message}`);
    }
    const result = await this.#store.submitJob(input);
    if (result.created) {
      const ahead = result.job.state === "queued" ? await this.#store.jobsAheadInQueue(result.job.id) : undefined;
      await this.#record(result.job, "submitted", { state: result.job.state, ...(ahead !== undefined ? { ahead } : {}) });
      this.#wake?.();
    }
    return result;
  }

  /** Releases a job held for approval into the queue (or cancels it). */
  async release(jobId: string, next: { state: "queued" } | { state: "cancelled"; reason: string; by: string }): Promise<boolean> {
    const ok = await this.#store.resumeAwaitingJob(
      jobId,
      next.state === "queued" ? { state: "queued" } : { state: "cancelled", error: { code: "REJECTED", message: next.reason, userSafe: true } },
    );
    if (ok) {
      const job = (await this.#store.getJob(jobId))!;
      await this.#record(job, next.state === "queued" ? "approved" : "rejected", next.state === "queued" ? {} : { reason: next.reason, by: next.by });
      this.#wake?.();
    }
    return ok;
  }

  async cancel(jobId: string, by: string): Promise<"cancelled" | "requested" | "already-finished"> {
    const { outcome, job } = await this.#store.requestCancel(jobId, by);
    if (outcome === "cancelled") await this.#record(job, "cancelled", { by });
    if (outcome === "requested") {
      await this.#record(job, "cancel-requested", { by });
      this.#running.get(jobId)?.abort.abort();
    }
    return outcome;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#loop = this.#claimLoop();
  }

  /** Stops claiming and waits for running jobs (up to `timeoutMs`; the rest resume elsewhere after their lease). */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    const all = Promise.all([...this.#running.values()].map((r) => r.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Resolves when the job reaches a final state (polls the store, so it works across processes). */
  async waitForJob(jobId: string, timeoutMs = 120_000): Promise<Job> {
    const start = Date.now();
    for (;;) {
      const job = await this.#store.getJob(jobId);
      if (job && ["succeeded", "failed", "cancelled"].includes(job.state)) return job;
      if (Date.now() - start > timeoutMs) throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms (state ${job?.state})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async #claimLoop(): Promise<void> {
    while (!this.#stopping) {
      let claimed: Job | undefined;
      if (this.#running.size < this.#maxParallel) {
        try {
          claimed = await this.#store.claimNextJob(this.owner, this.#leaseMs, {
            ...(this.#opts.clusterLimits ? { clusterLimits: this.#opts.clusterLimits } : {}),
            ...(this.#opts.profileLimits ? { profileLimits: this.#opts.profileLimits } : {}),
          });
        } catch (err) {
          this.#log.error({ err }, "claiming a job failed");
        }
      }
      if (claimed && this.#running.has(claimed.id)) {
        // The store never returns a runner's own job (lease_owner differs); should it, never run a job twice.
        this.#log.error({ jobId: claimed.id }, "claimed a job this runner is already running; ignoring");
        claimed = undefined;
      }
      if (claimed) {
        this.#launch(claimed);
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.#pollMs);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  #launch(job: Job): void {
    const abort = new AbortController();
    const running: Running = { job, abort, leaseLost: false, done: Promise.resolve() };
    running.done = this.#runJob(running).finally(() => {
      this.#running.delete(job.id);
      this.#wake?.();
    });
    this.#running.set(job.id, running);
  }

  async #runJob(r: Running): Promise<void> {
    const { job } = r;
    const log = this.#log.child({ jobId: job.id, kind: job.kind });
    const beat = setInterval(() => {
      void (async () => {
        try {
          await this.#store.heartbeat(job.id, this.owner, this.#leaseMs);
          const now = await this.#store.getJob(job.id);
          if (now?.cancelRequested && !r.abort.signal.aborted) r.abort.abort();
        } catch (err) {
          if (err instanceof LeaseLost) {
            log.warn("lease lost: another runner owns this job now");
            r.leaseLost = true;
            r.abort.abort();
          } else {
            log.warn({ err }, "heartbeat failed");
          }
        }
      })();
    }, this.#heartbeatMs);
    // Events must reach the store in order; the engine's listener is synchronous, so chain the writes.
    let chain: Promise<unknown> = Promise.resolve();
    const steps: StepRecord[] = [...job.steps];
    // Milestones happen once per job. A run resumed after a crash may reach them again (e.g. killed right after
    // "ready" was recorded but before the job was finished); the durable history already has them.
    const recordedMilestones = new Set(
      job.attempts > 1 ? (await this.#store.listEvents(job.id)).map((e) => e.type).filter((t) => ONCE_PER_JOB.has(t)) : [],
    );
    const emit = (e: ProgressEvent) => {
      if (e.type === "task-log") return; // task logs stay on Proxmox; failures carry their tail
      if (ONCE_PER_JOB.has(e.type)) {
        if (recordedMilestones.has(e.type)) return;
        recordedMilestones.add(e.type);
      }
      chain = chain.then(async () => {
        await this.#record(job, e.type, e);
        if (e.type === "step-started" || e.type === "task-started" || e.type === "step-finished") {
          updateStepRecords(steps, e);
          await this.#store.updateJob(job.id, this.owner, { currentStep: "step" in e ? e.step : null, steps });
        }
      });
      chain.catch(() => undefined);
    };
    try {
      await this.#record(job, job.attempts > 1 ? "resumed" : "started", { attempt: job.attempts, owner: this.owner });
      const result = await this.#execute(job, steps, emit, r.abort.signal, () => chain, log);
      await chain;
      await this.#finish(job, { state: "succeeded", result: toJson(result) }, r);
      log.info("job succeeded");
    } catch (err) {
      await chain.catch(() => undefined);
      if (r.leaseLost) return; // the new owner finishes it
      const cancelled = err instanceof Cancelled || r.abort.signal.aborted;
      const error = {
        code: err instanceof ChatOpsError ? err.code : "INTERNAL",
        message: userFacingMessage(err),
        userSafe: err instanceof ChatOpsError ? err.userSafe : false,
      };
      if (!(err instanceof ChatOpsError)) log.error({ err }, "job failed with an internal error");
      else log.info({ code: error.code }, "job failed");
      await this.#finish(job, { state: cancelled ? "cancelled" : "failed", error }, r);
    } finally {
      clearInterval(beat);
      await this.#store.releaseVmidsHeldBy(job.id).catch(() => undefined);
    }
  }

  async #finish(job: Job, outcome: JobOutcome, r: Running): Promise<void> {
    try {
      const data = outcome.state === "succeeded" ? { result: outcome.result ?? null } : { error: outcome.error };
      const { job: done, event } = await this.#store.finishJobWithEvent(job.id, this.owner, outcome, outcome.state, toJson(data));
      this.#notify(done, event);
    } catch (err) {
      if (err instanceof LeaseLost) r.leaseLost = true;
      else throw err;
    }
  }

  async #execute(job: Job, steps: StepRecord[], emit: (e: ProgressEvent) => void, signal: AbortSignal, flush: () => Promise<unknown>, logger: Logger): Promise<unknown> {
    if (!isKnownKind(job.kind)) throw new UsageError(`Unknown job kind "${job.kind}".`);
    const run = { onEvent: emit, signal, logger };
    switch (job.kind) {
      case "provision": {
        const req = JOB_SCHEMAS.provision.parse(job.request);
        let plan = storedPlan(job.plan, "provision");
        let state: ProvisionState | undefined;
        if (!plan) {
          // The job id is the plan id: the owner marker written on the guest survives re-planning after a crash.
          plan = await this.#engine.planProvision(req.profile, req.request, { ...run, planId: job.id });
          // Persist the plan before anything on the cluster changes.
          await flush();
          await this.#store.updateJob(job.id, this.owner, { plan: toJson(plan) });
        } else {
          const last = [...steps].reverse().find((s) => s.output !== undefined);
          state = last ? (provisionStateSchema.parse(last.output) as ProvisionState) : undefined;
          await this.#engine.rehold(plan, state);
        }
        return this.#engine.executeProvision(plan, {
          ...run,
          ...(state ? { state } : {}),
          requestedBy: job.requester,
          onState: async (s) => {
            await flush();
            const rec = steps[steps.length - 1];
            if (rec) rec.output = toJson(s);
            else steps.push({ name: "state", status: "started", upids: [], output: toJson(s) });
            await this.#store.updateJob(job.id, this.owner, { steps });
          },
        });
      }
      case "teardown": {
        const req = JOB_SCHEMAS.teardown.parse(job.request);
        let plan = storedPlan(job.plan, "teardown");
        if (!plan) {
          plan = await this.#engine.planTeardown(req.profile, req.target, { ...run, includeTemplates: req.includeTemplates });
          await flush();
          await this.#store.updateJob(job.id, this.owner, { plan: toJson(plan) });
        }
        const result = await this.#engine.executeTeardown(plan, run);
        if (result.failed.length) {
          throw new TeardownIncomplete(result.failed.map((f) => `${f.guest.name} (${f.guest.vmid}): ${f.error}`));
        }
        return result;
      }
      case "power": {
        const req = JOB_SCHEMAS.power.parse(job.request);
        return this.#engine.power(req.profile, req.target, req.action, run);
      }
      case "snapshot": {
        const req = JOB_SCHEMAS.snapshot.parse(job.request);
        return this.#engine.snapshot(req.profile, req.target, req.op, run);
      }
      case "migrate": {
        const req = JOB_SCHEMAS.migrate.parse(job.request);
        return this.#engine.migrate(req.profile, req.target, req.node, run);
      }
      case "evacuate": {
        const req = JOB_SCHEMAS.evacuate.parse(job.request);
        let plan = storedPlan(job.plan, "evacuate");
        if (!plan) {
          plan = await this.#engine.planEvacuate(req.profile, req.node, run);
          await flush();
          await this.#store.updateJob(job.id, this.owner, { plan: toJson(plan) });
        }
        const result = await this.#engine.executeEvacuate(plan, run);
        if (result.failed.length) throw new TeardownIncomplete(result.failed.map((f) => `${f.guest.name}: ${f.error}`), "Evacuation incomplete");
        return result;
      }
    }
  }
}

const ONCE_PER_JOB = new Set(["ready", "plan-ready"]);

export class TeardownIncomplete extends ChatOpsError {
  readonly code = "INCOMPLETE";
  constructor(readonly failures: string[], what = "Teardown incomplete") {
    super(`${what}: ${failures.join("; ")}`);
  }
}

function updateStepRecords(steps: StepRecord[], e: ProgressEvent): void {
  const now = new Date().toISOString();
  if (e.type === "step-started") {
    steps.push({ name: e.step, status: "started", upids: [], startedAt: now, ...(steps.at(-1)?.output !== undefined ? { output: steps.at(-1)!.output! } : {}) });
  } else if (e.type === "task-started") {
    const rec = [...steps].reverse().find((s) => s.name === e.step);
    if (rec && !rec.upids.includes(e.upid)) rec.upids.push(e.upid);
  } else if (e.type === "step-finished") {
    const rec = [...steps].reverse().find((s) => s.name === e.step);
    if (rec) {
      rec.status = "completed";
      rec.finishedAt = now;
    }
  }
}
