/** The durable job runner over a real store (SQLite) and the simulator. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/adapters/store/index.js";
import type { Store } from "../../src/adapters/store/types.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { startPveEnv, type PveEnv } from "../support/pve-env.js";

describe("job runner", () => {
  let env: PveEnv;
  let store: Store;
  let runner: JobRunner;
  beforeAll(async () => {
    env = await startPveEnv();
    store = await openStore("sqlite::memory:");
    runner = new JobRunner({ store, engine: env.engine, pollMs: 20, leaseMs: 2000 });
    runner.start();
  });
  afterAll(async () => {
    await runner?.stop(5000);
    await store?.close();
    await env?.close();
  });

  const submitProvision = (name: string, key?: string, extra: Record<string, unknown> = {}) =>
    runner.submit({ kind: "provision", request: { profile: "lab", request: { name, requestedBy: "U0ALICE", ...extra } }, requester: "U0ALICE", cluster: "sim", profile: "lab", channel: "C0OPS", idempotencyKey: key ?? `k-${name}` });

  it("runs a provision job and records plan, steps with UPIDs, and the result", async () => {
    const { job, created } = await submitProvision("job1");
    expect(created).toBe(true);
    const done = await runner.waitForJob(job.id);
    expect(done.state).toBe("succeeded");
    expect(done.plan).toMatchObject({ kind: "provision", name: "job1" });
    expect(done.result).toMatchObject({ name: "job1" });
    const completed = done.steps.filter((s) => s.status === "completed").map((s) => s.name);
    expect(completed).toEqual(["create", "start", "wait-ip"]);
    expect(done.steps.find((s) => s.name === "create")!.upids[0]).toMatch(/^UPID:pve\d:.*:vzcreate:/);
    const types = (await store.listEvents(job.id)).map((e) => e.type);
    expect(types[0]).toBe("submitted");
    expect(types).toContain("plan-ready");
    expect(types).toContain("ready");
    expect(types.at(-1)).toBe("succeeded");
    // The guest carries the job id as its owner marker.
    const vmid = (done.result as { vmid: number }).vmid;
    expect(String(env.sim.state.guest(vmid)!.config.description)).toContain(`pve-chatops:${job.id}`);
  });

  it("the same idempotency key, also submitted concurrently, makes one job", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => submitProvision("idem1", "slack-cmd-abc")));
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    await runner.waitForJob(results[0]!.job.id);
    expect(env.sim.state.guests().filter((g) => g.name === "idem1")).toHaveLength(1);
  });

  it("a failing job ends failed with the user-facing error and leaves nothing", async () => {
    env.sim.faults.failNextTask({ type: "vzcreate" }, "unable to create CT - storage full");
    const { job } = await submitProvision("fail1");
    const done = await runner.waitForJob(job.id);
    expect(done.state).toBe("failed");
    expect(done.error?.code).toBe("PROVISION_FAILED");
    expect(done.error?.message).toMatch(/storage full/);
    expect(env.sim.state.guests().filter((g) => g.name === "fail1")).toHaveLength(0);
  });

  it("cancel between steps rolls back what the job created", async () => {
    const { job } = await submitProvision("cancel1", undefined, { docker: true });
    const stop = runner.onEvent(async (j, e) => {
      if (j.id === job.id && e.type === "step-finished" && (e.data as { step?: string }).step === "configure") await runner.cancel(job.id, "U0BOB");
    });
    const done = await runner.waitForJob(job.id);
    stop();
    expect(done.state).toBe("cancelled");
    expect(env.sim.state.guests().filter((g) => g.name === "cancel1")).toHaveLength(0);
    const types = (await store.listEvents(job.id)).map((e) => e.type);
    expect(types).toContain("cancel-requested");
    expect(types).toContain("rollback");
  });

  it("queues past the cluster limit and reports the position", async () => {
    const limited = new JobRunner({ store, engine: env.engine, pollMs: 20, leaseMs: 2000, clusterLimits: { sim: 1 } });
    await runner.stop(5000); // only the limited runner claims now
    const a = await submitProvision("q1");
    const b = await submitProvision("q2");
    const c = await submitProvision("q3");
    expect((await store.listEvents(c.job.id))[0]).toMatchObject({ type: "submitted", data: { ahead: 2 } });
    limited.start();
    let maxRunning = 0;
    const seen = setInterval(async () => {
      const running = await store.listJobs({ states: ["running"], cluster: "sim" });
      maxRunning = Math.max(maxRunning, running.length);
    }, 10);
    for (const j of [a, b, c]) expect((await limited.waitForJob(j.job.id)).state).toBe("succeeded");
    clearInterval(seen);
    await limited.stop(5000);
    runner.start();
    expect(maxRunning).toBe(1);
  });

  it("teardown, power and snapshot jobs", async () => {
    const { job } = await submitProvision("multi1");
    await runner.waitForJob(job.id);
    const snap = await runner.submit({ kind: "snapshot", request: { profile: "lab", target: { name: "multi1" }, op: { action: "create", name: "pre" } }, requester: "U0ALICE", cluster: "sim", profile: "lab" });
    expect((await runner.waitForJob(snap.job.id)).state).toBe("succeeded");
    const off = await runner.submit({ kind: "power", request: { profile: "lab", target: { name: "multi1" }, action: "stop" }, requester: "U0ALICE", cluster: "sim", profile: "lab" });
    expect((await runner.waitForJob(off.job.id)).state).toBe("succeeded");
    const td = await runner.submit({ kind: "teardown", request: { profile: "lab", target: { name: "multi1" } }, requester: "U0ALICE", cluster: "sim", profile: "lab" });
    expect((await runner.waitForJob(td.job.id)).state).toBe("succeeded");
    expect(env.sim.state.guests().filter((g) => g.name === "multi1")).toHaveLength(0);
  });

  it("rejects a malformed request for its kind before storing it", async () => {
    await expect(runner.submit({ kind: "power", request: { profile: "lab", target: { name: "x" }, action: "explode" }, requester: "U", cluster: "sim" })).rejects.toThrow(/action/);
  });
});
