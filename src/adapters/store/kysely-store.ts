/**
 * The Store on Kysely: every query is written once for both back ends. Where PostgreSQL needs more (row locks,
 * because several replicas share it and its transactions run concurrently), the extra is added behind
 * `traits.hasRowLocks` with a comment; SQLite has one writer at a time, so a single statement is already atomic.
 *
 * Race rules this file keeps:
 * - idempotent submission relies on the UNIQUE idempotency_key (INSERT … ON CONFLICT DO NOTHING), never on a
 *   read-then-write;
 * - every guarded change (lease, approval decision, VMID reservation) is ONE conditional UPDATE/UPSERT whose
 *   WHERE clause is the guard, and the affected row count says who won.
 */
import { randomInt } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import { z } from "zod";
import { NotFound } from "../../errors.js";
import type { Logger } from "../../log.js";
import type {
  ApprovalsTable,
  AuditLogTable,
  ChannelBindingsTable,
  JobEventsTable,
  JobsTable,
  StoreDatabase,
  VmidReservationsTable,
} from "./db-schema.js";
import { isForeignKeyViolation, isUniqueViolation, type DialectTraits } from "./dialect.js";
import { LeaseLost, StoreCorrupt } from "./errors.js";
import {
  APPROVAL_DECISIONS,
  JOB_STATES,
  approversSchema,
  jobErrorSchema,
  jsonObjectSchema,
  jsonValueSchema,
  stepRecordsSchema,
  type AppendAuditInput,
  type Approval,
  type ApprovalDecision,
  type AuditEntry,
  type AuditFilter,
  type CancelOutcome,
  type ChannelBinding,
  type ClaimOptions,
  type CreateApprovalInput,
  type DecideApprovalResult,
  type Job,
  type JobError,
  type JobEvent,
  type JobFilter,
  type JobOutcome,
  type JobPatch,
  type JsonValue,
  type Store,
  type SubmitJobInput,
  type SubmitJobResult,
  type VmidReservation,
} from "./types.js";

/** Crockford's base32 in lower case: no i, l, o, u, so ids read aloud and typed back survive. */
const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** 32^6 ≈ 1e9 ids per prefix; a collision is caught by the UNIQUE constraint and retried with a fresh id. */
const ID_LENGTH = 6;
const ID_ATTEMPTS = 5;

export function newShortId(prefix: string): string {
  let s = `${prefix}-`;
  for (let i = 0; i < ID_LENGTH; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return s;
}

/** Arbitrary constant key for pg_advisory_xact_lock: serialises claims that enforce concurrency limits. */
const CLAIM_LIMITS_LOCK_KEY = 0x70766563; // "pvec"

const DEFAULT_LIST_LIMIT = 100;

type JobRow = Selectable<JobsTable>;

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreCorrupt(`${what} is not valid JSON`, { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StoreCorrupt(`${what} does not match its schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function parseNullableJson<T>(schema: z.ZodType<T>, text: string | null, what: string): T | null {
  return text === null ? null : parseJson(schema, text, what);
}

function jsonText(value: JsonValue): string {
  return JSON.stringify(value);
}

function nullableJsonText(value: JsonValue | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

const jobStateSchema = z.enum(JOB_STATES);
const approvalDecisionSchema = z.enum(APPROVAL_DECISIONS);

function toJob(row: JobRow): Job {
  const what = (column: string) => `jobs[${row.id}].${column}`;
  const state = jobStateSchema.safeParse(row.state);
  if (!state.success) throw new StoreCorrupt(`${what("state")}: unknown state ${JSON.stringify(row.state)}`);
  return {
    id: row.id,
    kind: row.kind,
    state: state.data,
    request: parseJson(jsonObjectSchema, row.request, what("request")),
    plan: parseNullableJson(jsonValueSchema, row.plan, what("plan")),
    requester: row.requester,
    cluster: row.cluster,
    profile: row.profile,
    channel: row.channel,
    threadTs: row.thread_ts,
    parentTs: row.parent_ts,
    currentStep: row.current_step,
    steps: parseJson(stepRecordsSchema, row.steps, what("steps")),
    result: parseNullableJson(jsonValueSchema, row.result, what("result")),
    error: parseNullableJson(jobErrorSchema, row.error, what("error")),
    idempotencyKey: row.idempotency_key,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: dateOrNull(row.lease_expires_at),
    attempts: row.attempts,
    cancelRequested: row.cancel_requested_by !== null,
    cancelRequestedBy: row.cancel_requested_by,
    reportedSeq: Number(row.reported_seq ?? 0),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: dateOrNull(row.finished_at),
  };
}

function toEvent(row: Selectable<JobEventsTable>): JobEvent {
  return {
    jobId: row.job_id,
    seq: row.seq,
    at: new Date(row.at),
    type: row.type,
    data: parseJson(jsonValueSchema, row.data, `job_events[${row.job_id}#${row.seq}].data`),
  };
}

function toApproval(row: Selectable<ApprovalsTable>): Approval {
  const decision = approvalDecisionSchema.safeParse(row.decision);
  if (!decision.success) throw new StoreCorrupt(`approvals[${row.id}].decision: unknown ${row.decision}`);
  return {
    id: row.id,
    jobId: row.job_id,
    action: row.action,
    requestedBy: row.requested_by,
    approvers: parseJson(approversSchema, row.approvers, `approvals[${row.id}].approvers`),
    selfApprove: row.self_approve !== 0,
    expiresAt: new Date(row.expires_at),
    decision: decision.data,
    decidedBy: row.decided_by,
    decidedAt: dateOrNull(row.decided_at),
    channel: row.channel,
    messageTs: row.message_ts,
    createdAt: new Date(row.created_at),
  };
}

function toBinding(row: Selectable<ChannelBindingsTable>): ChannelBinding {
  return { channel: row.channel, profile: row.profile, boundBy: row.bound_by, boundAt: new Date(row.bound_at) };
}

function toReservation(row: Selectable<VmidReservationsTable>): VmidReservation {
  return {
    cluster: row.cluster,
    vmid: row.vmid,
    holder: row.holder,
    reservedAt: new Date(row.reserved_at),
    expiresAt: new Date(row.expires_at),
  };
}

function toAudit(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: row.seq,
    at: new Date(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    cluster: row.cluster,
    result: row.result,
    jobId: row.job_id,
    details: parseJson(jsonValueSchema, row.details, `audit_log[${row.seq}].details`),
  };
}

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
}

export class KyselyStore implements Store {
  readonly dialect: Store["dialect"];
  readonly #db: Kysely<StoreDatabase>;
  readonly #traits: DialectTraits;
  readonly #now: () => Date;
  readonly #logger: Logger;

  constructor(db: Kysely<StoreDatabase>, traits: DialectTraits, now: () => Date, logger: Logger) {
    this.#db = db;
    this.#traits = traits;
    this.#now = now;
    this.#logger = logger;
    this.dialect = traits.name;
  }

  #nowMs(): number {
    return this.#now().getTime();
  }

  // Jobs ------------------------------------------------------------------------------------------------------------

  async submitJob(input: SubmitJobInput): Promise<SubmitJobResult> {
    const key = input.idempotencyKey ?? null;
    for (let attempt = 1; ; attempt++) {
      const now = this.#nowMs();
      let inserted: JobRow | undefined;
      try {
        inserted = await this.#db
          .insertInto("jobs")
          .values({
            id: newShortId("j"),
            kind: input.kind,
            state: input.initialState ?? "queued",
            request: jsonText(input.request),
            plan: nullableJsonText(input.plan),
            requester: input.requester,
            cluster: input.cluster,
            profile: input.profile ?? null,
            channel: input.channel ?? null,
            thread_ts: input.threadTs ?? null,
            parent_ts: input.parentTs ?? null,
            current_step: null,
            steps: "[]",
            result: null,
            error: null,
            idempotency_key: key,
            lease_owner: null,
            lease_expires_at: null,
            attempts: 0,
            cancel_requested_by: null,
            created_at: now,
            updated_at: now,
            finished_at: null,
          })
          // A concurrent or earlier submit with this key wins; PostgreSQL makes us wait for its commit first.
          .onConflict((oc) => oc.column("idempotency_key").doNothing())
          .returningAll()
          .executeTakeFirst();
      } catch (err) {
        // The only other unique column is the random id: draw again.
        if (isUniqueViolation(err) && attempt < ID_ATTEMPTS) continue;
        throw err;
      }
      if (inserted) return { job: toJob(inserted), created: true };
      if (key === null) throw new StoreCorrupt("job insert without idempotency key returned no row");
      const existing = await this.getJobByIdempotencyKey(key);
      if (existing) return { job: existing, created: false };
      // The conflicting row vanished in between (it can only be deleted by hand); try again.
      if (attempt >= ID_ATTEMPTS) throw new StoreCorrupt(`idempotency key conflict without a job: ${key}`);
    }
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const row = await this.#db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirst();
    return row && toJob(row);
  }

  async getJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    const row = await this.#db.selectFrom("jobs").selectAll().where("idempotency_key", "=", key).executeTakeFirst();
    return row && toJob(row);
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    if (filter.states && filter.states.length === 0) return [];
    const rows = await this.#db
      .selectFrom("jobs")
      .selectAll()
      .$if(filter.states !== undefined, (q) => q.where("state", "in", [...(filter.states ?? [])]))
      .$if(filter.kind !== undefined, (q) => q.where("kind", "=", filter.kind!))
      .$if(filter.cluster !== undefined, (q) => q.where("cluster", "=", filter.cluster!))
      .$if(filter.profile !== undefined, (q) => q.where("profile", "=", filter.profile!))
      .$if(filter.requester !== undefined, (q) => q.where("requester", "=", filter.requester!))
      .$if(filter.channel !== undefined, (q) => q.where("channel", "=", filter.channel!))
      .$if(filter.threadTs !== undefined, (q) => q.where("thread_ts", "=", filter.threadTs!))
      .orderBy("seq", "desc")
      .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
      .execute();
    return rows.map(toJob);
  }

  async claimNextJob(owner: string, leaseMs: number, options: ClaimOptions = {}): Promise<Job | undefined> {
    checkLeaseMs(leaseMs);
    if (options.clusters && options.clusters.length === 0) return undefined;
    const now = this.#nowMs();
    const clusterLimits = Object.entries(options.clusterLimits ?? {});
    const profileLimits = Object.entries(options.profileLimits ?? {});
    const hasLimits = clusterLimits.length > 0 || profileLimits.length > 0;

    const claim = async (db: Kysely<StoreDatabase>): Promise<JobRow | undefined> => {
      /** Jobs of a cluster/profile that run now (a live lease): what a limit counts. */
      const running = (column: "cluster" | "profile", value: string) =>
        db
          .selectFrom("jobs as active")
          .select((e) => e.fn.countAll<number>().as("n"))
          .where(`active.${column}`, "=", value)
          .where("active.state", "=", "running")
          .where("active.lease_expires_at", ">", now);
      let candidate = db
        .selectFrom("jobs as candidate")
        .select("candidate.id")
        .where((eb) =>
          eb.or([
            eb("candidate.state", "=", "queued"),
            // A running job whose lease ran out: its runner died; take it over (the runner resumes it). Never
            // from oneself: a live runner whose heartbeat came late still runs the job (and may renew the lease);
            // taking it again would run it twice in one process. A restarted process has a new owner id.
            eb.and([eb("candidate.state", "=", "running"), eb("candidate.lease_expires_at", "<=", now), eb("candidate.lease_owner", "!=", owner)]),
          ]),
        );
      if (options.clusters) candidate = candidate.where("candidate.cluster", "in", [...options.clusters]);
      for (const [cluster, limit] of clusterLimits) {
        candidate = candidate.where((eb) =>
          eb.or([eb("candidate.cluster", "<>", cluster), eb(eb.val(limit), ">", running("cluster", cluster))]),
        );
      }
      for (const [profile, limit] of profileLimits) {
        candidate = candidate.where((eb) =>
          eb.or([
            eb("candidate.profile", "is", null),
            eb("candidate.profile", "<>", profile),
            eb(eb.val(limit), ">", running("profile", profile)),
          ]),
        );
      }
      let picked = candidate.orderBy("candidate.seq").limit(1);
      // PostgreSQL: lock the picked row and skip rows other replicas are claiming right now, so concurrent
      // claims take different jobs instead of queueing behind one another. SQLite: the UPDATE below is a single
      // statement under the database write lock, which is already exclusive.
      if (this.#traits.hasRowLocks) picked = picked.forUpdate().skipLocked();
      return db
        .updateTable("jobs")
        .set((eb) => ({
          state: "running",
          lease_owner: owner,
          lease_expires_at: now + leaseMs,
          attempts: eb("attempts", "+", 1),
          updated_at: now,
        }))
        .where("id", "=", picked)
        // The same condition again on the row being updated: should the picked row change between the pick and
        // the update, PostgreSQL re-checks this WHERE on the newest version instead of claiming it twice.
        .where((eb) =>
          eb.or([
            eb("state", "=", "queued"),
            eb.and([eb("state", "=", "running"), eb("lease_expires_at", "<=", now), eb("lease_owner", "!=", owner)]),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
    };

    let row: JobRow | undefined;
    if (hasLimits && this.#traits.hasRowLocks) {
      // PostgreSQL: the limit counts are read at the statement's start, so two replicas could both see "one
      // slot left". Claims that enforce limits take one transaction-scoped advisory lock; they are short.
      row = await this.#db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${CLAIM_LIMITS_LOCK_KEY})`.execute(trx);
        return claim(trx);
      });
    } else {
      row = await claim(this.#db);
    }
    if (row) this.#logger.debug({ jobId: row.id, owner, attempt: row.attempts }, "store: job claimed");
    return row && toJob(row);
  }

  /** A guarded update touched no row: tell "no such job" from "lease lost". */
  async #leaseFailure(jobId: string, owner: string): Promise<Error> {
    const exists = await this.#db.selectFrom("jobs").select("id").where("id", "=", jobId).executeTakeFirst();
    return exists ? new LeaseLost(jobId, owner) : new NotFound(`no job ${jobId}`);
  }

  async heartbeat(jobId: string, owner: string, leaseMs: number): Promise<Date> {
    checkLeaseMs(leaseMs);
    const expires = this.#nowMs() + leaseMs;
    const row = await this.#db
      .updateTable("jobs")
      .set({ lease_expires_at: expires })
      .where("id", "=", jobId)
      .where("lease_owner", "=", owner)
      .where("state", "=", "running")
      .returning("lease_expires_at")
      .executeTakeFirst();
    if (!row) throw await this.#leaseFailure(jobId, owner);
    return new Date(expires);
  }

  async updateJob(jobId: string, owner: string, patch: JobPatch): Promise<Job> {
    const row = await this.#db
      .updateTable("jobs")
      .set({
        updated_at: this.#nowMs(),
        ...(patch.currentStep !== undefined ? { current_step: patch.currentStep } : {}),
        ...(patch.steps !== undefined ? { steps: JSON.stringify(patch.steps) } : {}),
        ...(patch.plan !== undefined ? { plan: nullableJsonText(patch.plan) } : {}),
        ...(patch.result !== undefined ? { result: nullableJsonText(patch.result) } : {}),
      })
      .where("id", "=", jobId)
      .where("lease_owner", "=", owner)
      .where("state", "=", "running")
      .returningAll()
      .executeTakeFirst();
    if (!row) throw await this.#leaseFailure(jobId, owner);
    return toJob(row);
  }

  async finishJob(jobId: string, owner: string, outcome: JobOutcome): Promise<Job> {
    const row = await this.#finishRow(this.#db, jobId, owner, outcome, this.#nowMs());
    if (!row) throw await this.#leaseFailure(jobId, owner);
    return toJob(row);
  }

  /** The guarded UPDATE that ends a running job (undefined when `owner` does not hold it). */
  #finishRow(db: Kysely<StoreDatabase>, jobId: string, owner: string, outcome: JobOutcome, now: number) {
    return db
      .updateTable("jobs")
      .set({
        state: outcome.state,
        error: outcome.state === "succeeded" ? null : jsonText(outcome.error),
        ...(outcome.result !== undefined ? { result: nullableJsonText(outcome.result) } : {}),
        lease_expires_at: null,
        updated_at: now,
        finished_at: now,
      })
      .where("id", "=", jobId)
      .where("lease_owner", "=", owner)
      .where("state", "=", "running")
      .returningAll()
      .executeTakeFirst();
  }

  async releaseJob(jobId: string, owner: string, next: "queued" | "awaiting-approval"): Promise<Job> {
    const row = await this.#db
      .updateTable("jobs")
      .set({ state: next, lease_owner: null, lease_expires_at: null, updated_at: this.#nowMs() })
      .where("id", "=", jobId)
      .where("lease_owner", "=", owner)
      .where("state", "=", "running")
      .returningAll()
      .executeTakeFirst();
    if (!row) throw await this.#leaseFailure(jobId, owner);
    return toJob(row);
  }

  async attachJobThread(jobId: string, thread: { threadTs: string; parentTs?: string | null }): Promise<boolean> {
    // One conditional UPDATE: of two transports racing to post a job's parent message, exactly one records it.
    const result = await this.#db
      .updateTable("jobs")
      .set({ thread_ts: thread.threadTs, parent_ts: thread.parentTs ?? null, updated_at: this.#nowMs() })
      .where("id", "=", jobId)
      .where("thread_ts", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async advanceReportedSeq(jobId: string, seq: number): Promise<void> {
    await this.#db
      .updateTable("jobs")
      .set({ reported_seq: seq })
      .where("id", "=", jobId)
      .where("reported_seq", "<", seq)
      .execute();
  }

  async resumeAwaitingJob(
    jobId: string,
    next: { state: "queued" } | { state: "cancelled" | "failed"; error: JobError },
  ): Promise<boolean> {
    const now = this.#nowMs();
    const result = await this.#db
      .updateTable("jobs")
      .set(
        next.state === "queued"
          ? { state: "queued", updated_at: now }
          : { state: next.state, error: jsonText(next.error), updated_at: now, finished_at: now },
      )
      .where("id", "=", jobId)
      .where("state", "=", "awaiting-approval")
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async requestCancel(jobId: string, by: string): Promise<{ outcome: CancelOutcome; job: Job }> {
    const now = this.#nowMs();
    const error: JobError = { code: "CANCELLED", message: `cancelled by ${by} before it started`, userSafe: true };
    // Not started yet: nothing to roll back, cancel at once. A concurrent claim either ran first (then this
    // matches no row and the next statement flags the running job) or waits for this one.
    const notStarted = await this.#db
      .updateTable("jobs")
      .set({ state: "cancelled", cancel_requested_by: by, error: jsonText(error), updated_at: now, finished_at: now })
      .where("id", "=", jobId)
      .where("state", "in", ["queued", "awaiting-approval"])
      .returningAll()
      .executeTakeFirst();
    if (notStarted) return { outcome: "cancelled", job: toJob(notStarted) };
    const running = await this.#db
      .updateTable("jobs")
      .set({ cancel_requested_by: by, updated_at: now })
      .where("id", "=", jobId)
      .where("state", "=", "running")
      .returningAll()
      .executeTakeFirst();
    if (running) return { outcome: "requested", job: toJob(running) };
    const job = await this.getJob(jobId);
    if (!job) throw new NotFound(`no job ${jobId}`);
    return { outcome: "already-finished", job };
  }

  async jobsAheadInQueue(jobId: string): Promise<number | undefined> {
    const me = await this.#db
      .selectFrom("jobs")
      .select(["seq", "cluster", "state"])
      .where("id", "=", jobId)
      .executeTakeFirst();
    if (!me || me.state !== "queued") return undefined;
    const { n } = await this.#db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("cluster", "=", me.cluster)
      .where("state", "=", "queued")
      .where("seq", "<", me.seq)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  // Events ----------------------------------------------------------------------------------------------------------

  async finishJobWithEvent(jobId: string, owner: string, outcome: JobOutcome, type: string, data: JsonValue = null): Promise<{ job: Job; event: JobEvent }> {
    // The job's end and its final event commit together: a crash can never leave a finished job whose history
    // lacks its last line (the runner would never claim a finished job again to add it).
    const done = await this.#db.transaction().execute(async (trx) => {
      const now = this.#nowMs();
      const row = await this.#finishRow(trx, jobId, owner, outcome, now);
      if (!row) return undefined; // diagnosed below, outside the transaction (SQLite has one connection)
      const event = toEvent(await this.#insertEvent(trx, jobId, type, data, now));
      return { job: toJob(row), event };
    });
    if (!done) throw await this.#leaseFailure(jobId, owner);
    return done;
  }

  /** One statement computes the next seq and inserts the event. */
  #insertEvent(db: Kysely<StoreDatabase>, jobId: string, type: string, data: JsonValue, at: number) {
    // Values are cast because PostgreSQL types bare parameters in a SELECT list as text (and jsonb/bigint need
    // their own type).
    return db
      .insertInto("job_events")
      .columns(["job_id", "seq", "at", "type", "data"])
      .expression((eb) =>
        eb
          .selectFrom("job_events")
          .select([
            sql<string>`cast(${jobId} as text)`.as("job_id"),
            sql<number>`coalesce(max(seq), 0) + 1`.as("seq"),
            sql<number>`cast(${at} as bigint)`.as("at"),
            sql<string>`cast(${type} as text)`.as("type"),
            sql<string>`cast(${jsonText(data)} as ${sql.raw(this.#traits.jsonType)})`.as("data"),
          ])
          .where("job_id", "=", jobId),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async appendEvent(jobId: string, type: string, data: JsonValue = null): Promise<JobEvent> {
    const at = this.#nowMs();
    const insert = (db: Kysely<StoreDatabase>) => this.#insertEvent(db, jobId, type, data, at);
    try {
      if (!this.#traits.hasRowLocks) return toEvent(await insert(this.#db)); // SQLite: one writer at a time.
      // PostgreSQL: concurrent appenders would read the same max(seq). Lock the job row first (NO KEY UPDATE
      // does not block the foreign-key share locks of event inserts); appends of one job then run and commit in
      // seq order, so a reader that has seen seq n can never later find a smaller new one.
      return await this.#db.transaction().execute(async (trx) => {
        const job = await trx.selectFrom("jobs").select("id").where("id", "=", jobId).forNoKeyUpdate().executeTakeFirst();
        if (!job) throw new NotFound(`no job ${jobId}`);
        return toEvent(await insert(trx));
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new NotFound(`no job ${jobId}`, { cause: err });
      throw err;
    }
  }

  async listEvents(jobId: string, afterSeq?: number, limit?: number): Promise<JobEvent[]> {
    const rows = await this.#db
      .selectFrom("job_events")
      .selectAll()
      .where("job_id", "=", jobId)
      .$if(afterSeq !== undefined, (q) => q.where("seq", ">", afterSeq!))
      .orderBy("seq")
      .$if(limit !== undefined, (q) => q.limit(limit!))
      .execute();
    return rows.map(toEvent);
  }

  // Approvals -------------------------------------------------------------------------------------------------------

  async createApproval(input: CreateApprovalInput): Promise<Approval> {
    for (let attempt = 1; ; attempt++) {
      const now = this.#nowMs();
      try {
        const row = await this.#db
          .insertInto("approvals")
          .values({
            id: newShortId("a"),
            job_id: input.jobId ?? null,
            action: input.action,
            requested_by: input.requestedBy,
            approvers: JSON.stringify(input.approvers),
            self_approve: input.selfApprove ? 1 : 0,
            expires_at: now + input.ttlMs,
            decision: "pending",
            decided_by: null,
            decided_at: null,
            channel: input.channel ?? null,
            message_ts: input.messageTs ?? null,
            created_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toApproval(row);
      } catch (err) {
        if (isUniqueViolation(err) && attempt < ID_ATTEMPTS) continue;
        if (isForeignKeyViolation(err)) throw new NotFound(`no job ${input.jobId}`, { cause: err });
        throw err;
      }
    }
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    const row = await this.#db.selectFrom("approvals").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toApproval(row);
  }

  async listApprovals(
    filter: { jobId?: string; decision?: ApprovalDecision; limit?: number } = {},
  ): Promise<Approval[]> {
    const rows = await this.#db
      .selectFrom("approvals")
      .selectAll()
      .$if(filter.jobId !== undefined, (q) => q.where("job_id", "=", filter.jobId!))
      .$if(filter.decision !== undefined, (q) => q.where("decision", "=", filter.decision!))
      .orderBy("created_at", "desc")
      .orderBy("id")
      .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
      .execute();
    return rows.map(toApproval);
  }

  async decideApproval(id: string, decision: "approved" | "rejected", by: string): Promise<DecideApprovalResult> {
    const now = this.#nowMs();
    // Compare-and-set: the WHERE clause is the whole guard. Two clicks at once: PostgreSQL makes the second
    // UPDATE wait for the first and re-check `decision = 'pending'` (no longer true); SQLite runs them one by one.
    const row = await this.#db
      .updateTable("approvals")
      .set({ decision, decided_by: by, decided_at: now })
      .where("id", "=", id)
      .where("decision", "=", "pending")
      .where("expires_at", ">", now)
      .returningAll()
      .executeTakeFirst();
    if (row) return { won: true, approval: toApproval(row) };
    return { won: false, approval: await this.getApproval(id) };
  }

  async expireApprovals(): Promise<Approval[]> {
    const now = this.#nowMs();
    const rows = await this.#db
      .updateTable("approvals")
      .set({ decision: "expired", decided_at: now })
      .where("decision", "=", "pending")
      .where("expires_at", "<=", now)
      .returningAll()
      .execute();
    return rows.map(toApproval);
  }

  async setApprovalMessage(id: string, channel: string, messageTs: string): Promise<void> {
    const result = await this.#db
      .updateTable("approvals")
      .set({ channel, message_ts: messageTs })
      .where("id", "=", id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFound(`no approval ${id}`);
  }

  // Channel bindings ------------------------------------------------------------------------------------------------

  async bindChannel(channel: string, profile: string, by: string): Promise<ChannelBinding> {
    const row = await this.#db
      .insertInto("channel_bindings")
      .values({ channel, profile, bound_by: by, bound_at: this.#nowMs() })
      .onConflict((oc) =>
        oc.column("channel").doUpdateSet((eb) => ({
          profile: eb.ref("excluded.profile"),
          bound_by: eb.ref("excluded.bound_by"),
          bound_at: eb.ref("excluded.bound_at"),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBinding(row);
  }

  async unbindChannel(channel: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("channel_bindings").where("channel", "=", channel).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async getBinding(channel: string): Promise<ChannelBinding | undefined> {
    const row = await this.#db
      .selectFrom("channel_bindings")
      .selectAll()
      .where("channel", "=", channel)
      .executeTakeFirst();
    return row && toBinding(row);
  }

  async listBindings(): Promise<ChannelBinding[]> {
    const rows = await this.#db.selectFrom("channel_bindings").selectAll().orderBy("channel").execute();
    return rows.map(toBinding);
  }

  // VMID reservations -----------------------------------------------------------------------------------------------

  async reserveVmid(cluster: string, vmid: number, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#nowMs();
    // One upsert: insert, or take over the row only when it expired or is already ours. When the WHERE of
    // DO UPDATE fails, no row is returned: someone else holds it.
    const row = await this.#db
      .insertInto("vmid_reservations")
      .values({ cluster, vmid, holder, reserved_at: now, expires_at: now + ttlMs })
      .onConflict((oc) =>
        oc
          .columns(["cluster", "vmid"])
          .doUpdateSet((eb) => ({
            holder: eb.ref("excluded.holder"),
            reserved_at: eb.ref("excluded.reserved_at"),
            expires_at: eb.ref("excluded.expires_at"),
          }))
          .where((eb) =>
            eb.or([
              eb("vmid_reservations.expires_at", "<=", now),
              eb("vmid_reservations.holder", "=", eb.ref("excluded.holder")),
            ]),
          ),
      )
      .returning("holder")
      .executeTakeFirst();
    return row !== undefined;
  }

  async releaseVmid(cluster: string, vmid: number, holder: string): Promise<void> {
    await this.#db
      .deleteFrom("vmid_reservations")
      .where("cluster", "=", cluster)
      .where("vmid", "=", vmid)
      .where("holder", "=", holder)
      .execute();
  }

  async releaseVmidsHeldBy(holder: string): Promise<number> {
    const result = await this.#db.deleteFrom("vmid_reservations").where("holder", "=", holder).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listReservedVmids(cluster: string): Promise<VmidReservation[]> {
    const rows = await this.#db
      .selectFrom("vmid_reservations")
      .selectAll()
      .where("cluster", "=", cluster)
      .where("expires_at", ">", this.#nowMs())
      .orderBy("vmid")
      .execute();
    return rows.map(toReservation);
  }

  // Audit -----------------------------------------------------------------------------------------------------------

  async appendAudit(entry: AppendAuditInput): Promise<AuditEntry> {
    const row = await this.#db
      .insertInto("audit_log")
      .values({
        at: this.#nowMs(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        cluster: entry.cluster ?? null,
        result: entry.result,
        job_id: entry.jobId ?? null,
        details: jsonText(entry.details ?? null),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAudit(row);
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const rows = await this.#db
      .selectFrom("audit_log")
      .selectAll()
      .$if(filter.actor !== undefined, (q) => q.where("actor", "=", filter.actor!))
      .$if(filter.action !== undefined, (q) => q.where("action", "=", filter.action!))
      .$if(filter.target !== undefined, (q) => q.where("target", "=", filter.target!))
      .$if(filter.cluster !== undefined, (q) => q.where("cluster", "=", filter.cluster!))
      .$if(filter.jobId !== undefined, (q) => q.where("job_id", "=", filter.jobId!))
      .$if(filter.since !== undefined, (q) => q.where("at", ">=", filter.since!.getTime()))
      .$if(filter.until !== undefined, (q) => q.where("at", "<", filter.until!.getTime()))
      .orderBy("seq", filter.order === "oldest-first" ? "asc" : "desc")
      .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
      .execute();
    return rows.map(toAudit);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
