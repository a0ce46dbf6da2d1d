/**
 * The operations endpoint, in the same process as `serve`:
 *   GET /healthz  200 {"ok":true,…} when ready, 503 with the report naming what failed otherwise
 *   GET /metrics  Prometheus text format
 * It listens on its own port (HEALTH_PORT, default 8080) so that it can stay private while Slack's HTTP receiver
 * is exposed; in Docker it binds 0.0.0.0 for the HEALTHCHECK and the scraper, in tests 127.0.0.1.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger, type Logger } from "../log.js";
import type { HealthReport } from "./health.js";
import type { OpsMetrics } from "./metrics.js";

export const DEFAULT_HEALTH_PORT = 8080;

export interface OpsServerOptions {
  port?: number;
  host?: string;
  health: () => Promise<HealthReport>;
  metrics?: OpsMetrics;
  logger?: Logger;
}

export interface OpsServer {
  port: number;
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const log = (opts.logger ?? silentLogger).child({ component: "ops" });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    void (async () => {
      try {
        if (path === "/healthz") {
          const report = await opts.health();
          if (!report.ok) log.warn({ failed: report.failed }, "health check failed");
          send(report.ok ? 200 : 503, "application/json; charset=utf-8", JSON.stringify(report));
        } else if (path === "/metrics" && opts.metrics) {
          send(200, opts.metrics.contentType, await opts.metrics.text());
        } else {
          send(404, "text/plain; charset=utf-8", "not found\n");
        }
      } catch (err) {
        log.error({ err: (err as Error).message, path }, "ops endpoint failed");
        if (!res.headersSent) send(500, "text/plain; charset=utf-8", "internal error\n");
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_HEALTH_PORT, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
