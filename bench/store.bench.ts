/**
 * Job throughput through the durable store: each job is submitted (with an idempotency key), claimed under a
 * lease and finished — the three writes every job costs the runner, whatever its steps do. Measured on SQLite
 * (a file, WAL, synchronous=FULL: every commit is fsynced) and on PostgreSQL (PVE_CHATOPS_BENCH_PG_URL or
 * PVE_CHATOPS_TEST_PG_URL, default the local test database; a fresh schema, dropped afterwards). PostgreSQL is
 * skipped with a note when unreachable.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { BenchFigure } from "./lib.js";
import { openStore, type Store } from "../src/adapters/store/index.js";

const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/pve_chatops_test";
const JOBS = 300;
const PARALLEL_RUNNERS = 4;

/** `runners` loops, each submitting, claiming and finishing jobs until `jobs` are done; returns jobs/s. */
async function jobsPerSecond(store: Store, jobs: number, runners: number, tag: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: runners }, async (_, r) => {
      const owner = `bench-${tag}-${r}`;
      while (next < jobs) {
        const n = next++;
        await store.submitJob({
          kind: "provision",
          request: { name: `bench-${n}`, cores: 2, memoryMb: 2048 },
          requester: "bench",
          cluster: "bench",
          profile: "dev",
          idempotencyKey: `bench:${tag}:${n}`,
        });
        const job = await store.claimNextJob(owner, 60_000);
        if (job) await store.finishJob(job.id, owner, { state: "succeeded", result: { vmid: 100 + n } });
      }
    }),
  );
  return jobs / ((performance.now() - started) / 1000);
}

async function sqliteFigures(): Promise<BenchFigure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "pve-chatops-bench-store-"));
  try {
    const store = await openStore(`sqlite:${path.join(dir, "bench.db")}`);
    try {
      return [
        {
          name: "store: jobs submitted+claimed+finished, SQLite file (1 runner)",
          value: await jobsPerSecond(store, JOBS, 1, "s1"),
          unit: "jobs/s",
          note: "WAL, synchronous=FULL",
        },
        {
          name: `store: jobs submitted+claimed+finished, SQLite file (${PARALLEL_RUNNERS} runners)`,
          value: await jobsPerSecond(store, JOBS, PARALLEL_RUNNERS, "s4"),
          unit: "jobs/s",
          note: "one connection: writes serialise",
        },
      ];
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresFigures(): Promise<BenchFigure[]> {
  const url = process.env.PVE_CHATOPS_BENCH_PG_URL || process.env.PVE_CHATOPS_TEST_PG_URL || DEFAULT_PG_URL;
  const schema = `store_bench_${randomBytes(4).toString("hex")}`;
  let store: Store;
  try {
    store = await openStore(url, { schema, poolMax: PARALLEL_RUNNERS + 1 });
  } catch (err) {
    // StoreUnavailable's message already has the password removed.
    const reason = err instanceof Error ? err.message : String(err);
    return [{ name: "store: jobs submitted+claimed+finished, PostgreSQL", value: 0, unit: "jobs/s", note: `skipped: ${reason}` }];
  }
  try {
    return [
      {
        name: "store: jobs submitted+claimed+finished, PostgreSQL (1 runner)",
        value: await jobsPerSecond(store, JOBS, 1, "p1"),
        unit: "jobs/s",
        note: "local server, loopback",
      },
      {
        name: `store: jobs submitted+claimed+finished, PostgreSQL (${PARALLEL_RUNNERS} runners)`,
        value: await jobsPerSecond(store, JOBS, PARALLEL_RUNNERS, "p4"),
        unit: "jobs/s",
        note: "claims use FOR UPDATE SKIP LOCKED",
      },
    ];
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // `schema` is our own hex name, safe to quote as is.
      await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  }
}

export async function run(): Promise<BenchFigure[]> {
  return [...(await sqliteFigures()), ...(await postgresFigures())];
}
