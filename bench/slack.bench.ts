/**
 * Slack app benchmarks, side by side in one run:
 * - slash-command ack latency (p50/p99) under 200 concurrent `/pve list` commands, for our app and for a bare Bolt
 *   app that only acks, on the same machine and stand-in, as a ratio (ours / bare);
 * - Slack Web API calls per provision (from the stand-in's call log).
 * Everything listens on 127.0.0.1; the Proxmox side is the simulator.
 */
import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, LogLevel } from "@slack/bolt";
import type { BenchFigure } from "./lib.js";
import { openStore } from "../src/adapters/store/index.js";
import { JobRunner } from "../src/jobs/runner.js";
import { createSlackApp } from "../src/transport/slack/app.js";
import { startPveEnv } from "../test/support/pve-env.js";
import { startSlackStandIn, type SlackStandIn } from "../src/devkit/slack/index.js";

const SECRET = "bench-signing-secret";
const CONCURRENT = 200;
const ROUNDS = 3;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function command(standIn: SlackStandIn, url: string, text: string, channel = "C0OPS", user = "U0ALICE"): Promise<number> {
  const body = new URLSearchParams({
    token: standIn.verificationToken,
    team_id: standIn.teamId,
    channel_id: channel,
    channel_name: "ops",
    user_id: user,
    user_name: "alice",
    command: "/pve",
    text,
    api_app_id: standIn.appId,
    response_url: standIn.issueResponseUrl({ channel, user }),
    trigger_id: standIn.issueTriggerId(user),
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const sig = `v0=${createHmac("sha256", SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(ts), "x-slack-signature": sig },
    body,
  });
  await res.text();
  if (res.status !== 200) throw new Error(`ack status ${res.status}`);
  return performance.now() - started;
}

async function burst(standIn: SlackStandIn, url: string): Promise<number[]> {
  return Promise.all(Array.from({ length: CONCURRENT }, () => command(standIn, url, "list")));
}

export async function run(): Promise<BenchFigure[]> {
  const pve = await startPveEnv({ profile: { permissions: { list: ["*"], provision: ["U0ALICE"] } } });
  const store = await openStore("sqlite::memory:");
  const runner = new JobRunner({ store, engine: pve.engine, pollMs: 20, leaseMs: 5000 });
  const standIn = await startSlackStandIn({ rateLimits: false });
  const ours = createSlackApp({
    deps: { store, engine: pve.engine, runner, slack: { admins: [], bindings: { C0OPS: "lab" } }, profiles: pve.profiles },
    botToken: standIn.botToken,
    receiver: { mode: "http", signingSecret: SECRET, port: 0, host: "127.0.0.1" },
    slackApiUrl: standIn.apiUrl,
    rateScale: 0.001,
  });
  const bare = new App({ token: standIn.botToken, signingSecret: SECRET, clientOptions: { slackApiUrl: standIn.apiUrl }, logLevel: LogLevel.ERROR });
  bare.command("/pve", async ({ ack }) => {
    await ack();
  });
  try {
    runner.start();
    const { port } = await ours.start();
    const bareServer = (await bare.start({ port: 0, host: "127.0.0.1" })) as Server;
    const oursUrl = `http://127.0.0.1:${port}/slack/events`;
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/slack/events`;

    // Warm up both (auth.test, JIT), then alternate bursts so both see the same machine state.
    await burst(standIn, oursUrl);
    await burst(standIn, bareUrl);
    await ours.reporter.idle();
    const oursMs: number[] = [];
    const bareMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      bareMs.push(...(await burst(standIn, bareUrl)));
      oursMs.push(...(await burst(standIn, oursUrl)));
      await new Promise((res) => setTimeout(res, 200)); // let our replies (response_url posts) drain
    }
    oursMs.sort((a, b) => a - b);
    bareMs.sort((a, b) => a - b);
    const [o50, o99, b50, b99] = [percentile(oursMs, 50), percentile(oursMs, 99), percentile(bareMs, 50), percentile(bareMs, 99)];

    // Let every `/pve list` reply (one response_url post each) arrive before counting a provision's calls.
    const expectedReplies = CONCURRENT * (ROUNDS + 1);
    for (let i = 0; i < 600 && standIn.calls("response_url").length < expectedReplies; i++) await new Promise((res) => setTimeout(res, 50));

    // Web API calls per provision.
    const before = standIn.calls().length;
    await command(standIn, oursUrl, "provision bench1");
    let [job] = await store.listJobs({ channel: "C0OPS", limit: 1 });
    for (let i = 0; i < 500 && !job; i++) {
      await new Promise((res) => setTimeout(res, 10));
      [job] = await store.listJobs({ channel: "C0OPS", limit: 1 });
    }
    await runner.waitForJob(job!.id, 60_000);
    for (let i = 0; i < 100; i++) {
      await ours.reporter.idle();
      const j = await store.getJob(job!.id);
      if (j && (await store.listEvents(j.id, j.reportedSeq, 1)).length === 0) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const calls = standIn.calls().slice(before);
    const byMethod = new Map<string, number>();
    for (const c of calls) byMethod.set(c.method, (byMethod.get(c.method) ?? 0) + 1);
    const breakdown = [...byMethod].map(([m, n]) => `${m} ${n}`).join(", ");

    const n = `${CONCURRENT} concurrent × ${ROUNDS}`;
    return [
      // The simulator runs in the same process, so its work after our acks competes with them for the event loop.
      { name: "slack ack latency p50, /pve list (our app)", value: o50, unit: "ms", note: n },
      { name: "slack ack latency p99, /pve list (our app)", value: o99, unit: "ms", note: n },
      { name: "slack ack latency p50, bare Bolt app (ack only)", value: b50, unit: "ms", note: n },
      { name: "slack ack latency p99, bare Bolt app (ack only)", value: b99, unit: "ms", note: n },
      { name: "slack ack latency ratio p50 (ours / bare)", value: o50 / b50, unit: "x" },
      { name: "slack ack latency ratio p99 (ours / bare)", value: o99 / b99, unit: "x" },
      { name: "slack Web API calls per provision", value: calls.length, unit: "calls", note: breakdown },
    ];
  } finally {
    await ours.stop().catch(() => undefined);
    await bare.stop().catch(() => undefined);
    await runner.stop(5000);
    await store.close();
    await standIn.close();
    await pve.close();
  }
}
