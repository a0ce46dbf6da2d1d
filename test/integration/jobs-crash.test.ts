/**
 * Crash safety: the job runner runs in a child process that is killed with SIGKILL at random moments of
 * provisions against the simulator, then started again. Every job must end with exactly one guest, in the
 * right state, with a complete event history: no duplicates, no orphans, no lost job.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/adapters/store/index.js";
import type { Job, Store } from "../../src/adapters/store/types.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";
import { freePort, simClient } from "../support/pve-env.js";
import { probePostgres } from "../support/store-contract.js";
import { randomBytes } from "node:crypto";
import pg from "pg";

const WORKER = fileURLToPath(new URL("../support/runner-worker.ts", import.meta.url));
const PG_URL = process.env.PVE_CHATOPS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/pve_chatops_test";

/** Every worker process still alive: killed after the tests even when one fails or times out. */
const spawned = new Set<ChildProcess>();

function startWorker(sim: PveSimulator, sshPort: number, storeUrl: string, schema?: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess & { killpoint?: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
    env: {
      ...process.env,
      SIM_URL: sim.url,
      SIM_TOKEN_ID: sim.tokenId,
      SIM_TOKEN_SECRET: sim.tokenSecret,
      SIM_FINGERPRINT: sim.fingerprint,
      SIM_SSH_PORT: String(sshPort),
      STORE_URL: storeUrl,
      ...(schema ? { STORE_SCHEMA: schema } : {}),
      LEASE_MS: "400",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  child.once("exit", () => spawned.delete(child));
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const withPoint = child as ChildProcess & { killpoint?: string };
  return new Promise((resolve, reject) => {
    let ready = false;
    child.stdout!.on("data", (d: Buffer) => {
      for (const line of String(d).split("\n")) {
        if (line === "ready" && !ready) {
          ready = true;
          resolve(withPoint);
        }
        if (line.startsWith("killpoint ")) withPoint.killpoint = line.slice(10);
      }
    });
    child.once("exit", (code) => {
      if (!ready) reject(new Error(`worker exited early (${code}): ${stderr}`));
    });
  });
}

const exited = (c: ChildProcess) =>
  new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())));

const kill = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once("exit", () => resolve());
    c.kill("SIGKILL");
  });

/** Stops and destroys the test's guests through the API (memory on the template's node is finite). */
async function destroyGuests(sim: PveSimulator, prefix: string): Promise<void> {
  const client = simClient(sim);
  try {
    for (const g of sim.state.guests().filter((x) => x.name.startsWith(prefix))) {
      const base = `/nodes/${g.node}/${g.type}/${g.vmid}`;
      if (g.status === "running") await client.waitForTask(String(await client.post(`${base}/status/stop`, {})));
      await client.waitForTask(String(await client.delete(base, { purge: true })));
    }
  } finally {
    await client.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ["succeeded", "failed", "cancelled"];

/** "step:event" of the job's last recorded event: where the kill hit it. */
async function killPoint(store: Store, job: Job): Promise<string | undefined> {
  const events = await store.listEvents(job.id);
  const last = events.at(-1);
  if (!last || FINAL.includes(last.type)) return undefined;
  const step = (last.data as { step?: string } | null)?.step;
  return `${step ?? "-"}:${last.type}`;
}

async function checkOutcome(sim: PveSimulator, store: Store, jobs: Job[], prefix: string) {
  for (const j of jobs) {
    const job = (await store.getJob(j.id))!;
    expect(job.state, `${job.id} ${JSON.stringify(job.error)}`).toBe("succeeded");
    const name = (job.request as { request: { name: string } }).request.name;
    const guests = sim.state.guests().filter((g) => g.name === name);
    expect(guests, name).toHaveLength(1);
    expect(guests[0]!.status).toBe("running");
    expect(guests[0]!.lock).toBeUndefined();
    const events = await store.listEvents(job.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1)); // gapless, in order
    expect(events.filter((e) => e.type === "ready")).toHaveLength(1);
    expect(events.filter((e) => e.type === "succeeded")).toHaveLength(1);
    expect(events.filter((e) => e.type === "plan-ready").length).toBeGreaterThanOrEqual(1);
  }
  // No orphans: every guest this test created belongs to exactly one job.
  expect(sim.state.guests().filter((g) => g.name.startsWith(prefix))).toHaveLength(jobs.length);
}

async function submitAll(store: Store, prefix: string, n: number, allVms = false): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) {
    const request = { profile: "lab", request: { name: `${prefix}${i}`, requestedBy: "U0CRASH", ...(allVms || i % 2 ? { docker: true, size: "medium" } : {}) } };
    jobs.push((await store.submitJob({ kind: "provision", request, requester: "U0CRASH", cluster: "sim", profile: "lab", idempotencyKey: `${prefix}${i}` })).job);
  }
  return jobs;
}

describe("crash safety of the job runner", () => {
  let sim: PveSimulator;
  let sshPort: number;
  let dir: string;
  beforeEach(async () => {
    await sim?.close();
    sshPort = await freePort();
    // Slow enough that kills land inside provisions, fast enough for CI.
    // Durations evened out (boot shorter, short tasks longer) so that kills spread over every step.
    sim = await startSimulator({
      speed: 20,
      authFailureDelayMs: 10,
      guestSshPort: sshPort,
      seed: 11,
      durations: { linkedClone: 4000, create: 4000, start: 3000, resize: 3000, agentBoot: 5000, lxcNetUp: 3000, agentTimeout: 1000, config: 500 },
    });
  });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pve-chatops-crash-"));
  });
  afterAll(async () => {
    for (const c of spawned) c.kill("SIGKILL");
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("SIGKILL right after each event of a provision (every point), restart: exactly one guest each", { timeout: 240_000 }, async () => {
    // One store and job per kill point, so that each worker's N-th event is that job's N-th event.
    const POINTS = 26; // a VM provision records about 25 events, so the last points let it finish
    const points = new Map<string, number>(); // labels (step:event) of the kill points, for the log
    const killedMidway = new Set<number>(); // N: killed right after its N-th event, before the job ended
    const BATCH = 4;
    for (let first = 1; first <= POINTS; first += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, POINTS - first + 1) }, (_, i) => first + i);
      await Promise.all(
        batch.map(async (n) => {
          const storeUrl = `sqlite:${join(dir, `point-${n}.db`)}`;
          const store = await openStore(storeUrl);
          try {
            const jobs = await submitAll(store, `pt${n}-`, 1, true);
            const dying = await startWorker(sim, sshPort, storeUrl, undefined, { KILL_AFTER_EVENT: String(n) });
            // The worker dies at its n-th event, unless the job has fewer events: then it just finishes.
            const finished = (async () => {
              while (dying.exitCode === null && dying.signalCode === null && !FINAL.includes((await store.getJob(jobs[0]!.id))!.state)) await sleep(50);
            })();
            await Promise.race([exited(dying), finished]);
            await kill(dying);
            if (dying.killpoint) {
              points.set(dying.killpoint, (points.get(dying.killpoint) ?? 0) + 1);
              if (!dying.killpoint.endsWith(":succeeded")) killedMidway.add(n);
            }
            const worker = await startWorker(sim, sshPort, storeUrl);
            try {
              const deadline = Date.now() + 60_000;
              while (Date.now() < deadline && !FINAL.includes((await store.getJob(jobs[0]!.id))!.state)) await sleep(50);
            } finally {
              await kill(worker);
            }
            await checkOutcome(sim, store, jobs, `pt${n}-`);
            if (dying.killpoint && !dying.killpoint.endsWith(":succeeded")) {
              const events = await store.listEvents(jobs[0]!.id);
              expect(events.some((e) => e.type === "resumed")).toBe(true);
            }
            await destroyGuests(sim, `pt${n}-`); // keep the nodes' memory free for the next points
          } finally {
            await store.close();
          }
        }),
      );
    }
    console.log(`crash test (exact points): killed after event ${[...killedMidway].sort((a, b) => a - b).join(", ")}; labels: ${[...points.keys()].join(", ")}`);
    // Each N is a different point of the provision (after its N-th recorded event); at least 20 of them hit a
    // provision in flight. The labels vary a little with timing (how many "waiting" events a run records).
    expect(killedMidway.size).toBeGreaterThanOrEqual(20);
    expect(points.size).toBeGreaterThanOrEqual(15);
  });

  it("SIGKILL at random moments of many concurrent provisions: every job ends with exactly one guest", { timeout: 240_000 }, async () => {
    const storeUrl = `sqlite:${join(dir, "crash.db")}`;
    const store = await openStore(storeUrl);
    const jobs = await submitAll(store, "crash", 12);
    const points = new Set<string>();
    let worker = await startWorker(sim, sshPort, storeUrl);
    let kills = 0;
    for (let round = 0; round < 10; round++) {
      const pending = (await Promise.all(jobs.map((j) => store.getJob(j.id)))).filter((j) => j && !FINAL.includes(j.state)) as Job[];
      if (pending.length === 0) {
        // Everything finished before we had 20 distinct points: add another wave.
        jobs.push(...(await submitAll(store, `crash${round}x`, 4)));
        continue;
      }
      // Let the new worker make progress first (on a loaded machine it may take a while to get going), then
      // kill it at a random moment.
      const progress = async () =>
        (await Promise.all(pending.map((j) => store.listEvents(j.id)))).reduce((n, e) => n + e.filter((x) => x.type !== "started" && x.type !== "resumed").length, 0);
      const before = await progress();
      const progressBy = Date.now() + 10_000;
      while (Date.now() < progressBy && (await progress()) === before) await sleep(20);
      await sleep(Math.floor(Math.random() * 600));
      for (const j of pending) {
        const p = await killPoint(store, j);
        if (p) points.add(p);
      }
      await kill(worker);
      kills++;
      worker = await startWorker(sim, sshPort, storeUrl);
    }
    // Let the last worker finish everything.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const states = await Promise.all(jobs.map(async (j) => (await store.getJob(j.id))!.state));
      if (states.every((s) => FINAL.includes(s))) break;
      await sleep(100);
    }
    await kill(worker);
    console.log(`crash test: ${kills} kills, ${points.size} distinct kill points: ${[...points].sort().join(", ")}`);
    // Distinct points are guaranteed by the exact-points test above; here the moments are random.
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(points.size).toBeGreaterThanOrEqual(2);
    const crashJobs = jobs;
    await checkOutcome(sim, store, crashJobs, "crash");
    const resumed = await Promise.all(crashJobs.map(async (j) => (await store.listEvents(j.id)).some((e) => e.type === "resumed")));
    expect(resumed.filter(Boolean).length).toBeGreaterThan(0);
    await store.close();
  });

  it("two runner processes on PostgreSQL, one killed: the other finishes every job", { timeout: 120_000 }, async (ctx) => {
    const reachable = await probePostgres(PG_URL);
    if (!reachable.ok) {
      console.log(`SKIPPED (PostgreSQL not reachable): ${reachable.reason}`);
      ctx.skip();
      return;
    }
    const schema = `crash_${randomBytes(5).toString("hex")}`;
    const store = await openStore(PG_URL, { schema });
    const url = PG_URL;
    const cleanup = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    };
    try {
      const jobs = await submitAll(store, "pgcrash", 8);
      const a = await startWorker(sim, sshPort, url, schema);
      const b = await startWorker(sim, sshPort, url, schema);
      await sleep(400);
      await kill(a);
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        const states = await Promise.all(jobs.map(async (j) => (await store.getJob(j.id))!.state));
        if (states.every((s) => FINAL.includes(s))) break;
        await sleep(100);
      }
      await kill(b);
      await checkOutcome(sim, store, jobs, "pgcrash");
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
