/**
 * Slack Web API rate limits, modelled as token buckets (docs.slack.dev/apis/web-api/rate-limits).
 *
 * Tiers are "N+ per minute" with bursts tolerated: a bucket holds N calls and refills at N per minute.
 * chat.postMessage is "special": about one message per second per channel, short bursts allowed; we give each
 * channel a bucket of `postMessageBurst` refilling at 1/s. (Slack also has a workspace-wide posting limit that
 * it does not publish; not modelled.)
 *
 * Tiers per method, from each method's page on docs.slack.dev / api.slack.com:
 *   chat.update Tier 3, chat.postEphemeral Tier 4, views.open/update/publish/push Tier 4,
 *   usergroups.users.list Tier 2, users.info Tier 4, conversations.info Tier 3, apps.connections.open Tier 1,
 *   auth.test "special" (generous; we treat it as Tier 4).
 *
 * `scale` compresses time for tests: with scale 0.01 a one-minute window lasts 600 ms of real time, and the
 * Retry-After we report is the real wait, rounded up to whole seconds as Slack's header is (WebClient parses
 * it with parseInt and sleeps that many seconds).
 */
import type { Clock } from "./clock.js";

export type RateLimitPolicy =
  | { kind: "tier"; tier: 1 | 2 | 3 | 4 }
  | { kind: "per-channel"; perSecond: number }
  | { kind: "none" };

const PER_MINUTE_BY_TIER = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;

export const METHOD_RATE_LIMITS: Readonly<Record<string, RateLimitPolicy>> = {
  "chat.postMessage": { kind: "per-channel", perSecond: 1 },
  "chat.update": { kind: "tier", tier: 3 },
  "chat.postEphemeral": { kind: "tier", tier: 4 },
  "chat.delete": { kind: "tier", tier: 3 },
  "views.open": { kind: "tier", tier: 4 },
  "views.update": { kind: "tier", tier: 4 },
  "views.push": { kind: "tier", tier: 4 },
  "views.publish": { kind: "tier", tier: 4 },
  "usergroups.users.list": { kind: "tier", tier: 2 },
  "users.info": { kind: "tier", tier: 4 },
  "conversations.info": { kind: "tier", tier: 3 },
  "apps.connections.open": { kind: "tier", tier: 1 },
  "auth.test": { kind: "tier", tier: 4 },
};

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

interface Bucket {
  tokens: number;
  /** Real clock time of the last refill. */
  at: number;
}

export interface RateLimiterOptions {
  clock: Clock;
  /** Real time per Slack time; 1 = Slack's real speed, 0.01 = a hundred times faster. */
  scale?: number;
  /** How many messages a channel may take at once before the 1/s pace applies. */
  postMessageBurst?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly forced = new Map<string, Array<number>>();
  private readonly clock: Clock;
  private readonly scale: number;
  private readonly postMessageBurst: number;

  constructor(opts: RateLimiterOptions) {
    this.clock = opts.clock;
    this.scale = opts.scale ?? 1;
    this.postMessageBurst = opts.postMessageBurst ?? 3;
    if (!(this.scale > 0)) throw new RangeError("rate limit scale must be > 0");
  }

  /** The next `times` calls to `method` get a 429 with `Retry-After: retryAfterSec`, whatever the buckets say. */
  force(method: string, times: number, retryAfterSec: number): void {
    const queue = this.forced.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(retryAfterSec);
    this.forced.set(method, queue);
  }

  reset(): void {
    this.buckets.clear();
    this.forced.clear();
  }

  /** Forced 429s apply even when rate limiting is otherwise disabled. */
  takeForced(method: string): RateDecision | undefined {
    const queue = this.forced.get(method);
    const retryAfterSec = queue?.shift();
    return retryAfterSec === undefined ? undefined : { allowed: false, retryAfterSec };
  }

  /** Spend one call of `method` (for chat.postMessage, in `channel`). */
  check(method: string, channel?: string): RateDecision {
    const policy = METHOD_RATE_LIMITS[method] ?? { kind: "tier", tier: 4 };
    if (policy.kind === "none") return { allowed: true };
    let capacity: number;
    let perSlackMs: number;
    let key: string;
    if (policy.kind === "per-channel") {
      capacity = this.postMessageBurst;
      perSlackMs = policy.perSecond / 1000;
      key = `${method}:${channel ?? ""}`;
    } else {
      const perMinute = PER_MINUTE_BY_TIER[policy.tier];
      capacity = perMinute;
      perSlackMs = perMinute / 60_000;
      key = method;
    }
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const elapsedSlackMs = Math.max(0, now - bucket.at) / this.scale;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSlackMs * perSlackMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const waitRealMs = ((1 - bucket.tokens) / perSlackMs) * this.scale;
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(waitRealMs / 1000)) };
  }
}
