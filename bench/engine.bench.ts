/**
 * Engine figures against the simulator (issue 3):
 * - one provision's wall time against its floor: the sum of the durations of its own Proxmox tasks (as the
 *   simulator ran them) plus the guest's boot delay. Pollers are scaled by the simulator's speed, so the ratio is
 *   what a real cluster with default polling would see.
 * - 50 concurrent provisions on a 3-node simulator: wall time against the slowest single provision's floor,
 *   VMID collisions (re-picks after "already exists") and user-visible errors.
 * - Proxmox API calls per provision, mutating and read (polls), and peak memory (RSS of this process, which
 *   also runs the simulator).
 */
import { createServer } from "node:net";
import { adaptivePollSchedule } from "../src/adapters/pve/backoff.js";
import { createPveClient } from "../src/adapters/pve/client.js";
import { apiConfigSchema, profileSchema, type Profile } from "../src/config/schema.js";
import { Engine } from "../src/engine/engine.js";
import { DEFAULT_TIMING } from "../src/engine/runtime.js";
import type { ProgressEvent } from "../src/engine/types.js";
import { DEFAULT_DURATIONS, startSimulator, type PveSimulator } from "../src/sim/index.js";
import type { BenchFigure } from "./lib.js";

const SPEED = 10;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function profile(sshPort: number): Profile {
  return Object.freeze({
    ...profileSchema.parse({
      cluster: "sim",
      pool: "chatops",
      storage: "local-lvm",
      vmidRanges: { templates: "9000-9999", auto: "500-8999" },
      sizes: { small: { cores: 1, memoryMb: 1024, diskGb: 8 }, medium: { cores: 2, memoryMb: 2048, diskGb: 20 } },
      images: { ubuntu24: { template: 9000 }, rocky9: { templateName: "rocky9-template" }, ct: { ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" } },
      defaultImage: { vm: "ubuntu24", ct: "ct" },
      quota: { cores: 10_000, memoryMb: 10_000_000, diskGb: 100_000 },
      readiness: { agentTimeoutSec: 120, ipTimeoutSec: 120, sshTimeoutSec: 60, sshHandshake: false, sshPort },
    }),
    name: "bench",
  });
}

function engineFor(sim: PveSimulator, p: Profile) {
  const client = createPveClient({
    cluster: "sim",
    // A real cluster takes `SPEED` times longer per task; a polite client at speed 1 polls 100 ms → 2 s.
    api: apiConfigSchema.parse({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, ratePerSecond: 50 * SPEED, maxConcurrent: 16 }),
    taskPollSchedule: adaptivePollSchedule(100 / SPEED, 1000 / SPEED),
  });
  const engine = new Engine({
    clientFor: () => client,
    profiles: new Map([[p.name, p]]),
    timing: {
      pollMinMs: DEFAULT_TIMING.pollMinMs / SPEED,
      pollMaxMs: DEFAULT_TIMING.pollMaxMs / SPEED,
      waitingEventEveryMs: DEFAULT_TIMING.waitingEventEveryMs / SPEED,
      goneTimeoutMs: DEFAULT_TIMING.goneTimeoutMs,
      unlockTimeoutMs: DEFAULT_TIMING.unlockTimeoutMs,
    },
  });
  return { client, engine };
}

/** Floor of one provision: its own tasks' durations as the simulator ran them, plus the boot delay. */
function floorMs(sim: PveSimulator, upids: Set<string>, type: "qemu" | "lxc"): number {
  const tasks = sim.state.tasks().filter((t) => upids.has(t.upid));
  const taskMs = tasks.reduce((sum, t) => sum + ((t.endedMs ?? t.startedMs) - t.startedMs), 0);
  const bootMs = (type === "qemu" ? DEFAULT_DURATIONS.agentBoot : DEFAULT_DURATIONS.lxcNetUp) / SPEED;
  return taskMs + bootMs;
}

/** Splits the simulator's per-endpoint counts: state changes, polls of something in progress, other reads. */
function classify(byEndpoint: Readonly<Record<string, number>>) {
  let mutating = 0;
  let polls = 0;
  let reads = 0;
  for (const [endpoint, n] of Object.entries(byEndpoint)) {
    const [method, path] = endpoint.split(" ") as [string, string];
    // Agent pings are POSTs but change nothing: they poll for the guest's agent.
    if (/\/tasks\/|\/agent\/|\/status\/current$|\/interfaces$/.test(path)) polls += n;
    else if (method === "GET") reads += n;
    else mutating += n;
  }
  return { mutating, polls, reads };
}

async function oneProvision(engine: Engine, sim: PveSimulator, name: string, input: Record<string, unknown>) {
  const upids = new Set<string>();
  let type: "qemu" | "lxc" = "qemu";
  let repicks = 0;
  const onEvent = (e: ProgressEvent) => {
    if (e.type === "task-started") upids.add(e.upid);
    if (e.type === "plan-ready" && e.plan.kind === "provision") type = e.plan.type;
    if (e.type === "rollback" && /was taken meanwhile/.test(e.message)) repicks++;
  };
  const started = performance.now();
  await engine.provision("bench", { name, ...input }, { onEvent });
  const wall = performance.now() - started;
  return { wall, floor: floorMs(sim, upids, type), repicks };
}

export async function run(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const sshPort = await freePort();
  const p = profile(sshPort);

  // --- one provision
  {
    const sim = await startSimulator({ speed: SPEED, guestSshPort: sshPort, authFailureDelayMs: 10, seed: 3 });
    const { client, engine } = engineFor(sim, p);
    try {
      await oneProvision(engine, sim, "warmup", { docker: true }); // TLS, caches
      sim.resetStats();
      const vm = await oneProvision(engine, sim, "single-vm", { docker: true, size: "medium" });
      const vmCalls = classify(sim.stats.byEndpoint);
      figures.push({ name: "one VM provision: wall time / floor (tasks + boot delay)", value: vm.wall / vm.floor, unit: "x", note: `wall ${Math.round(vm.wall)} ms, floor ${Math.round(vm.floor)} ms, sim speed ${SPEED}` });
      figures.push({ name: "Proxmox API calls per VM provision, mutating", value: vmCalls.mutating, unit: "calls" });
      figures.push({ name: "Proxmox API calls per VM provision, polls (task status/log, agent, lock)", value: vmCalls.polls, unit: "calls" });
      figures.push({ name: "Proxmox API calls per VM provision, other reads (planning)", value: vmCalls.reads, unit: "calls" });
      sim.resetStats();
      const ct = await oneProvision(engine, sim, "single-ct", {});
      const ctCalls = classify(sim.stats.byEndpoint);
      figures.push({ name: "one container provision: wall time / floor", value: ct.wall / ct.floor, unit: "x", note: `wall ${Math.round(ct.wall)} ms, floor ${Math.round(ct.floor)} ms` });
      figures.push({ name: "Proxmox API calls per container provision", value: ctCalls.mutating + ctCalls.polls + ctCalls.reads, unit: "calls", note: `${ctCalls.mutating} mutating, ${ctCalls.polls} polls, ${ctCalls.reads} reads` });
    } finally {
      await client.close();
      await sim.close();
    }
  }

  // --- 50 concurrent provisions on 3 nodes
  {
    const sim = await startSimulator({ speed: SPEED, nodes: 3, guestSshPort: sshPort, authFailureDelayMs: 10, seed: 5 });
    const { client, engine } = engineFor(sim, p);
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    try {
      await oneProvision(engine, sim, "warmup", {});
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => oneProvision(engine, sim, `bulk-${i}`, i % 2 ? { image: "rocky9" } : {})),
      );
      const wall = performance.now() - started;
      const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof oneProvision>>> => r.status === "fulfilled").map((r) => r.value);
      const errors = results.length - ok.length;
      const slowestFloor = Math.max(...ok.map((r) => r.floor));
      figures.push({ name: "50 concurrent provisions: wall time / slowest single floor", value: wall / slowestFloor, unit: "x", note: `wall ${Math.round(wall)} ms, slowest floor ${Math.round(slowestFloor)} ms` });
      figures.push({ name: "50 concurrent provisions: VMID collisions (re-picks)", value: ok.reduce((a, r) => a + r.repicks, 0), unit: "count" });
      figures.push({ name: "50 concurrent provisions: user-visible errors", value: errors, unit: "count" });
      const vmids = new Set(sim.state.guests().filter((g) => g.name.startsWith("bulk-")).map((g) => g.vmid));
      figures.push({ name: "50 concurrent provisions: distinct guests created", value: vmids.size, unit: "guests" });
      figures.push({ name: "peak RSS during 50 concurrent provisions (bench + simulator)", value: peakRss / 1024 ** 2, unit: "MiB" });
    } finally {
      clearInterval(sampler);
      await client.close();
      await sim.close();
    }
  }
  return figures;
}
