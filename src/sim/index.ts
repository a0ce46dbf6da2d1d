/**
 * The Proxmox VE API simulator: real HTTPS (self-signed certificate made at start), token auth, the request
 * pipeline of pve-http-server, asynchronous tasks with real-format UPIDs, locks, guest agents and SSH
 * listeners on 127.0.0.0/8. Used by the integration tests, the benchmarks and the demo.
 *
 *   const sim = await startSimulator({ speed: 100, authFailureDelayMs: 20 });
 *   // https client: ca = sim.certPem (or pin sim.fingerprint); token = `${sim.tokenId}=${sim.tokenSecret}`
 *   await sim.close();
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { silentLogger, type Logger } from "../log.js";
import { SimToken, type SimTokenSpec } from "./auth.js";
import { makeRandom } from "./clock.js";
import { DEFAULT_DURATIONS, SimCore, type SimDurations, type SimFaults } from "./core.js";
import { SimHttp, type RequestLogEntry, type RequestStats } from "./http.js";
import { seedWorld } from "./seed.js";
import type { SimTask } from "./tasks.js";
import { generateCertificate } from "./tls.js";
import { World, guestName, isTemplate, type Config, type GuestType } from "./world.js";

export type { SimFaults, SimDurations, TaskMatch, RequestMatch } from "./core.js";
export type { SimTokenSpec, AclEntry } from "./auth.js";
export type { RequestLogEntry, RequestStats } from "./http.js";
export { DEFAULT_DURATIONS } from "./core.js";
export { ROLES, BOT_ACL } from "./auth.js";

export interface SimulatorOptions {
  /** Port to listen on (127.0.0.1). 0 (default) = a free port. */
  port?: number;
  /** Number of nodes, pve1..pveN. Default 3. */
  nodes?: number;
  /** Every simulated duration is divided by this. Default 1; tests use 50-200. */
  speed?: number;
  /** Delay before `401 Authentication failed!`, real ms. Default 3000 / speed. */
  authFailureDelayMs?: number;
  /** API tokens. Default: one token `chatops@pve!bot` with a random secret and what the bot needs on `/`. */
  tokens?: SimTokenSpec[];
  /** Port of the SSH listener each booted guest opens on its 127.x address. Default 22; `null` = none. */
  guestSshPort?: number | null;
  /** Seed for MACs and UUIDs (deterministic worlds). */
  seed?: number;
  /** Plain HTTP instead of HTTPS. */
  tls?: boolean;
  /** Overrides for simulated durations (ms at speed 1). */
  durations?: Partial<SimDurations>;
  /** Also seed two running infrastructure guests (VM 100 `dns1`, CT 101 `proxy`). Default true. */
  seedWorkloads?: boolean;
  logger?: Logger;
}

export interface GuestView {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: "running" | "stopped";
  lock: string | undefined;
  template: boolean;
  pool: string | undefined;
  config: Readonly<Config>;
  /** The address the guest reports (127.x unless a static address is configured). */
  ip: string;
  /** Agent answers / container has its address. */
  networkUp: boolean;
  /** Its SSH listener is open. */
  sshListening: boolean;
}

export interface TaskView {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  status: "running" | "stopped";
  exitstatus: string | undefined;
  log: readonly string[];
  /** Real wall-clock start and end of the task, ms. */
  startedMs: number;
  endedMs: number | undefined;
}

export interface NodeView {
  name: string;
  online: boolean;
  cores: number;
  memTotal: number;
  memUsed: number;
}

/** Read-only inspection for tests. */
export interface SimState {
  guests(): GuestView[];
  guest(vmid: number): GuestView | undefined;
  tasks(): TaskView[];
  nodes(): NodeView[];
  pools(): string[];
}

export interface PveSimulator {
  /** `https://127.0.0.1:<port>` (no path). */
  readonly url: string;
  readonly port: number;
  /** SHA-256 of the certificate, colon-separated upper-case hex (empty with tls: false). */
  readonly fingerprint: string;
  readonly certPem: string;
  /** The default token's id and secret (the simulator's own throwaway credential). */
  readonly tokenId: string;
  readonly tokenSecret: string;
  /** `PVEAPIToken=<id>=<secret>` for the Authorization header. */
  readonly authorization: string;
  /** The SSH host public key guests present (OpenSSH format). */
  readonly guestHostKey: string;
  readonly faults: SimFaults;
  readonly state: SimState;
  readonly requestLog: readonly RequestLogEntry[];
  readonly stats: RequestStats;
  /** Forgets the request log and counters (e.g. between benchmark phases). */
  resetStats(): void;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<PveSimulator> {
  const speed = opts.speed ?? 1;
  const logger = opts.logger ?? silentLogger;
  const world = new World({ nodes: opts.nodes ?? 3, random: makeRandom(opts.seed) });
  seedWorld(world, { workloads: opts.seedWorkloads ?? true });
  const core = new SimCore(
    world,
    { ...DEFAULT_DURATIONS, ...opts.durations },
    speed,
    opts.guestSshPort === null ? undefined : (opts.guestSshPort ?? 22),
    logger,
  );
  const specs = opts.tokens?.length ? opts.tokens : [{ tokenId: "chatops@pve!bot" }];
  for (const spec of specs) {
    const token = new SimToken(spec);
    token.poolOf = (path) => {
      const vm = /^\/vms\/(\d+)$/.exec(path);
      return vm ? world.guests.get(Number(vm[1]))?.pool : undefined;
    };
    core.tokens.set(spec.tokenId, token);
  }
  const main = core.tokens.get(specs[0]!.tokenId)!;

  const useTls = opts.tls ?? true;
  const cert = useTls ? await generateCertificate() : undefined;
  core.fingerprint = cert?.fingerprint;
  const api = new SimHttp(core, opts.authFailureDelayMs ?? 3000 / speed, logger);
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => api.handle(req, res);
  const server = cert ? https.createServer({ key: cert.keyPem, cert: cert.certPem }, onRequest) : http.createServer(onRequest);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Guests that already run in the seeded world listen from the start.
  for (const g of world.guests.values()) core.refreshNetwork(g);

  const state: SimState = {
    guests: () => [...world.guests.values()].sort((a, b) => a.vmid - b.vmid).map((g) => guestView(g.vmid)!),
    guest: (vmid) => guestView(vmid),
    tasks: () => core.tasks.all().map(taskView),
    nodes: () =>
      [...world.nodes.values()].map((n) => ({ name: n.name, online: n.online, cores: n.cores, memTotal: n.memTotal, memUsed: world.memUsedOn(n.name) })),
    pools: () => [...world.pools.keys()],
  };
  function guestView(vmid: number): GuestView | undefined {
    const g = world.guests.get(vmid);
    if (!g) return undefined;
    return {
      vmid,
      type: g.type,
      node: g.node,
      name: guestName(g),
      status: g.running ? "running" : "stopped",
      lock: g.lock,
      template: isTemplate(g),
      pool: g.pool,
      config: { ...g.config },
      ip: world.guestAddress(g).ip,
      networkUp: core.networkUp(g),
      sshListening: core.net.isListening(vmid),
    };
  }
  function taskView(t: SimTask): TaskView {
    return { upid: t.upid, node: t.node, type: t.type, id: t.id, user: t.user, status: t.status, exitstatus: t.exitstatus, log: [...t.log], startedMs: t.startedMs, endedMs: t.endedMs };
  }

  let closing: Promise<void> | undefined;
  return {
    url: `${useTls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    fingerprint: cert?.fingerprint ?? "",
    certPem: cert?.certPem ?? "",
    tokenId: main.tokenId,
    tokenSecret: main.secret,
    authorization: `PVEAPIToken=${main.tokenId}=${main.secret}`,
    get guestHostKey() {
      return core.net.hostPublicKey;
    },
    faults: core,
    state,
    get requestLog() {
      return api.requestLog;
    },
    get stats() {
      return api.stats;
    },
    resetStats() {
      api.requestLog.length = 0;
      api.stats.byEndpoint = {};
      api.stats.total = 0;
      api.stats.mutating = 0;
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await core.close();
        await closed;
      })();
      return closing;
    },
  };
}
