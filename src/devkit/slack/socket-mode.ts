/**
 * Socket Mode link: what Slack's `wss://wss-primary.slack.com/link/?ticket=…` does, on ws://127.0.0.1.
 *
 * Protocol, as @slack/socket-mode v2/v3 (SocketModeClient.onWebSocketMessage) consumes it:
 * - on connect the server sends `{"type":"hello","num_connections":1,"debug_info":{…},"connection_info":{"app_id"}}`;
 *   the client reports itself connected only after this message;
 * - each delivery is an envelope `{envelope_id, type: "slash_commands"|"interactive"|"events_api", payload,
 *   accepts_response_payload}` (events also carry `retry_attempt`, `retry_reason`);
 * - the app acks with `{envelope_id, payload?}` (Bolt sends `payload: {}` when `ack()` has no argument);
 * - `{"type":"disconnect","reason":"refresh_requested"|"warning"|"link_disabled"}` asks the client to reconnect
 *   (it closes, calls apps.connections.open again and opens a new link);
 * - WebSocket ping/pong frames: the client pings every clientPingTimeout/3 ms and drops the link without pongs
 *   (`ws` answers pings automatically); once the server has pinged, the client expects another ping within
 *   serverPingTimeout (30 s by default), so we ping every `pingIntervalMs`.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { isJsonObject, type JsonObject } from "./types.js";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

export interface SocketAck {
  envelopeId: string;
  /** The ack's `payload` (what the listener passed to `ack()`); `{}` for a bare ack. */
  payload: JsonObject | undefined;
}

export interface DeliverOptions {
  timeoutMs?: number;
  retryAttempt?: number;
  retryReason?: string;
}

export class SocketModeLink {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, (ack: SocketAck) => void>();
  private readonly connectWaiters: Array<() => void> = [];
  private readonly pingTimer: NodeJS.Timeout;
  /** Every envelope sent and every message received, in order, for assertions. */
  readonly traffic: Array<{ direction: "out" | "in"; message: JsonObject }> = [];

  constructor(private readonly appId: string, pingIntervalMs: number) {
    this.pingTimer = setInterval(() => {
      for (const ws of this.sockets) ws.ping();
    }, pingIntervalMs);
    this.pingTimer.unref();
  }

  /** A single-use ticket for the URL that apps.connections.open returns. */
  issueTicket(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return ticket;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Resolves once at least one app connection has received its `hello`. */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no Socket Mode connection")), timeoutMs);
      this.connectWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket");
    if (url.pathname !== "/link/" || ticket === null || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("error", () => this.sockets.delete(ws));
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!isJsonObject(message)) return;
      this.traffic.push({ direction: "in", message });
      const envelopeId = message["envelope_id"];
      if (typeof envelopeId !== "string") return;
      const waiter = this.pendingAcks.get(envelopeId);
      if (!waiter) return;
      this.pendingAcks.delete(envelopeId);
      const payload = message["payload"];
      waiter({ envelopeId, payload: isJsonObject(payload) ? payload : undefined });
    });
    this.send(ws, {
      type: "hello",
      num_connections: this.sockets.size,
      debug_info: { host: "applink-standin", build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.appId },
    });
    for (const waiter of this.connectWaiters.splice(0)) waiter();
  }

  private send(ws: WebSocket, message: JsonObject): void {
    this.traffic.push({ direction: "out", message });
    ws.send(JSON.stringify(message));
  }

  /** Send an envelope to one connected app (Slack picks one connection) and wait for its ack. */
  deliver(type: EnvelopeType, payload: JsonObject, opts: DeliverOptions = {}): Promise<SocketAck> {
    const ws = [...this.sockets][0];
    if (!ws) return Promise.reject(new Error("no Socket Mode connection to deliver to"));
    const envelopeId = randomUUID();
    const envelope: JsonObject = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type === "slash_commands" || payload["type"] === "view_submission",
    };
    if (type === "events_api") {
      envelope["retry_attempt"] = opts.retryAttempt ?? 0;
      envelope["retry_reason"] = opts.retryReason ?? "";
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope within ${opts.timeoutMs ?? 3000} ms`));
      }, opts.timeoutMs ?? 3000);
      this.pendingAcks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      this.send(ws, envelope);
    });
  }

  /** Ask every connected client to reconnect, as Slack does before recycling a link. */
  sendDisconnect(reason: "refresh_requested" | "warning" | "link_disabled" = "refresh_requested"): void {
    for (const ws of this.sockets) {
      this.send(ws, { type: "disconnect", reason, debug_info: { host: "applink-standin" } });
    }
  }

  /**
   * Close every link with a proper close handshake (an app that is itself disconnecting finishes its own), so
   * clients do not log errors for a dropped socket; terminate what does not finish within `graceMs`.
   */
  async close(graceMs = 1000): Promise<void> {
    clearInterval(this.pingTimer);
    await Promise.all(
      [...this.sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, graceMs);
            ws.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            if (ws.readyState === ws.OPEN) ws.close(1001, "stand-in closing");
          }),
      ),
    );
    this.sockets.clear();
    this.wss.close();
  }
}
