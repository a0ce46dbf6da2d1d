/**
 * The durable store: the bot's memory across restarts, crashes, Slack retries and replicas. One interface, two
 * back ends (SQLite, PostgreSQL) on one Kysely query layer (see kysely-store.ts).
 *
 * Times are `Date`s in the API and epoch milliseconds in the database; "now" always comes from the injected clock.
 * JSON columns are validated with the zod schemas below when they are read back.
 */
import { z } from "zod";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const jsonValueSchema: z.ZodType<JsonValue> = z.json();
export const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), jsonValueSchema);

// ---------------------------------------------------------------------------------------------------------------
// Jobs

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "awaiting-approval"] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States a job never leaves. */
export const FINAL_JOB_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled"];

/** Open-ended on purpose (new kinds need no migration); these are the ones the engine knows today. */
export type JobKind =
  | "provision"
  | "teardown"
  | "power"
  | "snapshot"
  | "migrate"
  | "evacuate"
  | (string & Record<never, never>);

/** What the runner remembers about one step, so a resumed job continues after the last completed one. */
export const stepRecordSchema = z.object({
  name: z.string(),
  status: z.enum(["started", "completed", "failed", "rolled-back"]),
  /** Proxmox tasks this step started, in order. A resumed step waits on these instead of starting them again. */
  upids: z.array(z.string()).default([]),
  /** Whatever the step produced (created VMID, chosen node, IPs …). */
  output: jsonValueSchema.optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;
export const stepRecordsSchema = z.array(stepRecordSchema);

export const jobErrorSchema = z.object({
  /** A ChatOpsError code (tests and the renderer branch on it). */
  code: z.string(),
  message: z.string(),
  /** Whether `message` may be shown in chat (ChatOpsError.userSafe). */
  userSafe: z.boolean().optional(),
  details: jsonValueSchema.optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

export interface Job {
  /** Short, readable, e.g. `j-7f3k2q`. */
  id: string;
  kind: JobKind;
  state: JobState;
  request: JsonObject;
  /** The resolved plan, once built. */
  plan: JsonValue | null;
  requester: string;
  cluster: string;
  profile: string | null;
  channel: string | null;
  /** The Slack thread that shows this job's progress. */
  threadTs: string | null;
  /** The message the thread hangs off (when it differs from the thread). */
  parentTs: string | null;
  currentStep: string | null;
  steps: StepRecord[];
  result: JsonValue | null;
  error: JobError | null;
  idempotencyKey: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** How many times a runner has claimed the job (1 on the first run; more after crashes/takeovers). */
  attempts: number;
  cancelRequested: boolean;
  cancelRequestedBy: string | null;
  /**
   * The last event `seq` a chat transport has shown for this job (0 = none yet): a restarted bot continues the
   * job's thread after it, without duplicates or gaps.
   */
  reportedSeq: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface SubmitJobInput {
  kind: JobKind;
  request: JsonObject;
  requester: string;
  cluster: string;
  profile?: string | null;
  channel?: string | null;
  threadTs?: string | null;
  parentTs?: string | null;
  plan?: JsonValue | null;
  /** A retried delivery carries the same key and gets the same job back. */
  idempotencyKey?: string | null;
  /** `awaiting-approval` holds the job until `resumeAwaitingJob`. Default `queued`. */
  initialState?: "queued" | "awaiting-approval";
}

export interface SubmitJobResult {
  job: Job;
  /** False when a job with the same idempotency key already existed (that job is returned). */
  created: boolean;
}

export interface ClaimOptions {
  /** Only claim jobs of these clusters (a runner that serves some clusters only). */
  clusters?: readonly string[];
  /** Most jobs running (with a live lease) at once per cluster; clusters not listed are unlimited. */
  clusterLimits?: Readonly<Record<string, number>>;
  /** Most jobs running at once per profile; profiles not listed are unlimited. */
  profileLimits?: Readonly<Record<string, number>>;
}

/** Fields the lease owner may change while it runs a job. Omitted fields stay as they are. */
export interface JobPatch {
  currentStep?: string | null;
  /** Replaces the whole step list (the owner is the only writer, so read-modify-write is safe). */
  steps?: StepRecord[];
  plan?: JsonValue | null;
  result?: JsonValue | null;
}

export type JobOutcome =
  | { state: "succeeded"; result?: JsonValue | null }
  | { state: "failed" | "cancelled"; error: JobError; result?: JsonValue | null };

export interface JobFilter {
  states?: readonly JobState[];
  kind?: JobKind;
  cluster?: string;
  profile?: string;
  requester?: string;
  channel?: string;
  threadTs?: string;
  /** Default 100. Newest first. */
  limit?: number;
}

export type CancelOutcome =
  /** The job had not started (queued or awaiting approval): it is cancelled now. */
  | "cancelled"
  /** The job is running: its runner stops between steps and rolls back. */
  | "requested"
  /** The job had already ended; nothing changed. */
  | "already-finished";

// ---------------------------------------------------------------------------------------------------------------
// Events

export interface JobEvent {
  jobId: string;
  /** 1, 2, 3 … per job, without gaps; a reader that saw `seq` n never misses n+1 later. */
  seq: number;
  at: Date;
  type: string;
  data: JsonValue;
}

// ---------------------------------------------------------------------------------------------------------------
// Approvals

export const APPROVAL_DECISIONS = ["pending", "approved", "rejected", "expired"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];
export const approversSchema = z.array(z.string());

export interface Approval {
  /** e.g. `a-k3m9qz`. */
  id: string;
  jobId: string | null;
  /** What is to be approved, e.g. `provision`, `teardown`. */
  action: string;
  requestedBy: string;
  /** Who may approve (Slack user or group IDs; the transport decides what they mean). */
  approvers: string[];
  /** Whether the requester may approve their own request. */
  selfApprove: boolean;
  expiresAt: Date;
  decision: ApprovalDecision;
  decidedBy: string | null;
  decidedAt: Date | null;
  channel: string | null;
  messageTs: string | null;
  createdAt: Date;
}

export interface CreateApprovalInput {
  jobId?: string | null;
  action: string;
  requestedBy: string;
  approvers: readonly string[];
  selfApprove: boolean;
  /** The approval expires this long after now(). */
  ttlMs: number;
  channel?: string | null;
  messageTs?: string | null;
}

export interface DecideApprovalResult {
  /** True only for the one call that moved the approval out of `pending`. */
  won: boolean;
  /** The approval as it is after the call (undefined when no such approval exists). */
  approval: Approval | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Channel bindings, VMID reservations, audit

export interface ChannelBinding {
  channel: string;
  profile: string;
  boundBy: string;
  boundAt: Date;
}

export interface VmidReservation {
  cluster: string;
  vmid: number;
  /** Who holds it: usually a job id. */
  holder: string;
  reservedAt: Date;
  expiresAt: Date;
}

export interface AuditEntry {
  /** Increasing with each append. */
  seq: number;
  at: Date;
  /** Who: a Slack user id, `cli`, `system`. */
  actor: string;
  /** What, e.g. `provision`, `teardown`, `bind-channel`, `approve`. */
  action: string;
  /** To what, e.g. `vm/101`, `ct/205`, a channel id. */
  target: string | null;
  cluster: string | null;
  /** With what result, e.g. `ok`, `failed`, `denied`. */
  result: string;
  jobId: string | null;
  details: JsonValue;
}

export interface AppendAuditInput {
  actor: string;
  action: string;
  target?: string | null;
  cluster?: string | null;
  result: string;
  jobId?: string | null;
  details?: JsonValue;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  cluster?: string;
  jobId?: string;
  since?: Date;
  until?: Date;
  /** Default `newest-first`. */
  order?: "newest-first" | "oldest-first";
  /** Default 100. */
  limit?: number;
}

// ---------------------------------------------------------------------------------------------------------------

export type StoreDialect = "sqlite" | "postgres";

export interface Store {
  readonly dialect: StoreDialect;

  // Jobs ----------------------------------------------------------------------------------------------------------
  /** Creates a job, or returns the existing one with the same idempotency key (`created: false`). */
  submitJob(input: SubmitJobInput): Promise<SubmitJobResult>;
  getJob(jobId: string): Promise<Job | undefined>;
  getJobByIdempotencyKey(key: string): Promise<Job | undefined>;
  listJobs(filter?: JobFilter): Promise<Job[]>;
  /**
   * Atomically takes the oldest job that is queued, or running with an expired lease (its runner died), sets
   * it `running` under `owner`'s lease for `leaseMs` and counts an attempt. Undefined when there is none.
   * Owners must be unique per process incarnation (e.g. `host:pid:random`).
   */
  claimNextJob(owner: string, leaseMs: number, options?: ClaimOptions): Promise<Job | undefined>;
  /**
   * Extends the lease; throws LeaseLost when another owner took the job over or it is no longer running.
   * An expired lease that nobody took over yet can still be extended (takeover and heartbeat are atomic).
   */
  heartbeat(jobId: string, owner: string, leaseMs: number): Promise<Date>;
  /** Changes a running job; throws LeaseLost unless `owner` holds it. */
  updateJob(jobId: string, owner: string, patch: JobPatch): Promise<Job>;
  /** Ends a running job and drops its lease; throws LeaseLost unless `owner` holds it. */
  finishJob(jobId: string, owner: string, outcome: JobOutcome): Promise<Job>;
  /** `finishJob` and the job's final event in one transaction (no finished job without its last event). */
  finishJobWithEvent(jobId: string, owner: string, outcome: JobOutcome, type: string, data?: JsonValue): Promise<{ job: Job; event: JobEvent }>;
  /**
   * Gives a running job back without finishing it: `queued` (another runner may take it at once, e.g. on a
   * graceful shutdown) or `awaiting-approval` (parked until `resumeAwaitingJob`). Throws LeaseLost.
   */
  releaseJob(jobId: string, owner: string, next: "queued" | "awaiting-approval"): Promise<Job>;
  /** Moves a job out of `awaiting-approval`; false when it was not waiting (someone else moved it). */
  resumeAwaitingJob(
    jobId: string,
    next: { state: "queued" } | { state: "cancelled" | "failed"; error: JobError },
  ): Promise<boolean>;
  /**
   * Records the chat thread of a job after submission (anyone may, no lease needed), but only once: true when
   * this call set it, false when the job already had a thread (or does not exist).
   */
  attachJobThread(jobId: string, thread: { threadTs: string; parentTs?: string | null }): Promise<boolean>;
  /** Remembers that events up to `seq` have been shown in chat; never moves backwards. */
  advanceReportedSeq(jobId: string, seq: number): Promise<void>;
  /** Cancels a job that has not started, or flags a running one for its runner. */
  requestCancel(jobId: string, by: string): Promise<{ outcome: CancelOutcome; job: Job }>;
  /** How many queued jobs of the same cluster are ahead of this one (0 = next); undefined unless queued. */
  jobsAheadInQueue(jobId: string): Promise<number | undefined>;

  // Events --------------------------------------------------------------------------------------------------------
  appendEvent(jobId: string, type: string, data?: JsonValue): Promise<JobEvent>;
  /** Events in `seq` order, those after `afterSeq` when given. */
  listEvents(jobId: string, afterSeq?: number, limit?: number): Promise<JobEvent[]>;

  // Approvals -----------------------------------------------------------------------------------------------------
  createApproval(input: CreateApprovalInput): Promise<Approval>;
  getApproval(id: string): Promise<Approval | undefined>;
  listApprovals(filter?: { jobId?: string; decision?: ApprovalDecision; limit?: number }): Promise<Approval[]>;
  /**
   * Compare-and-set: decides only a pending approval that has not expired. Of several simultaneous calls
   * exactly one gets `won: true`. Who may decide is the caller's policy (see `approvers`, `selfApprove`).
   */
  decideApproval(id: string, decision: "approved" | "rejected", by: string): Promise<DecideApprovalResult>;
  /** Marks pending approvals past their expiry as `expired` and returns them (to update their messages). */
  expireApprovals(): Promise<Approval[]>;
  /** Records where the approval request was posted. */
  setApprovalMessage(id: string, channel: string, messageTs: string): Promise<void>;

  // Channel bindings ----------------------------------------------------------------------------------------------
  /** Binds (or re-binds) a channel to a profile. */
  bindChannel(channel: string, profile: string, by: string): Promise<ChannelBinding>;
  /** True when a binding was removed. */
  unbindChannel(channel: string): Promise<boolean>;
  getBinding(channel: string): Promise<ChannelBinding | undefined>;
  listBindings(): Promise<ChannelBinding[]>;

  // VMID reservations (satisfies engine/vmid.ts VmidReservations) --------------------------------------------------
  /**
   * Holds (cluster, vmid) for `holder` for `ttlMs`. True when held now (a new reservation, the holder's own one
   * extended, or an expired one taken over); false when someone else holds it.
   */
  reserveVmid(cluster: string, vmid: number, holder: string, ttlMs: number): Promise<boolean>;
  /** Releases the reservation if `holder` holds it. */
  releaseVmid(cluster: string, vmid: number, holder: string): Promise<void>;
  /** Releases everything `holder` holds (a finished job); returns how many. */
  releaseVmidsHeldBy(holder: string): Promise<number>;
  /** Reservations of a cluster that have not expired, by vmid. */
  listReservedVmids(cluster: string): Promise<VmidReservation[]>;

  // Audit (append-only: there is no update or delete) --------------------------------------------------------------
  appendAudit(entry: AppendAuditInput): Promise<AuditEntry>;
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;

  close(): Promise<void>;
}
