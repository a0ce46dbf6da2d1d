import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { nodeArg } from "../src/commands/parse.js";

export default defineCommand({
  name: "evacuate",
  summary: "move every guest off a node (before maintenance)",
  usage: "/pve evacuate <node>",
  examples: ["evacuate pve3"],
  details: "Plans a target for each guest by the profile's placement rule; templates stay where they are.",
  permission: ["evacuate", "migrate", "provision"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "node", required: true }], flags: {} },
  schema: z.object({ node: nodeArg }),
  async run(ctx) {
    const profile = ctx.profile();
    const { reply } = await ctx.startJob({ kind: "evacuate", request: { profile: profile.name, node: ctx.args.node }, target: `node ${ctx.args.node}` });
    return reply;
  },
});
