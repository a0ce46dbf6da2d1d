/**
 * The simulator's engine room: the world, the task manager, the clock, guest networking and the fault
 * state, plus the guest lifecycle operations the handlers share.
 */
import type { Logger } from "../log.js";
import { SimToken } from "./auth.js";
import { Scheduler } from "./clock.js";
import { TaskFailure } from "./errors.js";
import { GuestSshListeners } from "./guest-net.js";
import { TaskManager, type SimTask } from "./tasks.js";
import { World, type Guest } from "./world.js";

/** Simulated durations in ms at speed 1 (each is divided by `speed`). */
export interface SimDurations {
  linkedClone: number;
  fullClone: number;
  create: number;
  start: number;
  shutdown: number;
  stop: number;
  reboot: number;
  destroy: number;
  resize: number;
  migrate: number;
  snapshot: number;
  rollback: number;
  deleteSnapshot: number;
  config: number;
  template: number;
  /** From start until the QEMU guest agent answers and the VM's network is up. */
  agentBoot: number;
  /** From start until a container's eth0 has its address. */
  lxcNetUp: number;
  /** How long a call to a not-yet-running agent takes before failing (qemu-server tries guest-ping for 3 s). */
  agentTimeout: number;
  /** `/cluster/resources` shows `status: unknown` this long after a guest appears (pvestatd runs every 10 s). */
  statsLag: number;
  /** A clone's worker writes the new config this long after the UPID is returned (the race window). */
  cloneWorkerStart: number;
}

export const DEFAULT_DURATIONS: SimDurations = {
  linkedClone: 2000,
  fullClone: 15000,
  create: 5000,
  start: 2000,
  shutdown: 4000,
  stop: 1000,
  reboot: 5000,
  destroy: 3000,
  resize: 1000,
  migrate: 8000,
  snapshot: 2000,
  rollback: 3000,
  deleteSnapshot: 2000,
  config: 500,
  template: 2000,
  agentBoot: 15000,
  lxcNetUp: 3000,
  agentTimeout: 3000,
  statsLag: 5000,
  cloneWorkerStart: 400,
};

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface TaskMatch {
  type?: string;
  vmid?: number;
}

export interface RequestMatch {
  method: HttpMethod;
  /** The schema path template, e.g. `/nodes/{node}/qemu/{vmid}/clone`. */
  pathTemplate: string;
}

/** Fault injection, reachable as `sim.faults`. */
export interface SimFaults {
  /** An offline node answers 595 for its calls and shows `offline` everywhere; its guests stop listening. */
  setNodeOnline(node: string, online: boolean): void;
  /** The next task matching ends `TASK ERROR: <message>` (at its first step). */
  failNextTask(match: TaskMatch, message: string): void;
  /** Extra delay before every API response, in real ms. */
  apiDelayMs: number;
  /** The token's secret stops working: 401 from now on. */
  expireToken(tokenId: string): void;
  /** The next `count` volume operations (alloc, clone, free) on that storage fail with a lock timeout. */
  storageLockTimeout(storage: string, count: number): void;
  /** The next `count` matching requests answer `status message` instead of running. */
  failRequests(match: RequestMatch, status: number, message: string, count: number): void;
  /** Removes every pending fault (nodes stay as they are). */
  clear(): void;
}

export class SimCore implements SimFaults {
  readonly sched: Scheduler;
  readonly tasks: TaskManager;
  readonly net: GuestSshListeners;
  readonly tokens = new Map<string, SimToken>();
  apiDelayMs = 0;
  private readonly taskFailures: { match: TaskMatch; message: string }[] = [];
  private readonly storageLocks = new Map<string, number>();
  readonly requestFailures: { match: RequestMatch; status: number; message: string; count: number }[] = [];
  private readonly netTimers = new Map<number, NodeJS.Timeout>();
  /** Guest config flocks held by running workers (`/var/lock/qemu-server/lock-<id>.conf`). */
  readonly flocks = new Set<number>();
  /** The HTTPS certificate's fingerprint (nodes show it as `ssl_fingerprint`). */
  fingerprint: string | undefined;

  constructor(
    readonly world: World,
    readonly durations: SimDurations,
    speed: number,
    guestSshPort: number | undefined,
    readonly logger: Logger,
  ) {
    this.sched = new Scheduler(speed);
    this.net = new GuestSshListeners(guestSshPort, logger);
    this.tasks = new TaskManager(this.sched, this, (node) => this.world.node(node)?.bootAt ?? Date.now());
  }

  // ------------------------------------------------------------------------------------------- faults

  setNodeOnline(node: string, online: boolean): void {
    const n = this.world.node(node);
    if (!n) throw new Error(`no such node ${node}`);
    n.online = online;
    for (const g of this.world.guests.values()) if (g.node === node) this.refreshNetwork(g);
  }

  failNextTask(match: TaskMatch, message: string): void {
    this.taskFailures.push({ match, message });
  }

  takeTaskFailure(task: SimTask): string | undefined {
    const i = this.taskFailures.findIndex(
      ({ match }) =>
        (match.type === undefined || match.type === task.type) &&
        (match.vmid === undefined || String(match.vmid) === task.id || match.vmid === task.targetVmid),
    );
    if (i < 0) return undefined;
    return this.taskFailures.splice(i, 1)[0]!.message;
  }

  expireToken(tokenId: string): void {
    const t = this.tokens.get(tokenId);
    if (!t) throw new Error(`no such token ${tokenId}`);
    t.expired = true;
  }

  storageLockTimeout(storage: string, count: number): void {
    this.storageLocks.set(storage, (this.storageLocks.get(storage) ?? 0) + count);
  }

  failRequests(match: RequestMatch, status: number, message: string, count: number): void {
    this.requestFailures.push({ match, status, message, count });
  }

  takeRequestFailure(method: string, template: string): { status: number; message: string } | undefined {
    const f = this.requestFailures.find((r) => r.count > 0 && r.match.method === method && r.match.pathTemplate === template);
    if (!f) return undefined;
    f.count--;
    return { status: f.status, message: f.message };
  }

  clear(): void {
    this.taskFailures.length = 0;
    this.storageLocks.clear();
    this.requestFailures.length = 0;
    this.apiDelayMs = 0;
  }

  /**
   * A volume operation (alloc, clone, free) takes the storage lock: a local flock on local storage, a
   * cluster-wide cfs-lock on shared storage (pve-storage Plugin.pm `cluster_lock_storage`).
   */
  storageOp(storageId: string): void {
    const left = this.storageLocks.get(storageId) ?? 0;
    if (left <= 0) return;
    this.storageLocks.set(storageId, left - 1);
    const shared = this.world.storages.get(storageId)?.shared;
    throw new TaskFailure(
      shared
        ? `cfs-lock 'storage-${storageId}' error: got lock request timeout`
        : `can't lock file '/var/lock/pve-manager/pve-storage-${storageId}' - got timeout`,
    );
  }

  // ------------------------------------------------------------------------------------------- guests

  /** Marks a guest running and schedules its agent/network coming up. */
  boot(g: Guest): void {
    const now = Date.now();
    g.running = true;
    g.startedAt = now;
    g.netUpAt = now + this.sched.scale(g.type === "qemu" ? this.durations.agentBoot : this.durations.lxcNetUp);
    this.refreshNetwork(g);
  }

  halt(g: Guest): void {
    g.running = false;
    delete g.startedAt;
    delete g.netUpAt;
    this.refreshNetwork(g);
  }

  /** A guest is reachable when it runs, its network is up and its node is online. */
  networkUp(g: Guest): boolean {
    return g.running && g.netUpAt !== undefined && Date.now() >= g.netUpAt && this.world.node(g.node)?.online === true;
  }

  /** Opens or closes the guest's SSH listener to match its state; schedules the opening if it is booting. */
  refreshNetwork(g: Guest): void {
    this.sched.cancel(this.netTimers.get(g.vmid));
    this.netTimers.delete(g.vmid);
    const present = this.world.guests.get(g.vmid) === g;
    if (present && this.networkUp(g)) {
      this.net.open(g.vmid, this.world.guestAddress(g).ip);
      return;
    }
    this.net.close(g.vmid);
    if (present && g.running && g.netUpAt !== undefined && this.world.node(g.node)?.online) {
      const t = this.sched.after(g.netUpAt - Date.now() + 1, () => {
        this.netTimers.delete(g.vmid);
        this.refreshNetwork(g);
      });
      this.netTimers.set(g.vmid, t);
    }
  }

  removeGuest(g: Guest): void {
    this.world.guests.delete(g.vmid);
    this.refreshNetwork(g);
  }

  async close(): Promise<void> {
    this.sched.close();
    this.netTimers.clear();
    this.net.closeAll();
    await this.tasks.drain();
  }
}
