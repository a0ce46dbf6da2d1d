/**
 * Simulated durations. Every duration in the simulator is given "at speed 1" (roughly what a real cluster
 * takes) and divided by `speed`. All timers go through one Scheduler so `close()` can stop every one of them.
 */
import { TaskInterrupted } from "./errors.js";

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<(err: Error) => void>();
  private closed = false;

  constructor(readonly speed: number) {
    if (!(speed > 0)) throw new RangeError("speed must be > 0");
  }

  /** Real milliseconds for a simulated duration. */
  scale(simMs: number): number {
    return simMs / this.speed;
  }

  /** Runs `fn` after a *real* delay; the handle is forgotten once it fires. */
  after(realMs: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, realMs));
    this.timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Waits a *simulated* duration (scaled by speed). Rejects with TaskInterrupted on abort or close. */
  sleepSim(simMs: number, signal?: AbortSignal): Promise<void> {
    return this.sleepReal(this.scale(simMs), signal);
  }

  sleepReal(realMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new TaskInterrupted("simulator closed"));
    if (signal?.aborted) return Promise.reject(new TaskInterrupted());
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        this.sleepers.delete(onClose);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onClose = (err: Error) => {
        this.cancel(t);
        finish(err);
      };
      const onAbort = () => {
        this.cancel(t);
        finish(new TaskInterrupted());
      };
      const t = this.after(realMs, () => finish());
      this.sleepers.add(onClose);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of [...this.sleepers]) s(new TaskInterrupted("simulator closed"));
    this.sleepers.clear();
  }
}

/** A small deterministic PRNG (mulberry32) for MACs and UUIDs when a seed is given. */
export function makeRandom(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
