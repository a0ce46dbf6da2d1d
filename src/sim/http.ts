/**
 * The request pipeline, in the order pve-http-server / pve-manager HTTPServer.pm use:
 * body check → token auth (401) → route match (501) → node offline (595) → permissions (403, before any
 * existence check) → parameter validation (400) → handler. Answers use the JSON formatter's envelope.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { parseTokenHeader } from "./auth.js";
import type { HttpMethod, SimCore } from "./core.js";
import { SimHttpError } from "./errors.js";
import { WithTotal, type RequestContext } from "./handlers/common.js";
import { HANDLERS } from "./handlers/index.js";
import { checkPermissions, findUriParamConflicts, matchEndpoint, validateParams } from "./schema/index.js";

export interface RequestLogEntry {
  /** Unix ms when the request arrived. */
  at: number;
  method: string;
  /** The path after `/api2/json`. */
  path: string;
  /** The schema template (`/nodes/{node}/qemu/{vmid}/clone`), or undefined when no route matched. */
  template: string | undefined;
  status: number;
  tokenId: string | undefined;
}

export interface RequestStats {
  /** Requests per `METHOD template` (e.g. `POST /nodes/{node}/qemu/{vmid}/clone`). */
  byEndpoint: Record<string, number>;
  total: number;
  /** POST/PUT/DELETE requests that reached a handler's route. */
  mutating: number;
}

const METHODS = new Set(["GET", "POST", "PUT", "DELETE"]);
const API_PREFIX = "/api2/json";

/** Form decoding as pve-http-server `decode_urlencoded`: pairs split on `&` and `;`, `+` is a space. */
export function decodeForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const pair of text.split(/[&;]/)) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const k = unescape(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? "" : unescape(pair.slice(eq + 1));
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** `+` → space, `%XX` → byte (invalid escapes stay as they are, like URI::Escape), then UTF-8. */
function unescape(s: string): string {
  const bytes: number[] = [];
  const plus = s.replace(/\+/g, " ");
  for (let i = 0; i < plus.length; i++) {
    const ch = plus[i]!;
    if (ch === "%" && /^[0-9A-Fa-f]{2}$/.test(plus.slice(i + 1, i + 3))) {
      bytes.push(parseInt(plus.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(ch, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** A reason phrase may hold only visible Latin-1 text (Node refuses anything else). */
function reasonPhrase(message: string): string {
  const first = message.split("\n")[0] ?? "";
  return first.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?").slice(0, 400) || "Error";
}

export class SimHttp {
  readonly stats: RequestStats = { byEndpoint: {}, total: 0, mutating: 0 };
  readonly requestLog: RequestLogEntry[] = [];

  constructor(
    private readonly core: SimCore,
    private readonly authFailureDelayMs: number,
    private readonly logger: Logger,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.process(req, res).catch((err: unknown) => {
      this.logger.error({ err }, "simulator request failed");
      if (!res.headersSent) this.send(res, new SimHttpError(500, String((err as Error)?.message ?? err)));
      else res.destroy();
    });
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://sim");
    const rawPath = url.pathname;
    const rel = rawPath.startsWith(API_PREFIX + "/") || rawPath === API_PREFIX ? rawPath.slice(API_PREFIX.length) || "/" : undefined;
    const entry: RequestLogEntry = { at, method, path: rel ?? rawPath, template: undefined, status: 0, tokenId: undefined };
    this.stats.total++;
    // Read when the request arrives, so a test can change it for later requests only.
    const apiDelayMs = this.core.apiDelayMs;
    const finish = async (result: SimHttpError | { data: unknown; total?: number }) => {
      if (apiDelayMs > 0) {
        try {
          await this.core.sched.sleepReal(apiDelayMs);
        } catch {
          res.destroy();
          return;
        }
      }
      entry.status = result instanceof SimHttpError ? result.status : 200;
      this.requestLog.push(entry);
      if (this.requestLog.length > 50_000) this.requestLog.splice(0, 10_000);
      this.send(res, result);
    };

    const body = await readBody(req);
    if (!METHODS.has(method)) return finish(new SimHttpError(501, `method '${method}' not available`));
    if (body.length > 0 && (method === "GET" || method === "DELETE"))
      return finish(new SimHttpError(501, `Unexpected content for method '${method}'`));

    // Token auth. A bad token is answered after a delay (pve-http-server AnyEvent.pm, 3 s at speed 1).
    const auth = parseTokenHeader(req.headers.authorization);
    if (auth === "none") return finish(new SimHttpError(401, "No ticket", undefined, true));
    const token = auth === "malformed" ? undefined : this.core.tokens.get(auth.tokenId);
    if (auth === "malformed" || !token || token.expired || !token.secretMatches(auth.secret)) {
      try {
        await this.core.sched.sleepReal(this.authFailureDelayMs);
      } catch {
        res.destroy();
        return;
      }
      return finish(new SimHttpError(401, "Authentication failed!", undefined, true));
    }
    entry.tokenId = token.tokenId;

    if (rel === undefined) return finish(new SimHttpError(501, `Method '${method} ${rawPath}' not implemented`));
    let decodedRel: string;
    try {
      decodedRel = decodeURIComponent(rel);
    } catch {
      decodedRel = rel;
    }
    const ep = matchEndpoint(method as HttpMethod, decodedRel);
    const handler = ep ? HANDLERS[`${method} ${ep.template}`] : undefined;
    if (!ep || !handler) return finish(new SimHttpError(501, `Method '${method} ${decodedRel}' not implemented`));
    entry.template = ep.template;
    const key = `${method} ${ep.template}`;
    this.stats.byEndpoint[key] = (this.stats.byEndpoint[key] ?? 0) + 1;
    if (method !== "GET") this.stats.mutating++;

    // Calls proxied to an unreachable node: AnyEvent::HTTP's pseudo-status passes through, empty body.
    const nodeName = ep.pathParams.node;
    if (nodeName !== undefined && this.core.world.node(nodeName)?.online === false)
      return finish(new SimHttpError(595, "Errors during connection establishment, proxy handshake: No route to host", undefined, true));

    const injected = this.core.takeRequestFailure(method, ep.template);
    if (injected) return finish(new SimHttpError(injected.status, injected.message));

    let requestParams: Record<string, unknown>;
    let encoding: "form" | "json" = "form";
    try {
      const bodyParams = parseBody(body, req.headers["content-type"]);
      encoding = bodyParams.encoding;
      requestParams = { ...bodyParams.params, ...decodeForm(url.search.slice(1)) };
    } catch (err) {
      return finish(err instanceof SimHttpError ? err : new SimHttpError(400, String(err)));
    }
    const conflicts = findUriParamConflicts(ep.pathParams, requestParams);
    if (conflicts) return finish(new SimHttpError(400, "Parameter verification failed.", conflicts));
    const raw = { ...requestParams, ...ep.pathParams };

    const denial = checkPermissions(ep, raw, {
      userid: token.tokenId,
      isToken: true,
      has: (path, priv) => token.has(path, priv),
    });
    if (denial) return finish(new SimHttpError(403, denial.text));

    const valid = validateParams(ep, raw, encoding);
    if (!valid.ok) return finish(new SimHttpError(400, "Parameter verification failed.", valid.errors));

    const rc: RequestContext = { core: this.core, params: valid.params, token, method: method as HttpMethod, template: ep.template };
    try {
      const out = await handler(rc);
      return finish(out instanceof WithTotal ? { data: out.data, total: out.total } : { data: out ?? null });
    } catch (err) {
      if (err instanceof SimHttpError) return finish(err);
      if (this.core.sched.isClosed) {
        res.destroy();
        return;
      }
      this.logger.error({ err, method, template: ep.template }, "simulator handler crashed");
      return finish(new SimHttpError(500, (err as Error)?.message ?? String(err)));
    }
  }

  private send(res: ServerResponse, result: SimHttpError | { data: unknown; total?: number }): void {
    if (res.destroyed || res.headersSent) return;
    res.setHeader("Server", "pve-api-daemon/3.0");
    res.setHeader("Cache-Control", "max-age=0");
    res.setHeader("Pragma", "no-cache");
    res.setHeader("Expires", new Date().toUTCString());
    if (!(result instanceof SimHttpError)) {
      const payload = JSON.stringify(result.total !== undefined ? { data: result.data, total: result.total } : { data: result.data });
      res.writeHead(200, "OK", { "Content-Type": "application/json;charset=UTF-8", "Content-Length": Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }
    const reason = reasonPhrase(result.message);
    if (result.emptyBody) {
      res.writeHead(result.status, reason, { "Content-Length": 0 });
      res.end();
      return;
    }
    // Since libpve-http-server-perl 5.2.0 the body also carries the whole message with its newline.
    const payload = JSON.stringify({
      data: null,
      message: result.message.endsWith("\n") ? result.message : `${result.message}\n`,
      ...(result.errors ? { errors: result.errors } : {}),
    });
    res.writeHead(result.status, reason, { "Content-Type": "application/json;charset=UTF-8", "Content-Length": Buffer.byteLength(payload) });
    res.end(payload);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 4 * 1024 * 1024) {
        req.destroy();
        reject(new Error("request body too large"));
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(body: Buffer, contentType: string | undefined): { params: Record<string, unknown>; encoding: "form" | "json" } {
  if (body.length === 0) return { params: {}, encoding: "form" };
  const text = body.toString("utf8");
  if ((contentType ?? "").toLowerCase().includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new SimHttpError(400, `malformed JSON string: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new SimHttpError(400, "JSON body must be an object");
    return { params: parsed as Record<string, unknown>, encoding: "json" };
  }
  return { params: decodeForm(text), encoding: "form" };
}
