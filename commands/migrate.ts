import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { guestRefArg, nodeArg } from "../src/commands/parse.js";
import { describeTarget } from "../src/engine/ops.js";

export default defineCommand({
  name: "migrate",
  summary: "move a guest to another node (live for running VMs)",
  usage: "/pve migrate <name|vmid> <node>",
  examples: ["migrate docker1 pve2"],
  permission: ["migrate", "provision"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "target", required: true }, { name: "node", required: true }], flags: {} },
  schema: z.object({ target: guestRefArg, node: nodeArg }),
  async run(ctx) {
    const profile = ctx.profile();
    const { reply } = await ctx.startJob({
      kind: "migrate",
      request: { profile: profile.name, target: ctx.args.target, node: ctx.args.node },
      target: `${describeTarget(ctx.args.target)} → ${ctx.args.node}`,
    });
    return reply;
  },
});
