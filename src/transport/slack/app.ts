/**
 * The Slack app on Bolt: receivers (HTTP or Socket Mode) and listeners, nothing else. Listeners acknowledge at
 * once — usage errors are answered in the ack itself (parsing needs no I/O), everything else after the ack — then
 * hand the command to the transport-independent dispatcher (src/commands/dispatch.ts) and send its reply through
 * the response_url (ephemeral or in channel; works in channels the bot has not joined). Long commands become
 * durable jobs whose threads the ProgressReporter writes.
 *
 * A redelivered command (Slack retries with `X-Slack-Retry-Num`; Socket Mode redelivers the same envelope) carries
 * the same `trigger_id`, so the idempotency key `slack:<team>:<trigger_id>` gives back the job already submitted.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import Bottleneck from "bottleneck";
import { App, LogLevel } from "@slack/bolt";
import type { App as AppType, Logger as BoltLogger, RespondFn, SlashCommand, RespondArguments } from "@slack/bolt";
import type { FetchFunction, WebClient } from "@slack/web-api";
import { ALL_COMMANDS } from "../../../commands/index.js";
import { dispatchCommand, prepareCommand, type PreparedCommand } from "../../commands/dispatch.js";
import type { CommandDeps, CommandModule, Invocation } from "../../commands/types.js";
import type { Reply } from "../../commands/message.js";
import { silentLogger, type Logger } from "../../log.js";
import { errorReply } from "../render-error.js";
import { renderMessages, type SlackMessage } from "./blocks.js";
import { ProgressReporter } from "./progress.js";
import { SlackUsergroupResolver } from "./usergroups.js";
import { SlackApprovals } from "./approvals.js";
import { ProvisionModal, type ProvisionModalOptions } from "./modal.js";
import { AppHome } from "./home.js";


/**
 * WebClient retries: a 429 is always waited out for its Retry-After (WebClient does that before each retry);
 * other failures (network, 5xx) back off from 200 ms doubling to 30 s, 10 attempts. The progress reporter
 * retries beyond that from its stored cursor, so a message is late rather than lost.
 */
export const SLACK_RETRY_POLICY = { retries: 10, factor: 2, minTimeout: 200, maxTimeout: 30_000, randomize: true };

/** Commands processed at once after their ack; more wait in a queue (their acks are already sent). */
export const COMMAND_CONCURRENCY = 16;

export type SlackReceiverOptions =
  | { mode: "http"; signingSecret: string; port?: number; host?: string }
  | { mode: "socket"; appToken: string };

export interface SlackAppOptions {
  /** Store, engine, runner, config and profiles (see buildRuntime); commands default to commands/index.ts. */
  deps: Omit<CommandDeps, "principals" | "commands" | "logger"> & { commands?: readonly CommandModule[] };
  botToken: string;
  receiver: SlackReceiverOptions;
  /** Web API base URL (a proxy, or the stand-in in tests). */
  slackApiUrl?: string;
  /** The slash command. Default `/pve`. */
  command?: string;
  logger?: Logger;
  /** Pacing scale of the progress reporter (tests: 0.01). */
  rateScale?: number;
  groupCacheMs?: number;
  /** Commands worked on at once after their ack. Default COMMAND_CONCURRENCY. */
  commandConcurrency?: number;
  retryConfig?: typeof SLACK_RETRY_POLICY | { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number };
  /** WebClient's `fetch` (every Web API attempt of every client Bolt builds): metrics wrap it (src/ops/metrics.ts). */
  webApiFetch?: FetchFunction;
  /** More listeners on the same app and deps; an extension may return start/stop hooks (timers, watchers). */
  extend?: Array<(app: AppType, ctx: ExtendContext) => void | SlackExtension>;
  /** Approvals (always on: teardown runs only through them). `expiryCheckMs`: how often expiry is checked. */
  approvals?: { expiryCheckMs?: number };
  /** The request modal (`/pve provision` without a name, App Home's button): where online nodes come from. */
  modal?: ProvisionModalOptions;
}

/** Start/stop hooks of an extension: started after the app's own listeners, stopped before them. */
export interface SlackExtension {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/**
 * Runs after the ack and before the command is dispatched; returns true when it handled the command (e.g. opened a
 * modal with the command's trigger_id, which is valid for 3 seconds only).
 */
export type CommandInterceptor = (args: { command: SlashCommand; prepared: PreparedCommand; respond: RespondFn }) => boolean | Promise<boolean>;

export interface ExtendContext {
  deps: CommandDeps;
  client: WebClient;
  reporter: ProgressReporter;
  interceptCommand(interceptor: CommandInterceptor): void;
}

export interface SlackApp {
  app: AppType;
  client: WebClient;
  deps: CommandDeps;
  reporter: ProgressReporter;
  principals: SlackUsergroupResolver;
  approvals: SlackApprovals;
  /** Starts receiving (HTTP: listens and returns the port). Also follows the runner's jobs and resumes threads. */
  start(): Promise<{ port?: number; server?: Server }>;
  stop(): Promise<void>;
}

/** Bolt's logger interface on top of pino (Bolt logs strings). */
function boltLogger(log: Logger): BoltLogger {
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" ");
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => log.debug(text(m)),
    info: (...m: unknown[]) => log.info(text(m)),
    warn: (...m: unknown[]) => log.warn(text(m)),
    error: (...m: unknown[]) => log.error(text(m)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** A neutral reply as a slash-command ack body or response_url payload (one page). */
function responsePayload(reply: Reply, page: SlackMessage): RespondArguments {
  return {
    response_type: reply.visibility === "in_channel" ? "in_channel" : "ephemeral",
    replace_original: false,
    text: page.text,
    blocks: page.blocks,
  } as RespondArguments;
}

/** Sends a reply through a response_url: at most 4 pages (a response_url takes 5 posts). */
export async function sendReply(respond: RespondFn, reply: Reply): Promise<void> {
  for (const page of renderMessages(reply, 4)) await respond(responsePayload(reply, page));
}

export function invocationOf(command: SlashCommand): Invocation {
  return {
    user: command.user_id,
    channel: command.channel_id,
    text: command.text ?? "",
    requestKey: `slack:${command.team_id}:${command.trigger_id}`,
    command: command.command,
  };
}

export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const log = (opts.logger ?? silentLogger).child({ component: "slack" });
  const clientOptions = {
    slackApiUrl: opts.slackApiUrl ?? "https://slack.com/api/",
    retryConfig: opts.retryConfig ?? SLACK_RETRY_POLICY,
    ...(opts.webApiFetch ? { fetch: opts.webApiFetch } : {}),
  };
  const app: AppType =
    opts.receiver.mode === "http"
      ? new App({ token: opts.botToken, signingSecret: opts.receiver.signingSecret, clientOptions, logger: boltLogger(log) })
      : new App({ token: opts.botToken, appToken: opts.receiver.appToken, socketMode: true, clientOptions, logger: boltLogger(log) });
  const client = app.client;
  const principals = new SlackUsergroupResolver({ client, logger: log, ...(opts.groupCacheMs !== undefined ? { ttlMs: opts.groupCacheMs } : {}) });
  const deps: CommandDeps = { ...opts.deps, principals, commands: opts.deps.commands ?? ALL_COMMANDS, logger: log };
  const reporter = new ProgressReporter({ client, store: deps.store, logger: log, ...(opts.rateScale !== undefined ? { rateScale: opts.rateScale } : {}) });

  // Work after the ack runs at most COMMAND_CONCURRENCY at a time, so a burst of commands cannot starve the
  // event loop that acknowledges the next ones (Slack's 3-second ack deadline comes first).
  const afterAck = new Bottleneck({ maxConcurrent: opts.commandConcurrency ?? COMMAND_CONCURRENCY });
  const interceptors: CommandInterceptor[] = [];

  app.command(opts.command ?? "/pve", async ({ command, ack, respond }) => {
    const inv = invocationOf(command);
    let prepared: PreparedCommand;
    try {
      prepared = prepareCommand(inv.text, deps.commands);
    } catch (err) {
      // A usage error needs no I/O: answer it in the ack itself.
      const reply = errorReply(err);
      await ack(responsePayload(reply, renderMessages(reply, 1)[0]!) as Parameters<typeof ack>[0]);
      return;
    }
    await ack();
    for (const intercept of interceptors) {
      try {
        if (await intercept({ command, prepared, respond })) return;
      } catch (err) {
        log.error({ err, command: prepared.module.name }, "command interceptor failed");
        return;
      }
    }
    const reply = await afterAck.schedule(() => dispatchCommand(inv, deps, prepared));
    if (reply) {
      try {
        await sendReply(respond, reply);
      } catch (err) {
        log.warn({ err: (err as Error).message, command: prepared.module.name }, "sending the reply failed");
      }
    }
  });

  const extendContext: ExtendContext = { deps, client, reporter, interceptCommand: (i) => void interceptors.push(i) };
  // Part 2: approvals (teardown runs only through them), the request modal and App Home.
  const approvals = new SlackApprovals({ client, deps, logger: log, ...(opts.approvals?.expiryCheckMs !== undefined ? { expiryCheckMs: opts.approvals.expiryCheckMs } : {}) });
  deps.approvals = approvals;
  approvals.register(app);
  const modal = new ProvisionModal({ client, deps, logger: log, ...opts.modal });
  modal.register(app, extendContext);
  new AppHome({ client, deps, logger: log, modal }).register(app);
  const extensions: SlackExtension[] = [{ start: () => approvals.start(), stop: () => approvals.stop() }];
  for (const add of opts.extend ?? []) {
    const ext = add(app, extendContext);
    if (ext) extensions.push(ext);
  }

  app.error(async (err) => {
    log.error({ err: err.message, code: (err as { code?: string }).code }, "Bolt listener error");
  });

  let detach: (() => void) | undefined;
  return {
    app,
    client,
    deps,
    reporter,
    principals,
    approvals,
    async start() {
      detach = reporter.attach(deps.runner);
      await reporter.resumePending();
      for (const ext of extensions) await ext.start?.();
      if (opts.receiver.mode === "http") {
        const server = (await app.start({ port: opts.receiver.port ?? 3000, host: opts.receiver.host ?? "0.0.0.0" })) as Server;
        return { server, port: (server.address() as AddressInfo).port };
      }
      await app.start();
      return {};
    },
    async stop() {
      for (const ext of [...extensions].reverse()) await Promise.resolve(ext.stop?.()).catch((err: unknown) => log.warn({ err: (err as Error).message }, "stopping an extension failed"));
      detach?.();
      await app.stop().catch((err: unknown) => log.warn({ err: (err as Error).message }, "stopping Bolt failed"));
      await reporter.close();
    },
  };
}
