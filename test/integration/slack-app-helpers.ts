/**
 * Shared setup for the Slack app integration tests: Proxmox simulator + engine (startPveEnv), an in-memory store,
 * a JobRunner, the Slack stand-in and our app on Bolt's HTTP receiver, all on 127.0.0.1 port 0.
 */
import { createHmac } from "node:crypto";
import { openStore } from "../../src/adapters/store/index.js";
import type { Job, Store } from "../../src/adapters/store/types.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { createSlackApp, type SlackApp, type SlackAppOptions } from "../../src/transport/slack/app.js";
import type { ProfileInput } from "../../src/config/schema.js";
import type { SimulatorOptions } from "../../src/sim/index.js";
import { startPveEnv, type PveEnv } from "../support/pve-env.js";
import { DEFAULT_USERS, SlackDriver, startSlackStandIn, type SlackStandIn, type StoredMessage } from "../../src/devkit/slack/index.js";

export const SIGNING_SECRET = "test-signing-secret-slack-app";
export const CHANNELS = ["C0OPS", "C0GENERAL", "C0PAR", "C0STORM", "C0REST", "C0POWER"].map((id) => ({ id, name: id.slice(2).toLowerCase() }));
export const USERS = [
  ...DEFAULT_USERS,
  { id: "U0ADMIN", name: "admin" },
  { id: "U0CAROL", name: "carol" },
];
export const PERMISSIONS = { list: ["*"], provision: ["S0INFRA", "U0ALICE"], teardown: ["S0INFRA"] };

export interface AppEnv {
  pve: PveEnv;
  store: Store;
  runner: JobRunner;
  standIn: SlackStandIn;
  slack: SlackApp;
  driver: SlackDriver;
  appUrl: string;
  /** A second app on the same store and runner (a restarted bot). */
  startApp(): Promise<{ slack: SlackApp; driver: SlackDriver; appUrl: string }>;
  close(): Promise<void>;
}

export interface AppEnvOptions {
  bindings?: Record<string, string>;
  /** More profile settings (e.g. `approvals`), merged over `permissions: PERMISSIONS`. */
  profile?: Partial<ProfileInput>;
  /** Simulator options (e.g. a second API token that is not the bot's). */
  sim?: SimulatorOptions;
  /** The store's clock (approval expiry tests move it forward). */
  storeNow?: () => Date;
  /** Extra options for every app started (extensions, approvals, modal). */
  app?: (env: { pve: PveEnv; store: Store; runner: JobRunner }) => Partial<Pick<SlackAppOptions, "extend" | "approvals" | "modal">>;
}

export async function startAppEnv(opts: AppEnvOptions = {}): Promise<AppEnv> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const pve = await startPveEnv({ profile: { permissions: PERMISSIONS, ...opts.profile }, ...(opts.sim ? { sim: opts.sim } : {}) });
    cleanups.push(() => pve.close());
    const store = await openStore("sqlite::memory:", opts.storeNow ? { now: opts.storeNow } : {});
    cleanups.push(() => store.close());
    const runner = new JobRunner({ store, engine: pve.engine, pollMs: 20, leaseMs: 3000, maxParallel: 24 });
    runner.start();
    cleanups.push(() => runner.stop(5000));
    const standIn = await startSlackStandIn({ rateLimitScale: 0.01, channels: CHANNELS, users: USERS, usergroups: { S0INFRA: ["U0ALICE"], S0LEADS: ["U0BOB"] } });
    cleanups.push(() => standIn.close());
    const startApp = async () => {
      const slack = createSlackApp({
        deps: { store, engine: pve.engine, runner, slack: { admins: ["U0ADMIN"], bindings: opts.bindings ?? { C0OPS: "lab", C0PAR: "lab", C0STORM: "lab", C0REST: "lab", C0POWER: "lab" } }, profiles: pve.profiles },
        botToken: standIn.botToken,
        receiver: { mode: "http", signingSecret: SIGNING_SECRET, port: 0, host: "127.0.0.1" },
        slackApiUrl: standIn.apiUrl,
        rateScale: 0.01,
        retryConfig: { retries: 20, factor: 1, minTimeout: 10, maxTimeout: 50 },
        ...opts.app?.({ pve, store, runner }),
      });
      const { port } = await slack.start();
      let stopped = false;
      cleanups.push(async () => {
        if (!stopped) await slack.stop();
        stopped = true;
      });
      const appUrl = `http://127.0.0.1:${port}/slack/events`;
      return { slack, driver: new SlackDriver({ standIn, signingSecret: SIGNING_SECRET, appUrl }), appUrl };
    };
    const first = await startApp();
    return { pve, store, runner, standIn, ...first, startApp, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The newest job submitted in a channel. */
export async function latestJob(store: Store, channel: string): Promise<Job> {
  const [job] = await store.listJobs({ channel, limit: 1 });
  if (!job) throw new Error(`no job in ${channel}`);
  return job;
}

/** Runs `send` and returns the job it submitted in `channel` (commands submit after their ack). */
export async function submittedBy(store: Store, channel: string, send: () => Promise<unknown>): Promise<Job> {
  const before = new Set((await store.listJobs({ channel, limit: 500 })).map((j) => j.id));
  await send();
  for (let i = 0; i < 500; i++) {
    const fresh = (await store.listJobs({ channel, limit: 500 })).find((j) => !before.has(j.id));
    if (fresh) return fresh;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no new job in ${channel}`);
}

/** Waits for the job to end and its thread and status to be fully posted. */
export async function settle(env: Pick<AppEnv, "runner" | "store">, slack: SlackApp, jobId: string): Promise<Job> {
  await env.runner.waitForJob(jobId, 60_000);
  for (let i = 0; i < 200; i++) {
    await slack.reporter.idle();
    const job = (await env.store.getJob(jobId))!;
    const events = await env.store.listEvents(jobId, job.reportedSeq, 1);
    if (events.length === 0 && job.threadTs) return job;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`thread of ${jobId} did not settle`);
}

export function threadTexts(standIn: SlackStandIn, job: Job): string[] {
  return standIn.thread(job.channel!, job.threadTs!).filter((m) => m.ts !== job.threadTs).map((m: StoredMessage) => blockText(m));
}

/** All text of a message's blocks (sections, fields, context), joined by newlines. */
export function blockText(m: { text: string; blocks: Array<Record<string, unknown>> | undefined }): string {
  if (!m.blocks) return m.text;
  const parts: string[] = [];
  for (const b of m.blocks) {
    const t = b["text"] as { text?: string } | undefined;
    if (t?.text) parts.push(t.text);
    for (const f of (b["fields"] as Array<{ text: string }> | undefined) ?? []) parts.push(f.text);
    for (const el of (b["elements"] as Array<{ text?: unknown }> | undefined) ?? []) if (typeof el.text === "string") parts.push(el.text);
  }
  return parts.join("\n");
}

/** Sends exactly `body` as Slack would, signed, optionally as a redelivery (X-Slack-Retry-Num). */
export async function postSigned(appUrl: string, body: string, retryNum?: number): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const sig = `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
  const res = await fetch(appUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": sig,
      ...(retryNum !== undefined ? { "x-slack-retry-num": String(retryNum), "x-slack-retry-reason": "http_timeout" } : {}),
    },
    body,
  });
  await res.text();
  return res.status;
}
