/** Retry and polling schedules of the Proxmox client, with their numbers explained. */
import { Cancelled } from "../../errors.js";

export interface RetryPolicy {
  /** Total tries including the first one. */
  attempts: number;
  /** Delay cap before the first retry; doubles for each further retry. */
  baseMs: number;
  /** Upper bound for one delay. */
  maxMs: number;
}

/**
 * GETs after a network error, a 5xx or a 595/596: 3 tries, 250 ms → 500 ms (full jitter). A pveproxy restart
 * (e.g. after a certificate renewal or package upgrade) drops connections for well under a second, and a node
 * that is really down should surface quickly as `node-unreachable` rather than stall a Slack reply.
 */
export const READ_RETRY: RetryPolicy = { attempts: 3, baseMs: 250, maxMs: 2_000 };

/**
 * Lock *timeouts* (`can't lock file … got timeout`, `cfs-lock … got lock request timeout`) on any method: the
 * server already waited up to 10 s for the lock (pve-common Tools.pm `lock_file_full` default) and did nothing, so
 * resending is safe. 4 tries with 1 s → 2 s → 4 s (capped 5 s) spreads contending clients out instead of
 * hammering the same flock again at once (many parallel clones to one storage: ionos-cloud/cluster-api-provider-proxmox#389).
 */
export const LOCK_TIMEOUT_RETRY: RetryPolicy = { attempts: 4, baseMs: 1_000, maxMs: 5_000 };

/**
 * Delay before retry number `retry` (1 = first retry): "full jitter" exponential backoff, a uniformly random
 * delay in [0, min(maxMs, baseMs·2^(retry-1))]. Random spread keeps several bot replicas (or many jobs) from
 * retrying in lock-step against the same lock. `random` is injectable so tests can pin it.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (retry < 1) return 0;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Task polling: the n-th wait (0-based) between status reads. Most API tasks (config, start, a linked clone) end
 * within a second, so start fast (100 ms) and double up to 2 s, which keeps a long full clone at ≤ 0.5 req/s per
 * task. Injectable (client option `taskPollSchedule`) so tests and the simulator's speed factor can shorten it.
 */
export type PollSchedule = (n: number) => number;

export function adaptivePollSchedule(initialMs = 100, maxMs = 1_000, factor = 1.5): PollSchedule {
  return (n) => Math.min(maxMs, initialMs * factor ** Math.max(0, n));
}

/**
 * 100 ms growing by half each poll to a 1 s cap: short tasks (config, start) are seen within ~100-200 ms, long
 * ones (full clones, migrations) cost one status call a second — about what Proxmox's own web UI does.
 */
export const DEFAULT_TASK_POLL: PollSchedule = adaptivePollSchedule(100, 1_000);

/** Waits `ms`, or rejects with Cancelled as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledFrom(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledFrom(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function cancelledFrom(signal: AbortSignal): Cancelled {
  return new Cancelled("The Proxmox request was cancelled.", { cause: signal.reason });
}
