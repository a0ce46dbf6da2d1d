/**
 * The Proxmox VE API client (undici), implementing PveClient (./types.ts).
 *
 * - Auth: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` (pveum.adoc l.105-109); no CSRF header with tokens.
 * - Base `<endpoint>/api2/json`; GET/DELETE parameters in the query, POST/PUT as a urlencoded form (a body on
 *   DELETE is answered `501 Unexpected content`, BEHAVIOUR.md §1.2). Answers are `{"data": …}`, unwrapped here.
 * - Errors become PveError in ./errors.ts (reason phrase + body `message` + `errors`).
 * - TLS: verified by default; `ca` file; `fingerprint` pinned on every connection; `insecure` (warned once).
 * - Several endpoints: a failure to *reach* one moves on to the next and remembers the one that answered.
 *   A 595/596 is not such a failure: it is a node behind a healthy endpoint.
 * - One bottleneck limiter per client; retries only where safe (see ./backoff.ts).
 */
import { readFileSync } from "node:fs";
import { TLSSocket } from "node:tls";
import { Agent, buildConnector } from "undici";
import Bottleneck from "bottleneck";
import { z } from "zod";
import { PveError } from "../../errors.js";
import type { ApiConfig } from "../../config/schema.js";
import { silentLogger, type Logger } from "../../log.js";
import type { PveClient, PveParams, PveRequestOptions, TaskResult, WaitForTaskOptions } from "./types.js";
import { encodeForm } from "./encode.js";
import {
  AllEndpointsFailed,
  FingerprintMismatchError,
  describeTransportError,
  isLockTimeout,
  pveErrorFromResponse,
  type EndpointFailure,
} from "./errors.js";
import {
  LOCK_TIMEOUT_RETRY,
  READ_RETRY,
  backoffDelayMs,
  cancelledFrom,
  sleep,
  type PollSchedule,
  type RetryPolicy,
} from "./backoff.js";
import { waitForTask } from "./tasks.js";

export interface PveClientMetrics {
  /** Called once per HTTP attempt. `pathTemplate` has ids replaced (`/nodes/{node}/qemu/{vmid}`); status 0 = no answer. */
  onRequest?(method: string, pathTemplate: string, status: number, ms: number): void;
}

export interface CreatePveClientOptions {
  cluster: string;
  api: ApiConfig;
  logger?: Logger;
  metrics?: PveClientMetrics;
  /** Retry policy for GETs (network errors, 5xx, 595/596). Default READ_RETRY. */
  readRetry?: RetryPolicy;
  /** Retry policy for lock timeouts, any method. Default LOCK_TIMEOUT_RETRY. */
  lockRetry?: RetryPolicy;
  /** Waits between task status polls; default 100 ms doubling to 2 s. Tests and the simulator shorten it. */
  taskPollSchedule?: PollSchedule;
  /** How long waitForTask retries `no such task` right after dispatch. Default 5 s. */
  noSuchTaskGraceMs?: number;
  /** Injected for tests (jitter). */
  random?: () => number;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";
type CallOptions<T> = PveRequestOptions & { schema?: z.ZodType<T> };

/** `/nodes/pve1/qemu/100/status/current` → `/nodes/{node}/qemu/{vmid}/status/current`, for metrics labels. */
export function pathTemplate(path: string): string {
  const parts = path.split("/");
  const named: Record<string, string> = {
    nodes: "{node}",
    qemu: "{vmid}",
    lxc: "{vmid}",
    tasks: "{upid}",
    storage: "{storage}",
    snapshot: "{snapname}",
    pools: "{poolid}",
  };
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1]!;
    const label = named[prev];
    if (label && parts[i] !== "" && !(label === "{vmid}" && !/^\d+$/.test(parts[i]!))) {
      parts[i] = label;
    }
  }
  return parts.join("/");
}

interface Endpoint {
  url: string;
  origin: string;
  basePath: string;
  agent: Agent;
}

/** Normalises `aa:bb:…` to Node's `fingerprint256` form (upper case). */
function normaliseFingerprint(fp: string): string {
  return fp.trim().toUpperCase();
}

function buildAgent(endpointUrl: string, api: ApiConfig, caPem: string | undefined): Agent {
  // A dead host should fail over within 10 s, not wait for the whole request timeout.
  const connectTimeout = Math.min(api.timeoutMs, 10_000);
  const common = { keepAlive: true, timeout: connectTimeout };
  let connect: buildConnector.connector;
  if (api.fingerprint) {
    const expected = normaliseFingerprint(api.fingerprint);
    // Pinning: accept any chain, then compare the leaf's SHA-256 fingerprint before undici may use the socket.
    // maxCachedSessions 0: a resumed TLS session exposes no peer certificate (DESIGN.md "TLS pinning trap").
    const base = buildConnector({ ...common, rejectUnauthorized: false, maxCachedSessions: 0 });
    connect = (opts, callback) => {
      base(opts, (err, socket) => {
        if (err) return callback(err, null);
        if (socket instanceof TLSSocket) {
          const cert = socket.getPeerCertificate();
          const actual = cert && typeof cert.fingerprint256 === "string" ? cert.fingerprint256.toUpperCase() : undefined;
          if (socket.isSessionReused() || actual !== expected) {
            socket.destroy();
            return callback(new FingerprintMismatchError(expected, actual, endpointUrl), null);
          }
        }
        return callback(null, socket!);
      });
    };
  } else if (api.insecure) {
    connect = buildConnector({ ...common, rejectUnauthorized: false });
  } else {
    connect = buildConnector({ ...common, rejectUnauthorized: true, ...(caPem ? { ca: caPem } : {}) });
  }
  // Keep-alive (one Agent per endpoint), but drop idle sockets after 3 s: a socket the server closed while idle
  // fails the next request with a reset, and a POST on it is not resent (it might have started a task).
  return new Agent({ connect, keepAliveTimeout: 3_000, connections: Math.max(1, api.maxConcurrent) });
}

export function createPveClient(opts: CreatePveClientOptions): PveClient {
  const { cluster, api } = opts;
  const log = (opts.logger ?? silentLogger).child({ component: "pve-client", cluster });
  const random = opts.random ?? Math.random;
  const readRetry = opts.readRetry ?? READ_RETRY;
  const lockRetry = opts.lockRetry ?? LOCK_TIMEOUT_RETRY;

  if (api.endpoints.length === 0) throw new PveError({ kind: "network", pveMessage: "no API endpoint configured", cluster });
  if (api.insecure) {
    log.warn({ endpoints: api.endpoints }, "TLS verification is OFF for this cluster (insecure: true); anyone on the path can read the API token");
  }
  const caPem = api.ca ? readFileSync(api.ca, "utf8") : undefined;

  const endpoints: Endpoint[] = api.endpoints.map((raw) => {
    const u = new URL(raw);
    return {
      url: raw,
      origin: u.origin,
      basePath: `${u.pathname.replace(/\/+$/, "")}/api2/json`,
      agent: buildAgent(raw, api, caPem),
    };
  });
  let healthy = 0;

  // Limiter: at most `maxConcurrent` requests in flight (default 8; pveproxy has 3 workers by default and
  // each handles a few connections, so more only queues there) and at least 1000/ratePerSecond ms between
  // starts (default 50/s → 20 ms), which keeps a burst of 30 clones' polls from flooding pveproxy.
  const limiter = new Bottleneck({
    maxConcurrent: api.maxConcurrent,
    minTime: 1000 / api.ratePerSecond,
  });

  const authorization = () => `PVEAPIToken=${api.tokenId}=${api.tokenSecret.reveal()}`;

  function networkError(method: Method, path: string, failures: EndpointFailure[]): PveError {
    const detail =
      failures.length === 1
        ? `${failures[0]!.endpoint}: ${failures[0]!.message}`
        : `all ${failures.length} endpoints failed: ${failures.map((f) => `${f.endpoint}: ${f.message}`).join("; ")}`;
    return new PveError({
      kind: "network",
      pveMessage: detail,
      method,
      path,
      cluster,
      cause: new AllEndpointsFailed(failures),
    });
  }

  /** One HTTP exchange with one endpoint. Throws PveError for HTTP errors, raw errors for transport failures. */
  async function exchange(ep: Endpoint, method: Method, path: string, params: PveParams | undefined, signal: AbortSignal) {
    const form = encodeForm(params).toString();
    const hasBody = method === "POST" || method === "PUT";
    const query = !hasBody && form !== "" ? `?${form}` : "";
    const started = performance.now();
    let status = 0;
    try {
      const res = await ep.agent.request({
        origin: ep.origin,
        path: `${ep.basePath}${path}${query}`,
        method,
        headers: {
          authorization: authorization(),
          accept: "application/json",
          ...(hasBody ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        ...(hasBody ? { body: form } : {}),
        signal,
      });
      status = res.statusCode;
      const text = await res.body.text();
      // undici 7's request() passes the reason phrase through as `statusText` (api-request.js onHeaders, from
      // llhttp), also for Proxmox's non-standard 595/596. Old Proxmox puts its only error text there.
      return { status: res.statusCode, statusText: res.statusText, text };
    } finally {
      const ms = performance.now() - started;
      opts.metrics?.onRequest?.(method, pathTemplate(path), status, ms);
      log.debug({ method, path, endpoint: ep.url, status, ms: Math.round(ms) }, "pve request");
    }
  }

  /** One attempt over the endpoints, in order from the last healthy one. */
  async function attempt(method: Method, path: string, params: PveParams | undefined, ro: PveRequestOptions): Promise<unknown> {
    const failures: EndpointFailure[] = [];
    const timeoutMs = ro.timeoutMs ?? api.timeoutMs;
    for (let i = 0; i < endpoints.length; i++) {
      const index = (healthy + i) % endpoints.length;
      const ep = endpoints[index]!;
      if (ro.signal?.aborted) throw cancelledFrom(ro.signal);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const signal = ro.signal ? AbortSignal.any([ro.signal, timeout.signal]) : timeout.signal;
      let answer: Awaited<ReturnType<typeof exchange>>;
      try {
        answer = await exchange(ep, method, path, params, signal);
      } catch (err) {
        if (ro.signal?.aborted) throw cancelledFrom(ro.signal);
        if (timeout.signal.aborted) {
          throw new PveError({ kind: "timeout", pveMessage: `no answer from ${ep.url} within ${timeoutMs} ms`, method, path, cluster, cause: err });
        }
        const t = describeTransportError(err);
        if (t.kind === "timeout") {
          throw new PveError({ kind: "timeout", pveMessage: `${ep.url}: ${t.message}`, method, path, cluster, cause: err });
        }
        failures.push({ endpoint: ep.url, message: t.message, cause: err });
        // A request that may have reached Proxmox is only resent elsewhere when it is a read.
        if (!t.notSent && method !== "GET") throw networkError(method, path, failures);
        if (i + 1 < endpoints.length) {
          log.warn({ endpoint: ep.url, next: endpoints[(index + 1) % endpoints.length]!.url, reason: t.message }, "Proxmox endpoint failed, trying the next one");
        }
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (index !== healthy) {
        log.info({ endpoint: ep.url }, "switched to a healthy Proxmox endpoint");
        healthy = index;
      }
      if (answer.status < 200 || answer.status >= 300) {
        throw pveErrorFromResponse({ status: answer.status, statusText: answer.statusText, body: answer.text, method, path, cluster });
      }
      try {
        const parsed = JSON.parse(answer.text) as { data?: unknown };
        return parsed?.data ?? null;
      } catch (err) {
        throw new PveError({ kind: "server", status: answer.status, pveMessage: "the answer is not JSON", method, path, cluster, cause: err });
      }
    }
    throw networkError(method, path, failures);
  }

  function retryPolicyFor(method: Method, err: unknown): RetryPolicy | undefined {
    if (!(err instanceof PveError)) return undefined;
    // The lock was never taken, so nothing happened: safe for every method.
    if (isLockTimeout(err)) return lockRetry;
    if (method !== "GET") return undefined; // a POST may have started a task: never resend it
    if (err.kind === "network" || err.kind === "timeout" || err.kind === "node-unreachable") return readRetry;
    if (err.kind === "server" && err.status !== undefined && err.status >= 500 && err.status !== 501) return readRetry;
    return undefined;
  }

  async function call<T>(method: Method, path: string, params: PveParams | undefined, co: CallOptions<T> = {}): Promise<T> {
    if (!path.startsWith("/") || path.includes("?") || path.split("/").includes("..")) {
      throw new PveError({ kind: "bad-request", pveMessage: `invalid API path "${path}" (parameters go in params)`, method, path, cluster });
    }
    for (let tries = 1; ; tries++) {
      try {
        const data = await limiter.schedule(() => attempt(method, path, params, co));
        if (!co.schema) return data as T;
        const result = co.schema.safeParse(data);
        if (!result.success) {
          throw new PveError({
            kind: "server",
            pveMessage: `unexpected answer shape: ${z.prettifyError(result.error).replace(/\n/g, " ")}`,
            method,
            path,
            cluster,
          });
        }
        return result.data;
      } catch (err) {
        const policy = retryPolicyFor(method, err);
        if (!policy || tries >= policy.attempts || co.signal?.aborted) throw err;
        const delay = backoffDelayMs(tries, policy, random);
        log.warn({ method, path, tries, delayMs: delay, reason: (err as PveError).pveMessage }, "retrying Proxmox request");
        await sleep(delay, co.signal);
      }
    }
  }

  const taskDeps = {
    get: <T>(path: string, params: PveParams | undefined, o: CallOptions<T>) => call<T>("GET", path, params, o),
    cluster,
    ...(opts.taskPollSchedule ? { schedule: opts.taskPollSchedule } : {}),
    ...(opts.noSuchTaskGraceMs !== undefined ? { noSuchTaskGraceMs: opts.noSuchTaskGraceMs } : {}),
  };

  let closed = false;
  return {
    cluster,
    get: (path, params, o) => call("GET", path, params, o),
    post: (path, params, o) => call("POST", path, params, o),
    put: (path, params, o) => call("PUT", path, params, o),
    delete: (path, params, o) => call("DELETE", path, params, o),
    waitForTask: (upid: string, o?: WaitForTaskOptions): Promise<TaskResult> => waitForTask(taskDeps, upid, o),
    async close() {
      if (closed) return;
      closed = true;
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await Promise.all(endpoints.map((e) => e.agent.close().catch(() => undefined)));
    },
  };
}
