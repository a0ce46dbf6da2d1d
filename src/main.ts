/**
 * Composition root: loaded config → store, one Proxmox client per cluster, the engine (VMID reservations in the
 * store) and the durable job runner. Transports (Slack, the console) are built on top of the runtime.
 */
import { createPveClient, type PveClientMetrics } from "./adapters/pve/client.js";
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
import { ClusterWatcher, readOnlineNodes } from "./engine/watcher.js";
import type { SlackAppOptions } from "./transport/slack/app.js";
import { recordedUpids, SlackNotifier } from "./transport/slack/notifications.js";

export interface RuntimeOptions {
  logger?: Logger;
  /** Overrides config.store.url (e.g. `sqlite::memory:`). */
  storeUrl?: string;
  /** Use these clients instead of building them from config.clusters (tests, the demo's simulator). */
  clients?: ReadonlyMap<string, PveClient>;
  engineTiming?: Partial<EngineTiming>;
  runner?: Omit<JobRunnerOptions, "store" | "engine" | "logger">;
  /** Metrics hook for the Proxmox clients built from config (src/ops/metrics.ts `pveClientMetrics`). */
  pveMetrics?: (cluster: string) => PveClientMetrics;
}

export interface Runtime {
  config: Config;
  profiles: ReadonlyMap<string, Profile>;
  store: Store;
  clientFor(cluster: string): PveClient;
  /** Every cluster's client by name (health checks). */
  clients: ReadonlyMap<string, PveClient>;
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
      const client = createPveClient({
        cluster: name,
        api: cluster.api,
        logger: logger.child({ cluster: name }),
        ...(opts.pveMetrics ? { metrics: opts.pveMetrics(name) } : {}),
      });
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
  // Queue limits from the config: per cluster (maxJobs, default 10) and per profile (optional).
  const clusterLimits = Object.fromEntries(Object.entries(loaded.config.clusters).map(([name, c]) => [name, c.maxJobs]));
  const profileLimits = Object.fromEntries([...loaded.profiles.values()].flatMap((p) => (p.maxJobs !== undefined ? [[p.name, p.maxJobs]] : [])));
  const runner = new JobRunner({ store, engine, logger: logger.child({ component: "jobs" }), clusterLimits, profileLimits, ...opts.runner });
  let closed = false;
  return {
    config: loaded.config,
    profiles: loaded.profiles,
    store,
    clientFor,
    clients,
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

/**
 * The Slack app's parts that need the runtime (pass to createSlackApp): the request modal's online nodes, and one
 * cluster watcher per cluster that a profile uses, feeding channel notifications (incidents, jobs without a thread).
 */
export function slackRuntimeOptions(runtime: Runtime, opts: { watchPollMs?: number } = {}): Pick<SlackAppOptions, "modal" | "extend"> {
  const clusters = new Set([...runtime.profiles.values()].map((p) => p.cluster));
  return {
    modal: { nodesFor: (profile, signal) => readOnlineNodes(runtime.clientFor(profile.cluster), signal) },
    extend: [
      (_app, ctx) => {
        const watchers = [...clusters].map(
          (cluster) =>
            new ClusterWatcher({
              client: runtime.clientFor(cluster),
              cluster,
              botTokenId: runtime.config.clusters[cluster]?.api.tokenId,
              knownUpids: () => recordedUpids(runtime.store),
              logger: runtime.logger,
              ...(opts.watchPollMs !== undefined ? { pollMs: opts.watchPollMs } : {}),
            }),
        );
        return new SlackNotifier({ client: ctx.client, deps: ctx.deps, watchers, logger: runtime.logger });
      },
    ],
  };
}
