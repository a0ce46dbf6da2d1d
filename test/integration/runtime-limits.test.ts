/** The config's queue limits reach the job runner: clusters.<name>.maxJobs and a profile's maxJobs. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedDefaultConfig, type LoadedConfig } from "../../src/config/load.js";
import { buildRuntime, type Runtime } from "../../src/main.js";
import { FAST_TIMING, freePort, simClient } from "../support/pve-env.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";

describe("queue limits from the config", () => {
  let sim: PveSimulator;
  let runtime: Runtime;
  beforeAll(async () => {
    sim = await startSimulator({ speed: 50, authFailureDelayMs: 10, guestSshPort: await freePort() });
    const base = embeddedDefaultConfig({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret });
    // The embedded config is frozen; build a copy with maxJobs 1 on the cluster.
    const cluster = base.config.clusters.sim!;
    const loaded: LoadedConfig = { ...base, config: { ...base.config, clusters: { sim: { ...cluster, maxJobs: 1 } } } };
    runtime = await buildRuntime(loaded, { storeUrl: "sqlite::memory:", clients: new Map([["sim", simClient(sim)]]), engineTiming: FAST_TIMING, runner: { pollMs: 10 } });
    runtime.runner.start();
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
  });

  it("runs one job at a time on a cluster with maxJobs: 1; the others wait in order", async () => {
    const jobs = [];
    for (const name of ["lim1", "lim2", "lim3"]) {
      jobs.push((await runtime.runner.submit({ kind: "provision", request: { profile: "lab", request: { name } }, requester: "U0TEST", cluster: "sim", profile: "lab" })).job);
    }
    let maxRunning = 0;
    const watch = setInterval(async () => {
      maxRunning = Math.max(maxRunning, (await runtime.store.listJobs({ states: ["running"] })).length);
    }, 5);
    const done = [];
    for (const j of jobs) done.push(await runtime.runner.waitForJob(j.id, 60_000));
    clearInterval(watch);
    expect(done.map((j) => j.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(maxRunning).toBe(1);
    // They ran in submission order.
    const started = done.map((j) => j.finishedAt!.getTime());
    expect([...started].sort((a, b) => a - b)).toEqual(started);
  });
});
