/**
 * Proxmox tasks (workers). Each mutating call starts one: it gets a real-format UPID at once, runs for a
 * simulated duration, writes log lines as it goes and ends `TASK OK` or `TASK ERROR: <message>`
 * (pve-common RESTEnvironment.pm `fork_worker`, UPID.pm).
 */
import { formatUpid } from "../adapters/pve/upid.js";
import type { Scheduler } from "./clock.js";
import { TaskFailure, TaskInterrupted } from "./errors.js";

export interface SimTask {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  /** The full token id (`chatops@pve!bot`) or user. */
  user: string;
  status: "running" | "stopped";
  exitstatus?: string;
  endtime?: number;
  /** Real wall-clock start and end in ms (the UPID's seconds are too coarse for benchmarks). */
  startedMs: number;
  endedMs?: number;
  log: string[];
  /** Another VMID the task works on (a clone's newid), for fault matching. */
  targetVmid?: number;
  readonly abort: AbortController;
  /** Set by `failNextTask`: the task ends with this error at its first step. */
  injectedFailure?: string;
}

export interface TaskContext {
  readonly task: SimTask;
  log(line: string): void;
  /** A warning line: the task then ends `WARNINGS: n` instead of `OK`. */
  warn(line: string): void;
  /** Sleeps a simulated duration; throws an injected failure or an interrupt afterwards. */
  step(simMs: number): Promise<void>;
  readonly signal: AbortSignal;
}

export type TaskBody = (ctx: TaskContext) => Promise<void>;

export interface TaskFaultHook {
  /** Returns the message of an injected failure for this task, consuming it. */
  takeTaskFailure(task: SimTask): string | undefined;
}

export class TaskManager {
  private readonly tasks: SimTask[] = [];
  private readonly byUpid = new Map<string, SimTask>();
  private pid = 0x1000 + Math.floor(Math.random() * 0xf0000);
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly sched: Scheduler,
    private readonly faults: TaskFaultHook,
    private readonly bootAtOf: (node: string) => number,
    private readonly onFinish: (task: SimTask) => void = () => {},
  ) {}

  all(): readonly SimTask[] {
    return this.tasks;
  }

  get(upid: string): SimTask | undefined {
    return this.byUpid.get(upid);
  }

  /** Starts a worker and returns its UPID (the task exists before the caller sees the UPID). */
  start(init: { node: string; type: string; id: string; user: string; targetVmid?: number }, body: TaskBody): string {
    const now = Date.now();
    const pid = (this.pid += 1 + Math.floor(Math.random() * 40));
    // pstart is the process start in jiffies (100 Hz) since the node booted.
    const pstart = Math.floor((now - this.bootAtOf(init.node)) / 10) % 0xfffffffff;
    const starttime = Math.floor(now / 1000);
    const upid = formatUpid({ node: init.node, pid, pstart, starttime, type: init.type, id: init.id, user: init.user });
    const task: SimTask = {
      upid,
      node: init.node,
      pid,
      pstart,
      starttime,
      type: init.type,
      id: init.id,
      user: init.user,
      status: "running",
      startedMs: now,
      log: [],
      abort: new AbortController(),
      ...(init.targetVmid !== undefined ? { targetVmid: init.targetVmid } : {}),
    };
    const injected = this.faults.takeTaskFailure(task);
    if (injected !== undefined) task.injectedFailure = injected;
    this.tasks.push(task);
    this.byUpid.set(upid, task);
    if (this.tasks.length > 20_000) {
      const old = this.tasks.splice(0, 5_000);
      for (const t of old) if (t.status === "stopped") this.byUpid.delete(t.upid);
    }

    let warnings = 0;
    const ctx: TaskContext = {
      task,
      signal: task.abort.signal,
      log: (line) => {
        if (task.status === "running") task.log.push(line);
      },
      warn: (line) => {
        if (task.status !== "running") return;
        warnings++;
        task.log.push(`WARN: ${line}`);
      },
      step: async (simMs) => {
        await this.sched.sleepSim(simMs, task.abort.signal);
        if (task.injectedFailure !== undefined) {
          const msg = task.injectedFailure;
          delete task.injectedFailure;
          throw new TaskFailure(msg, true);
        }
      },
    };
    const run = (async () => {
      // Let the HTTP answer with the UPID go out before the worker does anything.
      await Promise.resolve();
      try {
        await body(ctx);
        this.finish(task, warnings > 0 ? `WARNINGS: ${warnings}` : "OK");
      } catch (err) {
        if (this.sched.isClosed) return;
        if (err instanceof TaskInterrupted) {
          task.log.push("received interrupt");
          this.finish(task, "interrupted by signal");
        } else {
          const msg = err instanceof Error ? err.message : String(err);
          this.finish(task, msg.replace(/\s*\n\s*/g, " ").trim());
        }
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return upid;
  }

  private finish(task: SimTask, exitstatus: string): void {
    if (task.status === "stopped") return;
    task.log.push(exitstatus === "OK" ? "TASK OK" : exitstatus.startsWith("WARNINGS: ") ? `TASK ${exitstatus}` : `TASK ERROR: ${exitstatus}`);
    task.status = "stopped";
    task.exitstatus = exitstatus;
    task.endedMs = Date.now();
    task.endtime = Math.floor(task.endedMs / 1000);
    this.onFinish(task);
  }

  /** `DELETE /nodes/{node}/tasks/{upid}`: the worker gets a signal. */
  stop(task: SimTask): void {
    if (task.status === "running") task.abort.abort();
  }

  /** Waits for every worker to notice the scheduler closed. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

export { TaskFailure };
