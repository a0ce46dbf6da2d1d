/**
 * The store's contract: ONE body of tests that every back end must pass. test/integration/store-sqlite.test.ts
 * and store-postgres.test.ts run it against a real database each.
 *
 * Every test gets a fresh, empty database (a new SQLite file, a new PostgreSQL schema). Opening it twice gives
 * two independent Store instances on the same data: that is how the tests play two replicas racing.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { NotFound } from "../../src/errors.js";
import { LeaseLost, openStore, type Job, type StepRecord, type Store } from "../../src/adapters/store/index.js";

export class FakeClock {
  ms = Date.UTC(2025, 0, 15, 9, 0, 0);
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface FreshDatabase {
  /** Opens (and migrates) the database; every call is a separate Store on the same data. */
  open(now: () => Date): Promise<Store>;
  /** Runs one SQL statement directly on the database, past the Store (to prove database-level guards). */
  rawExec(statement: string): Promise<void>;
  drop(): Promise<void>;
}

export interface StoreBackend {
  name: "sqlite" | "postgres";
  freshDatabase(): Promise<FreshDatabase>;
}

export function sqliteBackend(): StoreBackend {
  return {
    name: "sqlite",
    async freshDatabase() {
      const dir = mkdtempSync(path.join(tmpdir(), "pve-chatops-store-"));
      const file = path.join(dir, "nested", "store.db");
      const url = `sqlite:${file}`;
      return {
        open: (now) => openStore(url, { now }),
        rawExec: async (statement) => {
          const db = new Database(file);
          try {
            db.exec(statement);
          } finally {
            db.close();
          }
        },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}

export const DEFAULT_TEST_PG_URL = "postgres://postgres@127.0.0.1:5432/pve_chatops_test";

export function testPostgresUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.PVE_CHATOPS_TEST_PG_URL || DEFAULT_TEST_PG_URL;
}

/** Connects once; on failure returns why (without the URL's password) so the skipped suite can say so. */
export async function probePostgres(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return { ok: true };
  } catch (err) {
    const code = typeof err === "object" && err && "code" in err ? String(err.code) : "";
    const message = err instanceof Error ? err.message : String(err);
    const host = (() => {
      try {
        const u = new URL(url);
        return `${u.hostname}:${u.port || 5432}${u.pathname}`;
      } catch {
        return "(unparseable URL)";
      }
    })();
    return { ok: false, reason: `PostgreSQL at ${host} unreachable (${[code, message].filter(Boolean).join(": ")})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function postgresBackend(url: string): StoreBackend {
  return {
    name: "postgres",
    async freshDatabase() {
      const schema = `store_test_${randomBytes(6).toString("hex")}`;
      return {
        open: (now) => openStore(url, { now, schema, poolMax: 4 }),
        rawExec: async (statement) => {
          const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
          await client.connect();
          try {
            await client.query(statement);
          } finally {
            await client.end();
          }
        },
        drop: async () => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(`drop schema if exists "${schema}" cascade`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

const PROVISION_REQUEST = {
  name: "web-01",
  cores: 2,
  memoryMb: 2048,
  tags: ["team-a", "ci"],
  network: { mode: "static", ip: "127.30.0.10/24", gateway: "127.30.0.1" },
  note: "ünïcödé ✓ and \"quotes\"",
};

/** The contract. Call inside a `describe`. */
export function defineStoreContract(backend: StoreBackend): void {
  let clock: FakeClock;
  let database: FreshDatabase;
  let opened: Store[];
  /** The first store (replica A); `openReplica()` gives more on the same data. */
  let store: Store;

  async function openReplica(): Promise<Store> {
    const s = await database.open(clock.now);
    opened.push(s);
    return s;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    opened = [];
    database = await backend.freshDatabase();
    store = await openReplica();
  });

  afterEach(async () => {
    for (const s of opened) await s.close();
    await database.drop();
  });

  async function submit(cluster = "lab", extra: Partial<Parameters<Store["submitJob"]>[0]> = {}): Promise<Job> {
    const { job } = await store.submitJob({
      kind: "provision",
      request: { name: `vm-${Math.random().toString(36).slice(2, 8)}` },
      requester: "U123",
      cluster,
      profile: "dev",
      ...extra,
    });
    return job;
  }

  // --- migrations -------------------------------------------------------------------------------------------------

  it("reports its dialect", () => {
    expect(store.dialect).toBe(backend.name);
  });

  it("runs migrations once: reopening keeps the data and migrates nothing again", async () => {
    const { job } = await store.submitJob({ kind: "provision", request: {}, requester: "U1", cluster: "lab" });
    await store.close();
    opened = [];
    const again = await openReplica();
    const third = await openReplica();
    expect((await again.getJob(job.id))?.id).toBe(job.id);
    expect((await third.listJobs()).map((j) => j.id)).toEqual([job.id]);
  });

  if (backend.name === "postgres") {
    it("lets several replicas start on an empty database at once", async () => {
      const fresh = await backend.freshDatabase();
      try {
        const stores = await Promise.all([fresh.open(clock.now), fresh.open(clock.now), fresh.open(clock.now)]);
        const { job } = await stores[0]!.submitJob({ kind: "power", request: {}, requester: "U1", cluster: "c" });
        expect((await stores[2]!.getJob(job.id))?.kind).toBe("power");
        for (const s of stores) await s.close();
      } finally {
        await fresh.drop();
      }
    });
  }

  // --- submission ---------------------------------------------------------------------------------------------------

  it("stores a submitted job with every field and reads it back", async () => {
    const { job, created } = await store.submitJob({
      kind: "provision",
      request: PROVISION_REQUEST,
      requester: "U123",
      cluster: "lab",
      profile: "dev",
      channel: "C1",
      threadTs: "1700000000.000100",
      parentTs: "1700000000.000050",
      plan: { node: "pve1", vmid: 101 },
      idempotencyKey: "slack:cmd:abc",
    });
    expect(created).toBe(true);
    expect(job.id).toMatch(/^j-[0-9a-z]{6}$/);
    const read = await store.getJob(job.id);
    expect(read).toEqual(job);
    expect(read).toMatchObject({
      kind: "provision",
      state: "queued",
      request: PROVISION_REQUEST,
      plan: { node: "pve1", vmid: 101 },
      requester: "U123",
      cluster: "lab",
      profile: "dev",
      channel: "C1",
      threadTs: "1700000000.000100",
      parentTs: "1700000000.000050",
      currentStep: null,
      steps: [],
      result: null,
      error: null,
      idempotencyKey: "slack:cmd:abc",
      leaseOwner: null,
      leaseExpiresAt: null,
      attempts: 0,
      cancelRequested: false,
      finishedAt: null,
    });
    expect(read?.createdAt.getTime()).toBe(clock.ms);
    expect(await store.getJob("j-nope00")).toBeUndefined();
  });

  it("returns the existing job for a repeated idempotency key", async () => {
    const first = await store.submitJob({
      kind: "provision",
      request: { name: "a" },
      requester: "U1",
      cluster: "lab",
      idempotencyKey: "k1",
    });
    clock.advance(5_000);
    const again = await store.submitJob({
      kind: "provision",
      request: { name: "a" },
      requester: "U1",
      cluster: "lab",
      idempotencyKey: "k1",
    });
    const other = await store.submitJob({ kind: "provision", request: {}, requester: "U1", cluster: "lab", idempotencyKey: "k2" });
    const noKey1 = await store.submitJob({ kind: "power", request: {}, requester: "U1", cluster: "lab" });
    const noKey2 = await store.submitJob({ kind: "power", request: {}, requester: "U1", cluster: "lab" });
    expect(first.created).toBe(true);
    expect(again).toEqual({ job: first.job, created: false });
    expect(other.created).toBe(true);
    expect(other.job.id).not.toBe(first.job.id);
    expect(noKey1.job.id).not.toBe(noKey2.job.id);
    expect((await store.getJobByIdempotencyKey("k1"))?.id).toBe(first.job.id);
    expect(await store.listJobs()).toHaveLength(4);
  });

  it("creates exactly one job when 20 submits with the same key race (two replicas)", async () => {
    const replica = await openReplica();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? store : replica).submitJob({
          kind: "provision",
          request: { attempt: i },
          requester: "U1",
          cluster: "lab",
          idempotencyKey: "slack:retry:same",
        }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await store.listJobs()).toHaveLength(1);
  });

  // --- claiming and leases -------------------------------------------------------------------------------------------

  it("claims queued jobs oldest first and takes a lease", async () => {
    const a = await submit();
    const b = await submit();
    await submit("lab", { initialState: "awaiting-approval" });
    expect(await store.claimNextJob("runner-x", 0).catch((e: unknown) => e)).toBeInstanceOf(RangeError);

    const first = await store.claimNextJob("runner-x", 30_000);
    expect(first).toMatchObject({ id: a.id, state: "running", leaseOwner: "runner-x", attempts: 1 });
    expect(first?.leaseExpiresAt?.getTime()).toBe(clock.ms + 30_000);
    expect((await store.claimNextJob("runner-x", 30_000))?.id).toBe(b.id);
    // The third waits for approval: not claimable.
    expect(await store.claimNextJob("runner-x", 30_000)).toBeUndefined();
  });

  it("gives every job to exactly one of two owners racing over 50 jobs", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await submit(i % 2 ? "lab" : "prod")).id);
    const replica = await openReplica();
    const drain = async (s: Store, owner: string): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const job = await s.claimNextJob(owner, 60_000);
        if (!job) return got;
        expect(job.leaseOwner).toBe(owner);
        got.push(job.id);
      }
    };
    const [byA, byB] = await Promise.all([drain(store, "owner-a"), drain(replica, "owner-b")]);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(50);
    expect(new Set(all)).toEqual(ids);
    for (const job of await store.listJobs({ limit: 100 })) {
      expect(job.attempts).toBe(1);
      expect(job.leaseOwner).toBe(byA.includes(job.id) ? "owner-a" : "owner-b");
    }
  });

  it("hands a job whose lease expired to another owner; the old owner can no longer touch it", async () => {
    const job = await submit();
    const replica = await openReplica();
    await store.claimNextJob("dead-runner", 1_000);
    clock.advance(999);
    expect(await replica.claimNextJob("live-runner", 1_000)).toBeUndefined();
    clock.advance(1);
    const taken = await replica.claimNextJob("live-runner", 1_000);
    expect(taken).toMatchObject({ id: job.id, leaseOwner: "live-runner", attempts: 2, state: "running" });

    await expect(store.heartbeat(job.id, "dead-runner", 1_000)).rejects.toBeInstanceOf(LeaseLost);
    await expect(store.updateJob(job.id, "dead-runner", { currentStep: "clone" })).rejects.toBeInstanceOf(LeaseLost);
    await expect(
      store.finishJob(job.id, "dead-runner", { state: "succeeded", result: { vmid: 1 } }),
    ).rejects.toBeInstanceOf(LeaseLost);
    await expect(store.releaseJob(job.id, "dead-runner", "queued")).rejects.toBeInstanceOf(LeaseLost);
    const now = await store.getJob(job.id);
    expect(now).toMatchObject({ leaseOwner: "live-runner", currentStep: null, state: "running" });
  });

  it("extends a lease on heartbeat, so nobody takes the job while its owner lives", async () => {
    const job = await submit();
    await store.claimNextJob("runner", 1_000);
    clock.advance(800);
    const until = await store.heartbeat(job.id, "runner", 1_000);
    expect(until.getTime()).toBe(clock.ms + 1_000);
    clock.advance(800);
    expect(await store.claimNextJob("thief", 1_000)).toBeUndefined();
    expect((await store.getJob(job.id))?.leaseExpiresAt?.getTime()).toBe(until.getTime());
    await expect(store.heartbeat("j-zzzzzz", "runner", 1_000)).rejects.toBeInstanceOf(NotFound);
  });

  it("lets only the lease owner update a job, and records steps with their UPIDs and outputs", async () => {
    const job = await submit();
    await store.claimNextJob("owner", 60_000);
    const steps: StepRecord[] = [
      { name: "allocate-vmid", status: "completed", upids: [], output: { vmid: 101 }, finishedAt: "2025-01-15T09:00:01Z" },
      {
        name: "clone",
        status: "started",
        upids: ["UPID:pve1:0000AAAA:0001BBBB:65A4F000:qmclone:9000:bot@pve!t:"],
        startedAt: "2025-01-15T09:00:02Z",
      },
    ];
    clock.advance(2_000);
    const updated = await store.updateJob(job.id, "owner", { currentStep: "clone", steps, plan: { node: "pve1" } });
    expect(updated).toMatchObject({ currentStep: "clone", steps, plan: { node: "pve1" } });
    expect(updated.updatedAt.getTime()).toBe(clock.ms);

    await expect(store.updateJob(job.id, "intruder", { currentStep: "evil", steps: [] })).rejects.toBeInstanceOf(
      LeaseLost,
    );
    const read = await store.getJob(job.id);
    expect(read?.steps).toEqual(steps);
    expect(read?.currentStep).toBe("clone");
    await expect(store.updateJob("j-zzzzzz", "owner", {})).rejects.toBeInstanceOf(NotFound);
  });

  it("finishes a job: final state, result, no lease, never claimed again", async () => {
    const ok = await submit();
    const bad = await submit();
    await store.claimNextJob("owner", 60_000);
    await store.claimNextJob("owner", 60_000);
    clock.advance(10_000);
    const done = await store.finishJob(ok.id, "owner", { state: "succeeded", result: { vmid: 101, ip: "127.20.0.5" } });
    expect(done).toMatchObject({ state: "succeeded", result: { vmid: 101, ip: "127.20.0.5" }, leaseExpiresAt: null });
    expect(done.finishedAt?.getTime()).toBe(clock.ms);
    const failed = await store.finishJob(bad.id, "owner", {
      state: "failed",
      error: { code: "PVE", message: "500 VM is locked (clone)", userSafe: true },
    });
    expect(failed.error).toEqual({ code: "PVE", message: "500 VM is locked (clone)", userSafe: true });
    clock.advance(10 * 60_000);
    expect(await store.claimNextJob("other", 60_000)).toBeUndefined();
    await expect(store.heartbeat(ok.id, "owner", 1_000)).rejects.toBeInstanceOf(LeaseLost);
    expect((await store.listJobs({ states: ["succeeded", "failed"] })).map((j) => j.id).sort()).toEqual(
      [ok.id, bad.id].sort(),
    );
  });

  it("never hands a runner its own job again, even after its lease ran out", async () => {
    const job = await submit();
    expect((await store.claimNextJob("slow-runner", 1_000))?.id).toBe(job.id);
    clock.advance(5_000); // the runner's heartbeat is late (a blocked event loop), the lease has expired
    expect(await store.claimNextJob("slow-runner", 1_000)).toBeUndefined();
    // It can still renew (nobody took it over), and another runner could take it over.
    await store.heartbeat(job.id, "slow-runner", 1_000);
    clock.advance(5_000);
    expect((await store.claimNextJob("other-runner", 1_000))?.id).toBe(job.id);
  });

  it("finishes a job and records its final event together, or neither", async () => {
    const job = await submit();
    await store.claimNextJob("owner", 60_000);
    await store.appendEvent(job.id, "started");
    // A runner that lost the lease changes nothing: no state change and no event.
    await expect(store.finishJobWithEvent(job.id, "intruder", { state: "succeeded" }, "succeeded")).rejects.toBeInstanceOf(LeaseLost);
    expect((await store.listEvents(job.id)).map((e) => e.type)).toEqual(["started"]);
    expect((await store.getJob(job.id))?.state).toBe("running");
    const { job: done, event } = await store.finishJobWithEvent(job.id, "owner", { state: "succeeded", result: { vmid: 5 } }, "succeeded", { vmid: 5 });
    expect(done.state).toBe("succeeded");
    expect(event).toMatchObject({ jobId: job.id, seq: 2, type: "succeeded", data: { vmid: 5 } });
    expect((await store.listEvents(job.id)).map((e) => e.type)).toEqual(["started", "succeeded"]);
  });

  it("releases a job back to the queue or parks it for approval", async () => {
    const job = await submit();
    await store.claimNextJob("a", 60_000);
    const back = await store.releaseJob(job.id, "a", "queued");
    expect(back).toMatchObject({ state: "queued", leaseOwner: null });
    expect((await store.claimNextJob("b", 60_000))?.id).toBe(job.id);

    const parked = await store.releaseJob(job.id, "b", "awaiting-approval");
    expect(parked.state).toBe("awaiting-approval");
    expect(await store.claimNextJob("c", 60_000)).toBeUndefined();
    expect(await store.resumeAwaitingJob(job.id, { state: "queued" })).toBe(true);
    expect(await store.resumeAwaitingJob(job.id, { state: "queued" })).toBe(false);
    expect((await store.claimNextJob("c", 60_000))?.attempts).toBe(3);

    const rejected = await submit("lab", { initialState: "awaiting-approval" });
    const error = { code: "APPROVAL_REJECTED", message: "rejected by U9" };
    expect(await store.resumeAwaitingJob(rejected.id, { state: "cancelled", error })).toBe(true);
    expect(await store.getJob(rejected.id)).toMatchObject({ state: "cancelled", error });
  });

  it("cancels a job that has not started and flags one that runs", async () => {
    const queued = await submit();
    const running = await submit();
    const r1 = await store.requestCancel(queued.id, "U7");
    expect(r1.outcome).toBe("cancelled");
    expect(r1.job).toMatchObject({ state: "cancelled", cancelRequested: true, cancelRequestedBy: "U7" });
    expect(r1.job.finishedAt).not.toBeNull();

    expect((await store.claimNextJob("owner", 60_000))?.id).toBe(running.id);
    const r2 = await store.requestCancel(running.id, "U8");
    expect(r2.outcome).toBe("requested");
    expect(r2.job).toMatchObject({ state: "running", cancelRequested: true, cancelRequestedBy: "U8", leaseOwner: "owner" });
    await store.finishJob(running.id, "owner", { state: "cancelled", error: { code: "CANCELLED", message: "x" } });
    expect((await store.requestCancel(running.id, "U8")).outcome).toBe("already-finished");
    await expect(store.requestCancel("j-zzzzzz", "U8")).rejects.toBeInstanceOf(NotFound);
  });

  it("tells a queued job how many jobs of its cluster are ahead", async () => {
    const a1 = await submit("a");
    const b1 = await submit("b");
    const a2 = await submit("a");
    const a3 = await submit("a");
    expect(await store.jobsAheadInQueue(a1.id)).toBe(0);
    expect(await store.jobsAheadInQueue(a2.id)).toBe(1);
    expect(await store.jobsAheadInQueue(a3.id)).toBe(2);
    expect(await store.jobsAheadInQueue(b1.id)).toBe(0);
    await store.claimNextJob("owner", 60_000, { clusters: ["a"] });
    expect(await store.jobsAheadInQueue(a1.id)).toBeUndefined();
    expect(await store.jobsAheadInQueue(a3.id)).toBe(1);
    expect(await store.jobsAheadInQueue("j-zzzzzz")).toBeUndefined();
  });

  it("respects per-cluster and per-profile limits, counting only live leases", async () => {
    const a1 = await submit("a", { profile: "dev" });
    const a2 = await submit("a", { profile: "dev" });
    const b1 = await submit("b", { profile: "dev" });
    const b2 = await submit("b", { profile: "prod" });
    const limits = { clusterLimits: { a: 1 }, profileLimits: { dev: 2 } };

    expect((await store.claimNextJob("o", 1_000, limits))?.id).toBe(a1.id);
    // a is full (1): skip a2, take b1 (dev now 2 of 2).
    expect((await store.claimNextJob("o", 1_000, limits))?.id).toBe(b1.id);
    // dev is full: b2 (prod) is the only one left that fits.
    expect((await store.claimNextJob("o", 1_000, limits))?.id).toBe(b2.id);
    expect(await store.claimNextJob("o", 1_000, limits)).toBeUndefined();
    expect(await store.claimNextJob("o", 1_000, { clusters: [] })).toBeUndefined();

    await store.finishJob(a1.id, "o", { state: "succeeded" });
    expect((await store.claimNextJob("o", 1_000, limits))?.id).toBe(a2.id);

    // Leases that ran out do not count: after expiry the expired jobs themselves are claimable again.
    clock.advance(1_000);
    const retaken = await store.claimNextJob("p", 1_000, limits);
    expect([a2.id, b1.id]).toContain(retaken?.id);
  });

  it("never exceeds a cluster limit when two replicas claim at once", async () => {
    for (let i = 0; i < 10; i++) await submit("tight");
    const replica = await openReplica();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? store : replica).claimNextJob(`o${i}`, 60_000, { clusterLimits: { tight: 3 } }),
      ),
    );
    expect(claims.filter((c) => c !== undefined)).toHaveLength(3);
    expect(await store.listJobs({ states: ["running"] })).toHaveLength(3);
  });

  // --- events ------------------------------------------------------------------------------------------------------

  it("appends events with seq 1, 2, 3 … per job and lists them after a seq", async () => {
    const job = await submit();
    const other = await submit();
    const e1 = await store.appendEvent(job.id, "step-started", { step: "clone", title: "Clone template 9000" });
    clock.advance(10);
    const e2 = await store.appendEvent(job.id, "task-started", { step: "clone", upid: "UPID:pve1:1:2:3:qmclone:9000:u:" });
    const o1 = await store.appendEvent(other.id, "note");
    expect([e1.seq, e2.seq, o1.seq]).toEqual([1, 2, 1]);
    expect(e2.at.getTime()).toBe(clock.ms);
    expect(o1.data).toBeNull();
    expect(await store.listEvents(job.id)).toEqual([e1, e2]);
    expect(await store.listEvents(job.id, 1)).toEqual([e2]);
    expect(await store.listEvents(job.id, 0, 1)).toEqual([e1]);
    await expect(store.appendEvent("j-zzzzzz", "x")).rejects.toBeInstanceOf(NotFound);
  });

  it("keeps seq gapless and unique under 40 concurrent appends from two replicas", async () => {
    const job = await submit();
    const replica = await openReplica();
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? store : replica).appendEvent(job.id, "tick", { i })),
    );
    expect(appended.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const listed = await store.listEvents(job.id);
    expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(listed.map((e) => JSON.stringify(e.data))).size).toBe(40);
  });

  // --- approvals ---------------------------------------------------------------------------------------------------

  it("creates an approval and decides it exactly once when clicks race", async () => {
    const job = await submit();
    const approval = await store.createApproval({
      jobId: job.id,
      action: "provision",
      requestedBy: "U1",
      approvers: ["U2", "U3", "S-admins"],
      selfApprove: false,
      ttlMs: 15 * 60_000,
      channel: "C1",
    });
    expect(approval).toMatchObject({
      jobId: job.id,
      decision: "pending",
      approvers: ["U2", "U3", "S-admins"],
      selfApprove: false,
      messageTs: null,
    });
    expect(approval.id).toMatch(/^a-[0-9a-z]{6}$/);
    expect(approval.expiresAt.getTime()).toBe(clock.ms + 15 * 60_000);
    await store.setApprovalMessage(approval.id, "C1", "1700000000.000200");

    const replica = await openReplica();
    const clicks = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? store : replica).decideApproval(approval.id, i % 3 ? "approved" : "rejected", `U${i}`),
      ),
    );
    const winners = clicks.filter((c) => c.won);
    expect(winners).toHaveLength(1);
    const final = await store.getApproval(approval.id);
    expect(final).toMatchObject({
      decision: winners[0]!.approval!.decision,
      decidedBy: winners[0]!.approval!.decidedBy,
      messageTs: "1700000000.000200",
    });
    expect(final?.decidedAt?.getTime()).toBe(clock.ms);
    expect((await store.listApprovals({ jobId: job.id })).map((a) => a.id)).toEqual([approval.id]);
    expect(await store.decideApproval("a-zzzzzz", "approved", "U2")).toEqual({ won: false, approval: undefined });
    await expect(store.setApprovalMessage("a-zzzzzz", "C1", "1.2")).rejects.toBeInstanceOf(NotFound);
  });

  it("refuses decisions after expiry and marks expired approvals", async () => {
    const keep = await store.createApproval({ action: "teardown", requestedBy: "U1", approvers: ["U2"], selfApprove: true, ttlMs: 10_000 });
    const lapse = await store.createApproval({ action: "teardown", requestedBy: "U1", approvers: ["U2"], selfApprove: true, ttlMs: 1_000 });
    clock.advance(1_000);
    const late = await store.decideApproval(lapse.id, "approved", "U2");
    expect(late.won).toBe(false);
    expect(late.approval?.decision).toBe("pending");
    const expired = await store.expireApprovals();
    expect(expired.map((a) => a.id)).toEqual([lapse.id]);
    expect(expired[0]).toMatchObject({ decision: "expired", decidedBy: null });
    expect(await store.expireApprovals()).toEqual([]);
    expect((await store.decideApproval(lapse.id, "approved", "U2")).won).toBe(false);
    expect((await store.decideApproval(keep.id, "approved", "U1")).won).toBe(true);
    expect((await store.listApprovals({ decision: "expired" })).map((a) => a.id)).toEqual([lapse.id]);
  });

  // --- channel bindings ------------------------------------------------------------------------------------------

  it("binds, re-binds, lists and unbinds channels", async () => {
    const b = await store.bindChannel("C2", "dev", "U1");
    expect(b).toEqual({ channel: "C2", profile: "dev", boundBy: "U1", boundAt: new Date(clock.ms) });
    await store.bindChannel("C1", "prod", "U1");
    clock.advance(1_000);
    await store.bindChannel("C2", "staging", "U5");
    expect(await store.getBinding("C2")).toEqual({
      channel: "C2",
      profile: "staging",
      boundBy: "U5",
      boundAt: new Date(clock.ms),
    });
    expect((await store.listBindings()).map((x) => [x.channel, x.profile])).toEqual([
      ["C1", "prod"],
      ["C2", "staging"],
    ]);
    expect(await store.unbindChannel("C2")).toBe(true);
    expect(await store.unbindChannel("C2")).toBe(false);
    expect(await store.getBinding("C2")).toBeUndefined();
  });

  // --- VMID reservations -----------------------------------------------------------------------------------------

  it("holds a VMID for one holder until it expires or is released", async () => {
    expect(await store.reserveVmid("lab", 101, "j-aaaaaa", 60_000)).toBe(true);
    expect(await store.reserveVmid("lab", 101, "j-bbbbbb", 60_000)).toBe(false);
    // Same VMID on another cluster is a different reservation.
    expect(await store.reserveVmid("prod", 101, "j-bbbbbb", 60_000)).toBe(true);
    // The holder may extend its own.
    clock.advance(30_000);
    expect(await store.reserveVmid("lab", 101, "j-aaaaaa", 60_000)).toBe(true);
    clock.advance(59_999);
    expect(await store.reserveVmid("lab", 101, "j-bbbbbb", 60_000)).toBe(false);
    clock.advance(1);
    expect(await store.listReservedVmids("lab")).toEqual([]);
    expect(await store.reserveVmid("lab", 101, "j-bbbbbb", 60_000)).toBe(true);
    const listed = await store.listReservedVmids("lab");
    expect(listed).toEqual([
      { cluster: "lab", vmid: 101, holder: "j-bbbbbb", reservedAt: new Date(clock.ms), expiresAt: new Date(clock.ms + 60_000) },
    ]);
    // Only the holder can release.
    await store.releaseVmid("lab", 101, "j-aaaaaa");
    expect(await store.listReservedVmids("lab")).toHaveLength(1);
    await store.releaseVmid("lab", 101, "j-bbbbbb");
    expect(await store.listReservedVmids("lab")).toEqual([]);
    await store.reserveVmid("lab", 102, "j-cccccc", 60_000);
    await store.reserveVmid("lab", 103, "j-cccccc", 60_000);
    expect(await store.releaseVmidsHeldBy("j-cccccc")).toBe(2);
  });

  it("gives a contested VMID to exactly one of 10 racing holders", async () => {
    const replica = await openReplica();
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? store : replica).reserveVmid("lab", 200, `j-h${i}`, 60_000)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    const [held] = await store.listReservedVmids("lab");
    expect(held?.holder).toBe(`j-h${won.indexOf(true)}`);
  });

  // --- audit -------------------------------------------------------------------------------------------------------

  it("appends audit entries and lists them by filter, newest first by default", async () => {
    const e1 = await store.appendAudit({ actor: "U1", action: "provision", target: "vm/101", cluster: "lab", result: "ok", details: { node: "pve1" } });
    clock.advance(1_000);
    const e2 = await store.appendAudit({ actor: "U2", action: "teardown", target: "vm/101", cluster: "lab", result: "failed" });
    clock.advance(1_000);
    const e3 = await store.appendAudit({ actor: "U1", action: "bind-channel", target: "C1", result: "ok", jobId: null });
    expect(e1).toMatchObject({ actor: "U1", details: { node: "pve1" }, at: new Date(clock.ms - 2_000) });
    expect(e2.details).toBeNull();
    expect(e2.seq).toBeGreaterThan(e1.seq);

    expect((await store.listAudit()).map((e) => e.seq)).toEqual([e3.seq, e2.seq, e1.seq]);
    expect((await store.listAudit({ order: "oldest-first", limit: 2 })).map((e) => e.seq)).toEqual([e1.seq, e2.seq]);
    expect((await store.listAudit({ actor: "U1" })).map((e) => e.seq)).toEqual([e3.seq, e1.seq]);
    expect((await store.listAudit({ target: "vm/101" })).map((e) => e.seq)).toEqual([e2.seq, e1.seq]);
    expect((await store.listAudit({ since: new Date(clock.ms - 1_000) })).map((e) => e.seq)).toEqual([e3.seq, e2.seq]);
    expect((await store.listAudit({ until: new Date(clock.ms - 1_000) })).map((e) => e.seq)).toEqual([e1.seq]);
    expect(await store.listAudit({ cluster: "nowhere" })).toEqual([]);
  });

  it("refuses UPDATE and DELETE on the audit log in the database itself", async () => {
    await store.appendAudit({ actor: "U1", action: "provision", target: "vm/101", result: "ok" });
    await expect(database.rawExec("update audit_log set result = 'forged'")).rejects.toThrow(/append-only/);
    await expect(database.rawExec("delete from audit_log")).rejects.toThrow(/append-only/);
    expect((await store.listAudit()).map((e) => e.result)).toEqual(["ok"]);
  });

  it("attaches a chat thread once and advances the reported event seq, never backwards", async () => {
    const job = await submit("lab", { channel: "C1" });
    expect(job).toMatchObject({ threadTs: null, parentTs: null, reportedSeq: 0 });
    const replica = await openReplica();
    const raced = await Promise.all([
      store.attachJobThread(job.id, { threadTs: "1.100", parentTs: "1.100" }),
      replica.attachJobThread(job.id, { threadTs: "1.200" }),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const attached = (await store.getJob(job.id))!;
    expect(["1.100", "1.200"]).toContain(attached.threadTs);
    expect(await store.attachJobThread(job.id, { threadTs: "9.9" })).toBe(false);
    expect((await store.getJob(job.id))?.threadTs).toBe(attached.threadTs);
    expect(await store.attachJobThread("j-nope00", { threadTs: "1.1" })).toBe(false);

    await store.advanceReportedSeq(job.id, 3);
    await replica.advanceReportedSeq(job.id, 2);
    expect((await store.getJob(job.id))?.reportedSeq).toBe(3);
    await store.advanceReportedSeq(job.id, 5);
    expect((await replica.getJob(job.id))?.reportedSeq).toBe(5);
  });

  it("filters job lists", async () => {
    const a = await submit("a", { channel: "C1", threadTs: "1.1", kind: "provision" });
    const b = await submit("b", { channel: "C2", kind: "teardown", requester: "U9" });
    expect((await store.listJobs({ cluster: "a" })).map((j) => j.id)).toEqual([a.id]);
    expect((await store.listJobs({ kind: "teardown" })).map((j) => j.id)).toEqual([b.id]);
    expect((await store.listJobs({ channel: "C1", threadTs: "1.1" })).map((j) => j.id)).toEqual([a.id]);
    expect((await store.listJobs({ requester: "U9" })).map((j) => j.id)).toEqual([b.id]);
    expect((await store.listJobs()).map((j) => j.id)).toEqual([b.id, a.id]);
    expect(await store.listJobs({ states: [] })).toEqual([]);
    expect((await store.listJobs({ limit: 1 })).map((j) => j.id)).toEqual([b.id]);
  });
}
