/**
 * The contract between the engine and the Proxmox API client (src/adapters/pve/client.ts).
 * Paths are API paths without the `/api2/json` prefix, e.g. `/nodes/pve1/qemu/100/status/current`.
 */
import type { z } from "zod";

/** Parameter values as the caller gives them; the client encodes them as Proxmox wants (booleans as 1/0). */
export type PveParamValue = string | number | boolean | undefined;
export type PveParams = Readonly<Record<string, PveParamValue>>;

export interface PveRequestOptions {
  /** Per-request timeout; default from the cluster config. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TaskStatus {
  upid: string;
  node: string;
  status: "running" | "stopped";
  /** Present only when stopped: `OK`, `WARNINGS: n`, or the error text. */
  exitstatus?: string;
  type: string;
  id: string;
}

export interface TaskResult {
  upid: string;
  exitstatus: string;
  /** True for `OK` and `WARNINGS: n`. */
  ok: boolean;
  /** The last lines of the task log (up to 20). */
  logTail: string[];
  durationMs: number;
}

export interface WaitForTaskOptions extends PveRequestOptions {
  /** Called with each new task log line, in order, as it appears. */
  onLog?: (line: string) => void;
  /** Give up after this long (the task keeps running on Proxmox). Default: no limit besides `signal`. */
  maxWaitMs?: number;
  /** Reject with a PveError(kind "task-failed") when the task ends with an error. Default true. */
  throwOnError?: boolean;
}

export interface PveClient {
  /** Cluster name from the config (used in errors and metrics). */
  readonly cluster: string;
  /** GET, returns `data` unwrapped, parsed with `schema` when given (throws on a shape mismatch). */
  get<T = unknown>(path: string, params?: PveParams, opts?: PveRequestOptions & { schema?: z.ZodType<T> }): Promise<T>;
  post<T = unknown>(path: string, params?: PveParams, opts?: PveRequestOptions & { schema?: z.ZodType<T> }): Promise<T>;
  put<T = unknown>(path: string, params?: PveParams, opts?: PveRequestOptions & { schema?: z.ZodType<T> }): Promise<T>;
  delete<T = unknown>(path: string, params?: PveParams, opts?: PveRequestOptions & { schema?: z.ZodType<T> }): Promise<T>;
  /** Polls the task on the node named in the UPID until it stops. */
  waitForTask(upid: string, opts?: WaitForTaskOptions): Promise<TaskResult>;
  close(): Promise<void>;
}
