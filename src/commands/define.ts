/** Helpers shared by the command modules in commands/. */
import { z } from "zod";
import type { Target } from "../engine/ops.js";
import { describeTarget } from "../engine/ops.js";
import { UsageError } from "../errors.js";
import type { CommandModule } from "./types.js";
import { guestRefArg, tagArg } from "./parse.js";

/** Keeps the schema's output type for `run` and erases it for the registry. */
export function defineCommand<S extends z.ZodType>(module: CommandModule<S>): CommandModule {
  return module as unknown as CommandModule;
}

/** A guest (`<name|vmid>`) or `--tag t`, exactly one of them. */
export function targetOf(args: { target?: { name: string } | { vmid: number } | undefined; tag?: string | undefined }, usage: string): Target {
  if (args.target && args.tag !== undefined) throw new UsageError("Give either a guest (name or VMID) or --tag, not both.", usage);
  if (args.target) return args.target;
  if (args.tag !== undefined) return { tag: args.tag.toLowerCase() };
  throw new UsageError("Name a guest (name or VMID) or give --tag.", usage);
}

export { describeTarget };

export const optionalTargetSchema = {
  target: guestRefArg.optional(),
  tag: tagArg.optional(),
};

/** Power actions share one shape: `/pve <action> <name|vmid>`. */
export const powerSummaries = {
  start: "start a stopped guest",
  stop: "stop a guest at once (like pulling the plug)",
  shutdown: "shut a guest down cleanly (ACPI / init), then stop it",
  reboot: "reboot a running guest",
} as const;

/** The `/pve start|stop|shutdown|reboot <name|vmid>` commands: one shape, a power job each. */
export function definePowerCommand(action: keyof typeof powerSummaries) {
  return defineCommand({
    name: action,
    summary: powerSummaries[action],
    usage: `/pve ${action} <name|vmid>`,
    examples: [`${action} docker1`, `${action} 512`],
    permission: ["power", "provision"],
    needsBinding: true,
    mutates: true,
    args: { positionals: [{ name: "target", required: true }], flags: {} },
    schema: z.object({ target: guestRefArg }),
    async run(ctx) {
      const profile = ctx.profile();
      const { reply } = await ctx.startJob({
        kind: "power",
        request: { profile: profile.name, target: ctx.args.target, action },
        target: describeTarget(ctx.args.target),
      });
      return reply;
    },
  });
}
