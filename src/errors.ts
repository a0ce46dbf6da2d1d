/**
 * One error hierarchy for the whole bot. Every error that can reach a user is a ChatOpsError with a stable
 * `code` (tests assert codes, not texts). `userMessage()` is the only text that may be shown in chat or on the
 * CLI; it never contains secrets. Rendering to Slack/console happens in one place (src/transport/render-error.ts).
 */
export abstract class ChatOpsError extends Error {
  abstract readonly code: string;
  /** True when the message is safe and useful to show to the person who asked. */
  readonly userSafe: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  userMessage(): string {
    return this.message;
  }
}

/** A configuration or profile file is invalid. `problems` lists every problem, each with file, line and key. */
export class ConfigError extends ChatOpsError {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      problems.length === 1
        ? formatConfigProblem(problems[0]!)
        : `${problems.length} configuration problems:\n${problems.map((p) => `  - ${formatConfigProblem(p)}`).join("\n")}`,
      options,
    );
  }
}

export interface ConfigProblem {
  file: string;
  line?: number;
  /** Dotted path of the key, e.g. `clusters.lab.api.tokenSecret`. */
  path: string;
  message: string;
  /** Stable kind of problem for tests and tooling (see ConfigProblemCode); the message is prose. */
  code?: ConfigProblemCode;
}

export type ConfigProblemCode =
  | "yaml-syntax" // the YAML does not parse (incl. duplicate keys: "duplicate-key")
  | "duplicate-key"
  | "unknown-key" // a key the schema does not know (usually a typo; the message suggests the closest one)
  | "invalid" // a value the schema rejects (wrong type, range, format …)
  | "missing-env" // a ${VAR} reference to an unset environment variable
  | "bad-reference" // a malformed ${…} reference
  | "secret-conflict" // both `x` and `xFile` given
  | "file-unreadable" // a `*File` or the config/profile file itself cannot be read
  | "bad-profile-name" // a profile file name that is not a slug
  | "unknown-cluster" // a profile names a cluster that is not in `clusters`
  | "unknown-profile" // slack.bindings names a profile that does not exist
  | "vmid-overlap"; // two profiles on the same cluster have overlapping `auto` VMID ranges

export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  return `${where}: ${p.path || "(top level)"}: ${p.message}`;
}

/** Bad input from a user (a flag, a name, a size). */
export class UsageError extends ChatOpsError {
  readonly code: string = "USAGE";
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
  override userMessage(): string {
    return this.usage ? `${this.message}\nUsage: ${this.usage}` : this.message;
  }
}

export class NotFound extends ChatOpsError {
  readonly code = "NOT_FOUND";
}

export type PveErrorKind =
  | "unauthorized" // 401: bad token id/secret, expired or disabled token
  | "forbidden" // 403: the token lacks a privilege (see `privilege`)
  | "bad-request" // 400: parameter verification failed (see `paramErrors`)
  | "not-found" // the guest/config/task does not exist
  | "locked" // `VM is locked (clone)` / `can't lock file … got timeout`
  | "already-exists" // VMID taken (create/clone)
  | "node-unreachable" // 595/596 from the node proxy
  | "network" // we could not reach the API endpoint at all (TCP/TLS)
  | "timeout" // our own request timeout
  | "task-failed" // an asynchronous task ended with an error exit status
  | "server"; // any other 5xx

/**
 * An error from the Proxmox VE API (or reaching it). `pveMessage` is Proxmox's own text (reason phrase,
 * `message` or task exit status), `paramErrors` Proxmox's per-parameter `errors`.
 */
export class PveError extends ChatOpsError {
  readonly code = "PVE";
  readonly kind: PveErrorKind;
  readonly status: number | undefined;
  readonly pveMessage: string;
  readonly paramErrors: Readonly<Record<string, string>> | undefined;
  readonly privilege: string | undefined;
  readonly lock: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly cluster: string | undefined;
  readonly upid: string | undefined;
  /** For failed tasks: the last lines of the task log. */
  logTail: string[] | undefined;

  constructor(init: {
    kind: PveErrorKind;
    pveMessage: string;
    status?: number | undefined;
    paramErrors?: Record<string, string> | undefined;
    privilege?: string | undefined;
    lock?: string | undefined;
    method?: string | undefined;
    path?: string | undefined;
    cluster?: string | undefined;
    upid?: string | undefined;
    logTail?: string[] | undefined;
    cause?: unknown;
  }) {
    const where = init.method && init.path ? `${init.method} ${init.path}: ` : "";
    const params = init.paramErrors
      ? " (" +
        Object.entries(init.paramErrors)
          .map(([k, v]) => `${k}: ${v}`)
          .join("; ") +
        ")"
      : "";
    super(`${where}${init.status ? `${init.status} ` : ""}${init.pveMessage}${params}`, { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.pveMessage = init.pveMessage;
    this.paramErrors = init.paramErrors;
    this.privilege = init.privilege;
    this.lock = init.lock;
    this.method = init.method;
    this.path = init.path;
    this.cluster = init.cluster;
    this.upid = init.upid;
    this.logTail = init.logTail;
  }

  override userMessage(): string {
    const cluster = this.cluster ? ` on cluster ${this.cluster}` : "";
    switch (this.kind) {
      case "unauthorized":
        return `Proxmox rejected the API token${cluster} (401 ${this.pveMessage}). Check tokenId and tokenSecret.`;
      case "forbidden":
        return `The API token lacks a privilege${cluster}: ${this.privilege ?? this.pveMessage}.`;
      case "node-unreachable":
        return `A Proxmox node is unreachable${cluster} (${this.status ?? ""} ${this.pveMessage}).`;
      case "network":
        return `Cannot reach the Proxmox API${cluster}: ${this.pveMessage}`;
      default:
        return `Proxmox said${cluster}: ${this.message}`;
    }
  }
}

export interface QuotaUsage {
  resource: "cores" | "memoryMb" | "diskGb";
  used: number;
  requested: number;
  limit: number;
}

export class QuotaExceeded extends ChatOpsError {
  readonly code = "QUOTA_EXCEEDED";
  constructor(
    readonly pool: string,
    readonly over: readonly QuotaUsage[],
  ) {
    super(
      `Quota of pool ${pool} would be exceeded: ` +
        over
          .map((o) => `${o.resource} ${o.used} used + ${o.requested} requested = ${o.used + o.requested} > ${o.limit}`)
          .join("; "),
    );
  }
}

/** Not enough room on the chosen node or storage (separate from the pool quota). */
export class CapacityExceeded extends ChatOpsError {
  readonly code = "CAPACITY_EXCEEDED";
}

export class PermissionDenied extends ChatOpsError {
  readonly code = "PERMISSION_DENIED";
}

export class ApprovalRequired extends ChatOpsError {
  readonly code = "APPROVAL_REQUIRED";
}

/** A plan cannot be built (no template, no online node, name taken …). */
export class PlanError extends ChatOpsError {
  readonly code = "PLAN";
}

/** Waiting for a guest (agent, IP, SSH) took longer than the profile allows. */
export class ReadinessTimeout extends ChatOpsError {
  readonly code = "READINESS_TIMEOUT";
}

export class Cancelled extends ChatOpsError {
  readonly code = "CANCELLED";
}

/** An unexpected internal failure: its details are logged, the user sees a short generic text. */
export class InternalError extends ChatOpsError {
  readonly code = "INTERNAL";
  override readonly userSafe = false;
  override userMessage(): string {
    return "Internal error (details are in the bot's log).";
  }
}

/** The one place that turns anything thrown into text for a person. */
export function userFacingMessage(err: unknown): string {
  if (err instanceof ChatOpsError) return err.userMessage();
  return "Internal error (details are in the bot's log).";
}
