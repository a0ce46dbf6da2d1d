import { z } from "zod";
import { defineCommand, describeTarget, optionalTargetSchema, targetOf } from "../src/commands/define.js";
import { ApprovalRequired } from "../src/errors.js";

const usage = "/pve teardown <name|vmid|--tag t>";

export default defineCommand({
  name: "teardown",
  summary: "destroy a guest (or every guest with a tag) — needs a second person's approval",
  usage,
  examples: ["teardown docker1", "teardown --tag ci-run-42"],
  details: "Destroys the guest and its disks. Never runs on the command alone: it needs an approval from the profile's approvers.",
  permission: ["teardown"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "target" }], flags: { tag: { kind: "value", metavar: "t", help: "every guest of the profile with this tag" } } },
  schema: z.object(optionalTargetSchema),
  async run(ctx) {
    const target = targetOf(ctx.args, usage);
    // Until approval buttons exist, a teardown must not run on the command alone.
    await ctx.audit({ action: "teardown", target: describeTarget(target), result: "refused: approval required" });
    throw new ApprovalRequired(
      `Teardown of ${describeTarget(target)} needs an approval from a second person, and approvals are not available in this version of the bot yet. Nothing was destroyed.`,
    );
  },
});
