/**
 * `pve-chatops serve [--config path]`: runs the Slack app and the job runner.
 *
 * Slack credentials come from the environment (or the config's slack.* keys):
 *   SLACK_BOT_TOKEN       xoxb-… (required)
 *   SLACK_APP_TOKEN       xapp-… → Socket Mode (no inbound port; the usual choice behind a firewall)
 *   SLACK_SIGNING_SECRET  + PORT (default 3000) → HTTP, Bolt's /slack/events endpoint
 *   SLACK_API_URL         Web API base URL override (a proxy; tests)
 *   HEALTH_PORT           GET /healthz and GET /metrics (default 8080; --health-port; 0 = any free port)
 *   HEALTH_HOST           their bind address (default 0.0.0.0, as a container needs)
 */
import { parseArgs } from "node:util";
import type { CliIo } from "./io.js";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import { buildRuntime, slackRuntimeOptions } from "../main.js";
import { createSlackApp, type SlackReceiverOptions } from "../transport/slack/app.js";
import { OpsMetrics, checkHealth, startOpsServer, DEFAULT_HEALTH_PORT } from "../ops/index.js";

export const summary = "run the Slack app (Socket Mode or HTTP) and the job runner";

const USAGE = "pve-chatops serve [--config path] [--health-port 8080]";

export interface SlackEnv {
  botToken: string;
  receiver: SlackReceiverOptions;
  slackApiUrl?: string;
}

/** Which receiver and credentials, from the environment first, then the config. Never echoes a secret. */
export function slackEnv(env: NodeJS.ProcessEnv, fromConfig: { botToken?: { reveal(): string }; appToken?: { reveal(): string }; signingSecret?: { reveal(): string } }): SlackEnv {
  const botToken = env.SLACK_BOT_TOKEN || fromConfig.botToken?.reveal();
  if (!botToken) throw new UsageError("Set SLACK_BOT_TOKEN (the bot token, xoxb-…) or slack.botToken in the config.", USAGE);
  const appToken = env.SLACK_APP_TOKEN || fromConfig.appToken?.reveal();
  const signingSecret = env.SLACK_SIGNING_SECRET || fromConfig.signingSecret?.reveal();
  let receiver: SlackReceiverOptions;
  if (appToken) receiver = { mode: "socket", appToken };
  else if (signingSecret) {
    const port = Number(env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`PORT must be a port number, got "${env.PORT}".`, USAGE);
    receiver = { mode: "http", signingSecret, port, ...(env.HOST ? { host: env.HOST } : {}) };
  } else {
    throw new UsageError("Set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET and PORT (HTTP).", USAGE);
  }
  return { botToken, receiver, ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}) };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: "string" }, "health-port": { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: false });
  if (values.help) {
    io.out(`Usage: ${USAGE}`);
    return 0;
  }
  const loaded = await loadConfig({ ...(values.config ? { path: values.config } : {}), env: io.env, cwd: io.cwd });
  const slack = slackEnv(io.env, loaded.config.slack);
  const healthPort = Number(values["health-port"] ?? io.env.HEALTH_PORT ?? DEFAULT_HEALTH_PORT);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError(`--health-port / HEALTH_PORT must be a port number, got "${values["health-port"] ?? io.env.HEALTH_PORT}".`, USAGE);
  // JSON lines by default (for log collectors); pretty when a person watches a terminal.
  const logger = createLogger({ level: loaded.config.log.level, pretty: process.stdout.isTTY === true && io.env.LOG_FORMAT !== "json" });
  const metrics = new OpsMetrics();
  const runtime = await buildRuntime(loaded, { logger, pveMetrics: (cluster) => metrics.pveClientMetrics(cluster) });
  metrics.attachStore(runtime.store);
  const stopObserving = metrics.observeRunner(runtime.runner);
  const slackApp = createSlackApp({
    deps: { store: runtime.store, engine: runtime.engine, runner: runtime.runner, slack: loaded.config.slack, profiles: runtime.profiles },
    botToken: slack.botToken,
    receiver: slack.receiver,
    ...(slack.slackApiUrl ? { slackApiUrl: slack.slackApiUrl } : {}),
    webApiFetch: metrics.slackFetch(),
    ...slackRuntimeOptions(runtime),
    logger,
  });
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  try {
    runtime.runner.start();
    ops = await startOpsServer({
      port: healthPort,
      host: io.env.HEALTH_HOST || "0.0.0.0",
      health: () => checkHealth({ store: runtime.store, clients: runtime.clients }),
      metrics,
      logger,
    });
    io.out(`pve-chatops: health and metrics on port ${ops.port} (GET /healthz, GET /metrics)`);
    const started = await slackApp.start();
    io.out(
      slack.receiver.mode === "socket"
        ? "pve-chatops: connected to Slack in Socket Mode"
        : `pve-chatops: listening for Slack on port ${started.port} (POST /slack/events)`,
    );
    await io.stopSignal;
    io.out("pve-chatops: stopping");
  } finally {
    await slackApp.stop();
    await ops?.close();
    stopObserving();
    await runtime.close();
  }
  return 0;
}
