import { z } from "zod";
import { defineCommand, describeTarget, optionalTargetSchema, targetOf } from "../src/commands/define.js";

const usage = "/pve snapshot <name|vmid|--tag t> [snapname]";
const snapName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{1,39}$/, "a snapshot name is a letter, then 1-39 letters, digits, _ or -");

export default defineCommand({
  name: "snapshot",
  summary: "take a snapshot of a guest, or of every guest with a tag",
  usage,
  examples: ["snapshot docker1", "snapshot docker1 before-upgrade", "snapshot --tag web nightly"],
  details: "Without a name the snapshot is called snap-<date><time> (UTC).",
  permission: ["snapshot", "provision"],
  needsBinding: true,
  mutates: true,
  args: {
    positionals: [{ name: "target" }, { name: "snapname" }],
    flags: { tag: { kind: "value", metavar: "t", help: "every guest of the profile with this tag" } },
  },
  // With --tag the only positional is the snapshot name.
  schema: z
    .object({ target: z.string().optional(), snapname: z.string().optional(), tag: optionalTargetSchema.tag })
    .transform((a) => (a.tag !== undefined && a.target !== undefined && a.snapname === undefined ? { tag: a.tag, snapname: a.target } : a))
    .pipe(z.object({ target: optionalTargetSchema.target, snapname: snapName.optional(), tag: optionalTargetSchema.tag })),
  async run(ctx) {
    const profile = ctx.profile();
    const target = targetOf(ctx.args, usage);
    const { reply } = await ctx.startJob({
      kind: "snapshot",
      request: { profile: profile.name, target, op: { action: "create", ...(ctx.args.snapname ? { name: ctx.args.snapname } : {}), description: `by ${ctx.user} via pve-chatops` } },
      target: describeTarget(target),
    });
    return reply;
  },
});
