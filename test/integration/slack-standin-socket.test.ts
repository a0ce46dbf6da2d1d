import { App, LogLevel, SocketModeReceiver } from "@slack/bolt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SlackDriver, startSlackStandIn, type SlackStandIn } from "../../src/devkit/slack/index.js";

describe("Slack stand-in Socket Mode link with a real Bolt App", () => {
  let standIn: SlackStandIn;
  let app: App;
  let driver: SlackDriver;
  const commands: string[] = [];
  const submissions: string[] = [];

  beforeAll(async () => {
    // apps.connections.open is Tier 1 (one a minute); switch limits off so reconnects are not throttled.
    standIn = await startSlackStandIn({ rateLimits: false });
    // An explicit receiver, because App's own socketMode option does not pass clientPingTimeout through, and the
    // reconnect delay after a `disconnect` message is clientPingTimeout (5 s by default).
    const receiver = new SocketModeReceiver({
      appToken: standIn.appToken,
      clientPingTimeout: 300,
      logLevel: LogLevel.ERROR,
      installerOptions: { clientOptions: { slackApiUrl: standIn.apiUrl } },
    });
    app = new App({
      token: standIn.botToken,
      receiver,
      clientOptions: { slackApiUrl: standIn.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    app.command("/pve", async ({ ack, command, client }) => {
      commands.push(command.text);
      await ack({ text: `on it: ${command.text}` });
      await client.chat.postMessage({ channel: command.channel_id, text: `done: ${command.text}` });
    });
    app.view("confirm", async ({ ack, view }) => {
      submissions.push(view.state.values["why"]?.["value"]?.value ?? "");
      await ack({ response_action: "errors", errors: { why: "say more" } });
    });
    await app.start();
    driver = new SlackDriver({ standIn, socketMode: true });
  });

  afterAll(async () => {
    await app?.stop();
    await standIn?.close();
  });

  beforeEach(() => {
    commands.length = 0;
    submissions.length = 0;
  });

  it("connects through apps.connections.open with the app token and gets hello", () => {
    expect(standIn.socketMode.connectionCount).toBe(1);
    expect(standIn.calls("apps.connections.open")).toHaveLength(1);
    expect(standIn.socketMode.traffic[0]?.message).toMatchObject({ type: "hello", connection_info: { app_id: standIn.appId } });
  });

  it("delivers a slash command envelope; the app acks it with its payload", async () => {
    const result = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "list" });
    expect(result).toMatchObject({ status: 200, timedOut: false, ackBody: { text: "on it: list" } });
    expect(commands).toEqual(["list"]);
    expect(standIn.ephemerals("C0OPS", "U0ALICE").map((e) => e.text)).toContain("on it: list");
    await driver.waitForMessage("C0OPS", (m) => m.text === "done: list");
    const envelope = standIn.socketMode.traffic.find((t) => t.direction === "out" && t.message["type"] === "slash_commands");
    expect(envelope?.message).toMatchObject({ accepts_response_payload: true, payload: { command: "/pve", text: "list" } });
  });

  it("delivers a view submission as an interactive envelope and returns response_action errors", async () => {
    const opened = await app.client.views.open({
      trigger_id: standIn.issueTriggerId("U0BOB"),
      view: {
        type: "modal",
        callback_id: "confirm",
        title: { type: "plain_text", text: "Confirm" },
        submit: { type: "plain_text", text: "Destroy" },
        blocks: [
          {
            type: "input",
            block_id: "why",
            label: { type: "plain_text", text: "Why?" },
            element: { type: "plain_text_input", action_id: "value" },
          },
        ],
      },
    });
    const result = await driver.submitView({ user: "U0BOB", viewId: opened.view!.id!, values: { why: { value: "old" } } });
    expect(result).toMatchObject({ status: 200, responseAction: "errors", errors: { why: "say more" } });
    expect(submissions).toEqual(["old"]);
  });

  it("reconnects after a disconnect message and keeps delivering", async () => {
    standIn.socketMode.sendDisconnect("refresh_requested");
    await standIn.waitFor(() => standIn.calls("apps.connections.open").length === 2, 5000, "a reconnect");
    await standIn.socketMode.waitForConnection();
    const result = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "again" });
    expect(result.status).toBe(200);
    expect(commands).toEqual(["again"]);
    await driver.waitForMessage("C0OPS", (m) => m.text === "done: again");
  });
});

describe("Bolt's own socketMode option", () => {
  it("reaches the stand-in through clientOptions.slackApiUrl alone", async () => {
    const standIn = await startSlackStandIn({ rateLimits: false });
    const app = new App({
      token: standIn.botToken,
      appToken: standIn.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: standIn.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    try {
      app.command("/pve", async ({ ack }) => {
        await ack({ text: "pong", response_type: "in_channel" });
      });
      await app.start();
      const result = await new SlackDriver({ standIn, socketMode: true }).postCommand({
        user: "U0BOB",
        channel: "C0GENERAL",
        text: "ping",
      });
      expect(result).toMatchObject({ status: 200, ackBody: { text: "pong", response_type: "in_channel" } });
      expect(standIn.messages("C0GENERAL").map((m) => m.text)).toEqual(["pong"]);
      // auth.test with the bot token, apps.connections.open with the app token: both reached the stand-in.
      expect(standIn.calls("apps.connections.open").map((c) => c.httpStatus)).toEqual([200]);
      expect(standIn.calls("auth.test").length).toBeGreaterThan(0);
    } finally {
      await app.stop();
      await standIn.close();
    }
  });
});
