/**
 * Waiting for a Proxmox task (UPID) to finish, reading its log as it grows. BEHAVIOUR.md §4:
 *  - only the node named in the UPID knows the task (another node answers 400 `no such task`);
 *  - `exitstatus` appears only once `status` is `stopped`: `OK`, `WARNINGS: n` (success) or the error text;
 *  - `GET …/log?start=N&limit=M` returns `[{n, t}]` with n counted from 1 (`start` is the 0-based offset);
 *    an empty log reads `[{n:1, t:"no content"}]`.
 */
import { z } from "zod";
import { PveError } from "../../errors.js";
import { parseUpid } from "./upid.js";
import type { PveParams, PveRequestOptions, TaskResult, WaitForTaskOptions } from "./types.js";
import { DEFAULT_TASK_POLL, sleep, type PollSchedule } from "./backoff.js";
import { taskFailedError } from "./errors.js";

type Get = <T>(path: string, params: PveParams | undefined, opts: PveRequestOptions & { schema: z.ZodType<T> }) => Promise<T>;

export interface TaskWaiterDeps {
  get: Get;
  cluster?: string;
  schedule?: PollSchedule;
  /**
   * How long to keep retrying `no such task` right after dispatch. On the right node this should not happen
   * (the worker opens its log before the UPID is returned, §4.4), but a node proxy or a cluster filesystem that
   * lags can show it for a moment; a persistent one means the wrong node and is reported.
   */
  noSuchTaskGraceMs?: number;
  now?: () => number;
}

const LOG_PAGE = 500;
const LOG_TAIL = 20;

const taskStatusSchema = z.looseObject({
  status: z.string(),
  exitstatus: z.string().optional(),
});

const logLinesSchema = z
  .array(z.looseObject({ n: z.coerce.number(), t: z.string() }))
  .nullable()
  .transform((l) => l ?? []);

/** `OK` and `WARNINGS: n` are success (pve-common RESTEnvironment.pm l.650-666). */
export function isTaskSuccess(exitstatus: string): boolean {
  return exitstatus === "OK" || /^WARNINGS: \d+$/.test(exitstatus);
}

function isNoSuchTask(err: unknown): boolean {
  if (!(err instanceof PveError)) return false;
  if (err.status !== 400 && err.status !== 500) return false;
  const texts = [err.pveMessage, ...Object.values(err.paramErrors ?? {})];
  return texts.some((t) => /no such task/.test(t));
}

export async function waitForTask(deps: TaskWaiterDeps, upid: string, opts: WaitForTaskOptions = {}): Promise<TaskResult> {
  const parsed = parseUpid(upid);
  if (!parsed) {
    throw new PveError({ kind: "bad-request", pveMessage: `not a Proxmox task ID (UPID): ${upid}`, cluster: deps.cluster });
  }
  const now = deps.now ?? Date.now;
  const schedule = deps.schedule ?? DEFAULT_TASK_POLL;
  const grace = deps.noSuchTaskGraceMs ?? 5_000;
  const started = now();
  const base = `/nodes/${parsed.node}/tasks/${upid}`;
  const reqOpts: PveRequestOptions = {};
  if (opts.timeoutMs !== undefined) reqOpts.timeoutMs = opts.timeoutMs;
  if (opts.signal !== undefined) reqOpts.signal = opts.signal;

  let linesSeen = 0;
  const tail: string[] = [];

  const readNewLogLines = async () => {
    for (;;) {
      const lines = await deps.get(`${base}/log`, { start: linesSeen, limit: LOG_PAGE }, { ...reqOpts, schema: logLinesSchema });
      const fresh = lines.filter((l) => l.n > linesSeen).sort((a, b) => a.n - b.n);
      // An empty log is a single placeholder line; it does not count, or we would skip the real line 1 later.
      if (linesSeen === 0 && fresh.length === 1 && fresh[0]!.n === 1 && fresh[0]!.t === "no content") return;
      for (const line of fresh) {
        linesSeen = line.n;
        tail.push(line.t);
        if (tail.length > LOG_TAIL) tail.shift();
        opts.onLog?.(line.t);
      }
      if (lines.length < LOG_PAGE) return;
    }
  };

  for (let poll = 0; ; poll++) {
    let status: z.infer<typeof taskStatusSchema> | undefined;
    try {
      status = await deps.get(`${base}/status`, undefined, { ...reqOpts, schema: taskStatusSchema });
    } catch (err) {
      if (!(isNoSuchTask(err) && now() - started < grace)) {
        if (err instanceof PveError && isNoSuchTask(err)) {
          throw new PveError({
            kind: "not-found",
            status: err.status,
            pveMessage: `no such task on node ${parsed.node} (is the UPID from another cluster?)`,
            upid,
            cluster: deps.cluster,
            cause: err,
          });
        }
        throw err;
      }
    }
    if (status) {
      // Read the log after the status: once `stopped` is seen, the log is complete, so nothing is missed.
      await readNewLogLines();
      if (status.status === "stopped") {
        const exitstatus = status.exitstatus ?? "unexpected status";
        const ok = isTaskSuccess(exitstatus);
        const result: TaskResult = { upid, exitstatus, ok, logTail: [...tail], durationMs: now() - started };
        if (!ok && opts.throwOnError !== false) {
          throw taskFailedError({ upid, exitstatus, ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}) });
        }
        return result;
      }
    }
    if (opts.maxWaitMs !== undefined && now() - started >= opts.maxWaitMs) {
      throw new PveError({
        kind: "timeout",
        pveMessage: `task still running after ${opts.maxWaitMs} ms (it keeps running on Proxmox)`,
        upid,
        cluster: deps.cluster,
      });
    }
    let delay = schedule(poll);
    if (opts.maxWaitMs !== undefined) delay = Math.max(0, Math.min(delay, started + opts.maxWaitMs - now()));
    await sleep(delay, opts.signal);
  }
}
