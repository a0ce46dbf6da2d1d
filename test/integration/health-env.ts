/**
 * The operations setup of `serve`, over real sockets on 127.0.0.1: the simulator, the runtime built by
 * buildRuntime from the embedded config (Proxmox client metrics hooked in), the real Slack app against the
 * stand-in (its WebClient fetch counted), and the health/metrics server on port 0.
 */
import { createPveClient } from "../../src/adapters/pve/client.js";
import { apiConfigSchema } from "../../src/config/schema.js";
import type { Job } from "../../src/adapters/store/types.js";
import { demoConfig, freePort } from "../../src/cli/demo.js";
import type { Logger } from "../../src/log.js";
import { buildRuntime, type Runtime } from "../../src/main.js";
import { OpsMetrics, checkHealth, startOpsServer, type OpsServer } from "../../src/ops/index.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";
import { DEMO_DIRECTORY, startChatStack, type ChatStack } from "../../src/transport/console/index.js";
import { FAST_TIMING } from "../support/pve-env.js";

export interface OpsEnv {
  sim: PveSimulator;
  runtime: Runtime;
  metrics: OpsMetrics;
  stack: ChatStack;
  ops: OpsServer;
  /** `/pve <text>` as `user` in #demo; resolves with the job it started, finished and shown. */
  command(text: string, user?: string): Promise<Job | undefined>;
  close(): Promise<void>;
}

export async function startOpsEnv(opts: { logger?: Logger; tokenSecret?: string } = {}): Promise<OpsEnv> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const sshPort = await freePort();
    const sim = await startSimulator({ speed: 100, authFailureDelayMs: 10, guestSshPort: sshPort, seed: 7, ...(opts.logger ? { logger: opts.logger } : {}) });
    cleanups.push(() => sim.close());
    const loaded = demoConfig(opts.tokenSecret ? { ...sim, tokenSecret: opts.tokenSecret } : sim, sshPort);
    const metrics = new OpsMetrics({ defaultMetrics: false });
    const runtime = await buildRuntime(loaded, {
      storeUrl: "sqlite::memory:",
      pveMetrics: (cluster) => metrics.pveClientMetrics(cluster),
      engineTiming: FAST_TIMING,
      runner: { pollMs: 20 },
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    cleanups.push(() => runtime.close());
    metrics.attachStore(runtime.store);
    const stopObserving = metrics.observeRunner(runtime.runner);
    cleanups.push(async () => stopObserving());
    runtime.runner.start();
    const stack = await startChatStack({
      runtime,
      profile: "lab",
      users: DEMO_DIRECTORY.users,
      usergroups: DEMO_DIRECTORY.usergroups,
      admins: DEMO_DIRECTORY.admins,
      rateScale: 0.01,
      ...(opts.logger ? { logger: opts.logger } : {}),
      app: { webApiFetch: metrics.slackFetch(), retryConfig: { retries: 20, factor: 1, minTimeout: 10, maxTimeout: 50 } },
    });
    cleanups.push(() => stack.close());
    const ops = await startOpsServer({
      port: 0,
      host: "127.0.0.1",
      health: () => checkHealth({ store: runtime.store, clients: runtime.clients, timeoutMs: 3000 }),
      metrics,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    cleanups.push(() => ops.close());
    const command = async (text: string, user = "U0ALICE"): Promise<Job | undefined> => {
      const before = new Set((await runtime.store.listJobs({ limit: 500 })).map((j) => j.id));
      const res = await stack.driver.postCommand({ user, channel: stack.channel.id, text });
      if (res.status !== 200) throw new Error(`command answered ${res.status}`);
      // The command is dispatched after the ack: wait for its reply (an ephemeral or a channel message).
      await stack.standIn.waitFor(() => stack.standIn.ephemerals(stack.channel.id, user).length > 0 || stack.standIn.messages(stack.channel.id).length > 0, 10_000, "a reply");
      for (let i = 0; i < 100; i++) {
        const fresh = (await runtime.store.listJobs({ limit: 500 })).find((j) => !before.has(j.id));
        if (fresh) {
          // Until it ends, or waits for an approval (a teardown).
          for (let j = 0; j < 3000; j++) {
            const job = (await runtime.store.getJob(fresh.id))!;
            if (["succeeded", "failed", "cancelled", "awaiting-approval"].includes(job.state)) {
              await stack.slack.reporter.idle();
              return job;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
          throw new Error(`job ${fresh.id} did not settle`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    };
    return { sim, runtime, metrics, stack, ops, command, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A Proxmox client for the simulator with a wrong token (401 after the simulator's short delay). */
export function wrongTokenClient(sim: PveSimulator) {
  return createPveClient({
    cluster: "sim",
    api: apiConfigSchema.parse({ url: sim.url, tokenId: sim.tokenId, tokenSecret: "00000000-0000-4000-8000-000000000000", fingerprint: sim.fingerprint }),
  });
}
