/**
 * SlackDriver: plays Slack's side towards the app under test — sends what Slack sends (slash commands, block
 * actions, view submissions, events) over HTTP, signed, or as Socket Mode envelopes, and applies the app's acks the
 * way Slack does (command ack text → ephemeral / in-channel message; view_submission ack → errors, update or close).
 *
 * Payload shapes follow docs.slack.dev (Slash commands "app receives"; interactivity payloads `block_actions`,
 * `view_submission`; Events API `event_callback`, `url_verification`). Requests are signed like Slack:
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signingSecret, "v0:" + timestamp + ":" + body)>` with
 * `X-Slack-Request-Timestamp: <unix seconds>`; Bolt rejects a timestamp older than 5 minutes and a bad signature
 * with 401 before any listener runs.
 *
 * Bolt's HTTP receiver only parses form bodies when Content-Type is exactly `application/x-www-form-urlencoded`
 * (as Slack sends it), so the driver sends exactly that.
 */
import { createHmac, randomBytes } from "node:crypto";
import { systemClock, type Clock } from "./clock.js";
import type { SlackStandIn } from "./server.js";
import { isJsonObject, type Json, type JsonObject, type StoredEphemeral, type StoredMessage } from "./types.js";

export interface SlackDriverOptions {
  standIn: SlackStandIn;
  /** The app's Request URL, e.g. `http://127.0.0.1:PORT/slack/events`. Omit with `socketMode: true`. */
  appUrl?: string;
  /** Deliver as Socket Mode envelopes over the stand-in's WebSocket instead of HTTP. */
  socketMode?: boolean;
  signingSecret?: string;
  /** Clock for request timestamps; Bolt checks them against the real clock, so keep the default for Bolt. */
  clock?: Clock;
  /** How long Slack waits for an ack: 3 s. */
  ackTimeoutMs?: number;
}

/** Options every delivery accepts, to simulate Slack's retries and forged or replayed requests. */
export interface DeliveryOptions {
  /** Adds `X-Slack-Retry-Num` (and `X-Slack-Retry-Reason`), as Slack does when it redelivers. */
  retryNum?: number;
  retryReason?: string;
  /** Sign with a wrong secret. */
  badSignature?: boolean;
  /** Use a timestamp 6 minutes old (correctly signed). */
  staleTimestamp?: boolean;
}

export interface DeliveryResult {
  /** HTTP status of the app's answer (200 for a Socket Mode ack; 0 when no ack came in time). */
  status: number;
  /** Parsed JSON body of the ack (Socket Mode: the ack's `payload`), or the raw text, or undefined if empty. */
  ackBody: JsonObject | string | undefined;
  timedOut: boolean;
  responseUrl: string;
  triggerId: string;
}

export interface PostCommandArgs extends DeliveryOptions {
  user: string;
  channel: string;
  text: string;
  command?: string;
}

export interface ClickButtonArgs extends DeliveryOptions {
  user: string;
  /** Channel and ts of the message (or ephemeral) that carries the button. */
  channel?: string;
  messageTs?: string;
  /** A button in a modal or home tab instead of a message. */
  viewId?: string;
  actionId: string;
  /** Defaults to the button's own `value` from the message's blocks. */
  value?: string;
  /** Defaults to the id of the block holding the button. */
  blockId?: string;
}

/** Input values per block id and action id: a string for text inputs and single selects, string[] for multi. */
export type SubmittedValues = Record<string, Record<string, string | string[] | JsonObject>>;

export interface SubmitViewArgs extends DeliveryOptions {
  user: string;
  viewId: string;
  values: SubmittedValues;
  /** Default: the stored view's callback_id / private_metadata. */
  callbackId?: string;
  privateMetadata?: string;
}

export interface ViewSubmissionResult extends Omit<DeliveryResult, "responseUrl"> {
  /** `response_action` of the ack, if any (`errors`, `update`, `push`, `clear`). */
  responseAction: string | undefined;
  /** The `errors` map of a `response_action: "errors"` ack. */
  errors: Record<string, string> | undefined;
}

function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** The interactive element with `actionId` (in the block `blockId`, when given: action ids repeat across blocks). */
function findElement(
  blocks: Json | undefined,
  actionId: string,
  blockId?: string,
): { blockId: string; element: JsonObject } | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks) {
    if (!isJsonObject(block)) continue;
    if (blockId !== undefined && block["block_id"] !== blockId) continue;
    const candidates: Json[] = [];
    if (Array.isArray(block["elements"])) candidates.push(...block["elements"]);
    if (block["accessory"] !== undefined) candidates.push(block["accessory"]);
    if (block["element"] !== undefined) candidates.push(block["element"]);
    for (const el of candidates) {
      if (isJsonObject(el) && el["action_id"] === actionId) {
        return { blockId: typeof block["block_id"] === "string" ? block["block_id"] : "", element: el };
      }
    }
  }
  return undefined;
}

function findOption(element: JsonObject, value: string): JsonObject {
  const options = Array.isArray(element["options"]) ? element["options"] : [];
  const found = options.find((o) => isJsonObject(o) && o["value"] === value);
  return isJsonObject(found) ? found : { text: { type: "plain_text", text: value }, value };
}

export class SlackDriver {
  readonly standIn: SlackStandIn;
  private readonly appUrl: string | undefined;
  private readonly socketMode: boolean;
  private readonly signingSecret: string;
  private readonly clock: Clock;
  private readonly ackTimeoutMs: number;

  constructor(opts: SlackDriverOptions) {
    this.standIn = opts.standIn;
    this.appUrl = opts.appUrl;
    this.socketMode = opts.socketMode ?? false;
    this.signingSecret = opts.signingSecret ?? "";
    this.clock = opts.clock ?? systemClock;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    if (!this.socketMode && (this.appUrl === undefined || this.signingSecret === "")) {
      throw new Error("SlackDriver over HTTP needs appUrl and signingSecret");
    }
  }

  private get team(): JsonObject {
    return { id: this.standIn.teamId, domain: this.standIn.teamDomain };
  }

  private userObject(user: string): JsonObject {
    const name = this.standIn.user(user)?.name ?? user;
    return { id: user, username: name, name, team_id: this.standIn.teamId };
  }

  /** A user types `/pve <text>` in `channel`. */
  async postCommand(args: PostCommandArgs): Promise<DeliveryResult> {
    const channel = this.standIn.channel(args.channel);
    const channelId = channel?.id ?? args.channel;
    const triggerId = this.standIn.issueTriggerId(args.user);
    const responseUrl = this.standIn.issueResponseUrl({ channel: channelId, user: args.user });
    // Field order as Slack sends it.
    const fields: Record<string, string> = {
      token: this.standIn.verificationToken,
      team_id: this.standIn.teamId,
      team_domain: this.standIn.teamDomain,
      channel_id: channelId,
      channel_name: channel?.isIm ? "directmessage" : (channel?.name ?? args.channel),
      user_id: args.user,
      user_name: this.standIn.user(args.user)?.name ?? args.user,
      command: args.command ?? "/pve",
      text: args.text,
      api_app_id: this.standIn.appId,
      is_enterprise_install: "false",
      response_url: responseUrl,
      trigger_id: triggerId,
    };
    const delivered = this.socketMode
      ? await this.deliverSocket("slash_commands", fields, args)
      : await this.deliverHttp(new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded", args);
    if (delivered.status === 200 && isJsonObject(delivered.ackBody)) {
      this.standIn.applyCommandAck({ channel: channelId, user: args.user }, delivered.ackBody);
    } else if (delivered.status === 200 && typeof delivered.ackBody === "string" && delivered.ackBody !== "") {
      this.standIn.applyCommandAck({ channel: channelId, user: args.user }, { text: delivered.ackBody });
    }
    return { ...delivered, responseUrl, triggerId };
  }

  /** A user clicks a button in a message, an ephemeral, a modal or a home tab. */
  async clickButton(args: ClickButtonArgs): Promise<DeliveryResult> {
    const triggerId = this.standIn.issueTriggerId(args.user);
    const actionTs = `${(this.clock.now() / 1000).toFixed(6)}`;
    let blocks: Json | undefined;
    const payload: JsonObject = {
      type: "block_actions",
      user: this.userObject(args.user),
      api_app_id: this.standIn.appId,
      token: this.standIn.verificationToken,
      trigger_id: triggerId,
      team: this.team,
      enterprise: null,
      is_enterprise_install: false,
    };
    let responseUrl = "";
    if (args.viewId !== undefined) {
      const view = this.standIn.view(args.viewId);
      if (!view) throw new Error(`driver: no view ${args.viewId}`);
      blocks = view.view["blocks"];
      payload["container"] = { type: "view", view_id: view.id };
      payload["view"] = view.view;
    } else {
      if (args.channel === undefined || args.messageTs === undefined) {
        throw new Error("driver: clickButton needs channel and messageTs, or viewId");
      }
      const channel = this.standIn.channel(args.channel);
      const channelId = channel?.id ?? args.channel;
      const message: StoredMessage | StoredEphemeral | undefined =
        this.standIn.message(channelId, args.messageTs) ?? this.standIn.ephemeral(channelId, args.messageTs);
      if (!message || message.deleted) throw new Error(`driver: no message ${args.messageTs} in ${channelId}`);
      const isEphemeral = !("botId" in message);
      blocks = message.blocks;
      responseUrl = this.standIn.issueResponseUrl({
        channel: channelId,
        user: args.user,
        source: { kind: isEphemeral ? "ephemeral" : "message", ts: message.ts },
      });
      payload["container"] = {
        type: "message",
        message_ts: message.ts,
        channel_id: channelId,
        is_ephemeral: isEphemeral,
      };
      payload["channel"] = { id: channelId, name: channel?.name ?? channelId };
      // Slack leaves `message` out of payloads from ephemeral messages.
      if (!isEphemeral) payload["message"] = this.standIn.messagePayload(message);
      payload["response_url"] = responseUrl;
      payload["state"] = { values: {} };
    }
    const found = findElement(blocks, args.actionId, args.blockId);
    if (!found && (args.blockId === undefined || args.value === undefined)) {
      throw new Error(`driver: no element with action_id ${args.actionId}`);
    }
    const element = found?.element;
    const action: JsonObject = {
      action_id: args.actionId,
      block_id: args.blockId ?? found?.blockId ?? "",
      type: typeof element?.["type"] === "string" ? element["type"] : "button",
      action_ts: actionTs,
    };
    if (element?.["text"] !== undefined) action["text"] = element["text"];
    const value = args.value ?? (typeof element?.["value"] === "string" ? element["value"] : undefined);
    if (value !== undefined) action["value"] = value;
    if (element?.["style"] !== undefined) action["style"] = element["style"];
    payload["actions"] = [action];
    const delivered = await this.deliverInteraction(payload, args);
    return { ...delivered, responseUrl, triggerId };
  }

  /** A user submits a modal. */
  async submitView(args: SubmitViewArgs): Promise<ViewSubmissionResult> {
    const stored = this.standIn.view(args.viewId);
    if (!stored) throw new Error(`driver: no view ${args.viewId}`);
    const triggerId = this.standIn.issueTriggerId(args.user);
    const values: JsonObject = {};
    for (const [blockId, actions] of Object.entries(args.values)) {
      const perAction: JsonObject = {};
      for (const [actionId, raw] of Object.entries(actions)) {
        const element = findElement(stored.view["blocks"], actionId, blockId)?.element;
        perAction[actionId] = this.stateValue(element, raw);
      }
      values[blockId] = perAction;
    }
    const view: JsonObject = {
      ...stored.view,
      callback_id: args.callbackId ?? stored.callbackId ?? "",
      private_metadata: args.privateMetadata ?? stored.privateMetadata,
      state: { values },
    };
    const payload: JsonObject = {
      type: "view_submission",
      team: this.team,
      user: this.userObject(args.user),
      api_app_id: this.standIn.appId,
      token: this.standIn.verificationToken,
      trigger_id: triggerId,
      view,
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const delivered = await this.deliverInteraction(payload, args);
    const ack = isJsonObject(delivered.ackBody) ? delivered.ackBody : undefined;
    if (delivered.status === 200) this.standIn.applyViewSubmissionAck(stored.id, ack);
    const action = ack?.["response_action"];
    const errors = ack?.["errors"];
    return {
      ...delivered,
      triggerId,
      responseAction: typeof action === "string" ? action : undefined,
      errors: isJsonObject(errors)
        ? Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, String(v)]))
        : undefined,
    };
  }

  /** `app_home_opened` via the Events API. */
  async openHome(user: string, opts: DeliveryOptions = {}): Promise<Omit<DeliveryResult, "responseUrl" | "triggerId">> {
    const home = this.standIn.homeView(user);
    const event: JsonObject = {
      type: "app_home_opened",
      user,
      channel: `D${user.slice(1)}`,
      tab: "home",
      event_ts: `${(this.clock.now() / 1000).toFixed(6)}`,
    };
    if (home) event["view"] = home.view;
    return this.sendEvent(event, opts);
  }

  /** Any Events API event, wrapped in an `event_callback`. */
  async sendEvent(event: JsonObject, opts: DeliveryOptions = {}): Promise<Omit<DeliveryResult, "responseUrl" | "triggerId">> {
    const body: JsonObject = {
      token: this.standIn.verificationToken,
      team_id: this.standIn.teamId,
      api_app_id: this.standIn.appId,
      event,
      type: "event_callback",
      event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
      event_time: Math.floor(this.clock.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.standIn.teamId,
          user_id: this.standIn.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(8).toString("hex")}`,
    };
    if (this.socketMode) return this.deliverSocket("events_api", body, opts);
    return this.deliverHttp(JSON.stringify(body), "application/json", opts);
  }

  /** Slack's `url_verification` handshake (HTTP only): the app must echo the challenge. */
  async verifyUrl(opts: DeliveryOptions = {}): Promise<{ status: number; challengeEchoed: boolean }> {
    const challenge = randomBytes(16).toString("hex");
    const body = JSON.stringify({ token: this.standIn.verificationToken, challenge, type: "url_verification" });
    const result = await this.deliverHttp(body, "application/json", opts);
    const echoed = isJsonObject(result.ackBody) ? result.ackBody["challenge"] === challenge : result.ackBody === challenge;
    return { status: result.status, challengeEchoed: echoed };
  }

  // Convenience waits around the stand-in's event-driven waitFor.

  waitForMessage(
    channel: string,
    match: (m: StoredMessage) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<StoredMessage> {
    return this.standIn.waitFor(() => this.standIn.messages(channel).find(match), timeoutMs, `a message in ${channel}`);
  }

  waitForThreadReply(
    channel: string,
    threadTs: string,
    match: (m: StoredMessage) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<StoredMessage> {
    return this.standIn.waitFor(
      () => this.standIn.thread(channel, threadTs).find(match),
      timeoutMs,
      `a reply in thread ${threadTs} of ${channel}`,
    );
  }

  waitForEphemeral(
    channel: string,
    user: string,
    match: (e: StoredEphemeral) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<StoredEphemeral> {
    return this.standIn.waitFor(
      () => this.standIn.ephemerals(channel, user).find(match),
      timeoutMs,
      `an ephemeral for ${user} in ${channel}`,
    );
  }

  // ---------------------------------------------------------------------------------------------------------

  private stateValue(element: JsonObject | undefined, raw: string | string[] | JsonObject): JsonObject {
    const type = typeof element?.["type"] === "string" ? element["type"] : "plain_text_input";
    if (isJsonObject(raw)) return { type, ...raw };
    if (Array.isArray(raw)) {
      switch (type) {
        case "multi_users_select":
          return { type, selected_users: raw };
        case "multi_conversations_select":
          return { type, selected_conversations: raw };
        case "multi_channels_select":
          return { type, selected_channels: raw };
        default:
          return { type, selected_options: raw.map((v) => (element ? findOption(element, v) : { value: v })) };
      }
    }
    switch (type) {
      case "static_select":
      case "radio_buttons":
      case "external_select":
        return { type, selected_option: element ? findOption(element, raw) : { value: raw } };
      case "users_select":
        return { type, selected_user: raw };
      case "conversations_select":
        return { type, selected_conversation: raw };
      case "channels_select":
        return { type, selected_channel: raw };
      case "datepicker":
        return { type, selected_date: raw };
      case "timepicker":
        return { type, selected_time: raw };
      default:
        return { type, value: raw };
    }
  }

  private deliverInteraction(
    payload: JsonObject,
    opts: DeliveryOptions,
  ): Promise<Omit<DeliveryResult, "responseUrl" | "triggerId">> {
    if (this.socketMode) return this.deliverSocket("interactive", payload, opts);
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.deliverHttp(body, "application/x-www-form-urlencoded", opts);
  }

  private async deliverSocket(
    type: "slash_commands" | "interactive" | "events_api",
    payload: JsonObject,
    opts: DeliveryOptions,
  ): Promise<Omit<DeliveryResult, "responseUrl" | "triggerId">> {
    try {
      const ack = await this.standIn.socketMode.deliver(type, payload, {
        timeoutMs: this.ackTimeoutMs,
        ...(opts.retryNum !== undefined ? { retryAttempt: opts.retryNum } : {}),
        ...(opts.retryReason !== undefined ? { retryReason: opts.retryReason } : {}),
      });
      const empty = ack.payload === undefined || Object.keys(ack.payload).length === 0;
      return { status: 200, ackBody: empty ? undefined : ack.payload, timedOut: false };
    } catch {
      return { status: 0, ackBody: undefined, timedOut: true };
    }
  }

  private async deliverHttp(
    body: string,
    contentType: string,
    opts: DeliveryOptions,
  ): Promise<Omit<DeliveryResult, "responseUrl" | "triggerId">> {
    const now = Math.floor(this.clock.now() / 1000);
    const timestamp = opts.staleTimestamp ? now - 6 * 60 : now;
    const secret = opts.badSignature ? `${this.signingSecret}-forged` : this.signingSecret;
    const headers: Record<string, string> = {
      "content-type": contentType,
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": sign(secret, timestamp, body),
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    };
    if (opts.retryNum !== undefined) {
      headers["x-slack-retry-num"] = String(opts.retryNum);
      headers["x-slack-retry-reason"] = opts.retryReason ?? "http_timeout";
    }
    let response: Response;
    try {
      response = await fetch(this.appUrl ?? "", {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.ackTimeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
        return { status: 0, ackBody: undefined, timedOut: true };
      }
      throw err;
    }
    const text = await response.text();
    let ackBody: JsonObject | string | undefined = text === "" ? undefined : text;
    if (text !== "" && (response.headers.get("content-type") ?? "").includes("json")) {
      const parsed: unknown = JSON.parse(text);
      ackBody = isJsonObject(parsed) ? parsed : text;
    }
    return { status: response.status, ackBody, timedOut: false };
  }
}
