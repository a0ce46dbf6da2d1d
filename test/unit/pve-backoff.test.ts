import { describe, expect, it } from "vitest";
import { LOCK_TIMEOUT_RETRY, READ_RETRY, adaptivePollSchedule, backoffDelayMs, DEFAULT_TASK_POLL, sleep } from "../../src/adapters/pve/backoff.js";
import { Cancelled } from "../../src/errors.js";

describe("backoffDelayMs", () => {
  it("doubles the ceiling per retry up to maxMs (random pinned to its top)", () => {
    const top = () => 0.999999;
    const policy = { attempts: 6, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((r) => backoffDelayMs(r, policy, top))).toEqual([99, 199, 399, 799, 999]);
  });
  it("is full jitter: 0 at the bottom of the random range", () => {
    expect(backoffDelayMs(3, READ_RETRY, () => 0)).toBe(0);
    expect(backoffDelayMs(2, LOCK_TIMEOUT_RETRY, () => 0.5)).toBe(1000);
  });
  it("never exceeds the cap", () => {
    for (let r = 1; r < 30; r++) expect(backoffDelayMs(r, LOCK_TIMEOUT_RETRY, () => 0.9999)).toBeLessThan(LOCK_TIMEOUT_RETRY.maxMs);
  });
});

describe("task poll schedule", () => {
  it("starts at 100 ms and doubles to a 2 s cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => Math.round(DEFAULT_TASK_POLL(n)))).toEqual([100, 150, 225, 338, 506, 759, 1000, 1000]);
    expect([0, 1, 2].map(adaptivePollSchedule(1, 2, 2))).toEqual([1, 2, 2]);
  });
});

describe("sleep", () => {
  it("rejects with Cancelled when aborted", async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(Cancelled);
  });
});
