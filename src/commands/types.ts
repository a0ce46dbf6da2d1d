/**
 * What a `/pve` subcommand is (one module per subcommand under commands/) and what it gets to work with.
 * Commands return neutral replies (message.ts) and never touch Slack: the same modules drive Slack and the
 * terminal console.
 */
import type { z } from "zod";
import type { ApprovalPolicy, Config, Profile } from "../config/schema.js";
import type { Engine, Target } from "../engine/engine.js";
import type { TeardownPlan } from "../engine/types.js";
import type { JobRunner } from "../jobs/runner.js";
import type { JobKindName, JobRequest } from "../jobs/kinds.js";
import type { Job, Store } from "../adapters/store/types.js";
import type { Logger } from "../log.js";
import type { ArgSpec } from "./parse.js";
import type { Reply } from "./message.js";
import type { PrincipalResolver } from "./permissions.js";

/**
 * Who may run a command:
 * - `anyone`: every user in any channel (help, profiles);
 * - `admin`: only `slack.admins` (bind, unbind);
 * - a list of keys of the bound profile's `permissions`: the FIRST key the profile defines decides
 *   (e.g. `["power", "provision"]`: whoever may provision may start and stop, unless `power` is listed). When the
 *   profile defines none of the keys, nobody may run the command.
 */
export type PermissionRule = "anyone" | "admin" | readonly [string, ...string[]];

export interface CommandModule<S extends z.ZodType = z.ZodType> {
  name: string;
  /** One line for `/pve help`. */
  summary: string;
  /** The full usage line, e.g. `/pve status <name|vmid>`. */
  usage: string;
  /** Example invocations (without `/pve `); the first shows in `/pve help`. */
  examples: readonly string[];
  /** More explanation for `/pve help <command>`. */
  details?: string;
  permission: PermissionRule;
  /** Needs a channel bound to a profile (everything that touches a cluster). */
  needsBinding: boolean;
  /** Changes something: refusals and outcomes go to the audit log. */
  mutates: boolean;
  args: ArgSpec;
  /** Checks and converts the parsed arguments (positionals and flags by name). */
  schema: S;
  run(ctx: CommandContext<z.output<S>>): Promise<Reply | undefined>;
}

/** Everything commands need, built once by the composition root (src/main.ts). */
export interface CommandDeps {
  store: Store;
  engine: Engine;
  runner: JobRunner;
  slack: Pick<Config["slack"], "admins" | "bindings">;
  profiles: ReadonlyMap<string, Profile>;
  principals: PrincipalResolver;
  commands: readonly CommandModule[];
  logger: Logger;
  /**
   * Puts a planned destructive job in front of its approvers (the Slack app sets this: src/transport/slack/
   * approvals.ts). Without it, commands that need an approval refuse to run.
   */
  approvals?: ApprovalDesk;
}

/** What a command hands the approval desk: the exact plan and who may approve it. */
export interface TeardownApprovalInput {
  profile: Profile;
  policy: ApprovalPolicy;
  plan: TeardownPlan;
  target: Target;
  requester: string;
  channel: string;
  /** Idempotency key of the held job: a redelivered command gets the same job back. */
  idempotencyKey: string;
  /** Audits the request; called once the job and approval exist, before anyone can click. */
  recordRequest(job: Job, approvalId: string): Promise<void>;
}

export interface ApprovalDesk {
  /** Submits the job held in `awaiting-approval`, records the approval and shows it to the approvers. */
  requestTeardown(input: TeardownApprovalInput): Promise<{ job: Job; created: boolean; approvalId: string | undefined }>;
}

/** One invocation: who typed what where, plus a key that is the same for Slack's redeliveries of it. */
export interface Invocation {
  user: string;
  channel: string;
  text: string;
  /** Stable per user action (e.g. derived from the Slack trigger_id): jobs submit with it for idempotency. */
  requestKey: string;
  /** How the command was invoked, for texts: `/pve`. */
  command?: string;
}

export interface ChannelBindingInfo {
  profile: Profile;
  source: "config" | "store";
}

export interface StartJobInput<K extends JobKindName> {
  kind: K;
  request: JobRequest<K>;
  /** What the job acts on, for the audit log and replies (`docker1`, `VMID 512`, `tag web`). */
  target: string;
}

export interface CommandContext<A> {
  args: A;
  invocation: Invocation;
  user: string;
  channel: string;
  /** Present for commands with `needsBinding`. */
  binding: ChannelBindingInfo | undefined;
  isAdmin: boolean;
  deps: CommandDeps;
  /** The bound profile (throws for commands without `needsBinding` in an unbound channel). */
  profile(): Profile;
  /** Submits a durable job for this channel (idempotent per invocation) and audits it. */
  startJob<K extends JobKindName>(input: StartJobInput<K>): Promise<{ job: Job; created: boolean; reply: Reply | undefined }>;
  audit(entry: { action: string; target?: string | null; result: string; jobId?: string | null; details?: Record<string, string | number | boolean | null> }): Promise<void>;
}
