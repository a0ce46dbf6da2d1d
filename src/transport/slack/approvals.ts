/**
 * Approvals in Slack: no teardown runs on the command alone. The command plans (exact guests, node, status, IP) and
 * hands the plan to this desk, which
 *   1. posts the approval card in the channel (the plan, who may approve, when it expires) and, in its thread, the
 *      message the job's status line lives in (the progress reporter edits that one, never the card);
 *   2. submits the job held in `awaiting-approval` with that thread, and records the approval in the store;
 *   3. adds Approve (danger style, confirm dialog) and Reject buttons whose value is the approval id.
 * Everything a click needs is in the store (approval, job, plan), so the buttons keep working after a restart.
 *
 * A click: only the profile's approvers may approve (the requester only with `selfApprove`), approvers and the
 * requester may reject; anyone else gets an ephemeral refusal and nothing changes. The decision is the store's
 * compare-and-set (`decideApproval`), so two simultaneous clicks decide — and execute — once. The card then says
 * who decided and when, the audit log records it, and the job is released to the runner (or cancelled).
 * Above the profile's `bulkThreshold` the approver types the number of guests in a confirm modal, and may take a
 * snapshot of the guests first (a snapshot job in the same thread; the teardown is released when it succeeded).
 * Pending approvals past their expiry are expired on a timer: the card says so and the job is cancelled.
 */
import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { Approval, Job, Store } from "../../adapters/store/types.js";
import { FINAL_JOB_STATES } from "../../adapters/store/types.js";
import type { Profile } from "../../config/schema.js";
import { userMatches, type PrincipalResolver } from "../../commands/permissions.js";
import { escapeMrkdwn, mention, principalText, type ButtonSpec, type MessageBlock, type Reply } from "../../commands/message.js";
import type { ApprovalDesk, CommandDeps, TeardownApprovalInput } from "../../commands/types.js";
import type { GuestRef, TeardownPlan } from "../../engine/types.js";
import { ApprovalRequired } from "../../errors.js";
import { JOB_SCHEMAS } from "../../jobs/kinds.js";
import { toJson, type JobRunner } from "../../jobs/runner.js";
import { silentLogger, type Logger } from "../../log.js";
import { renderBlocks, renderMessage } from "./blocks.js";

export const APPROVE_ACTION = "approval-approve";
export const REJECT_ACTION = "approval-reject";
/** Bulk teardowns: both open the typed-count confirm modal (the second with "snapshot first" ticked). */
export const APPROVE_BULK_ACTION = "approval-approve-bulk";
export const APPROVE_SNAPSHOT_ACTION = "approval-approve-snapshot";
export const BULK_CONFIRM_CALLBACK = "approval-bulk-confirm";

/** How often pending approvals are checked for expiry. */
export const EXPIRY_CHECK_MS = 30_000;

// ------------------------------------------------------------------------------------------------ who may decide

export type DecisionRight = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether `user` may approve or reject `approval`. Approve: a listed approver (user, member of a listed group, or
 * "*"), and not the requester unless `selfApprove`. Reject: any approver, or the requester withdrawing the request.
 */
export async function decisionRight(
  approval: Pick<Approval, "approvers" | "requestedBy" | "selfApprove">,
  user: string,
  decision: "approved" | "rejected",
  resolver: PrincipalResolver,
): Promise<DecisionRight> {
  const isApprover = await userMatches(user, approval.approvers, resolver);
  if (decision === "rejected") {
    return isApprover || user === approval.requestedBy
      ? { allowed: true }
      : { allowed: false, reason: `Only the approvers (${approval.approvers.map(principalText).join(", ")}) or the requester may reject this request.` };
  }
  if (user === approval.requestedBy && !approval.selfApprove) {
    return { allowed: false, reason: "You asked for this teardown, so someone else must approve it (a second person)." };
  }
  return isApprover
    ? { allowed: true }
    : { allowed: false, reason: `You are not an approver for this request. It needs ${approval.approvers.map(principalText).join(" or ")}.` };
}

/** More guests than the threshold: the approver types their number. */
export function isBulk(plan: Pick<TeardownPlan, "guests">, bulkThreshold: number): boolean {
  return plan.guests.length > bulkThreshold;
}

// ------------------------------------------------------------------------------------------------ the card

/** `<!date^…>`: Slack shows the time in each reader's time zone; the fallback is UTC. */
export function slackTime(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString().replace(/\.\d+Z$/, "Z")}>`;
}

function guestRows(guests: readonly GuestRef[]): string[][] {
  return guests.map((g) => [String(g.vmid), g.name, g.type === "qemu" ? "vm" : "ct", g.node, g.status, g.ip ?? "—"]);
}

export interface ApprovalCardInput {
  plan: TeardownPlan;
  requester: string;
  jobId: string | undefined;
  approval: Pick<Approval, "id" | "approvers" | "selfApprove" | "expiresAt" | "decision" | "decidedBy" | "decidedAt"> | undefined;
  bulkThreshold: number;
  /** Set on an approval with "snapshot first". */
  snapshotFirst?: boolean;
}

/** The approval card as a neutral message (rendered by blocks.ts). Buttons only while the approval is pending. */
export function approvalCard(input: ApprovalCardInput): Reply {
  const { plan, approval } = input;
  const n = plan.guests.length;
  const what = `${n} guest${n === 1 ? "" : "s"}`;
  const blocks: MessageBlock[] = [
    { type: "header", text: `Teardown: approval needed` },
    {
      type: "text",
      text: `${mention(input.requester)} asks to *destroy ${what}* (${escapeMrkdwn(plan.target)}) with their disks — profile ${escapeMrkdwn(plan.profile)}, cluster ${escapeMrkdwn(plan.cluster)}:`,
    },
    { type: "table", columns: ["VMID", "NAME", "TYPE", "NODE", "STATUS", "IP"], rows: guestRows(plan.guests) },
  ];
  const context: string[] = [];
  if (approval) {
    context.push(`Approvers: ${approval.approvers.map(principalText).join(", ")}${approval.selfApprove ? "" : " · not the requester"}`);
  }
  if (input.jobId) context.push(`job \`${input.jobId}\``);
  if (!approval) {
    blocks.push({ type: "context", text: [":hourglass_flowing_sand: preparing the approval…", ...context].join(" · ") });
    return { visibility: "in_channel", text: `Teardown of ${plan.target} (${what}) needs approval`, blocks };
  }
  switch (approval.decision) {
    case "pending": {
      const bulk = isBulk(plan, input.bulkThreshold);
      context.push(`expires ${slackTime(approval.expiresAt)}`);
      blocks.push({ type: "context", text: context.join(" · ") });
      const names = plan.guests.map((g) => `${g.name} (${g.vmid})`);
      const shown = names.length > 8 ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more` : names.join(", ");
      const buttons: ButtonSpec[] = bulk
        ? [
            { actionId: APPROVE_BULK_ACTION, text: "Approve…", value: approval.id, style: "danger" },
            { actionId: APPROVE_SNAPSHOT_ACTION, text: "Snapshot first, then approve…", value: approval.id },
            { actionId: REJECT_ACTION, text: "Reject", value: approval.id },
          ]
        : [
            {
              actionId: APPROVE_ACTION,
              text: "Approve",
              value: approval.id,
              style: "danger",
              confirm: {
                title: `Destroy ${what}?`,
                text: `This destroys ${escapeMrkdwn(shown)} and their disks. It cannot be undone.`,
                confirm: "Destroy",
                deny: "Cancel",
              },
            },
            { actionId: REJECT_ACTION, text: "Reject", value: approval.id },
          ];
      if (bulk) {
        blocks.push({ type: "context", text: `More than ${input.bulkThreshold} guests: approving asks for the number of guests, and can take a snapshot of each first.` });
      }
      blocks.push({ type: "buttons", buttons });
      return { visibility: "in_channel", text: `Teardown of ${plan.target} (${what}) needs approval`, blocks };
    }
    case "approved":
      blocks.push({
        type: "text",
        text: `:white_check_mark: *Approved* by ${mention(approval.decidedBy ?? "?")}${approval.decidedAt ? ` ${slackTime(approval.decidedAt)}` : ""}${input.snapshotFirst ? " — snapshot first, then teardown" : ""}. Progress follows in the thread.`,
      });
      break;
    case "rejected":
      blocks.push({
        type: "text",
        text: `:no_entry_sign: *Rejected* by ${mention(approval.decidedBy ?? "?")}${approval.decidedAt ? ` ${slackTime(approval.decidedAt)}` : ""}. Nothing was destroyed.`,
      });
      break;
    case "expired":
      blocks.push({ type: "text", text: `:hourglass: *Expired* ${slackTime(approval.expiresAt)} without a decision. Nothing was destroyed.` });
      break;
  }
  if (context.length) blocks.push({ type: "context", text: context.join(" · ") });
  return { visibility: "in_channel", text: `Teardown of ${plan.target} (${what}): ${approval.decision}`, blocks };
}

// ------------------------------------------------------------------------------------------------ the desk

export interface SlackApprovalsOptions {
  client: WebClient;
  deps: CommandDeps;
  logger?: Logger;
  /** Expiry check period. Default EXPIRY_CHECK_MS. */
  expiryCheckMs?: number;
}

interface DecisionIntent {
  snapshotFirst: boolean;
  /** The approver typed the number of guests (bulk teardowns). */
  countConfirmed?: boolean;
}

/** Where a decision's answer goes: the clicker only. */
type Tell = (text: string) => Promise<void>;

function teardownPlanOf(job: Job): TeardownPlan | undefined {
  const plan = job.plan;
  if (plan === null || typeof plan !== "object" || Array.isArray(plan) || plan["kind"] !== "teardown") return undefined;
  return plan as unknown as TeardownPlan;
}

export class SlackApprovals implements ApprovalDesk {
  readonly #client: WebClient;
  readonly #deps: CommandDeps;
  readonly #store: Store;
  readonly #runner: JobRunner;
  readonly #log: Logger;
  readonly #expiryCheckMs: number;
  #timer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;
  #expiring: Promise<number> | undefined;

  constructor(opts: SlackApprovalsOptions) {
    this.#client = opts.client;
    this.#deps = opts.deps;
    this.#store = opts.deps.store;
    this.#runner = opts.deps.runner;
    this.#log = (opts.logger ?? silentLogger).child({ component: "slack-approvals" });
    this.#expiryCheckMs = opts.expiryCheckMs ?? EXPIRY_CHECK_MS;
  }

  // -------------------------------------------------------------------------------------------- requesting

  async requestTeardown(input: TeardownApprovalInput): Promise<{ job: Job; created: boolean; approvalId: string | undefined }> {
    const existing = await this.#store.getJobByIdempotencyKey(input.idempotencyKey);
    if (existing) return { job: existing, created: false, approvalId: undefined };
    const { plan, policy, channel } = input;
    const card = (approval: ApprovalCardInput["approval"], jobId?: string) =>
      renderMessage(approvalCard({ plan, requester: input.requester, jobId, approval, bulkThreshold: policy.bulkThreshold }));

    // The card first: the job's thread hangs off it. Then, in that thread, the message the status line lives in.
    let cardTs: string;
    let statusTs: string;
    try {
      cardTs = await this.#post(channel, card(undefined));
      statusTs = await this.#post(channel, { text: "Waiting for approval", blocks: renderBlocks([{ type: "text", text: ":lock: waiting for approval" }]) }, cardTs);
    } catch (err) {
      this.#log.warn({ channel, err: (err as Error).message }, "posting the approval card failed");
      throw new ApprovalRequired("The approval request could not be posted in this channel (is the bot a member?). Nothing was destroyed.");
    }
    const request = JOB_SCHEMAS.teardown.parse({ profile: input.profile.name, target: input.target, includeTemplates: false });
    const { job, created } = await this.#runner.submit({
      kind: "teardown",
      request: toJson(request) as Record<string, never>,
      requester: input.requester,
      cluster: input.profile.cluster,
      profile: input.profile.name,
      channel,
      threadTs: cardTs,
      parentTs: statusTs,
      plan: toJson(plan),
      idempotencyKey: input.idempotencyKey,
      initialState: "awaiting-approval",
    });
    if (!created) {
      // A redelivery raced us: this card is a stray; point it at the real request.
      await this.#update(channel, cardTs, { text: "Duplicate request", blocks: renderBlocks([{ type: "context", text: `Duplicate delivery of job \`${job.id}\`; see that request.` }]) });
      return { job, created, approvalId: undefined };
    }
    const approval = await this.#store.createApproval({
      jobId: job.id,
      action: "teardown",
      requestedBy: input.requester,
      approvers: policy.approvers,
      selfApprove: policy.selfApprove,
      ttlMs: policy.expiresMinutes * 60_000,
      channel,
      messageTs: cardTs,
    });
    await input.recordRequest(job, approval.id);
    await this.#update(channel, cardTs, card(approval, job.id));
    return { job, created, approvalId: approval.id };
  }

  // -------------------------------------------------------------------------------------------- listeners

  register(app: App): void {
    const click = (decision: "approved" | "rejected", bulkModal: false | { snapshot: boolean }) =>
      async ({ ack, body, respond }: { ack: () => Promise<void>; body: BlockAction<ButtonAction>; respond: RespondFn }) => {
        await ack();
        const user = body.user.id;
        const approvalId = body.actions[0]?.value ?? "";
        const tell: Tell = async (text) => {
          try {
            await respond({ response_type: "ephemeral", replace_original: false, text });
          } catch (err) {
            this.#log.warn({ err: (err as Error).message }, "ephemeral answer to a click failed");
          }
        };
        try {
          if (bulkModal) await this.#openBulkConfirm(approvalId, user, body.trigger_id, bulkModal.snapshot, tell);
          else await this.decide(approvalId, user, decision, { snapshotFirst: false }, tell);
        } catch (err) {
          this.#log.error({ err, approvalId }, "handling an approval click failed");
          await tell(":warning: Something went wrong while recording your decision; nothing was changed. Try again.");
        }
      };
    app.action(APPROVE_ACTION, click("approved", false) as never);
    app.action(REJECT_ACTION, click("rejected", false) as never);
    app.action(APPROVE_BULK_ACTION, click("approved", { snapshot: false }) as never);
    app.action(APPROVE_SNAPSHOT_ACTION, click("approved", { snapshot: true }) as never);

    app.view(BULK_CONFIRM_CALLBACK, async ({ ack, body, view }) => {
      const meta = parseBulkMeta(view.private_metadata);
      const user = body.user.id;
      if (!meta) {
        await ack();
        return;
      }
      const typed = view.state.values["count"]?.["count"]?.value?.trim() ?? "";
      const snapshotFirst = (view.state.values["snapshot"]?.["snapshot"]?.selected_options ?? []).some((o) => o.value === "snapshot");
      const approval = await this.#store.getApproval(meta.approvalId);
      const job = approval?.jobId ? await this.#store.getJob(approval.jobId) : undefined;
      const plan = job && teardownPlanOf(job);
      if (plan && typed !== String(plan.guests.length)) {
        await ack({ response_action: "errors", errors: { count: `Type ${plan.guests.length} (the number of guests to destroy) to confirm.` } } as never);
        return;
      }
      await ack();
      const tell: Tell = async (text) => {
        if (!approval?.channel) return;
        await this.#client.chat.postEphemeral({ channel: approval.channel, user, text }).catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, "ephemeral failed"));
      };
      try {
        await this.decide(meta.approvalId, user, "approved", { snapshotFirst, countConfirmed: plan !== undefined }, tell);
      } catch (err) {
        this.#log.error({ err, approvalId: meta.approvalId }, "handling a bulk approval failed");
        await tell(":warning: Something went wrong while recording your decision; nothing was changed. Try again.");
      }
    });
  }

  async #openBulkConfirm(approvalId: string, user: string, triggerId: string, snapshot: boolean, tell: Tell): Promise<void> {
    const approval = await this.#store.getApproval(approvalId);
    if (!approval || approval.decision !== "pending") {
      await tell(approval ? `This request was already ${approval.decision}${approval.decidedBy ? ` by ${mention(approval.decidedBy)}` : ""}.` : "This approval request no longer exists.");
      return;
    }
    const right = await decisionRight(approval, user, "approved", this.#deps.principals);
    if (!right.allowed) {
      await this.#auditDenied(approval, user, "approved", right.reason);
      await tell(`:no_entry: ${right.reason} Nothing was changed.`);
      return;
    }
    const job = approval.jobId ? await this.#store.getJob(approval.jobId) : undefined;
    const plan = job && teardownPlanOf(job);
    if (!plan) {
      await tell("This request has no teardown plan any more; nothing was changed.");
      return;
    }
    const n = plan.guests.length;
    await this.#client.views.open({
      trigger_id: triggerId,
      view: {
        type: "modal",
        callback_id: BULK_CONFIRM_CALLBACK,
        private_metadata: JSON.stringify({ approvalId }),
        title: { type: "plain_text", text: "Confirm teardown" },
        submit: { type: "plain_text", text: "Destroy" },
        close: { type: "plain_text", text: "Cancel" },
        blocks: [
          {
            type: "section",
            text: { type: "mrkdwn", text: `This destroys *${n} guests* (${escapeMrkdwn(plan.target)}) and their disks. It cannot be undone.` },
          },
          {
            type: "input",
            block_id: "count",
            label: { type: "plain_text", text: `Type ${n} to confirm` },
            element: { type: "plain_text_input", action_id: "count", placeholder: { type: "plain_text", text: "number of guests" } },
          },
          {
            type: "input",
            block_id: "snapshot",
            optional: true,
            label: { type: "plain_text", text: "Before destroying" },
            element: {
              type: "checkboxes",
              action_id: "snapshot",
              options: [{ text: { type: "plain_text", text: "Snapshot every guest first" }, value: "snapshot" }],
              ...(snapshot ? { initial_options: [{ text: { type: "plain_text", text: "Snapshot every guest first" }, value: "snapshot" }] } : {}),
            },
          },
        ],
      },
    });
  }

  // -------------------------------------------------------------------------------------------- deciding

  /** One decision by `user`: checked, compare-and-set in the store, audited, shown on the card, then carried out. */
  async decide(approvalId: string, user: string, decision: "approved" | "rejected", intent: DecisionIntent, tell: Tell): Promise<boolean> {
    const approval = await this.#store.getApproval(approvalId);
    if (!approval) {
      await tell("This approval request no longer exists.");
      return false;
    }
    if (approval.decision !== "pending") {
      await tell(`This request was already ${approval.decision}${approval.decidedBy ? ` by ${mention(approval.decidedBy)}` : ""}. Nothing was changed.`);
      return false;
    }
    const right = await decisionRight(approval, user, decision, this.#deps.principals);
    if (!right.allowed) {
      await this.#auditDenied(approval, user, decision, right.reason);
      await tell(`:no_entry: ${right.reason} Nothing was changed.`);
      return false;
    }
    const job = approval.jobId ? await this.#store.getJob(approval.jobId) : undefined;
    const plan = job && teardownPlanOf(job);
    // The typed-count modal is the only way to approve a bulk teardown: a plain Approve click must not skip it.
    if (decision === "approved" && job && plan && isBulk(plan, this.#bulkThreshold(job)) && !intent.countConfirmed) {
      await tell(`This teardown destroys ${plan.guests.length} guests: use *Approve…* on the request and type their number. Nothing was changed.`);
      return false;
    }
    const { won, approval: after } = await this.#store.decideApproval(approvalId, decision, user);
    if (!won || !after) {
      if (after?.decision === "pending") {
        await this.expireDue();
        await tell("This request has expired; nothing was changed. Run the command again to ask anew.");
      } else {
        await tell(`This request was already ${after?.decision ?? "decided"}${after?.decidedBy ? ` by ${mention(after.decidedBy)}` : ""}. Nothing was changed.`);
      }
      return false;
    }
    await this.#store.appendAudit({
      actor: user,
      action: decision === "approved" ? "approve" : "reject",
      target: plan?.target ?? null,
      cluster: job?.cluster ?? null,
      result: decision,
      jobId: after.jobId,
      details: {
        approvalId,
        requestedBy: after.requestedBy,
        channel: after.channel,
        snapshotFirst: decision === "approved" && intent.snapshotFirst,
        guests: plan?.guests.length ?? null,
      },
    });
    await this.#refreshCard(after, job, decision === "approved" && intent.snapshotFirst);
    await this.#carryOut(after, decision === "approved" && intent.snapshotFirst);
    return true;
  }

  async #auditDenied(approval: Approval, user: string, decision: "approved" | "rejected", reason: string): Promise<void> {
    await this.#store.appendAudit({
      actor: user,
      action: decision === "approved" ? "approve" : "reject",
      target: approval.jobId,
      result: "denied",
      jobId: approval.jobId,
      details: { approvalId: approval.id, requestedBy: approval.requestedBy, reason },
    });
  }

  #profile(job: Job): Profile | undefined {
    return job.profile ? this.#deps.profiles.get(job.profile) : undefined;
  }

  #bulkThreshold(job: Job): number {
    return this.#profile(job)?.approvals.teardown?.bulkThreshold ?? 5;
  }

  async #refreshCard(approval: Approval, job: Job | undefined, snapshotFirst: boolean): Promise<void> {
    if (!approval.channel || !approval.messageTs || !job) return;
    const plan = teardownPlanOf(job);
    if (!plan) return;
    const reply = approvalCard({
      plan,
      requester: approval.requestedBy,
      jobId: job.id,
      approval,
      bulkThreshold: this.#bulkThreshold(job),
      snapshotFirst,
    });
    await this.#update(approval.channel, approval.messageTs, renderMessage(reply));
  }

  /**
   * Carries out a decided approval whose job is still held: release it (approved), cancel it (rejected, expired),
   * or — snapshot first — run the snapshot job and release the teardown once it succeeded. Idempotent: safe to
   * call again after a restart, or when the snapshot job ends.
   */
  async #carryOut(approval: Approval, snapshotFirst: boolean): Promise<void> {
    if (!approval.jobId) return;
    const job = await this.#store.getJob(approval.jobId);
    if (!job || job.state !== "awaiting-approval") return;
    if (approval.decision === "rejected" || approval.decision === "expired") {
      const reason =
        approval.decision === "rejected"
          ? "nothing was destroyed"
          : `the approval expired without a decision; nothing was destroyed`;
      await this.#runner.release(job.id, { state: "cancelled", reason, by: approval.decision === "rejected" ? (approval.decidedBy ?? "?") : "expiry" });
      return;
    }
    if (approval.decision !== "approved") return;
    if (!snapshotFirst) {
      await this.#runner.release(job.id, { state: "queued" });
      return;
    }
    const key = `approval:${approval.id}:snapshot`;
    let snap = await this.#store.getJobByIdempotencyKey(key);
    if (!snap) {
      const request = JOB_SCHEMAS.teardown.parse(job.request);
      let parentTs: string | null = null;
      if (job.channel && job.threadTs) {
        parentTs = await this.#post(job.channel, { text: "Snapshot before teardown", blocks: renderBlocks([{ type: "text", text: ":camera: snapshot before teardown: queued" }]) }, job.threadTs).catch(() => null);
      }
      ({ job: snap } = await this.#runner.submit({
        kind: "snapshot",
        request: toJson({
          profile: request.profile,
          target: request.target,
          op: { action: "create", name: `pre-teardown-${job.id}`.slice(0, 40), description: `before teardown ${job.id}, approved by ${approval.decidedBy ?? "?"}` },
        }) as Record<string, never>,
        requester: job.requester,
        cluster: job.cluster,
        profile: job.profile,
        channel: job.channel,
        threadTs: job.threadTs,
        parentTs,
        idempotencyKey: key,
      }));
    }
    if (!FINAL_JOB_STATES.includes(snap.state)) return; // the runner's event for the snapshot job brings us back
    if (snap.state === "succeeded") await this.#runner.release(job.id, { state: "queued" });
    else await this.#runner.release(job.id, { state: "cancelled", reason: `the snapshot before teardown ${snap.state}; nothing was destroyed`, by: "snapshot" });
  }

  /** Whether the approval of `approval` asked for a snapshot first (recorded with the decision in the audit log). */
  async #wantedSnapshot(approval: Approval): Promise<boolean> {
    if (!approval.jobId) return false;
    const entries = await this.#store.listAudit({ jobId: approval.jobId, action: "approve", limit: 20 });
    return entries.some((e) => e.result === "approved" && typeof e.details === "object" && e.details !== null && !Array.isArray(e.details) && e.details["snapshotFirst"] === true);
  }

  // -------------------------------------------------------------------------------------------- expiry, restart

  /** Expires pending approvals past their time: card updated, job cancelled, audited. Returns how many. */
  expireDue(): Promise<number> {
    // One sweep at a time (the timer and a late click may both ask).
    this.#expiring ??= (async () => {
      try {
        const expired = await this.#store.expireApprovals();
        for (const a of expired) {
          const job = a.jobId ? await this.#store.getJob(a.jobId) : undefined;
          await this.#store.appendAudit({
            actor: "system",
            action: "approval-expired",
            target: (job && teardownPlanOf(job)?.target) ?? null,
            cluster: job?.cluster ?? null,
            result: "expired",
            jobId: a.jobId,
            details: { approvalId: a.id, requestedBy: a.requestedBy },
          });
          await this.#refreshCard(a, job, false).catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, "updating an expired card failed"));
          await this.#carryOut(a, false);
        }
        return expired.length;
      } finally {
        this.#expiring = undefined;
      }
    })();
    return this.#expiring;
  }

  /** After a restart: carry out decisions whose job is still held (e.g. the process died right after a click). */
  async recover(): Promise<void> {
    for (const decision of ["approved", "rejected", "expired"] as const) {
      for (const a of await this.#store.listApprovals({ decision, limit: 200 })) {
        if (!a.jobId) continue;
        const job = await this.#store.getJob(a.jobId);
        if (job?.state !== "awaiting-approval") continue;
        await this.#carryOut(a, decision === "approved" && (await this.#wantedSnapshot(a)));
      }
    }
  }

  start(): void {
    // Snapshot-first approvals continue when their snapshot job ends; executions are audited when they start.
    this.#detach = this.#runner.onEvent((job, event) => {
      if (job.kind === "snapshot" && job.idempotencyKey?.startsWith("approval:") && FINAL_JOB_STATES.includes(event.type as Job["state"])) {
        const approvalId = job.idempotencyKey.split(":")[1] ?? "";
        void this.#store
          .getApproval(approvalId)
          .then((a) => (a ? this.#carryOut(a, true) : undefined))
          .catch((err: unknown) => this.#log.error({ err, approvalId }, "continuing after the snapshot failed"));
      }
      if (job.kind === "teardown" && (event.type === "started" || event.type === "resumed")) {
        void this.#auditExecution(job, event.type).catch((err: unknown) => this.#log.warn({ err, jobId: job.id }, "audit failed"));
      }
    });
    void this.recover().catch((err: unknown) => this.#log.error({ err }, "recovering decided approvals failed"));
    void this.expireDue().catch((err: unknown) => this.#log.error({ err }, "expiring approvals failed"));
    this.#timer = setInterval(() => {
      void this.expireDue().catch((err: unknown) => this.#log.error({ err }, "expiring approvals failed"));
    }, this.#expiryCheckMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    this.#detach = undefined;
  }

  async #auditExecution(job: Job, how: "started" | "resumed"): Promise<void> {
    const [approval] = await this.#store.listApprovals({ jobId: job.id, limit: 1 });
    const plan = teardownPlanOf(job);
    await this.#store.appendAudit({
      actor: job.requester,
      action: "teardown",
      target: plan?.target ?? null,
      cluster: job.cluster,
      result: how === "started" ? "executing" : "resumed",
      jobId: job.id,
      details: {
        approvalId: approval?.id ?? null,
        approvedBy: approval?.decision === "approved" ? approval.decidedBy : null,
        vmids: plan ? plan.guests.map((g) => g.vmid).join(",") : null,
      },
    });
  }

  // -------------------------------------------------------------------------------------------- Slack calls

  async #post(channel: string, message: { text: string; blocks: unknown[] }, threadTs?: string): Promise<string> {
    const res = await this.#client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks as never,
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    if (!res.ts) throw new Error("chat.postMessage returned no ts");
    return res.ts;
  }

  async #update(channel: string, ts: string, message: { text: string; blocks: unknown[] }): Promise<void> {
    try {
      await this.#client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
    } catch (err) {
      this.#log.warn({ channel, ts, err: (err as Error).message }, "updating the approval card failed");
    }
  }
}

function parseBulkMeta(text: string): { approvalId: string } | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && typeof (v as { approvalId?: unknown }).approvalId === "string") return { approvalId: (v as { approvalId: string }).approvalId };
  } catch {
    // not ours
  }
  return undefined;
}
