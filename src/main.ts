/**
 * Composition root: loaded config → store, one Proxmox client per cluster, the engine (VMID reservations in the
 * store) and the durable job runner. Transports (Slack, the console) are built on top of the runtime.
 */
import { createPveClient } from "./adapters/pve/client.js";
import type { PveClient } from "./adapters/pve/types.js";
import { openStore } from "./adapters/store/index.js";
import type { Store } from "./adapters/store/types.js";
import type { LoadedConfig } from "./config/load.js";
import type { Config, Profile } from "./config/schema.js";
import { Engine } from "./engine/engine.js";
import type { EngineTiming } from "./engine/runtime.js";
import { NotFound } from "./errors.js";
import { JobRunner, type JobRunnerOptions } from "./jobs/runner.js";
import { silentLogger, type Logger } from "./log.js";

export interface RuntimeOptions {
  logger?: Logger;
  /** Overrides config.store.url (e.g. `sqlite::memory:`). */
  storeUrl?: string;
  /** Use these clients instead of building them from config.clusters (tests, the demo's simulator). */
  clients?: ReadonlyMap<string, PveClient>;
  engineTiming?: Partial<EngineTiming>;
  runner?: Omit<JobRunnerOptions, "store" | "engine" | "logger">;
}

export interface Runtime {
  config: Config;
  profiles: ReadonlyMap<string, Profile>;
  store: Store;
  clientFor(cluster: string): PveClient;
  engine: Engine;
  runner: JobRunner;
  logger: Logger;
  /** Stops the runner (running jobs resume elsewhere or after a restart), closes clients and the store. */
  close(): Promise<void>;
}

export async function buildRuntime(loaded: LoadedConfig, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.logger ?? silentLogger;
  const store = await openStore(opts.storeUrl ?? loaded.config.store.url, { logger });
  const clients = new Map<string, PveClient>(opts.clients ?? []);
  const owned: PveClient[] = [];
  try {
    for (const [name, cluster] of Object.entries(loaded.config.clusters)) {
      if (clients.has(name)) continue;
      const client = createPveClient({ cluster: name, api: cluster.api, logger: logger.child({ cluster: name }) });
      clients.set(name, client);
      owned.push(client);
    }
  } catch (err) {
    await Promise.all(owned.map((c) => c.close().catch(() => undefined)));
    await store.close();
    throw err;
  }
  const clientFor = (cluster: string): PveClient => {
    const c = clients.get(cluster);
    if (!c) throw new NotFound(`No cluster named "${cluster}" in the configuration (clusters: ${[...clients.keys()].join(", ") || "none"}).`);
    return c;
  };
  const engine = new Engine({
    clientFor,
    profiles: loaded.profiles,
    logger: logger.child({ component: "engine" }),
    reservations: store,
    ...(opts.engineTiming ? { timing: opts.engineTiming } : {}),
  });
  const runner = new JobRunner({ store, engine, logger: logger.child({ component: "jobs" }), ...opts.runner });
  let closed = false;
  return {
    config: loaded.config,
    profiles: loaded.profiles,
    store,
    clientFor,
    engine,
    runner,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      await runner.stop(5_000);
      await Promise.all(owned.map((c) => c.close().catch(() => undefined)));
      await store.close();
    },
  };
}
