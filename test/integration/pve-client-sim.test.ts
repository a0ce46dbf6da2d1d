/** The Proxmox client against the simulator (src/sim) over HTTPS on 127.0.0.1. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { apiConfigSchema } from "../../src/config/schema.js";
import { PveError } from "../../src/errors.js";
import { createPveClient, type CreatePveClientOptions } from "../../src/adapters/pve/client.js";
import type { PveClient } from "../../src/adapters/pve/types.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";
import { closedPort } from "./pve-client-fake-server.js";

let sim: PveSimulator;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sim = await startSimulator({ speed: 100, authFailureDelayMs: 10, guestSshPort: null, seed: 7 });
});
afterAll(async () => {
  await sim?.close();
});
afterEach(async () => {
  sim.faults.clear();
  sim.faults.apiDelayMs = 0;
  while (cleanups.length) await cleanups.pop()!();
});

function client(api: Record<string, unknown> = {}, extra: Partial<CreatePveClientOptions> = {}): PveClient {
  const c = createPveClient({
    cluster: "sim",
    api: apiConfigSchema.parse({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, ...api }),
    readRetry: { attempts: 2, baseMs: 1, maxMs: 2 },
    taskPollSchedule: () => 10, // the simulator runs at speed 100
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

const versionSchema = z.object({ version: z.string(), release: z.string() });
const upidSchema = z.string().startsWith("UPID:");

describe("client against the simulator", () => {
  it("GET /version with the pinned fingerprint", async () => {
    const v = await client().get("/version", undefined, { schema: versionSchema });
    expect(v.version).toMatch(/^\d+\.\d+/);
  });

  it("refuses a wrong fingerprint", async () => {
    const wrong = sim.fingerprint.replace(/^../, sim.fingerprint.startsWith("00") ? "11" : "00");
    const err = (await client({ fingerprint: wrong }).get("/version").catch((e: unknown) => e)) as PveError;
    expect(err).toBeInstanceOf(PveError);
    expect(err.kind).toBe("network");
    expect(err.pveMessage).toContain("TLS certificate fingerprint mismatch");
  });

  it("verifies with the CA file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pve-sim-ca-"));
    writeFileSync(join(dir, "ca.pem"), sim.certPem);
    const c = client({ fingerprint: undefined, ca: join(dir, "ca.pem") });
    await expect(c.get("/version", undefined, { schema: versionSchema })).resolves.toBeDefined();
  });

  it("a wrong secret is unauthorized (401 Authentication failed!)", async () => {
    const err = (await client({ tokenSecret: "00000000-0000-0000-0000-000000000000" }).get("/version").catch((e: unknown) => e)) as PveError;
    expect(err).toMatchObject({ kind: "unauthorized", status: 401, pveMessage: "Authentication failed!" });
  });

  it("waitForTask on a clone: onLog gets the task's log lines in order", async () => {
    const c = client();
    const upid = await c.post("/nodes/pve1/qemu/9000/clone", { newid: 700, name: "sim-clone-1", pool: "chatops" }, { schema: upidSchema });
    const lines: string[] = [];
    const result = await c.waitForTask(upid, { onLog: (l) => lines.push(l) });
    expect(result).toMatchObject({ upid, ok: true });
    const task = sim.state.tasks().find((t) => t.upid === upid)!;
    expect(task.exitstatus).toBe(result.exitstatus);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toBe("TASK OK");
    expect(lines).toEqual(task.log);
    expect(result.logTail).toEqual(task.log.slice(-20));
    expect(sim.state.guest(700)?.lock).toBeUndefined();
  });

  it("a failing task rejects with task-failed and the task's own message", async () => {
    const c = client();
    sim.faults.failNextTask({ type: "qmclone" }, "clone failed: simulated disk error");
    const upid = await c.post("/nodes/pve1/qemu/9000/clone", { newid: 701, name: "sim-clone-2", pool: "chatops" }, { schema: upidSchema });
    const err = (await c.waitForTask(upid).catch((e: unknown) => e)) as PveError;
    expect(err).toBeInstanceOf(PveError);
    expect(err.kind).toBe("task-failed");
    expect(err.upid).toBe(upid);
    expect(err.pveMessage).toContain("simulated disk error");
    expect(err.pveMessage).toBe(sim.state.tasks().find((t) => t.upid === upid)!.exitstatus);
  });

  it("595 from an offline node", async () => {
    sim.faults.setNodeOnline("pve2", false);
    cleanups.push(async () => sim.faults.setNodeOnline("pve2", true));
    const err = (await client().get("/nodes/pve2/status").catch((e: unknown) => e)) as PveError;
    expect(err).toMatchObject({ kind: "node-unreachable", status: 595 });
    expect(err.pveMessage).toMatch(/Errors during connection establishment/);
  });

  it("fails over to the second endpoint when the first is down", async () => {
    const dead = `https://127.0.0.1:${await closedPort()}`;
    const statuses: number[] = [];
    const c = client({ url: undefined, endpoints: [dead, sim.url] }, { metrics: { onRequest: (_m, _p, s) => statuses.push(s) } });
    await expect(c.get("/version", undefined, { schema: versionSchema })).resolves.toBeDefined();
    await expect(c.get("/version", undefined, { schema: versionSchema })).resolves.toBeDefined();
    expect(statuses).toEqual([0, 200, 200]);
  });

  it("the limiter keeps at most maxConcurrent requests in flight", async () => {
    sim.faults.apiDelayMs = 40;
    const spans: [number, number][] = [];
    const c = client(
      { maxConcurrent: 2, ratePerSecond: 1000 },
      { metrics: { onRequest: (_m, _p, _s, ms) => spans.push([performance.now() - ms, performance.now()]) } },
    );
    await Promise.all(Array.from({ length: 8 }, () => c.get("/cluster/resources", { type: "vm" })));
    expect(spans.length).toBe(8);
    // Largest number of request spans open at one instant (a span's end is its slot's release).
    const events = spans.flatMap(([s, e]) => [
      [s, 1],
      [e, -1],
    ]) as [number, number][];
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (open += d));
    expect(max).toBe(2);
  });
});
