import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { PveError } from "../../src/errors.js";
import { waitForTask, isTaskSuccess } from "../../src/adapters/pve/tasks.js";
import { pveErrorFromResponse } from "../../src/adapters/pve/errors.js";
import type { PveParams } from "../../src/adapters/pve/types.js";

const UPID = "UPID:pve2:00000ACD:00006AE8:679A423B:qmclone:9000:chatops@pve!bot:";

/** A scripted task: each status poll advances one step; the log grows with the steps. */
function fakeTask(script: { lines: string[]; exitstatus: string; noSuchTaskPolls?: number }) {
  const calls: string[] = [];
  let polls = 0;
  let visible = 0;
  const get = async <T>(path: string, params: PveParams | undefined, opts: { schema: z.ZodType<T> }): Promise<T> => {
    calls.push(`${path}${params ? ` start=${params.start}` : ""}`);
    if (path.endsWith("/status")) {
      polls++;
      if (polls <= (script.noSuchTaskPolls ?? 0)) {
        throw pveErrorFromResponse({ status: 400, statusText: "Parameter verification failed.", body: '{"errors":{"upid":"no such task"},"data":null}' });
      }
      visible = Math.min(script.lines.length, visible + 2);
      const done = visible >= script.lines.length;
      return opts.schema.parse(done ? { status: "stopped", exitstatus: script.exitstatus } : { status: "running" });
    }
    const start = Number(params?.start ?? 0);
    const lines = script.lines.slice(start, visible).map((t, i) => ({ n: start + i + 1, t }));
    return opts.schema.parse(lines.length ? lines : visible === 0 ? [{ n: 1, t: "no content" }] : []);
  };
  return { get, calls };
}

const instant = () => 0;

describe("waitForTask", () => {
  it("polls the node named in the UPID and hands every log line to onLog once, in order", async () => {
    const lines = ["create full clone of drive scsi0 (local-lvm:base-9000-disk-0)", "transferred 1.0 GiB of 32.0 GiB (3.12%)", "transferred 32.0 GiB of 32.0 GiB (100.00%)", "TASK OK"];
    const t = fakeTask({ lines, exitstatus: "OK" });
    const seen: string[] = [];
    const r = await waitForTask({ get: t.get, schedule: instant }, UPID, { onLog: (l) => seen.push(l) });
    expect(seen).toEqual(lines);
    expect(r).toMatchObject({ upid: UPID, exitstatus: "OK", ok: true, logTail: lines });
    expect(t.calls.every((c) => c.startsWith(`/nodes/pve2/tasks/${UPID}/`))).toBe(true);
  });

  it("keeps only the last 20 lines as logTail", async () => {
    const lines = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`);
    const t = fakeTask({ lines, exitstatus: "WARNINGS: 2" });
    const r = await waitForTask({ get: t.get, schedule: instant }, UPID);
    expect(r.ok).toBe(true);
    expect(r.logTail).toEqual(lines.slice(-20));
  });

  it("throws task-failed with the task's own exit status", async () => {
    const t = fakeTask({ lines: ["TASK ERROR: clone failed: VM is locked (clone)"], exitstatus: "clone failed: VM is locked (clone)" });
    const err = await waitForTask({ get: t.get, schedule: instant, cluster: "lab" }, UPID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PveError);
    expect(err).toMatchObject({ kind: "task-failed", pveMessage: "clone failed: VM is locked (clone)", upid: UPID, cluster: "lab", lock: "clone" });
  });

  it("returns the failure instead when throwOnError is false", async () => {
    const t = fakeTask({ lines: ["TASK ERROR: boom"], exitstatus: "boom" });
    const r = await waitForTask({ get: t.get, schedule: instant }, UPID, { throwOnError: false });
    expect(r).toMatchObject({ ok: false, exitstatus: "boom" });
  });

  it("retries a brief 'no such task' right after dispatch", async () => {
    const t = fakeTask({ lines: ["TASK OK"], exitstatus: "OK", noSuchTaskPolls: 2 });
    const r = await waitForTask({ get: t.get, schedule: instant }, UPID);
    expect(r.ok).toBe(true);
  });

  it("reports a persistent 'no such task' as not-found", async () => {
    let clock = 0;
    const t = fakeTask({ lines: ["TASK OK"], exitstatus: "OK", noSuchTaskPolls: 1000 });
    const err = await waitForTask({ get: t.get, schedule: () => 0, noSuchTaskGraceMs: 50, now: () => (clock += 10) }, UPID).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "not-found", upid: UPID });
  });

  it("rejects something that is not a UPID", async () => {
    const t = fakeTask({ lines: [], exitstatus: "OK" });
    await expect(waitForTask({ get: t.get }, "UPID:nope")).rejects.toMatchObject({ kind: "bad-request" });
  });

  it("gives up after maxWaitMs with a timeout naming the UPID", async () => {
    let clock = 0;
    const lines = Array.from({ length: 100 }, (_, i) => `l${i}`);
    const t = fakeTask({ lines, exitstatus: "OK" });
    const err = await waitForTask({ get: t.get, schedule: () => 0, now: () => (clock += 100) }, UPID, { maxWaitMs: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", upid: UPID });
  });

  it("knows success exit statuses", () => {
    expect(isTaskSuccess("OK")).toBe(true);
    expect(isTaskSuccess("WARNINGS: 3")).toBe(true);
    expect(isTaskSuccess("interrupted by signal")).toBe(false);
    expect(isTaskSuccess("unexpected status")).toBe(false);
  });
});
