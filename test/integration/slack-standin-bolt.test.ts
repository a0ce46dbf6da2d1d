import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { App, LogLevel, type SlashCommand } from "@slack/bolt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SlackDriver, startSlackStandIn, type SlackStandIn } from "../../src/devkit/slack/index.js";

const SIGNING_SECRET = "standin-signing-secret";

describe("Slack stand-in + driver with a real Bolt App over HTTP", () => {
  let standIn: SlackStandIn;
  let app: App;
  let driver: SlackDriver;
  let appUrl: string;
  let releaseSlowAck: () => void = () => undefined;
  const slowAck = new Promise<void>((resolve) => {
    releaseSlowAck = resolve;
  });
  const seen = {
    commands: [] as SlashCommand[],
    actions: [] as Array<{ actionId: string; value: string | undefined; retryNum: number | undefined }>,
    submissions: [] as Array<Record<string, unknown>>,
    homeOpens: [] as string[],
  };

  beforeAll(async () => {
    standIn = await startSlackStandIn({ rateLimits: false, usergroups: { S0INFRA: ["U0ALICE"] } });
    app = new App({
      token: standIn.botToken,
      signingSecret: SIGNING_SECRET,
      clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
      logLevel: LogLevel.ERROR,
    });
    app.command("/pve", async ({ ack, command, client, respond }) => {
      seen.commands.push(command);
      if (command.text === "form") {
        await ack();
        await client.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: "modal",
            callback_id: "create_vm",
            private_metadata: command.channel_id,
            title: { type: "plain_text", text: "Create VM" },
            submit: { type: "plain_text", text: "Create" },
            blocks: [
              {
                type: "input",
                block_id: "name",
                label: { type: "plain_text", text: "Name" },
                element: { type: "plain_text_input", action_id: "value" },
              },
              {
                type: "input",
                block_id: "size",
                label: { type: "plain_text", text: "Size" },
                element: {
                  type: "static_select",
                  action_id: "value",
                  options: [
                    { text: { type: "plain_text", text: "Small" }, value: "s" },
                    { text: { type: "plain_text", text: "Large" }, value: "l" },
                  ],
                },
              },
            ],
          },
        });
        return;
      }
      await ack({ text: `working on: ${command.text}` });
      await respond({ text: "still working" });
      await client.chat.postMessage({
        channel: command.channel_id,
        text: `job for ${command.text}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `job for *${command.text}*` } },
          {
            type: "actions",
            block_id: "job_actions",
            elements: [
              { type: "button", action_id: "cancel_job", value: "job-42", text: { type: "plain_text", text: "Cancel" } },
            ],
          },
        ],
      });
    });
    app.action("cancel_job", async ({ ack, action, respond, context }) => {
      await ack();
      seen.actions.push({
        actionId: "cancel_job",
        value: action.type === "button" ? action.value : undefined,
        retryNum: context.retryNum,
      });
      await respond({ replace_original: true, text: "cancelled" });
    });
    app.view("create_vm", async ({ ack, view }) => {
      seen.submissions.push(view.state.values);
      const name = view.state.values["name"]?.["value"]?.value ?? "";
      if (!/^[a-z][a-z0-9-]*$/.test(name)) {
        await ack({ response_action: "errors", errors: { name: "lowercase letters, digits and - only" } });
        return;
      }
      await ack();
    });
    app.event("app_home_opened", async ({ event, client }) => {
      seen.homeOpens.push(event.user);
      await client.views.publish({
        user_id: event.user,
        view: { type: "home", blocks: [{ type: "section", text: { type: "mrkdwn", text: "Your VMs: none" } }] },
      });
    });
    app.command("/slow", async ({ ack }) => {
      await slowAck;
      await ack();
    });
    const server = (await app.start({ port: 0, host: "127.0.0.1" })) as Server;
    const { port } = server.address() as AddressInfo;
    appUrl = `http://127.0.0.1:${port}/slack/events`;
    driver = new SlackDriver({ standIn, appUrl, signingSecret: SIGNING_SECRET });
  });

  afterAll(async () => {
    releaseSlowAck();
    await app?.stop();
    await standIn?.close();
  });

  beforeEach(() => {
    standIn.reset();
    seen.commands.length = 0;
    seen.actions.length = 0;
    seen.submissions.length = 0;
    seen.homeOpens.length = 0;
  });

  it("delivers a signed slash command; the ack becomes an ephemeral and the listener posts", async () => {
    const result = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "create web-1" });
    expect(result).toMatchObject({ status: 200, timedOut: false, ackBody: { text: "working on: create web-1" } });
    const posted = await driver.waitForMessage("C0OPS", (m) => m.text === "job for create web-1");
    expect(posted.blocks).toHaveLength(2);
    await driver.waitForEphemeral("C0OPS", "U0ALICE", (e) => e.text === "still working");
    expect(standIn.ephemerals("C0OPS", "U0ALICE").map((e) => e.text)).toEqual(["working on: create web-1", "still working"]);
    expect(seen.commands[0]).toMatchObject({
      command: "/pve",
      text: "create web-1",
      user_id: "U0ALICE",
      user_name: "alice",
      channel_id: "C0OPS",
      channel_name: "ops",
      team_id: standIn.teamId,
      api_app_id: standIn.appId,
      response_url: result.responseUrl,
      trigger_id: result.triggerId,
    });
  });

  it("rejects a bad signature and a stale timestamp with 401, and the listener does not run", async () => {
    const forged = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "x", badSignature: true });
    const stale = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "y", staleTimestamp: true });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    const good = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "z" });
    expect(good.status).toBe(200);
    expect(seen.commands.map((c) => c.text)).toEqual(["z"]);
    // Let the listener finish before the next test resets the stand-in.
    await driver.waitForMessage("C0OPS", (m) => m.text === "job for z");
  });

  it("delivers a block action from a posted message; respond() replaces the original", async () => {
    await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "web-2" });
    const message = await driver.waitForMessage("C0OPS", (m) => m.text === "job for web-2");
    const click = await driver.clickButton({
      user: "U0BOB",
      channel: "C0OPS",
      messageTs: message.ts,
      actionId: "cancel_job",
      retryNum: 1,
    });
    expect(click.status).toBe(200);
    await standIn.waitFor(() => standIn.message("C0OPS", message.ts)?.text === "cancelled");
    expect(seen.actions).toEqual([{ actionId: "cancel_job", value: "job-42", retryNum: 1 }]);
    expect(standIn.message("C0OPS", message.ts)?.edits.map((e) => e.text)).toEqual(["job for web-2"]);
  });

  it("opens a modal from the command's trigger_id and delivers submissions (errors, then success)", async () => {
    const result = await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "form" });
    expect(result.status).toBe(200);
    const opened = await standIn.waitFor(() => standIn.views().find((v) => v.callbackId === "create_vm"));
    expect(opened).toMatchObject({ user: "U0ALICE", type: "modal", privateMetadata: "C0OPS" });

    const bad = await driver.submitView({
      user: "U0ALICE",
      viewId: opened.id,
      values: { name: { value: "Web 1" }, size: { value: "l" } },
    });
    expect(bad).toMatchObject({ status: 200, responseAction: "errors", errors: { name: "lowercase letters, digits and - only" } });
    expect(standIn.view(opened.id)?.closed).toBe(false);
    expect(seen.submissions[0]).toEqual({
      name: { value: { type: "plain_text_input", value: "Web 1" } },
      size: { value: { type: "static_select", selected_option: { text: { type: "plain_text", text: "Large" }, value: "l" } } },
    });

    const good = await driver.submitView({ user: "U0ALICE", viewId: opened.id, values: { name: { value: "web-1" }, size: { value: "s" } } });
    expect(good).toMatchObject({ status: 200, responseAction: undefined, ackBody: undefined });
    expect(standIn.view(opened.id)?.closed).toBe(true);
  });

  it("delivers app_home_opened through the Events API and answers url_verification", async () => {
    const opened = await driver.openHome("U0BOB");
    expect(opened.status).toBe(200);
    const home = await standIn.waitFor(() => standIn.homeView("U0BOB"));
    expect(home.view["blocks"]).toEqual([{ type: "section", text: { type: "mrkdwn", text: "Your VMs: none" } }]);
    expect(seen.homeOpens).toEqual(["U0BOB"]);
    expect(await driver.verifyUrl()).toEqual({ status: 200, challengeEchoed: true });
  });

  it("reports a missing ack within the ack deadline as timed out, as Slack shows the user an error", async () => {
    const impatient = new SlackDriver({ standIn, appUrl, signingSecret: SIGNING_SECRET, ackTimeoutMs: 200 });
    const result = await impatient.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "", command: "/slow" });
    expect(result).toMatchObject({ status: 0, timedOut: true, ackBody: undefined });
    expect(standIn.ephemerals("C0OPS")).toEqual([]);
  });
});
