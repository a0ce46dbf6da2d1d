/**
 * What steps need at run time: the client, a progress sink, cancellation, a clock, and the polling schedule.
 * Polling starts fast and slows down (most waits are short; long ones should not hammer the API).
 */
import type { PveClient, TaskResult } from "../adapters/pve/types.js";
import { Cancelled, PveError, ReadinessTimeout } from "../errors.js";
import type { ProgressListener } from "./types.js";

export interface EngineTiming {
  /** First poll interval when waiting for a guest (agent, IP, SSH, lock, gone). */
  pollMinMs: number;
  /** Poll interval cap. */
  pollMaxMs: number;
  /** How often a still-running wait reports "waiting …" progress. */
  waitingEventEveryMs: number;
  /** How long to wait for a destroyed guest to vanish from /cluster/resources. */
  goneTimeoutMs: number;
  /** How long to wait for a config lock to clear after a clone or create. */
  unlockTimeoutMs: number;
}

export const DEFAULT_TIMING: EngineTiming = {
  pollMinMs: 250,
  pollMaxMs: 1_000,
  waitingEventEveryMs: 10_000,
  goneTimeoutMs: 120_000,
  unlockTimeoutMs: 60_000,
};

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Cancelled("Cancelled."));
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new Cancelled("Cancelled."));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export interface RunContext {
  client: PveClient;
  emit: ProgressListener;
  signal?: AbortSignal;
  clock: Clock;
  timing: EngineTiming;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Cancelled("Cancelled.");
}

/** Waits for a Proxmox task, reporting it as part of `step`. */
export async function runTask(ctx: RunContext, step: string, upid: string, guest?: number): Promise<TaskResult> {
  ctx.emit({ type: "task-started", step, upid, ...(guest !== undefined ? { guest } : {}) });
  const tail: string[] = [];
  try {
    return await ctx.client.waitForTask(upid, {
      onLog: (line) => {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
        ctx.emit({ type: "task-log", step, upid, line });
      },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    if (err instanceof PveError && !err.logTail?.length) err.logTail = [...tail];
    throw err;
  }
}

const LOG_TAIL_LINES = 20;

/**
 * Polls `probe` until it returns a value. `probe` returns undefined for "not yet" and throws for failures that
 * waiting will not fix. Reports progress every `waitingEventEveryMs`.
 */
export async function waitUntil<T>(
  ctx: RunContext,
  opts: { step: string; what: string; timeoutMs: number; guest?: number; hedge?: number },
  probe: () => Promise<T | undefined>,
): Promise<T> {
  if ((opts.hedge ?? 1) > 1) return waitUntilHedged(ctx, { ...opts, hedge: opts.hedge! }, probe);
  const start = ctx.clock.now();
  let interval = ctx.timing.pollMinMs;
  let lastReport = -Infinity;
  for (;;) {
    throwIfCancelled(ctx.signal);
    const value = await probe();
    if (value !== undefined) return value;
    const elapsed = ctx.clock.now() - start;
    lastReport = checkWaiting(ctx, opts, elapsed, lastReport);
    await ctx.clock.sleep(Math.min(interval, Math.max(0, opts.timeoutMs - elapsed)), ctx.signal);
    interval = Math.min(ctx.timing.pollMaxMs, Math.round(interval * 1.5));
  }
}

/** Throws on timeout; reports "waiting …" every `waitingEventEveryMs`. Returns when it last reported. */
function checkWaiting(ctx: RunContext, opts: { step: string; what: string; timeoutMs: number; guest?: number }, elapsed: number, lastReport: number): number {
  if (elapsed >= opts.timeoutMs) {
    throw new ReadinessTimeout(`Gave up waiting for ${opts.what} after ${Math.round(elapsed / 1000)} s.`);
  }
  if (elapsed - lastReport < ctx.timing.waitingEventEveryMs) return lastReport;
  ctx.emit({ type: "waiting", step: opts.step, what: opts.what, elapsedMs: elapsed, ...(opts.guest !== undefined ? { guest: opts.guest } : {}) });
  return elapsed;
}

/**
 * Like `waitUntil`, for probes that block while the answer is "not yet": Proxmox's guest-agent calls try
 * guest-ping for 3 s before failing (qemu-server Agent.pm), so one probe at a time notices a guest up to 3 s
 * late. Here a new probe starts every poll interval while at most `hedge` are in flight, so the first answer
 * after the agent comes up arrives within one interval. `hedge` bounds the load on the cluster.
 */
async function waitUntilHedged<T>(
  ctx: RunContext,
  opts: { step: string; what: string; timeoutMs: number; guest?: number; hedge: number },
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const start = ctx.clock.now();
  let interval = ctx.timing.pollMinMs;
  let lastReport = -Infinity;
  let inFlight = 0;
  let failure: unknown;
  let found: { value: T } | undefined;
  let wake: () => void = () => undefined;
  const launch = () => {
    inFlight++;
    probe().then(
      (v) => {
        inFlight--;
        if (v !== undefined && !found) found = { value: v };
        wake();
      },
      (err: unknown) => {
        inFlight--;
        if (failure === undefined) failure = err;
        wake();
      },
    );
  };
  for (;;) {
      throwIfCancelled(ctx.signal);
      if (found) return found.value;
      if (failure !== undefined) throw failure;
      const elapsed = ctx.clock.now() - start;
      lastReport = checkWaiting(ctx, opts, elapsed, lastReport);
      if (inFlight < opts.hedge) launch();
      // Wait for the next interval or for a probe to answer, whichever comes first.
      await Promise.race([
        ctx.clock.sleep(Math.min(interval, Math.max(0, opts.timeoutMs - elapsed)), ctx.signal),
        new Promise<void>((resolve) => (wake = resolve)),
      ]);
      interval = Math.min(ctx.timing.pollMaxMs, Math.round(interval * 1.5));
  }
}
