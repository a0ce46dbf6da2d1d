/**
 * Durable-jobs figures (issue 4): the time a job takes to resume after its runner process is SIGKILLed, from
 * the moment the dead runner's lease expires to the new runner's "resumed" event (lease expiry aside: that wait
 * is configuration), and until its next step completes. Jobs per second through the store are in store.bench.
 * The runner processes run test/support/runner-worker.ts through tsx (a dev dependency).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openStore } from "../src/adapters/store/index.js";
import { startSimulator, type PveSimulator } from "../src/sim/index.js";
import type { BenchFigure } from "./lib.js";

const WORKER = resolve(process.cwd(), "test/support/runner-worker.ts");

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function worker(sim: PveSimulator, sshPort: number, storeUrl: string, extra: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
    env: { ...process.env, SIM_URL: sim.url, SIM_TOKEN_ID: sim.tokenId, SIM_TOKEN_SECRET: sim.tokenSecret, SIM_FINGERPRINT: sim.fingerprint, SIM_SSH_PORT: String(sshPort), STORE_URL: storeUrl, ...extra },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((res, rej) => {
    child.stdout!.once("data", () => res(child));
    child.once("error", rej);
  });
}

export async function run(): Promise<BenchFigure[]> {
  const sshPort = await freePort();
  const sim = await startSimulator({ speed: 20, guestSshPort: sshPort, authFailureDelayMs: 10 });
  const dir = mkdtempSync(join(tmpdir(), "pve-chatops-bench-"));
  const leaseMs = 1000;
  const samples: Array<{ resume: number; nextStep: number }> = [];
  try {
    for (let i = 0; i < 5; i++) {
      const storeUrl = `sqlite:${join(dir, `resume-${i}.db`)}`;
      const store = await openStore(storeUrl);
      const { job } = await store.submitJob({ kind: "provision", request: { profile: "lab", request: { name: `resume${i}`, docker: true } }, requester: "bench", cluster: "sim", profile: "lab" });
      // Dies right after its 6th event (mid-clone); the second runner is already up and polling.
      const dying = await worker(sim, sshPort, storeUrl, { KILL_AFTER_EVENT: "6", LEASE_MS: String(leaseMs) });
      await new Promise<void>((r) => dying.once("exit", () => r()));
      const lease = (await store.getJob(job.id))!.leaseExpiresAt!.getTime();
      const next = await worker(sim, sshPort, storeUrl, { LEASE_MS: String(leaseMs) });
      const readyAt = Date.now(); // process start-up is not part of resuming
      const from = Math.max(lease, readyAt);
      let resumedAt: number | undefined;
      let nextStepAt: number | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && nextStepAt === undefined) {
        const events = await store.listEvents(job.id);
        const r = events.findIndex((e) => e.type === "resumed");
        if (r >= 0) {
          resumedAt = events[r]!.at.getTime();
          nextStepAt = events.slice(r).find((e) => e.type === "step-finished")?.at.getTime();
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      next.kill("SIGKILL");
      await store.close();
      if (resumedAt !== undefined && nextStepAt !== undefined) samples.push({ resume: resumedAt - from, nextStep: nextStepAt - resumedAt });
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return [
    { name: "resume after SIGKILL: max(lease expiry, new runner up) → 'resumed' (median of 5)", value: median(samples.map((s) => s.resume)), unit: "ms", note: `runner poll 20 ms, lease ${leaseMs} ms; samples ${samples.map((s) => Math.round(s.resume)).join(", ")}` },
    { name: "resume after SIGKILL: 'resumed' → next step completed (median)", value: median(samples.map((s) => s.nextStep)), unit: "ms", note: "includes waiting on the clone task the dead runner started (picked up by its UPID)" },
  ];
}
