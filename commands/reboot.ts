import { z } from "zod";
import { defineCommand, powerSummaries } from "../src/commands/define.js";
import { guestRefArg } from "../src/commands/parse.js";
import { describeTarget } from "../src/engine/ops.js";

export default defineCommand({
  name: "reboot",
  summary: powerSummaries.reboot,
  usage: "/pve reboot <name|vmid>",
  examples: ["reboot docker1", "reboot 512"],
  permission: ["power", "provision"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "target", required: true }], flags: {} },
  schema: z.object({ target: guestRefArg }),
  async run(ctx) {
    const profile = ctx.profile();
    const { reply } = await ctx.startJob({
      kind: "power",
      request: { profile: profile.name, target: ctx.args.target, action: "reboot" },
      target: describeTarget(ctx.args.target),
    });
    return reply;
  },
});
