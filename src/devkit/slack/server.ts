/**
 * A local stand-in for Slack's Web API, response URLs and Socket Mode links, for tests and the demo.
 *
 * The real clients talk to it over real sockets:
 *   new WebClient(token, { slackApiUrl: standIn.apiUrl })
 *   new App({ token, signingSecret, clientOptions: { slackApiUrl: standIn.apiUrl } })
 *   new App({ token, appToken, socketMode: true, clientOptions: { slackApiUrl: standIn.apiUrl } })
 * In Socket Mode, Bolt hands `clientOptions` to SocketModeReceiver as `installerOptions.clientOptions`, and
 * SocketModeClient builds its own WebClient from them (`new WebClient('', { headers: { Authorization: Bearer
 * <appToken> }, ...clientOptions })`), so apps.connections.open goes to the stand-in too. (SocketModeClient also
 * sets `retryConfig` on that same options object when it has none.)
 *
 * Responses follow Slack's shapes: HTTP 200 with `{ok:true, …}` or `{ok:false, error, …}`; HTTP 429 with
 * `Retry-After` (seconds) and `{ok:false, error:"ratelimited"}` when a rate limit is hit.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { formatProblem, validateMessageBlocks, validateView, BLOCK_LIMITS, type BlockProblem } from "./blocks.js";
import { systemClock, type Clock } from "./clock.js";
import { RateLimiter } from "./rate-limit.js";
import { SocketModeLink } from "./socket-mode.js";
import {
  isJsonObject,
  type Json,
  type JsonObject,
  type RecordedCall,
  type SeedChannel,
  type SeedUser,
  type StoredEphemeral,
  type StoredMessage,
  type StoredView,
} from "./types.js";

export interface SlackStandInOptions {
  clock?: Clock;
  botToken?: string;
  /** App-level token (`xapp-…`) accepted by apps.connections.open. */
  appToken?: string;
  /** The deprecated verification token Slack puts in `token` of every payload. */
  verificationToken?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  channels?: SeedChannel[];
  users?: SeedUser[];
  /** User group id → member user ids, e.g. `{ S0INFRA: ["U0ALICE"] }`. */
  usergroups?: Record<string, string[]>;
  /** false disables rate limiting (forced 429s still apply). Default true. */
  rateLimits?: boolean;
  /** Real time per Slack time for rate-limit windows (0.01 = 100× faster). Default 1. */
  rateLimitScale?: number;
  /** chat.postMessage burst allowance per channel. Default 3. */
  postMessageBurst?: number;
  /** trigger_id lifetime; Slack: 3 s. */
  triggerTtlMs?: number;
  /** response_url: uses and lifetime; Slack: 5 uses within 30 minutes. */
  responseUrlMaxUses?: number;
  responseUrlTtlMs?: number;
  /** WebSocket ping interval on Socket Mode links. */
  socketPingIntervalMs?: number;
}

export const DEFAULT_CHANNELS: readonly SeedChannel[] = [
  { id: "C0OPS", name: "ops" },
  { id: "C0GENERAL", name: "general" },
];
export const DEFAULT_USERS: readonly SeedUser[] = [
  { id: "U0ALICE", name: "alice", realName: "Alice Admin", email: "alice@example.test" },
  { id: "U0BOB", name: "bob", realName: "Bob Builder", email: "bob@example.test" },
];

interface TriggerRecord {
  user: string;
  issuedAt: number;
  used: boolean;
}

/** Where a response_url points: the conversation, the user, and (for block actions) the source message. */
export interface ResponseUrlContext {
  channel: string;
  user: string;
  source?: { kind: "message" | "ephemeral"; ts: string };
}

interface ResponseUrlRecord extends ResponseUrlContext {
  issuedAt: number;
  uses: number;
}

type MethodResult = { status?: number; body: JsonObject; headers?: Record<string, string> };

class SlackApiError {
  constructor(
    readonly error: string,
    readonly extra: JsonObject = {},
  ) {}
}

function fail(error: string, extra: JsonObject = {}): never {
  throw new SlackApiError(error, extra);
}

function blocksError(code: string, problems: BlockProblem[]): never {
  const texts = problems.map(formatProblem);
  // chat.* answers with `errors` and response_metadata; views.* with response_metadata only.
  const extra: JsonObject = { response_metadata: { messages: texts.map((t) => `[ERROR] ${t}`) } };
  if (code === "invalid_blocks") extra["errors"] = texts;
  fail(code, extra);
}

function str(args: JsonObject, key: string): string | undefined {
  const v = args[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function requireStr(args: JsonObject, key: string, error = "invalid_arguments"): string {
  const v = str(args, key);
  if (v === undefined || v === "") fail(error);
  return v;
}

function bool(args: JsonObject, key: string): boolean {
  const v = args[key];
  return v === true || v === "true" || v === "1" || v === 1;
}

/** Form bodies carry blocks/view/metadata as JSON text (WebClient JSON-encodes non-scalar values). */
function jsonField(args: JsonObject, key: string, badFormat: string): Json | undefined {
  const v = args[key];
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as Json;
  } catch {
    fail(badFormat);
  }
}

function parseBody(contentType: string, raw: string): JsonObject {
  if (raw.length === 0) return {};
  if (contentType.startsWith("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    return isJsonObject(parsed) ? parsed : {};
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: JsonObject, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export class SlackStandIn {
  readonly clock: Clock;
  readonly botToken: string;
  readonly appToken: string;
  readonly verificationToken: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** `http://127.0.0.1:<port>/api/`, for WebClient's `slackApiUrl`. */
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly socketMode: SocketModeLink;

  private readonly channels = new Map<string, SeedChannel>();
  private readonly users = new Map<string, SeedUser>();
  private readonly usergroups = new Map<string, string[]>();
  private readonly rateLimiter: RateLimiter;
  private readonly rateLimitsEnabled: boolean;
  private readonly triggerTtlMs: number;
  private readonly responseUrlMaxUses: number;
  private readonly responseUrlTtlMs: number;
  private readonly changes = new EventEmitter();

  private recorded: RecordedCall[] = [];
  private messageStore: StoredMessage[] = [];
  private ephemeralStore: StoredEphemeral[] = [];
  private viewStore = new Map<string, StoredView>();
  private triggers = new Map<string, TriggerRecord>();
  private responseUrls = new Map<string, ResponseUrlRecord>();
  private lastTsMicros = 0;
  private counter = 0;

  constructor(
    private readonly server: Server,
    opts: SlackStandInOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.clock = opts.clock ?? systemClock;
    this.botToken = opts.botToken ?? "xoxb-standin-bot-token";
    this.appToken = opts.appToken ?? "xapp-1-A0STANDIN-standin-app-token";
    this.verificationToken = opts.verificationToken ?? "standin-verification-token";
    this.teamId = opts.teamId ?? "T0STANDIN";
    this.teamDomain = opts.teamDomain ?? "standin";
    this.appId = opts.appId ?? "A0STANDIN";
    this.botUserId = opts.botUserId ?? "U0BOT";
    this.botId = opts.botId ?? "B0BOT";
    for (const c of opts.channels ?? DEFAULT_CHANNELS) this.channels.set(c.id, { ...c });
    for (const u of opts.users ?? DEFAULT_USERS) this.users.set(u.id, { ...u });
    if (!this.users.has(this.botUserId)) {
      this.users.set(this.botUserId, { id: this.botUserId, name: "pve-bot", isBot: true });
    }
    for (const [id, members] of Object.entries(opts.usergroups ?? {})) this.usergroups.set(id, [...members]);
    this.rateLimitsEnabled = opts.rateLimits ?? true;
    this.rateLimiter = new RateLimiter({
      clock: this.clock,
      ...(opts.rateLimitScale !== undefined ? { scale: opts.rateLimitScale } : {}),
      ...(opts.postMessageBurst !== undefined ? { postMessageBurst: opts.postMessageBurst } : {}),
    });
    this.triggerTtlMs = opts.triggerTtlMs ?? 3000;
    this.responseUrlMaxUses = opts.responseUrlMaxUses ?? 5;
    this.responseUrlTtlMs = opts.responseUrlTtlMs ?? 30 * 60_000;
    this.socketMode = new SocketModeLink(this.appId, opts.socketPingIntervalMs ?? 10_000);
    this.changes.setMaxListeners(0);
    server.on("request", (req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: "internal_error", detail: String(err) });
      });
    });
    server.on("upgrade", (req, socket, head) => this.socketMode.handleUpgrade(req, socket, head));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Recording and queries

  calls(method?: string): RecordedCall[] {
    return method === undefined ? [...this.recorded] : this.recorded.filter((c) => c.method === method);
  }

  /** Top-level messages of a channel in posting order, as they look now (edits applied, deleted ones left out). */
  messages(channel: string): StoredMessage[] {
    const id = this.channelId(channel);
    return this.messageStore.filter(
      (m) => m.channel === id && !m.deleted && (m.threadTs === undefined || m.threadTs === m.ts),
    );
  }

  /** Replies in a thread, in order (the parent itself excluded). */
  thread(channel: string, threadTs: string): StoredMessage[] {
    const id = this.channelId(channel);
    return this.messageStore.filter(
      (m) => m.channel === id && !m.deleted && m.threadTs === threadTs && m.ts !== threadTs,
    );
  }

  /** Any message (top level or reply), including deleted ones. */
  message(channel: string, ts: string): StoredMessage | undefined {
    const id = this.channelId(channel);
    return this.messageStore.find((m) => m.channel === id && m.ts === ts);
  }

  ephemerals(channel: string, user?: string): StoredEphemeral[] {
    const id = this.channelId(channel);
    return this.ephemeralStore.filter((e) => e.channel === id && !e.deleted && (user === undefined || e.user === user));
  }

  ephemeral(channel: string, ts: string): StoredEphemeral | undefined {
    const id = this.channelId(channel);
    return this.ephemeralStore.find((e) => e.channel === id && e.ts === ts);
  }

  views(): StoredView[] {
    return [...this.viewStore.values()];
  }

  view(viewId: string): StoredView | undefined {
    return this.viewStore.get(viewId);
  }

  homeView(user: string): StoredView | undefined {
    return [...this.viewStore.values()].find((v) => v.type === "home" && v.user === user);
  }

  user(id: string): SeedUser | undefined {
    return this.users.get(id);
  }

  channel(idOrName: string): SeedChannel | undefined {
    return this.channels.get(this.channelId(idOrName));
  }

  /**
   * Resolves with the first truthy value `probe` returns, re-checking after every state change (no polling).
   * Rejects after `timeoutMs` with `description` in the message.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000, description = "condition"): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        let value: T | undefined | null | false;
        try {
          value = probe();
        } catch (err) {
          cleanup();
          reject(err instanceof Error ? err : new Error(String(err)));
          return true;
        }
        if (value === undefined || value === null || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const onChange = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`stand-in: timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.changes.off("change", onChange);
      };
      this.changes.on("change", onChange);
      check();
    });
  }

  /** The next `times` calls to `method` get HTTP 429 with `Retry-After: retryAfterSec`. */
  forceRateLimit(method: string, times: number, retryAfterSec: number): void {
    this.rateLimiter.force(method, times, retryAfterSec);
  }

  /** Forget calls, messages, ephemerals, views, triggers, response URLs and rate-limit state; keep seed data. */
  reset(): void {
    this.recorded = [];
    this.messageStore = [];
    this.ephemeralStore = [];
    this.viewStore = new Map();
    this.triggers = new Map();
    this.responseUrls = new Map();
    this.rateLimiter.reset();
    this.changed();
  }

  async close(): Promise<void> {
    await this.socketMode.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------------------
  // What the driver uses to play Slack's part

  /** A trigger_id for `user`, valid for `triggerTtlMs` (3 s) and for one views.open. */
  issueTriggerId(user: string): string {
    const id = `${Math.floor(this.clock.now() / 1000)}.${++this.counter}.${randomBytes(8).toString("hex")}`;
    this.triggers.set(id, { user, issuedAt: this.clock.now(), used: false });
    return id;
  }

  issueResponseUrl(ctx: ResponseUrlContext): string {
    const id = `${this.teamId}/${++this.counter}/${randomBytes(12).toString("hex")}`;
    this.responseUrls.set(id, { ...ctx, issuedAt: this.clock.now(), uses: 0 });
    return `${this.baseUrl}/response/${id}`;
  }

  /**
   * What Slack does with the body of a slash command's HTTP 200 / Socket Mode ack: text or blocks become an
   * ephemeral for the invoking user, or a channel message with `response_type: "in_channel"`.
   */
  applyCommandAck(ctx: { channel: string; user: string }, ack: JsonObject | undefined): void {
    if (!ack || (ack["text"] === undefined && ack["blocks"] === undefined)) return;
    const text = typeof ack["text"] === "string" ? ack["text"] : "";
    const blocks = Array.isArray(ack["blocks"]) ? (ack["blocks"] as JsonObject[]) : undefined;
    if (ack["response_type"] === "in_channel") {
      this.storeMessage({ channel: ctx.channel, text, blocks, user: this.botUserId, via: "command_ack" });
    } else {
      this.storeEphemeral({ channel: ctx.channel, user: ctx.user, text, blocks, via: "command_ack" });
    }
    this.changed();
  }

  /** What Slack does with a view_submission ack: errors keep the modal open, update replaces it, else it closes. */
  applyViewSubmissionAck(viewId: string, ack: JsonObject | undefined): void {
    const stored = this.viewStore.get(viewId);
    if (!stored) return;
    const action = ack?.["response_action"];
    if (action === "errors") return;
    if (action === "update" && isJsonObject(ack?.["view"])) {
      this.replaceView(stored, ack["view"]);
    } else if (action !== "push") {
      stored.closed = true;
    }
    this.changed();
  }

  // ---------------------------------------------------------------------------------------------------------
  // HTTP

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const raw = await readBody(req);
    let body: JsonObject;
    try {
      body = { ...Object.fromEntries(url.searchParams), ...parseBody(req.headers["content-type"] ?? "", raw) };
    } catch {
      sendJson(res, 200, { ok: false, error: "invalid_json" });
      return;
    }
    if (url.pathname.startsWith("/api/")) {
      const method = url.pathname.slice("/api/".length);
      const result = this.apiCall(method, body, req.headers.authorization);
      sendJson(res, result.status ?? 200, result.body, result.headers);
      return;
    }
    if (url.pathname.startsWith("/response/") && req.method === "POST") {
      const result = this.responseUrlPost(url.pathname.slice("/response/".length), body);
      sendJson(res, result.status ?? 200, result.body);
      return;
    }
    sendJson(res, 404, { ok: false, error: "not_found" });
  }

  private apiCall(method: string, body: JsonObject, authorization: string | undefined): MethodResult {
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined;
    const token = bearer ?? str(body, "token");
    const args: JsonObject = { ...body };
    delete args["token"];
    let result: MethodResult;
    try {
      this.authorize(method, token);
      const limited = this.rateLimit(method, args);
      result = limited ?? { body: { ok: true, ...this.dispatch(method, args) } };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      result = { body: { ok: false, error: err.error, ...err.extra } };
    }
    this.recorded.push({
      method,
      args: this.decodedArgs(args),
      at: this.clock.now(),
      httpStatus: result.status ?? 200,
      result: result.body,
    });
    this.changed();
    return result;
  }

  private decodedArgs(args: JsonObject): JsonObject {
    const out: JsonObject = { ...args };
    for (const key of ["blocks", "view", "metadata", "attachments"]) {
      const v = out[key];
      if (typeof v === "string") {
        try {
          out[key] = JSON.parse(v) as Json;
        } catch {
          // keep the raw text; the method already answered with an error
        }
      }
    }
    return out;
  }

  private authorize(method: string, token: string | undefined): void {
    if (token === undefined || token === "") fail("not_authed");
    if (method === "apps.connections.open") {
      if (token === this.appToken) return;
      if (token === this.botToken) fail("not_allowed_token_type");
      fail("invalid_auth");
    }
    if (token === this.appToken) fail("not_allowed_token_type");
    if (token !== this.botToken) fail("invalid_auth");
  }

  private rateLimit(method: string, args: JsonObject): MethodResult | undefined {
    const decision =
      this.rateLimiter.takeForced(method) ??
      (this.rateLimitsEnabled ? this.rateLimiter.check(method, this.channelId(str(args, "channel") ?? "")) : undefined);
    if (!decision || decision.allowed) return undefined;
    return {
      status: 429,
      headers: { "retry-after": String(decision.retryAfterSec) },
      body: { ok: false, error: "ratelimited" },
    };
  }

  private dispatch(method: string, args: JsonObject): JsonObject {
    switch (method) {
      case "auth.test":
        return {
          url: `https://${this.teamDomain}.slack.com/`,
          team: this.teamDomain,
          user: this.users.get(this.botUserId)?.name ?? "bot",
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        };
      case "apps.connections.open":
        return { url: `ws://127.0.0.1:${new URL(this.baseUrl).port}/link/?ticket=${this.socketMode.issueTicket()}&app_id=${this.appId}` };
      case "chat.postMessage":
        return this.postMessage(args);
      case "chat.update":
        return this.updateMessage(args);
      case "chat.postEphemeral":
        return this.postEphemeral(args);
      case "views.open":
        return this.viewsOpen(args);
      case "views.update":
        return this.viewsUpdate(args);
      case "views.publish":
        return this.viewsPublish(args);
      case "usergroups.users.list": {
        const group = requireStr(args, "usergroup");
        const members = this.usergroups.get(group);
        if (!members) fail("no_such_subteam");
        return { users: [...members] };
      }
      case "users.info":
        return { user: this.userObject(requireStr(args, "user", "user_not_found")) };
      case "conversations.info":
        return { channel: this.conversationObject(requireStr(args, "channel", "channel_not_found")) };
      default:
        fail("unknown_method", { req_method: method });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Methods

  private channelId(idOrName: string): string {
    if (this.channels.has(idOrName)) return idOrName;
    const name = idOrName.startsWith("#") ? idOrName.slice(1) : idOrName;
    for (const c of this.channels.values()) if (c.name === name) return c.id;
    return idOrName;
  }

  /** chat.postMessage to a user id opens (or reuses) the DM with that user, as Slack does. */
  private resolveChannel(idOrName: string): SeedChannel {
    const found = this.channels.get(this.channelId(idOrName));
    if (found) return found;
    const user = this.users.get(idOrName);
    if (user) {
      const dm: SeedChannel = { id: `D${user.id.slice(1)}`, name: user.id, isIm: true, members: [user.id, this.botUserId] };
      this.channels.set(dm.id, dm);
      return dm;
    }
    fail("channel_not_found");
  }

  private nextTs(): string {
    const micros = Math.max(this.clock.now() * 1000, this.lastTsMicros + 100);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  private messageContent(args: JsonObject): { text: string | undefined; blocks: JsonObject[] | undefined } {
    const text = str(args, "text");
    const rawBlocks = jsonField(args, "blocks", "invalid_blocks_format");
    if (rawBlocks !== undefined) {
      if (!Array.isArray(rawBlocks)) fail("invalid_blocks_format");
      const problems = validateMessageBlocks(rawBlocks);
      if (problems.length > 0) blocksError("invalid_blocks", problems);
    }
    if (text !== undefined && text.length > BLOCK_LIMITS.messageText) fail("msg_too_long");
    return { text, blocks: rawBlocks as JsonObject[] | undefined };
  }

  private messageObject(m: StoredMessage | StoredEphemeral): JsonObject {
    // Ephemerals are always the app's; channel messages are the app's unless a user posted them.
    const fromBot = !("botId" in m) || m.botId !== undefined;
    const out: JsonObject = {
      type: "message",
      text: m.text,
      user: fromBot ? this.botUserId : m.user,
      ts: m.ts,
      team: this.teamId,
    };
    if (fromBot) {
      out["bot_id"] = this.botId;
      out["app_id"] = this.appId;
    }
    if (m.blocks !== undefined) out["blocks"] = m.blocks;
    if (m.threadTs !== undefined) out["thread_ts"] = m.threadTs;
    if ("metadata" in m && m.metadata !== undefined) out["metadata"] = m.metadata;
    if (m.edits.length > 0) out["edited"] = { user: this.botUserId, ts: m.ts };
    return out;
  }

  /** The Slack view of a stored message, for block_actions payloads. */
  messagePayload(m: StoredMessage | StoredEphemeral): JsonObject {
    return this.messageObject(m);
  }

  private storeMessage(init: {
    channel: string;
    text: string;
    blocks: JsonObject[] | undefined;
    user: string;
    via: StoredMessage["via"];
    threadTs?: string | undefined;
    metadata?: JsonObject | undefined;
  }): StoredMessage {
    const fromBot = init.user === this.botUserId;
    const m: StoredMessage = {
      channel: init.channel,
      ts: this.nextTs(),
      threadTs: init.threadTs,
      text: init.text,
      blocks: init.blocks,
      user: init.user,
      botId: fromBot ? this.botId : undefined,
      metadata: init.metadata,
      edits: [],
      deleted: false,
      via: init.via,
      postedAt: this.clock.now(),
    };
    if (m.threadTs !== undefined) {
      const parent = this.messageStore.find((p) => p.channel === m.channel && p.ts === m.threadTs);
      if (parent) parent.threadTs = parent.ts;
    }
    this.messageStore.push(m);
    return m;
  }

  private storeEphemeral(init: {
    channel: string;
    user: string;
    text: string;
    blocks: JsonObject[] | undefined;
    via: StoredEphemeral["via"];
    threadTs?: string | undefined;
  }): StoredEphemeral {
    const e: StoredEphemeral = {
      channel: init.channel,
      user: init.user,
      ts: this.nextTs(),
      threadTs: init.threadTs,
      text: init.text,
      blocks: init.blocks,
      edits: [],
      deleted: false,
      via: init.via,
      postedAt: this.clock.now(),
    };
    this.ephemeralStore.push(e);
    return e;
  }

  private threadParent(channel: string, threadTs: string | undefined): string | undefined {
    if (threadTs === undefined || threadTs === "") return undefined;
    const target = this.messageStore.find((m) => m.channel === channel && m.ts === threadTs && !m.deleted);
    // Deliberately strict: an unknown thread_ts is an app bug we want to see.
    if (!target) fail("thread_not_found");
    // Replying to a reply lands in the same thread.
    return target.threadTs ?? target.ts;
  }

  private postMessage(args: JsonObject): JsonObject {
    const channel = this.resolveChannel(requireStr(args, "channel", "channel_not_found"));
    const { text, blocks } = this.messageContent(args);
    if ((text === undefined || text === "") && blocks === undefined && args["attachments"] === undefined) {
      fail("no_text");
    }
    const threadTs = this.threadParent(channel.id, str(args, "thread_ts"));
    const metadata = jsonField(args, "metadata", "invalid_metadata_format");
    const m = this.storeMessage({
      channel: channel.id,
      text: text ?? "",
      blocks,
      user: this.botUserId,
      via: "chat.postMessage",
      threadTs,
      metadata: isJsonObject(metadata) ? metadata : undefined,
    });
    return { channel: channel.id, ts: m.ts, message: this.messageObject(m) };
  }

  private updateMessage(args: JsonObject): JsonObject {
    const channel = this.resolveChannel(requireStr(args, "channel", "channel_not_found"));
    const ts = requireStr(args, "ts", "message_not_found");
    const m = this.messageStore.find((x) => x.channel === channel.id && x.ts === ts && !x.deleted);
    if (!m) fail("message_not_found");
    if (m.user !== this.botUserId) fail("cant_update_message");
    const { text, blocks } = this.messageContent(args);
    if (text === undefined && blocks === undefined) fail("no_text");
    this.editInPlace(m, text, blocks);
    return { channel: channel.id, ts: m.ts, text: m.text, message: this.messageObject(m) };
  }

  /**
   * chat.update semantics: omitted `blocks` keep the previous blocks, `blocks: []` removes them; omitted `text`
   * keeps the previous text.
   */
  private editInPlace(
    m: StoredMessage | StoredEphemeral,
    text: string | undefined,
    blocks: JsonObject[] | undefined,
  ): void {
    m.edits.push({ text: m.text, blocks: m.blocks, replacedAt: this.clock.now() });
    if (text !== undefined) m.text = text;
    if (blocks !== undefined) m.blocks = blocks.length === 0 ? undefined : blocks;
  }

  private postEphemeral(args: JsonObject): JsonObject {
    const channel = this.resolveChannel(requireStr(args, "channel", "channel_not_found"));
    const userId = requireStr(args, "user", "user_not_found");
    if (!this.users.has(userId)) fail("user_not_found");
    if (channel.members && !channel.members.includes(userId)) fail("user_not_in_channel");
    const { text, blocks } = this.messageContent(args);
    if ((text === undefined || text === "") && blocks === undefined && args["attachments"] === undefined) {
      fail("no_text");
    }
    const threadTs = this.threadParent(channel.id, str(args, "thread_ts"));
    const e = this.storeEphemeral({ channel: channel.id, user: userId, text: text ?? "", blocks, via: "chat.postEphemeral", threadTs });
    return { message_ts: e.ts };
  }

  private userObject(id: string): JsonObject {
    const u = this.users.get(id);
    if (!u) fail("user_not_found");
    const profile: JsonObject = {
      real_name: u.realName ?? u.name,
      display_name: u.name,
    };
    if (u.email !== undefined) profile["email"] = u.email;
    return {
      id: u.id,
      team_id: this.teamId,
      name: u.name,
      real_name: u.realName ?? u.name,
      deleted: u.deleted ?? false,
      is_bot: u.isBot ?? false,
      is_admin: u.isAdmin ?? false,
      tz: u.tz ?? "Europe/Berlin",
      profile,
    };
  }

  private conversationObject(idOrName: string): JsonObject {
    const c = this.channels.get(this.channelId(idOrName));
    if (!c) fail("channel_not_found");
    const out: JsonObject = {
      id: c.id,
      name: c.name,
      is_channel: !c.isIm && !c.isPrivate,
      is_group: false,
      is_im: c.isIm ?? false,
      is_private: c.isPrivate ?? c.isIm ?? false,
      is_archived: false,
      is_member: c.members ? c.members.includes(this.botUserId) : true,
      created: 1_600_000_000,
    };
    if (c.isIm) out["user"] = c.members?.find((m) => m !== this.botUserId) ?? c.name;
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Views

  private newViewHash(): string {
    return `${Math.floor(this.clock.now() / 1000)}.${randomBytes(6).toString("hex")}`;
  }

  private viewObject(id: string, input: JsonObject, hash: string, rootViewId: string): JsonObject {
    const out: JsonObject = {
      id,
      team_id: this.teamId,
      type: input["type"] ?? "modal",
      blocks: input["blocks"] ?? [],
      private_metadata: input["private_metadata"] ?? "",
      callback_id: input["callback_id"] ?? "",
      state: { values: {} },
      hash,
      clear_on_close: input["clear_on_close"] ?? false,
      notify_on_close: input["notify_on_close"] ?? false,
      previous_view_id: null,
      root_view_id: rootViewId,
      app_id: this.appId,
      external_id: input["external_id"] ?? "",
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
    };
    for (const key of ["title", "submit", "close"]) {
      const v = input[key];
      out[key] = v === undefined ? null : v;
    }
    return out;
  }

  private parseView(args: JsonObject, expected: "modal" | "home"): JsonObject {
    const view = jsonField(args, "view", "invalid_arguments");
    const problems = validateView(view, expected);
    if (problems.length > 0) blocksError("invalid_arguments", problems);
    return view as JsonObject;
  }

  private replaceView(stored: StoredView, input: JsonObject): void {
    stored.history.push(stored.view);
    stored.hash = this.newViewHash();
    stored.view = this.viewObject(stored.id, input, stored.hash, String(stored.view["root_view_id"] ?? stored.id));
    stored.callbackId = typeof input["callback_id"] === "string" ? input["callback_id"] : undefined;
    stored.privateMetadata = typeof input["private_metadata"] === "string" ? input["private_metadata"] : "";
    stored.externalId = typeof input["external_id"] === "string" ? input["external_id"] : undefined;
  }

  private createView(user: string, input: JsonObject, type: "modal" | "home"): StoredView {
    const id = `V${String(++this.counter).padStart(10, "0")}`;
    const hash = this.newViewHash();
    const stored: StoredView = {
      id,
      type,
      user,
      hash,
      externalId: typeof input["external_id"] === "string" ? input["external_id"] : undefined,
      callbackId: typeof input["callback_id"] === "string" ? input["callback_id"] : undefined,
      privateMetadata: typeof input["private_metadata"] === "string" ? input["private_metadata"] : "",
      view: this.viewObject(id, input, hash, id),
      history: [],
      closed: false,
      openedAt: this.clock.now(),
    };
    this.viewStore.set(id, stored);
    return stored;
  }

  private viewsOpen(args: JsonObject): JsonObject {
    const triggerId = requireStr(args, "trigger_id", "invalid_trigger_id");
    const trigger = this.triggers.get(triggerId);
    if (!trigger) fail("invalid_trigger_id");
    if (this.clock.now() - trigger.issuedAt > this.triggerTtlMs) fail("expired_trigger_id");
    if (trigger.used) fail("exchanged_trigger_id");
    const input = this.parseView(args, "modal");
    trigger.used = true;
    return { view: this.createView(trigger.user, input, "modal").view };
  }

  private viewsUpdate(args: JsonObject): JsonObject {
    const viewId = str(args, "view_id");
    const externalId = str(args, "external_id");
    if (viewId === undefined && externalId === undefined) fail("invalid_arguments");
    const stored =
      viewId !== undefined
        ? this.viewStore.get(viewId)
        : [...this.viewStore.values()].find((v) => v.externalId === externalId);
    if (!stored) fail("not_found");
    const hash = str(args, "hash");
    if (hash !== undefined && hash !== stored.hash) fail("hash_conflict");
    const input = this.parseView(args, stored.type);
    this.replaceView(stored, input);
    return { view: stored.view };
  }

  private viewsPublish(args: JsonObject): JsonObject {
    const userId = requireStr(args, "user_id", "user_not_found");
    if (!this.users.has(userId)) fail("user_not_found");
    const input = this.parseView(args, "home");
    const existing = this.homeView(userId);
    const hash = str(args, "hash");
    if (existing) {
      if (hash !== undefined && hash !== existing.hash) fail("hash_conflict");
      this.replaceView(existing, input);
      return { view: existing.view };
    }
    return { view: this.createView(userId, input, "home").view };
  }

  // ---------------------------------------------------------------------------------------------------------
  // response_url

  private responseUrlPost(id: string, body: JsonObject): MethodResult {
    const record = this.responseUrls.get(id);
    let result: MethodResult;
    try {
      result = this.useResponseUrl(record, body);
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      // Slack answers a spent or expired response_url with 404; a bad body with 400 (our choice of status).
      const status = err.error === "used_url" || err.error === "expired_url" || err.error === "not_found" ? 404 : 400;
      result = { status, body: { ok: false, error: err.error, ...err.extra } };
    }
    this.recorded.push({
      method: "response_url",
      args: { response_url_id: id, ...body },
      at: this.clock.now(),
      httpStatus: result.status ?? 200,
      result: result.body,
    });
    this.changed();
    return result;
  }

  private useResponseUrl(record: ResponseUrlRecord | undefined, body: JsonObject): MethodResult {
    if (!record) fail("not_found");
    if (this.clock.now() - record.issuedAt > this.responseUrlTtlMs) fail("expired_url");
    if (record.uses >= this.responseUrlMaxUses) fail("used_url");
    const source =
      record.source?.kind === "message"
        ? this.messageStore.find((m) => m.channel === record.channel && m.ts === record.source?.ts && !m.deleted)
        : record.source?.kind === "ephemeral"
          ? this.ephemeralStore.find((e) => e.channel === record.channel && e.ts === record.source?.ts && !e.deleted)
          : undefined;
    if (bool(body, "delete_original")) {
      if (!source) fail("message_not_found");
      record.uses++;
      source.deleted = true;
      return { body: { ok: true } };
    }
    const { text, blocks } = this.messageContent(body);
    if ((text === undefined || text === "") && blocks === undefined) fail("no_text");
    if (bool(body, "replace_original")) {
      if (!source) fail("message_not_found");
      record.uses++;
      this.editInPlace(source, text ?? "", blocks ?? []);
      return { body: { ok: true } };
    }
    record.uses++;
    const threadTs = str(body, "thread_ts");
    if (body["response_type"] === "in_channel") {
      this.storeMessage({ channel: record.channel, text: text ?? "", blocks, user: this.botUserId, via: "response_url", threadTs });
    } else {
      this.storeEphemeral({ channel: record.channel, user: record.user, text: text ?? "", blocks, via: "response_url", threadTs });
    }
    return { body: { ok: true } };
  }

  private changed(): void {
    this.changes.emit("change");
  }
}

/** Start a stand-in on 127.0.0.1, port 0. Register `close()` in your test's cleanup first thing. */
export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const server = createServer();
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return new SlackStandIn(server, opts);
}
