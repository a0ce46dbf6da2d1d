import { ErrorCode, LogLevel, WebClient, WebClientEvent, type Logger, type WebAPIPlatformError } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, SlackDriver, startSlackStandIn, type SlackStandIn, type SlackStandInOptions } from "../../src/devkit/slack/index.js";

const running: SlackStandIn[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function standIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const s = await startSlackStandIn({ usergroups: { S0INFRA: ["U0ALICE"] }, ...opts });
  running.push(s);
  return s;
}

/** WebClient logs Slack's `[ERROR]` response messages; these tests provoke them on purpose. */
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

function client(s: SlackStandIn, extra: ConstructorParameters<typeof WebClient>[1] = {}): WebClient {
  return new WebClient(s.botToken, {
    slackApiUrl: s.apiUrl,
    logger: quiet,
    retryConfig: { retries: 0 },
    ...extra,
  });
}

async function platformError(p: Promise<unknown>): Promise<WebAPIPlatformError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: ErrorCode.PlatformError });
  return err as WebAPIPlatformError;
}

describe("Slack stand-in Web API with the real WebClient", () => {
  it("posts, threads and updates messages, and records every call", async () => {
    const s = await standIn({ rateLimits: false });
    const web = client(s);
    const parent = await web.chat.postMessage({ channel: "C0OPS", text: "creating vm web-1" });
    expect(parent).toMatchObject({ ok: true, channel: "C0OPS", message: { text: "creating vm web-1", bot_id: s.botId } });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply1 = await web.chat.postMessage({ channel: "C0OPS", thread_ts: parent.ts!, text: "cloning" });
    const reply2 = await web.chat.postMessage({ channel: "#ops", thread_ts: parent.ts!, text: "starting" });
    expect(Number(reply2.ts) > Number(reply1.ts) && Number(reply1.ts) > Number(parent.ts)).toBe(true);
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*web-1* ready" } }];
    const updated = await web.chat.update({ channel: "C0OPS", ts: parent.ts!, text: "vm web-1 ready", blocks });
    expect(updated).toMatchObject({ ok: true, ts: parent.ts, text: "vm web-1 ready" });

    const top = s.messages("C0OPS");
    expect(top).toHaveLength(1);
    expect(top[0]).toMatchObject({ ts: parent.ts, text: "vm web-1 ready", blocks });
    expect(top[0]!.edits).toEqual([expect.objectContaining({ text: "creating vm web-1", blocks: undefined })]);
    expect(s.thread("C0OPS", parent.ts!).map((m) => m.text)).toEqual(["cloning", "starting"]);
    expect(s.calls().map((c) => c.method)).toEqual(["chat.postMessage", "chat.postMessage", "chat.postMessage", "chat.update"]);
    // Form-encoded JSON fields come back decoded, and the token is not recorded.
    expect(s.calls("chat.update")[0]!.args).toMatchObject({ blocks, channel: "C0OPS" });
    expect(JSON.stringify(s.calls())).not.toContain(s.botToken);
  });

  it("rejects invalid blocks with Slack's error shape and stores nothing", async () => {
    const s = await standIn({ rateLimits: false });
    const err = await platformError(
      client(s).chat.postMessage({
        channel: "C0OPS",
        text: "x",
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "y".repeat(3001) } }],
      }),
    );
    expect(err.data.error).toBe("invalid_blocks");
    expect((err.data as { errors?: unknown }).errors).toEqual(["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]);
    expect(err.data.response_metadata?.messages).toEqual([
      "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]);
    expect(s.messages("C0OPS")).toEqual([]);
    const tooLong = await platformError(client(s).chat.postMessage({ channel: "C0OPS", text: "z".repeat(40_001) }));
    expect(tooLong.data.error).toBe("msg_too_long");
  });

  it("refuses a wrong token and an app-level token on bot methods", async () => {
    const s = await standIn();
    const wrong = new WebClient("xoxb-wrong", { slackApiUrl: s.apiUrl, logLevel: LogLevel.ERROR });
    expect((await platformError(wrong.auth.test())).data.error).toBe("invalid_auth");
    const app = new WebClient(s.appToken, { slackApiUrl: s.apiUrl, logLevel: LogLevel.ERROR });
    expect((await platformError(app.chat.postMessage({ channel: "C0OPS", text: "x" }))).data.error).toBe(
      "not_allowed_token_type",
    );
    const conn = await app.apps.connections.open();
    expect(conn.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
  });

  it("accepts JSON bodies with a Bearer token and form bodies with a token field", async () => {
    const s = await standIn({ rateLimits: false });
    const asJson = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${s.botToken}` },
      body: JSON.stringify({ channel: "C0OPS", text: "json", blocks: [{ type: "divider" }] }),
    });
    expect(await asJson.json()).toMatchObject({ ok: true, channel: "C0OPS", message: { blocks: [{ type: "divider" }] } });
    const asForm = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: s.botToken, channel: "C0OPS", text: "form" }).toString(),
    });
    expect(await asForm.json()).toMatchObject({ ok: true });
    const anonymous = await fetch(`${s.apiUrl}auth.test`, { method: "POST" });
    expect(await anonymous.json()).toEqual({ ok: false, error: "not_authed" });
    expect(s.messages("C0OPS").map((m) => m.text)).toEqual(["json", "form"]);
  });

  it("opens a DM when chat.postMessage targets a user id, and refuses unknown channels", async () => {
    const s = await standIn({ rateLimits: false });
    const web = client(s);
    const dm = await web.chat.postMessage({ channel: "U0BOB", text: "your VM is ready" });
    expect(dm.channel).toMatch(/^D/);
    expect(await web.conversations.info({ channel: dm.channel! })).toMatchObject({ channel: { is_im: true, user: "U0BOB" } });
    expect((await platformError(web.chat.postMessage({ channel: "C0NOPE", text: "x" }))).data.error).toBe("channel_not_found");
    expect((await platformError(web.chat.postMessage({ channel: "C0OPS", text: "x", thread_ts: "1.000001" }))).data.error).toBe(
      "thread_not_found",
    );
  });

  it("answers the lookup methods from seeded data", async () => {
    const s = await standIn({ rateLimits: false });
    const web = client(s);
    expect(await web.auth.test()).toMatchObject({ ok: true, user_id: s.botUserId, team_id: s.teamId, bot_id: s.botId });
    expect(await web.usergroups.users.list({ usergroup: "S0INFRA" })).toMatchObject({ users: ["U0ALICE"] });
    expect((await platformError(web.usergroups.users.list({ usergroup: "S0NOPE" }))).data.error).toBe("no_such_subteam");
    expect(await web.users.info({ user: "U0BOB" })).toMatchObject({ user: { id: "U0BOB", name: "bob", is_bot: false } });
    expect((await platformError(web.users.info({ user: "U0NOBODY" }))).data.error).toBe("user_not_found");
    expect(await web.conversations.info({ channel: "C0OPS" })).toMatchObject({ channel: { id: "C0OPS", name: "ops" } });
    expect((await platformError(web.conversations.info({ channel: "C0NONE" }))).data.error).toBe("channel_not_found");
    const eph = await web.chat.postEphemeral({ channel: "C0OPS", user: "U0ALICE", text: "only you" });
    expect(s.ephemerals("C0OPS", "U0ALICE")).toEqual([expect.objectContaining({ ts: eph.message_ts, text: "only you" })]);
    expect(s.ephemerals("C0OPS", "U0BOB")).toEqual([]);
  });

  it("answers 429 with Retry-After, and WebClient waits it out so nothing is lost", async () => {
    const s = await standIn();
    s.forceRateLimit("chat.postMessage", 1, 1);
    const web = client(s, { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 10 } });
    const waits: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (sec: number) => waits.push(sec));
    const res = await web.chat.postMessage({ channel: "C0OPS", text: "after the storm" });
    expect(res.ok).toBe(true);
    expect(waits).toEqual([1]);
    expect(s.calls("chat.postMessage").map((c) => c.httpStatus)).toEqual([429, 200]);
    expect(s.calls("chat.postMessage")[0]!.result).toEqual({ ok: false, error: "ratelimited" });
    expect(s.messages("C0OPS").map((m) => m.text)).toEqual(["after the storm"]);
  });

  it("paces chat.postMessage per channel like Slack (burst, then 429 with Retry-After)", async () => {
    const s = await standIn({ postMessageBurst: 2, clock: new ManualClock() });
    const web = client(s, { rejectRateLimitedCalls: true });
    await web.chat.postMessage({ channel: "C0OPS", text: "1" });
    await web.chat.postMessage({ channel: "C0OPS", text: "2" });
    const err: unknown = await web.chat.postMessage({ channel: "C0OPS", text: "3" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
    await web.chat.postMessage({ channel: "C0GENERAL", text: "other channel" });
    expect(s.messages("C0OPS").map((m) => m.text)).toEqual(["1", "2"]);
  });

  it("lets rate limiting be switched off", async () => {
    const s = await standIn({ rateLimits: false, clock: new ManualClock() });
    const web = client(s, { rejectRateLimitedCalls: true });
    for (let i = 0; i < 8; i++) await web.chat.postMessage({ channel: "C0OPS", text: String(i) });
    expect(s.messages("C0OPS")).toHaveLength(8);
  });

  it("accepts a response_url 5 times, then refuses it; in_channel, ephemeral, replace and delete work", async () => {
    const s = await standIn({ rateLimits: false });
    const posted = await client(s).chat.postMessage({
      channel: "C0OPS",
      text: "approve?",
      blocks: [{ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "OK" }, action_id: "ok" }] }],
    });
    const url = s.issueResponseUrl({ channel: "C0OPS", user: "U0ALICE", source: { kind: "message", ts: posted.ts! } });
    const post = (body: object) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post({ text: "eph 1" })).status).toBe(200);
    expect((await post({ text: "to all", response_type: "in_channel" })).status).toBe(200);
    expect((await post({ text: "approved", replace_original: true })).status).toBe(200);
    expect((await post({ text: "eph 2" })).status).toBe(200);
    expect((await post({ delete_original: true })).status).toBe(200);
    const sixth = await post({ text: "one too many" });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: "used_url" });

    expect(s.ephemerals("C0OPS", "U0ALICE").map((e) => e.text)).toEqual(["eph 1", "eph 2"]);
    expect(s.messages("C0OPS").map((m) => m.text)).toEqual(["to all"]);
    const original = s.message("C0OPS", posted.ts!);
    expect(original).toMatchObject({ deleted: true, text: "approved", blocks: undefined });
    expect(s.calls("response_url").map((c) => c.httpStatus)).toEqual([200, 200, 200, 200, 200, 404]);
  });

  it("expires a response_url after 30 minutes", async () => {
    const clock = new ManualClock();
    const s = await standIn({ clock });
    const url = s.issueResponseUrl({ channel: "C0OPS", user: "U0ALICE" });
    clock.advance(30 * 60_000 + 1);
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"text":"late"}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "expired_url" });
  });

  it("accepts a trigger_id within 3 seconds, once; an older one is expired", async () => {
    const clock = new ManualClock();
    const s = await standIn({ clock });
    const web = client(s);
    const view = {
      type: "modal" as const,
      callback_id: "create",
      title: { type: "plain_text" as const, text: "Create VM" },
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "hi" } }],
    };
    const stale = s.issueTriggerId("U0ALICE");
    clock.advance(3001);
    expect((await platformError(web.views.open({ trigger_id: stale, view }))).data.error).toBe("expired_trigger_id");
    const fresh = s.issueTriggerId("U0ALICE");
    clock.advance(2999);
    const opened = await web.views.open({ trigger_id: fresh, view });
    expect(opened.view).toMatchObject({ type: "modal", callback_id: "create", root_view_id: opened.view?.id });
    expect((await platformError(web.views.open({ trigger_id: fresh, view }))).data.error).toBe("exchanged_trigger_id");
    expect((await platformError(web.views.open({ trigger_id: "1.2.3", view }))).data.error).toBe("invalid_trigger_id");
    expect(s.views().map((v) => v.user)).toEqual(["U0ALICE"]);
  });

  it("rejects a modal Slack would reject, with invalid_arguments and a pointer", async () => {
    const s = await standIn();
    const err = await platformError(
      client(s).views.open({
        trigger_id: s.issueTriggerId("U0ALICE"),
        view: { type: "modal", title: { type: "plain_text", text: "A title that is far too long" }, blocks: [] },
      }),
    );
    expect(err.data.error).toBe("invalid_arguments");
    expect(err.data.response_metadata?.messages).toEqual([
      "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
    ]);
  });

  it("updates a view with the current hash and refuses a stale one; publishes home tabs", async () => {
    const s = await standIn({ rateLimits: false });
    const web = client(s);
    const modal = (text: string) => ({
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "Job" },
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    });
    const opened = await web.views.open({ trigger_id: s.issueTriggerId("U0BOB"), view: modal("queued") });
    const id = opened.view!.id!;
    const firstHash = opened.view!.hash!;
    const second = await web.views.update({ view_id: id, hash: firstHash, view: modal("running") });
    expect(second.view?.hash).not.toBe(firstHash);
    expect((await platformError(web.views.update({ view_id: id, hash: firstHash, view: modal("stale") }))).data.error).toBe(
      "hash_conflict",
    );
    expect(s.view(id)?.view["blocks"]).toEqual(modal("running").blocks);
    expect(s.view(id)?.history).toHaveLength(1);
    expect((await platformError(web.views.update({ view_id: "V404", view: modal("x") }))).data.error).toBe("not_found");

    const home = { type: "home" as const, blocks: [{ type: "section", text: { type: "mrkdwn", text: "your VMs" } }] };
    const published = await web.views.publish({ user_id: "U0ALICE", view: home });
    expect(s.homeView("U0ALICE")?.view["blocks"]).toEqual(home.blocks);
    await web.views.publish({ user_id: "U0ALICE", view: home, hash: published.view!.hash! });
    expect((await platformError(web.views.publish({ user_id: "U0ALICE", view: home, hash: published.view!.hash! }))).data.error).toBe(
      "hash_conflict",
    );
  });

  it("waitFor resolves on the change it waits for, without polling", async () => {
    const s = await standIn({ rateLimits: false });
    const driver = new SlackDriver({ standIn: s, socketMode: true });
    const waiting = driver.waitForMessage("C0OPS", (m) => m.text === "second");
    await client(s).chat.postMessage({ channel: "C0OPS", text: "first" });
    await client(s).chat.postMessage({ channel: "C0OPS", text: "second" });
    expect((await waiting).text).toBe("second");
    const parentTs = s.messages("C0OPS")[0]!.ts;
    const reply = driver.waitForThreadReply("C0OPS", parentTs, (m) => m.text === "in thread");
    await client(s).chat.postMessage({ channel: "C0OPS", thread_ts: parentTs, text: "in thread" });
    expect((await reply).threadTs).toBe(parentTs);
    await expect(s.waitFor(() => s.messages("C0GENERAL")[0], 50, "nothing")).rejects.toThrow(/waiting for nothing/);
  });
});
