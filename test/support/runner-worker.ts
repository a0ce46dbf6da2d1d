/**
 * A job-runner process for crash tests: the parent starts it with `node --import tsx`, kills it with SIGKILL
 * at random moments, and starts it again. Configuration comes from the environment (all on 127.0.0.1).
 */
import { openStore } from "../../src/adapters/store/index.js";
import { Engine } from "../../src/engine/engine.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { FAST_TIMING, makeProfile } from "./pve-env.js";
import { createPveClient } from "../../src/adapters/pve/client.js";
import { adaptivePollSchedule } from "../../src/adapters/pve/backoff.js";
import { apiConfigSchema } from "../../src/config/schema.js";

const env = process.env;
const need = (k: string) => {
  const v = env[k];
  if (!v) throw new Error(`runner-worker: ${k} is not set`);
  return v;
};

const client = createPveClient({
  cluster: "sim",
  api: apiConfigSchema.parse({ url: need("SIM_URL"), tokenId: need("SIM_TOKEN_ID"), tokenSecret: need("SIM_TOKEN_SECRET"), fingerprint: need("SIM_FINGERPRINT"), ratePerSecond: 2000, maxConcurrent: 16 }),
  taskPollSchedule: adaptivePollSchedule(10, 50),
});
const sshPort = Number(need("SIM_SSH_PORT"));
const profile = makeProfile("lab", { readiness: { agentTimeoutSec: 60, ipTimeoutSec: 60, sshTimeoutSec: 30, sshHandshake: false, sshPort } });
const store = await openStore(need("STORE_URL"), env.STORE_SCHEMA ? { schema: env.STORE_SCHEMA } : {});
const engine = new Engine({ clientFor: () => client, profiles: new Map([["lab", profile]]), timing: FAST_TIMING, reservations: store });
const runner = new JobRunner({ store, engine, pollMs: 20, leaseMs: Number(env.LEASE_MS ?? 400), maxParallel: 32 });
// Crash injection: die with SIGKILL right after the N-th event this process records (a precise kill point).
const killAfter = Number(env.KILL_AFTER_EVENT ?? 0);
if (killAfter > 0) {
  let seen = 0;
  runner.onEvent((_job, event) => {
    if (++seen === killAfter) {
      const step = (event.data as { step?: string } | null)?.step ?? "-";
      process.stdout.write(`killpoint ${step}:${event.type}\n`);
      process.kill(process.pid, "SIGKILL");
    }
  });
}
runner.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void runner.stop(1000).then(() => process.exit(0));
});
