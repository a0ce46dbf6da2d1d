/**
 * The Slack side of the console: a local Slack stand-in, the REAL Slack app (createSlackApp, Bolt's HTTP receiver
 * on 127.0.0.1, Web API calls to the stand-in) bound to one channel, and the driver that sends it correctly
 * signed commands, clicks and submissions. The console talks to this exactly as Slack would, so what it shows is
 * what the app really sends.
 */
import { randomBytes } from "node:crypto";
import type { Store } from "../../adapters/store/types.js";
import type { Config, Profile } from "../../config/schema.js";
import { SlackDriver, startSlackStandIn, type SeedChannel, type SeedUser, type SlackStandIn, type SlackStandInOptions } from "../../devkit/slack/index.js";
import type { Engine } from "../../engine/engine.js";
import type { JobRunner } from "../../jobs/runner.js";
import { silentLogger, type Logger } from "../../log.js";
import { createSlackApp, type SlackApp, type SlackAppOptions } from "../slack/app.js";
import type { KnownUser } from "./session.js";

export const CONSOLE_CHANNEL: SeedChannel = { id: "C0DEMO", name: "demo" };

export interface ChatStackOptions {
  runtime: { store: Store; engine: Engine; runner: JobRunner; profiles: ReadonlyMap<string, Profile>; config: Pick<Config, "slack"> };
  /** The profile the console's channel is bound to. */
  profile: string;
  channel?: SeedChannel;
  users: KnownUser[];
  /** User-group id → member ids (permissions and approvers name groups). */
  usergroups: Record<string, string[]>;
  /** Bot admins (may /pve bind); added to the config's. */
  admins?: string[];
  /** Pacing of the stand-in's rate limits and the app's progress reporter (1 = Slack's real pace). */
  rateScale?: number;
  logger?: Logger;
  /** Stand-in options (e.g. the bot and app tokens it accepts). */
  standIn?: Partial<SlackStandInOptions>;
  /** The signing secret the driver signs with and the app verifies. Default: random per run. */
  signingSecret?: string;
  /** More Slack app options (listeners of part 2, metrics fetch …). */
  app?: Pick<SlackAppOptions, "extend"> & Partial<Pick<SlackAppOptions, "retryConfig">> & Record<string, unknown>;
}

export interface ChatStack {
  standIn: SlackStandIn;
  slack: SlackApp;
  driver: SlackDriver;
  channel: SeedChannel;
  users: KnownUser[];
  close(): Promise<void>;
}

export async function startChatStack(opts: ChatStackOptions): Promise<ChatStack> {
  const channel = opts.channel ?? CONSOLE_CHANNEL;
  const scale = opts.rateScale ?? 0.1;
  const seedUsers: SeedUser[] = opts.users.map((u) => ({ id: u.id, name: u.name, ...(u.realName ? { realName: u.realName } : {}) }));
  const standIn = await startSlackStandIn({ ...opts.standIn, rateLimitScale: scale, channels: [channel], users: seedUsers, usergroups: opts.usergroups });
  // A fresh secret per run: the driver signs with it, Bolt verifies it, and nothing else ever sees it.
  const signingSecret = opts.signingSecret ?? randomBytes(24).toString("hex");
  let slack: SlackApp | undefined;
  try {
    const config = opts.runtime.config.slack;
    slack = createSlackApp({
      ...(opts.app ?? {}),
      deps: {
        store: opts.runtime.store,
        engine: opts.runtime.engine,
        runner: opts.runtime.runner,
        profiles: opts.runtime.profiles,
        slack: {
          admins: [...new Set([...config.admins, ...(opts.admins ?? [])])],
          bindings: { ...config.bindings, [channel.id]: opts.profile },
        },
      },
      botToken: standIn.botToken,
      receiver: { mode: "http", signingSecret, port: 0, host: "127.0.0.1" },
      slackApiUrl: standIn.apiUrl,
      rateScale: scale,
      logger: opts.logger ?? silentLogger,
    } as SlackAppOptions);
    const { port } = await slack.start();
    const driver = new SlackDriver({ standIn, signingSecret, appUrl: `http://127.0.0.1:${port}/slack/events` });
    const started = slack;
    return {
      standIn,
      slack: started,
      driver,
      channel,
      users: opts.users,
      async close() {
        await started.stop();
        await standIn.close();
      },
    };
  } catch (err) {
    await slack?.stop().catch(() => undefined);
    await standIn.close();
    throw err;
  }
}

/**
 * Users and groups for a console on a configured cluster: the ids the config and profiles name (admins,
 * permissions, approvers) exist, and two operators who are in every group named there, so one can request and
 * the other approve. The console is for people who hold the config anyway; Slack is not involved.
 */
export function operatorDirectory(config: Pick<Config, "slack">, profiles: Iterable<Profile>): { users: KnownUser[]; usergroups: Record<string, string[]>; admins: string[] } {
  const principals = new Set<string>(config.slack.admins);
  for (const p of profiles) {
    for (const list of Object.values(p.permissions)) for (const id of list) principals.add(id);
    for (const rule of Object.values(p.approvals)) for (const id of rule?.approvers ?? []) principals.add(id);
  }
  const operators: KnownUser[] = [
    { id: "U0OPERATOR", name: "operator", note: "in every group" },
    { id: "U0OPERATOR2", name: "operator2", note: "in every group; approves" },
  ];
  const users: KnownUser[] = [...operators];
  const usergroups: Record<string, string[]> = {};
  for (const id of principals) {
    if (/^S[A-Z0-9]+$/.test(id)) usergroups[id] = operators.map((o) => o.id);
    else if (/^[UW][A-Z0-9]+$/.test(id) && !users.some((u) => u.id === id)) users.push({ id, name: id.toLowerCase() });
  }
  return { users, usergroups, admins: operators.map((o) => o.id) };
}
