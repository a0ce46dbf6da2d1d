/**
 * Test environment over real sockets: the Proxmox simulator (HTTPS), the real API client with fingerprint
 * pinning, a profile, and the engine. Everything listens on 127.0.0.1 / 127.x guest addresses.
 */
import { createServer } from "node:net";
import { createPveClient } from "../../src/adapters/pve/client.js";
import { adaptivePollSchedule } from "../../src/adapters/pve/backoff.js";
import type { PveClient } from "../../src/adapters/pve/types.js";
import { profileSchema, apiConfigSchema, type Profile, type ProfileInput } from "../../src/config/schema.js";
import { Engine } from "../../src/engine/engine.js";
import type { EngineTiming } from "../../src/engine/runtime.js";
import type { ProgressEvent } from "../../src/engine/types.js";
import { startSimulator, type PveSimulator, type SimulatorOptions } from "../../src/sim/index.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const LAB_PROFILE: ProfileInput = {
  cluster: "sim",
  pool: "chatops",
  storage: "local-lvm",
  bridge: "vmbr0",
  vmidRanges: { templates: "9000-9999", auto: "500-8999" },
  placement: "least-loaded",
  sizes: {
    small: { cores: 1, memoryMb: 2048, diskGb: 20 },
    medium: { cores: 2, memoryMb: 4096, diskGb: 40 },
    large: { cores: 4, memoryMb: 8192, diskGb: 80 },
  },
  images: {
    ubuntu24: { template: 9000 },
    debian12: { templateName: "debian12-template" },
    rocky9: { templateName: "rocky9-template" },
    "ubuntu24-ct": { ostemplate: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst" },
    alpine320: { ostemplate: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" },
  },
  defaultImage: { vm: "ubuntu24", ct: "ubuntu24-ct" },
  quota: { cores: 256, memoryMb: 1_048_576, diskGb: 20_000 },
  tags: ["chatops"],
};

export function makeProfile(name: string, overrides: Partial<ProfileInput> = {}): Profile {
  return Object.freeze({ ...profileSchema.parse({ ...LAB_PROFILE, ...overrides }), name });
}

/** Fast timings for a simulator running at high speed. */
export const FAST_TIMING: Partial<EngineTiming> = { pollMinMs: 10, pollMaxMs: 50, waitingEventEveryMs: 200, goneTimeoutMs: 20_000, unlockTimeoutMs: 20_000 };

export interface PveEnv {
  sim: PveSimulator;
  client: PveClient;
  engine: Engine;
  profile: Profile;
  sshPort: number;
  profiles: Map<string, Profile>;
  close(): Promise<void>;
}

export function simClient(sim: PveSimulator, overrides: Record<string, unknown> = {}): PveClient {
  return createPveClient({
    cluster: "sim",
    // The simulator runs 100x faster than a cluster, so the polite default rate (50 req/s) would dominate.
    api: apiConfigSchema.parse({ url: sim.url, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, fingerprint: sim.fingerprint, ratePerSecond: 2000, maxConcurrent: 16, ...overrides }),
    taskPollSchedule: adaptivePollSchedule(10, 50),
  });
}

export async function startPveEnv(opts: { sim?: SimulatorOptions; profile?: Partial<ProfileInput>; readiness?: Partial<Profile["readiness"]> } = {}): Promise<PveEnv> {
  const sshPort = await freePort();
  const sim = await startSimulator({ speed: 100, authFailureDelayMs: 10, guestSshPort: sshPort, seed: 7, ...opts.sim });
  const client = simClient(sim);
  const profile = makeProfile("lab", {
    ...opts.profile,
    readiness: { agentTimeoutSec: 60, ipTimeoutSec: 60, sshTimeoutSec: 30, sshHandshake: false, sshPort, ...opts.readiness },
  });
  const profiles = new Map([[profile.name, profile]]);
  const engine = new Engine({ clientFor: () => client, profiles, timing: FAST_TIMING });
  return {
    sim,
    client,
    engine,
    profile,
    sshPort,
    profiles,
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

export function collect(): { events: ProgressEvent[]; onEvent: (e: ProgressEvent) => void; types: () => string[] } {
  const events: ProgressEvent[] = [];
  return { events, onEvent: (e) => events.push(e), types: () => events.filter((e) => e.type !== "task-log").map((e) => e.type) };
}
