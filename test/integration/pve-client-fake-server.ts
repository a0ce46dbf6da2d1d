/**
 * A tiny HTTPS (or HTTP) server for the client's integration tests, answering like pveproxy: `{"data": …}`,
 * errors in the reason phrase, `Server: pve-api-daemon/3.0`. Routes are scripted per test. Listens on 127.0.0.1:0.
 */
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { TLSSocket } from "node:tls";
import { generateCertificate } from "../../src/sim/tls.js";

export interface FakeRequest {
  method: string;
  /** Path below /api2/json, without the query. */
  path: string;
  query: URLSearchParams;
  body: string;
  headers: IncomingMessage["headers"];
}

export interface FakeReply {
  status?: number;
  /** Reason phrase; Proxmox puts the error's first line here. */
  reason?: string;
  /** An object is sent as JSON; a string as is. Default `{"data":null}`. */
  body?: unknown;
  /** Answer after this many ms (to hold requests in flight). */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
  /** Drop the connection instead of answering. */
  destroy?: boolean;
  /** Send `Connection: close` so the next request needs a new connection. */
  close?: boolean;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  port: number;
  fingerprint: string;
  certPem: string;
  requests: FakeRequest[];
  /** TLS handshakes seen, and how many of them resumed a session. */
  tls: { handshakes: number; resumed: number };
  inFlight: { now: number; max: number };
  route(method: string, path: string | RegExp, handler: FakeHandler): void;
  close(): Promise<void>;
}

let certPromise: ReturnType<typeof generateCertificate> | undefined;
/** One certificate per test file (generation is the slow part). */
export function sharedCertificate() {
  certPromise ??= generateCertificate();
  return certPromise;
}

export async function startFakePve(opts: { tls?: boolean; cert?: Awaited<ReturnType<typeof generateCertificate>> } = {}): Promise<FakeServer> {
  const useTls = opts.tls ?? true;
  const cert = opts.cert ?? (await sharedCertificate());
  const routes: { method: string; path: string | RegExp; handler: FakeHandler }[] = [];
  const requests: FakeRequest[] = [];
  const tlsStats = { handshakes: 0, resumed: 0 };
  const inFlight = { now: 0, max: 0 };
  const sockets = new Set<import("node:net").Socket>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://x");
        const path = url.pathname.replace(/^\/api2\/json/, "");
        const fr: FakeRequest = { method: req.method ?? "", path, query: url.searchParams, body: Buffer.concat(chunks).toString(), headers: req.headers };
        requests.push(fr);
        inFlight.now++;
        inFlight.max = Math.max(inFlight.max, inFlight.now);
        try {
          const route = routes.find((r) => r.method === fr.method && (typeof r.path === "string" ? r.path === path : r.path.test(path)));
          const reply: FakeReply = route
            ? await route.handler(fr)
            : { status: 501, reason: `Method '${fr.method} ${path}' not implemented` };
          if (reply.hang) return;
          if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
          if (reply.destroy) {
            req.socket.destroy();
            return;
          }
          const status = reply.status ?? 200;
          const body = reply.body === undefined ? { data: null } : reply.body;
          const text = typeof body === "string" ? body : JSON.stringify(body);
          res.writeHead(status, reply.reason ?? (status === 200 ? "OK" : "Error"), {
            "content-type": typeof body === "string" ? "text/plain;charset=UTF-8" : "application/json;charset=UTF-8",
            server: "pve-api-daemon/3.0",
            ...(reply.close ? { connection: "close" } : {}),
          });
          res.end(text);
        } finally {
          inFlight.now--;
        }
      })();
    });
  };

  const server: Server = useTls
    ? (createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, onRequest) as unknown as Server)
    : createHttpServer(onRequest);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  if (useTls) {
    server.on("secureConnection", (s: TLSSocket) => {
      tlsStats.handshakes++;
      if (s.isSessionReused()) tlsStats.resumed++;
    });
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as import("node:net").AddressInfo).port;
  return {
    url: `${useTls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    fingerprint: cert.fingerprint,
    certPem: cert.certPem,
    requests,
    tls: tlsStats,
    inFlight,
    route: (method, path, handler) => routes.unshift({ method, path, handler }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (connection refused). */
export async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as import("node:net").AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
