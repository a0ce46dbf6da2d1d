import { z } from "zod";
import { defineCommand, describeTarget, optionalTargetSchema, targetOf } from "../src/commands/define.js";
import { ephemeral, escapeMrkdwn, principalText } from "../src/commands/message.js";
import { ApprovalRequired } from "../src/errors.js";

const usage = "/pve teardown <name|vmid|--tag t>";

/** What an admin adds to the profile to allow teardowns (shown in the refusal). */
const POLICY_EXAMPLE = 'approvals:\n  teardown: { approvers: ["S0LEADS", "U0BOB"], selfApprove: false, expiresMinutes: 30 }';

export default defineCommand({
  name: "teardown",
  summary: "destroy a guest (or every guest with a tag) — needs a second person's approval",
  usage,
  examples: ["teardown docker1", "teardown --tag ci-run-42"],
  details:
    "Plans first (exactly which guests, where, their IPs), then posts the plan with Approve and Reject buttons for the " +
    "profile's approvers. Nothing is destroyed until someone allowed approves; the request expires otherwise.",
  permission: ["teardown"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "target" }], flags: { tag: { kind: "value", metavar: "t", help: "every guest of the profile with this tag" } } },
  schema: z.object(optionalTargetSchema),
  async run(ctx) {
    const target = targetOf(ctx.args, usage);
    const what = describeTarget(target);
    const profile = ctx.profile();
    const policy = profile.approvals.teardown;
    if (!policy) {
      await ctx.audit({ action: "teardown", target: what, result: "refused: no approval policy" });
      throw new ApprovalRequired(
        `Teardown of ${what} needs an approval from a second person, but profile ${profile.name} names no approvers, so teardown is off here. ` +
          `Nothing was destroyed. An admin can enable it in the profile:\n${POLICY_EXAMPLE}`,
      );
    }
    const desk = ctx.deps.approvals;
    if (!desk) {
      await ctx.audit({ action: "teardown", target: what, result: "refused: approvals unavailable" });
      throw new ApprovalRequired(`Teardown of ${what} needs an approval, and approvals are only available in the Slack app. Nothing was destroyed.`);
    }
    // The exact guests are fixed now: the approvers approve this plan, and the job executes this plan.
    const plan = await ctx.deps.engine.planTeardown(profile.name, target);
    const { job, created } = await desk.requestTeardown({
      profile,
      policy,
      plan,
      target,
      requester: ctx.user,
      channel: ctx.channel,
      idempotencyKey: `${ctx.invocation.requestKey}:teardown`,
      recordRequest: (held, approvalId) =>
        ctx.audit({
          action: "teardown",
          target: what,
          result: "approval requested",
          jobId: held.id,
          details: { approvalId, guests: plan.guests.length, vmids: plan.guests.map((g) => g.vmid).join(",") },
        }),
    });
    if (!created) return ephemeral(`This request is already job \`${job.id}\` (${job.state}); Slack delivered it twice.`);
    const n = plan.guests.length;
    return ephemeral(
      `Teardown of ${escapeMrkdwn(what)} (${n} guest${n === 1 ? "" : "s"}) is waiting for approval by ${policy.approvers.map(principalText).join(", ")}` +
        `${policy.selfApprove ? "" : " (someone other than you)"}; it expires in ${policy.expiresMinutes} min. Nothing is destroyed before that. Job \`${job.id}\`.`,
    );
  },
});
