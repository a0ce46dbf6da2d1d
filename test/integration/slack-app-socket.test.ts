/** One command path over Socket Mode: the stand-in's WebSocket link instead of HTTP, same app code. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/adapters/store/index.js";
import type { Store } from "../../src/adapters/store/types.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { createSlackApp, type SlackApp } from "../../src/transport/slack/app.js";
import { startPveEnv, type PveEnv } from "../support/pve-env.js";
import { SlackDriver, startSlackStandIn, type SlackStandIn } from "../../src/devkit/slack/index.js";
import { blockText, PERMISSIONS, settle, threadTexts } from "./slack-app-helpers.js";

describe("Slack app over Socket Mode", () => {
  let pve: PveEnv;
  let store: Store;
  let runner: JobRunner;
  let standIn: SlackStandIn;
  let slack: SlackApp;
  let driver: SlackDriver;

  beforeAll(async () => {
    pve = await startPveEnv({ profile: { permissions: PERMISSIONS } });
    store = await openStore("sqlite::memory:");
    runner = new JobRunner({ store, engine: pve.engine, pollMs: 20, leaseMs: 3000 });
    runner.start();
    // apps.connections.open is Tier 1; limits off so the connection is never throttled.
    standIn = await startSlackStandIn({ rateLimits: false, usergroups: { S0INFRA: ["U0ALICE"] } });
    slack = createSlackApp({
      deps: { store, engine: pve.engine, runner, slack: { admins: [], bindings: { C0OPS: "lab" } }, profiles: pve.profiles },
      botToken: standIn.botToken,
      receiver: { mode: "socket", appToken: standIn.appToken },
      slackApiUrl: standIn.apiUrl,
      rateScale: 0.01,
    });
    await slack.start();
    driver = new SlackDriver({ standIn, socketMode: true });
  });

  afterAll(async () => {
    await slack?.stop();
    await runner?.stop(5000);
    await store?.close();
    await standIn?.close();
    await pve?.close();
  });

  it("connects with the app token, acks at once and replies through the response_url", async () => {
    expect(standIn.calls("apps.connections.open")).toHaveLength(1);
    const res = await driver.postCommand({ user: "U0BOB", channel: "C0OPS", text: "list" });
    expect(res).toMatchObject({ status: 200, timedOut: false });
    const reply = await driver.waitForEphemeral("C0OPS", "U0BOB", (e) => e.text.includes("guests") || e.text.includes("No guests"));
    expect(blockText(reply)).toMatch(/No guests in pool chatops|guest/);
    const usage = await driver.postCommand({ user: "U0BOB", channel: "C0OPS", text: "list --nodee pve1" });
    expect(JSON.stringify(usage.ackBody)).toContain("Did you mean --node?");
  });

  it("starts a job whose thread is written as over HTTP", async () => {
    await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision sock1" });
    let jobId: string | undefined;
    for (let i = 0; i < 200 && !jobId; i++) {
      jobId = (await store.listJobs({ channel: "C0OPS", limit: 1 }))[0]?.id;
      if (!jobId) await new Promise((r) => setTimeout(r, 20));
    }
    const job = await settle({ runner, store }, slack, jobId!);
    expect(job.state).toBe("succeeded");
    expect(threadTexts(standIn, job).at(-1)).toContain(":rocket: *sock1* is ready");
  });
});
