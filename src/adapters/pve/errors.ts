/**
 * Turning Proxmox answers and transport failures into PveError (src/errors.ts), in one module.
 *
 * Where Proxmox puts the error text (BEHAVIOUR.md §3, pve-http-server AnyEvent.pm `response` l.306-315):
 *  - the HTTP reason phrase holds the first line of the message (old servers: the *only* place, body `{"data":null}`);
 *  - since libpve-http-server-perl 5.2.0 (PVE 8.3+/9.x) the body adds `message`, the full text with a trailing newline;
 *  - 400s add `errors: {param: message}`;
 *  - plain server errors (no handler ran) may have the message as a text/plain body.
 * bpg/terraform-provider-proxmox `proxmox/api/client.go` `validateResponseCode` reads all three too.
 */
import { PveError, type PveErrorKind } from "../../errors.js";

export interface PveHttpFailure {
  status: number;
  /** The HTTP reason phrase (undici's `statusText`). */
  statusText: string | undefined;
  /** The raw response body (may be empty, JSON or plain text). */
  body: string;
  method?: string;
  path?: string;
  cluster?: string;
}

interface Classification {
  kind: PveErrorKind;
  privilege?: string;
  lock?: string;
}

/** `Permission check failed (/vms/100, VM.Allocate)` ([acl] RPCEnvironment.pm `check` l.291-305). */
const PERMISSION_RE = /Permission check failed \((\/[^,)]*), ([A-Za-z][\w.]*)\)/;
/** `VM is locked (clone)`, `CT is locked (backup)` ([guest] AbstractConfig.pm `check_lock`): match the shape, not a text. */
const CONFIG_LOCK_RE = /is locked \((\w+)\)/;
/** `can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout` ([common] Tools.pm `lock_file_full`). */
const FLOCK_TIMEOUT_RE = /can't lock file '([^']+)' - got timeout/;
/** `cfs-lock 'storage-ceph' error: got lock request timeout` ([cluster] Cluster.pm `$cfs_lock`). */
const CFS_LOCK_TIMEOUT_RE = /cfs-lock '([^']+)' error: got lock request timeout/;
const ALREADY_EXISTS_RE = /already exists/;
const NOT_FOUND_RE = /does not exist|no such task/;

/**
 * True for the lock *timeouts*: Proxmox gave up waiting for a flock or cluster lock before doing anything, so
 * the same call may be sent again (on any method). `VM is locked (clone)` is different: the guest is busy for
 * as long as its task runs, so the caller waits for the lock to clear instead.
 */
export function isLockTimeoutMessage(message: string): boolean {
  return FLOCK_TIMEOUT_RE.test(message) || CFS_LOCK_TIMEOUT_RE.test(message);
}

export function isLockTimeout(err: unknown): boolean {
  return err instanceof PveError && err.kind === "locked" && isLockTimeoutMessage(err.pveMessage);
}

/** The lock named in a Proxmox message, if any: the config lock (`clone`), the flock file or the cfs lock id. */
export function lockFromMessage(message: string): string | undefined {
  return (
    CONFIG_LOCK_RE.exec(message)?.[1] ??
    FLOCK_TIMEOUT_RE.exec(message)?.[1] ??
    CFS_LOCK_TIMEOUT_RE.exec(message)?.[1]
  );
}

/** `Permission check failed (/vms/100, VM.Allocate)` → `VM.Allocate on /vms/100`. */
export function privilegeFromMessage(message: string): string | undefined {
  const m = PERMISSION_RE.exec(message);
  return m ? `${m[2]} on ${m[1]}` : undefined;
}

export function classifyPveFailure(
  status: number,
  message: string,
  paramErrors?: Readonly<Record<string, string>>,
): Classification {
  const paramText = paramErrors ? Object.values(paramErrors).join("\n") : "";
  const all = `${message}\n${paramText}`;
  if (status === 401) return { kind: "unauthorized" };
  // AnyEvent::HTTP pseudo-statuses passed through by the node proxy (§3.5): the node behind the endpoint is down.
  if (status === 595 || status === 596) return { kind: "node-unreachable" };
  if (status === 403) {
    const privilege = privilegeFromMessage(message);
    return privilege ? { kind: "forbidden", privilege } : { kind: "forbidden" };
  }
  const lock = lockFromMessage(all);
  if (lock !== undefined) return { kind: "locked", lock };
  if (ALREADY_EXISTS_RE.test(all)) return { kind: "already-exists" };
  if (NOT_FOUND_RE.test(all)) return { kind: "not-found" };
  if (status === 400) return { kind: "bad-request" };
  return { kind: "server" };
}

/** The body's parts we read; anything else in it is ignored. */
function parseErrorBody(body: string): { message?: string; errors?: Record<string, string>; text?: string } {
  const trimmed = body.trim();
  if (trimmed === "") return {};
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed && typeof parsed === "object") {
        const rec = parsed as Record<string, unknown>;
        const out: { message?: string; errors?: Record<string, string> } = {};
        if (typeof rec.message === "string" && rec.message.trim() !== "") out.message = rec.message.trim();
        if (rec.errors && typeof rec.errors === "object") {
          const errors: Record<string, string> = {};
          for (const [k, v] of Object.entries(rec.errors as Record<string, unknown>)) {
            errors[k] = typeof v === "string" ? v.trim() : JSON.stringify(v);
          }
          if (Object.keys(errors).length > 0) out.errors = errors;
        }
        return out;
      }
    } catch {
      // not JSON after all: fall through to plain text
    }
  }
  // Plain-text error body (pve-http-server `error`, §3.3), or an HTML page from a proxy in front: keep it short.
  return { text: trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed };
}

/** Builds the PveError for a non-2xx answer. */
export function pveErrorFromResponse(f: PveHttpFailure): PveError {
  const body = parseErrorBody(f.body);
  const reason = f.statusText?.trim() || undefined;
  // The body's `message` is the full text (reason phrase = its first line only); prefer it when present.
  const pveMessage = body.message ?? reason ?? body.text ?? `HTTP ${f.status}`;
  const cls = classifyPveFailure(f.status, [pveMessage, reason, body.text].filter(Boolean).join("\n"), body.errors);
  return new PveError({
    kind: cls.kind,
    status: f.status,
    pveMessage,
    paramErrors: body.errors,
    privilege: cls.privilege,
    lock: cls.lock,
    method: f.method,
    path: f.path,
    cluster: f.cluster,
  });
}

/** A task that ended with an error exit status (or `unexpected status`). */
export function taskFailedError(init: { upid: string; exitstatus: string; cluster?: string; path?: string }): PveError {
  return new PveError({
    kind: "task-failed",
    pveMessage: init.exitstatus,
    upid: init.upid,
    lock: lockFromMessage(init.exitstatus),
    cluster: init.cluster,
    path: init.path,
  });
}

// ------------------------------------------------------------------------------------------------ transport

/** Raised by the pinning connector; also the `cause` of the resulting PveError. */
export class FingerprintMismatchError extends Error {
  readonly code = "PVE_TLS_FINGERPRINT_MISMATCH";
  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
    readonly endpoint: string,
  ) {
    super(
      `TLS certificate fingerprint mismatch for ${endpoint}: expected ${expected}, got ${actual ?? "no certificate"}`,
    );
    this.name = "FingerprintMismatchError";
  }
}

/** One endpoint's failure, kept so `check` can say which endpoints failed and why. */
export interface EndpointFailure {
  endpoint: string;
  message: string;
  cause: unknown;
}

/** The `cause` of the PveError thrown when every endpoint failed. */
export class AllEndpointsFailed extends Error {
  constructor(readonly failures: readonly EndpointFailure[]) {
    super(failures.map((f) => `${f.endpoint}: ${f.message}`).join("; "));
    this.name = "AllEndpointsFailed";
  }
}

/**
 * Node error codes that mean "the request never reached Proxmox": the connection could not be made (or the TLS
 * handshake / our pin check failed), so moving on to another endpoint is safe for every method.
 */
const CONNECT_PHASE_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "PVE_TLS_FINGERPRINT_MISMATCH",
  // TLS verification failures (node:tls / OpenSSL codes)
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

/** Errors after the connection was up (reset, closed): the request may have been received. */
const AFTER_CONNECT_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECT_PHASE_CODES.has(code) || AFTER_CONNECT_CODES.has(code))) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

export interface TransportFailure {
  /** network: could not talk to the endpoint; timeout: our own deadline passed. */
  kind: "network" | "timeout";
  /** True when the request cannot have reached Proxmox (safe to send elsewhere, on any method). */
  notSent: boolean;
  message: string;
}

/** Describes an exception from undici (or our connector) in words a person can act on. */
export function describeTransportError(err: unknown): TransportFailure {
  if (err instanceof FingerprintMismatchError) return { kind: "network", notSent: true, message: err.message };
  const code = errorCode(err);
  const message = transportMessage(err, code);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return { kind: "timeout", notSent: false, message };
  }
  return { kind: "network", notSent: code !== undefined && CONNECT_PHASE_CODES.has(code), message };
}

function transportMessage(err: unknown, code: string | undefined): string {
  let e: unknown = err;
  // undici wraps the interesting error (e.g. ECONNREFUSED) as `cause` of a generic "fetch failed"-style error.
  while (e && typeof e === "object" && (e as { cause?: unknown }).cause && !(e as { code?: unknown }).code) {
    e = (e as { cause?: unknown }).cause;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (code && CONNECT_PHASE_CODES.has(code) && code.includes("CERT")) return `TLS certificate not trusted (${code}): ${msg}`;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
