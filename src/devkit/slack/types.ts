/** Shapes shared by the Slack stand-in and its driver. Field names follow Slack's wire format (snake_case). */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface SeedChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** A direct-message channel (ids start with D). */
  isIm?: boolean;
  /** Users in the channel; when given, ephemerals to anyone else fail with `user_not_in_channel`. */
  members?: string[];
}

export interface SeedUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  isBot?: boolean;
  isAdmin?: boolean;
  deleted?: boolean;
  tz?: string;
}

/** One message as the channel shows it now (after edits). */
export interface StoredMessage {
  channel: string;
  ts: string;
  /** Set on replies (and on a parent once it has replies, equal to its own ts, as Slack does). */
  threadTs: string | undefined;
  text: string;
  blocks: JsonObject[] | undefined;
  /** Who posted it: the bot user for Web API posts, the invoking user for `in_channel` responses. */
  user: string;
  botId: string | undefined;
  metadata: JsonObject | undefined;
  /** Earlier versions, oldest first; each chat.update / replace_original pushes the version it replaced. */
  edits: Array<{ text: string; blocks: JsonObject[] | undefined; replacedAt: number }>;
  deleted: boolean;
  /** How it got there. */
  via: "chat.postMessage" | "response_url" | "command_ack";
  postedAt: number;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: JsonObject[] | undefined;
  edits: Array<{ text: string; blocks: JsonObject[] | undefined; replacedAt: number }>;
  deleted: boolean;
  via: "chat.postEphemeral" | "response_url" | "command_ack";
  postedAt: number;
}

export interface StoredView {
  id: string;
  type: "modal" | "home";
  /** The user who sees it (the trigger's user for modals, `user_id` for home tabs). */
  user: string;
  hash: string;
  externalId: string | undefined;
  callbackId: string | undefined;
  privateMetadata: string;
  /** The view as Slack would return it (`views.*` responses, `view` in payloads). */
  view: JsonObject;
  /** Earlier versions, oldest first. */
  history: JsonObject[];
  /** A modal closes when a submission is acked without errors (or with `response_action: "clear"`). */
  closed: boolean;
  openedAt: number;
}

export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `response_url` for POSTs to a response URL. */
  method: string;
  /** Arguments as the stand-in parsed them; JSON-encoded form fields (blocks, view) are decoded; no token. */
  args: JsonObject;
  at: number;
  httpStatus: number;
  result: JsonObject;
}
