/**
 * The cluster watcher: polls a cluster and turns what changed into typed events. No Slack here; a transport decides
 * what is worth telling whom (src/transport/slack/notifications.ts).
 *
 * Each poll reads three lists:
 *   - `/cluster/status`: nodes and their `online` flag (what corosync knows; the quickest to see a node go);
 *   - `/cluster/tasks`: recent tasks of every node; a finished task has `status` = its exit status ("OK",
 *     "WARNINGS: n", or the error text) and the owner in `user` (+ `tokenid` for API tokens: pve-manager
 *     API2/Tasks.pm splits `user@realm!token`);
 *   - `/cluster/resources`: guests and their `hastate` (the HA manager's service state: started, stopped, error,
 *     fence, recovery, freeze, migrate, relocate, …).
 * The first poll is the baseline: it reports the current node states and HA states as `initial` events (a
 * restarted bot uses them to close incidents that ended while it was away) and no tasks (they are history).
 * After that, only changes: a node going offline or coming back, a task that finished since the last poll and was
 * not started by the bot (neither by its API token nor with a UPID the bot's jobs recorded), and a guest whose HA
 * state changed between two known states (adding a guest to HA or removing it is configuration, not an event).
 * A list that cannot be read this time is skipped, not treated as "everything went away".
 */
import { z } from "zod";
import type { PveClient } from "../adapters/pve/types.js";
import { parseUpid } from "../adapters/pve/upid.js";
import { silentLogger, type Logger } from "../log.js";
import { readClusterView } from "./cluster.js";

export type ClusterEvent =
  | { type: "node-offline"; cluster: string; node: string; initial: boolean }
  | { type: "node-online"; cluster: string; node: string; initial: boolean }
  | { type: "task-failed"; cluster: string; upid: string; node: string; taskType: string; id: string; user: string; status: string; endtime?: number }
  | { type: "task-ok"; cluster: string; upid: string; node: string; taskType: string; id: string; user: string; status: string; endtime?: number }
  | {
      type: "ha-state";
      cluster: string;
      vmid: number;
      name: string;
      node: string;
      guestType: "qemu" | "lxc";
      from: string | undefined;
      to: string;
      initial: boolean;
    };

export type ClusterEventListener = (event: ClusterEvent) => void | Promise<void>;

export interface ClusterWatcherOptions {
  client: PveClient;
  cluster: string;
  /** The bot's own API token (`user@realm!name`): its tasks are the bot's and are never reported. */
  botTokenId?: string;
  /** UPIDs the bot's jobs recorded (e.g. from the store's job steps), read once per poll. */
  knownUpids?: () => Promise<ReadonlySet<string>> | ReadonlySet<string>;
  /** Poll period. Default 30 s: a node outage is noticed within a minute without loading the API. */
  pollMs?: number;
  /** Per-request timeout of the three reads. Default 10 s. */
  timeoutMs?: number;
  logger?: Logger;
}

const statusRowSchema = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  online: z.union([z.number(), z.string(), z.boolean()]).optional(),
});

const taskRowSchema = z.looseObject({
  upid: z.string(),
  node: z.string(),
  type: z.string(),
  id: z.string().optional(),
  user: z.string(),
  tokenid: z.string().optional(),
  /** Absent while the task runs. */
  status: z.string().optional(),
  endtime: z.coerce.number().optional(),
});
type TaskRow = z.infer<typeof taskRowSchema>;

/** Proxmox counts a task with warnings as a success (the exit status is `WARNINGS: n`). */
export function taskSucceeded(status: string): boolean {
  return status === "OK" || /^WARNINGS: \d+$/.test(status);
}

/** Who started a task, as `user@realm` or `user@realm!token` (the form the UPID carries). */
export function taskOwner(row: Pick<TaskRow, "user" | "tokenid">): string {
  return row.tokenid ? `${row.user}!${row.tokenid}` : row.user;
}

/** Names of the cluster's online nodes (the request modal's node choice). */
export async function readOnlineNodes(client: PveClient, signal?: AbortSignal): Promise<string[]> {
  const view = await readClusterView(client, signal);
  return view.nodes.filter((n) => n.online).map((n) => n.name);
}

/** How many finished task UPIDs are remembered (`/cluster/tasks` lists at most the last 1000 or so). */
const SEEN_TASKS_MAX = 5000;

export class ClusterWatcher {
  readonly cluster: string;
  readonly #client: PveClient;
  readonly #opts: ClusterWatcherOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<ClusterEventListener>();
  #nodes: Map<string, boolean> | undefined;
  #ha: Map<number, string> | undefined;
  #seenTasks: Set<string> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<ClusterEvent[]> | undefined;

  constructor(opts: ClusterWatcherOptions) {
    this.cluster = opts.cluster;
    this.#client = opts.client;
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).child({ component: "watcher", cluster: opts.cluster });
  }

  onEvent(listener: ClusterEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Polls once (concurrent calls share one poll) and delivers the events to the listeners; returns them. */
  poll(): Promise<ClusterEvent[]> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      void this.poll().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, "cluster poll failed"));
    };
    tick();
    this.#timer = setInterval(tick, this.#opts.pollMs ?? 30_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling?.catch(() => undefined);
  }

  async #pollOnce(): Promise<ClusterEvent[]> {
    const opts = { timeoutMs: this.#opts.timeoutMs ?? 10_000 };
    const read = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await f();
      } catch (err) {
        this.#log.warn({ what, err: (err as Error).message }, "cluster read failed; skipped this poll");
        return undefined;
      }
    };
    const [status, tasks, resources] = await Promise.all([
      read("/cluster/status", () => this.#client.get("/cluster/status", {}, { ...opts, schema: z.array(statusRowSchema) })),
      read("/cluster/tasks", () => this.#client.get("/cluster/tasks", {}, { ...opts, schema: z.array(taskRowSchema) })),
      read("/cluster/resources", () => readClusterView(this.#client, AbortSignal.timeout(opts.timeoutMs))),
    ]);
    const events: ClusterEvent[] = [];
    if (status) events.push(...this.#nodeEvents(status));
    if (tasks) events.push(...(await this.#taskEvents(tasks)));
    if (resources) events.push(...this.#haEvents(resources.guests));
    for (const e of events) {
      for (const l of this.#listeners) {
        try {
          await l(e);
        } catch (err) {
          this.#log.warn({ err: (err as Error).message, event: e.type }, "cluster event listener failed");
        }
      }
    }
    return events;
  }

  #nodeEvents(rows: Array<z.infer<typeof statusRowSchema>>): ClusterEvent[] {
    const now = new Map<string, boolean>();
    for (const r of rows) {
      if (r.type !== "node" || !r.name) continue;
      now.set(r.name, r.online === 1 || r.online === "1" || r.online === true);
    }
    const before = this.#nodes;
    this.#nodes = now;
    const events: ClusterEvent[] = [];
    for (const [node, online] of now) {
      const was = before?.get(node);
      if (before !== undefined && was === online) continue;
      // A node that joins later is reported like a first sighting.
      const initial = before === undefined || was === undefined;
      events.push({ type: online ? "node-online" : "node-offline", cluster: this.cluster, node, initial });
    }
    return events;
  }

  async #taskEvents(rows: TaskRow[]): Promise<ClusterEvent[]> {
    const first = this.#seenTasks === undefined;
    const seen = (this.#seenTasks ??= new Set());
    const fresh = rows.filter((r) => r.status !== undefined && !seen.has(r.upid));
    for (const r of fresh) seen.add(r.upid);
    if (seen.size > SEEN_TASKS_MAX) {
      const keep = [...seen].slice(-SEEN_TASKS_MAX);
      seen.clear();
      for (const u of keep) seen.add(u);
    }
    if (first || fresh.length === 0) return [];
    const known = (await this.#opts.knownUpids?.()) ?? new Set<string>();
    const bot = this.#opts.botTokenId;
    const events: ClusterEvent[] = [];
    // Oldest first: /cluster/tasks lists the newest first.
    for (const r of [...fresh].reverse()) {
      const owner = taskOwner(r);
      if ((bot !== undefined && (owner === bot || parseUpid(r.upid)?.user === bot)) || known.has(r.upid)) continue;
      const status = r.status!;
      events.push({
        type: taskSucceeded(status) ? "task-ok" : "task-failed",
        cluster: this.cluster,
        upid: r.upid,
        node: r.node,
        taskType: r.type,
        id: r.id ?? "",
        user: owner,
        status,
        ...(r.endtime !== undefined ? { endtime: r.endtime } : {}),
      });
    }
    return events;
  }

  #haEvents(guests: ReadonlyArray<{ vmid: number; name: string; node: string; type: "qemu" | "lxc"; hastate?: string }>): ClusterEvent[] {
    const before = this.#ha;
    const now = new Map<number, string>();
    const events: ClusterEvent[] = [];
    for (const g of guests) {
      if (!g.hastate) continue;
      now.set(g.vmid, g.hastate);
      const was = before?.get(g.vmid);
      const base = { type: "ha-state" as const, cluster: this.cluster, vmid: g.vmid, name: g.name, node: g.node, guestType: g.type, to: g.hastate };
      if (before === undefined) events.push({ ...base, from: undefined, initial: true });
      else if (was !== undefined && was !== g.hastate) events.push({ ...base, from: was, initial: false });
    }
    this.#ha = now;
    return events;
  }
}
