import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/devkit/slack/clock.js";
import { RateLimiter } from "../../src/devkit/slack/rate-limit.js";

describe("stand-in rate limiter", () => {
  it("lets chat.postMessage burst per channel, then paces it at one per second", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, postMessageBurst: 3 });
    const results = Array.from({ length: 4 }, () => limiter.check("chat.postMessage", "C1"));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3]).toEqual({ allowed: false, retryAfterSec: 1 });
    // Another channel has its own allowance.
    expect(limiter.check("chat.postMessage", "C2").allowed).toBe(true);
    clock.advance(1000);
    expect(limiter.check("chat.postMessage", "C1").allowed).toBe(true);
    expect(limiter.check("chat.postMessage", "C1").allowed).toBe(false);
  });

  it("gives a Tier 2 method 20 calls, then asks to wait three seconds for the next (20 per minute)", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock });
    for (let i = 0; i < 20; i++) expect(limiter.check("usergroups.users.list").allowed).toBe(true);
    expect(limiter.check("usergroups.users.list")).toEqual({ allowed: false, retryAfterSec: 3 });
    clock.advance(3000);
    expect(limiter.check("usergroups.users.list").allowed).toBe(true);
  });

  it("Tier 1 allows one call a minute", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock });
    expect(limiter.check("apps.connections.open").allowed).toBe(true);
    expect(limiter.check("apps.connections.open")).toEqual({ allowed: false, retryAfterSec: 60 });
  });

  it("compresses time with scale, rounding Retry-After up to whole seconds", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, scale: 0.01 });
    expect(limiter.check("apps.connections.open").allowed).toBe(true);
    expect(limiter.check("apps.connections.open")).toEqual({ allowed: false, retryAfterSec: 1 });
    clock.advance(600); // one Slack minute at scale 0.01
    expect(limiter.check("apps.connections.open").allowed).toBe(true);
  });

  it("forced 429s come first, in order, then normal limits apply", () => {
    const limiter = new RateLimiter({ clock: new ManualClock() });
    limiter.force("chat.update", 2, 7);
    expect(limiter.takeForced("chat.update")).toEqual({ allowed: false, retryAfterSec: 7 });
    expect(limiter.takeForced("chat.update")).toEqual({ allowed: false, retryAfterSec: 7 });
    expect(limiter.takeForced("chat.update")).toBeUndefined();
    expect(limiter.check("chat.update").allowed).toBe(true);
  });
});
