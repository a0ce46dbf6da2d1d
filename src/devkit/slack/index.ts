/**
 * Slack stand-in (Web API, response URLs, Socket Mode) and the driver that plays Slack towards the app.
 *
 *   const standIn = await startSlackStandIn({ rateLimitScale: 0.01, usergroups: { S0INFRA: ["U0ALICE"] } });
 *   onTestFinished(() => standIn.close());
 *   const app = new App({ token: standIn.botToken, signingSecret, clientOptions: { slackApiUrl: standIn.apiUrl } });
 *   const server = await app.start({ port: 0, host: "127.0.0.1" });        // Bolt v5: returns the http.Server
 *   const driver = new SlackDriver({ standIn, signingSecret,
 *     appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` });
 *   await driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "create web-1" });
 *   const msg = await driver.waitForMessage("C0OPS", (m) => m.text.includes("web-1"));
 *
 * Socket Mode: `new App({ token: standIn.botToken, appToken: standIn.appToken, socketMode: true,
 * clientOptions: { slackApiUrl: standIn.apiUrl } })` and `new SlackDriver({ standIn, socketMode: true })`.
 */
export { startSlackStandIn, SlackStandIn, DEFAULT_CHANNELS, DEFAULT_USERS } from "./server.js";
export type { SlackStandInOptions, ResponseUrlContext } from "./server.js";
export { SlackDriver } from "./driver.js";
export type {
  SlackDriverOptions,
  DeliveryOptions,
  DeliveryResult,
  PostCommandArgs,
  ClickButtonArgs,
  SubmitViewArgs,
  SubmittedValues,
  ViewSubmissionResult,
} from "./driver.js";
export { ManualClock, systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { validateMessageBlocks, validateView, formatProblem, BLOCK_LIMITS } from "./blocks.js";
export type { BlockProblem } from "./blocks.js";
export { RateLimiter, METHOD_RATE_LIMITS } from "./rate-limit.js";
export type { RateLimitPolicy, RateDecision } from "./rate-limit.js";
export { SocketModeLink } from "./socket-mode.js";
export type { EnvelopeType, SocketAck } from "./socket-mode.js";
export type {
  Json,
  JsonObject,
  SeedChannel,
  SeedUser,
  StoredMessage,
  StoredEphemeral,
  StoredView,
  RecordedCall,
} from "./types.js";
