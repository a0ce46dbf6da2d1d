import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral } from "../src/commands/message.js";
import { NotFound } from "../src/errors.js";

export default defineCommand({
  name: "cancel",
  summary: "cancel a job; a running one stops between steps and rolls back",
  usage: "/pve cancel <job>",
  examples: ["cancel j-7f3k2q"],
  permission: ["cancel", "provision"],
  needsBinding: true,
  mutates: true,
  args: { positionals: [{ name: "job", required: true }], flags: {} },
  schema: z.object({ job: z.string().transform((s) => s.toLowerCase()).pipe(z.string().regex(/^j-[0-9a-z]{6}$/, "expected a job id like j-7f3k2q (see /pve jobs)")) }),
  async run(ctx) {
    const profile = ctx.profile();
    const job = await ctx.deps.store.getJob(ctx.args.job);
    if (!job || job.profile !== profile.name) throw new NotFound(`No job ${ctx.args.job} for profile ${profile.name} (see /pve jobs).`);
    const outcome = await ctx.deps.runner.cancel(job.id, ctx.user);
    await ctx.audit({ action: "cancel", target: job.id, result: outcome, jobId: job.id });
    const text =
      outcome === "cancelled"
        ? `Job \`${job.id}\` was cancelled before it started.`
        : outcome === "requested"
          ? `Job \`${job.id}\` will stop after its current step and roll back; its thread shows when.`
          : `Job \`${job.id}\` had already ended (${job.state}); nothing changed.`;
    return ephemeral(text);
  },
});
