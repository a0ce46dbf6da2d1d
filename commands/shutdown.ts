import { z } from "zod";
import { defineCommand, powerSummaries } from "../src/commands/define.js";
import { guestRefArg } from "../src/commands/parse.js";
import { describeTarget } from "../src/engine/ops.js";

export default defineCommand({
  name: "shutdown",
  summary: powerSummaries.shutdown,
  usage: "/pve shutdown <name|vmid>",
  examples: ["shutdown docker1", "shutdown 512"],
  permission: ["power", "provision"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "target", required: true }], flags: {} },
  schema: z.object({ target: guestRefArg }),
  async run(ctx) {
    const profile = ctx.profile();
    const { reply } = await ctx.startJob({
      kind: "power",
      request: { profile: profile.name, target: ctx.args.target, action: "shutdown" },
      target: describeTarget(ctx.args.target),
    });
    return reply;
  },
});
