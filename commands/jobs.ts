import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral } from "../src/commands/message.js";
import { FINAL_JOB_STATES, type Job } from "../src/adapters/store/types.js";
import { describeJob } from "../src/transport/job-messages.js";

function age(job: Job, now: number): string {
  const s = Math.max(0, Math.round((now - job.createdAt.getTime()) / 1000));
  return s < 90 ? `${s}s` : s < 5400 ? `${Math.round(s / 60)}m` : s < 129600 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
}

export default defineCommand({
  name: "jobs",
  summary: "running and recent jobs of this channel",
  usage: "/pve jobs [--all]",
  examples: ["jobs", "jobs --all"],
  permission: ["jobs", "list"],
  needsBinding: true,
  mutates: false,
  args: { positionals: [], flags: { all: { kind: "boolean", help: "every job of this profile, not only this channel's" } } },
  schema: z.object({ all: z.boolean().optional() }),
  async run(ctx) {
    const profile = ctx.profile();
    const jobs = await ctx.deps.store.listJobs(ctx.args.all ? { profile: profile.name, limit: 25 } : { channel: ctx.channel, limit: 25 });
    if (jobs.length === 0) return ephemeral(ctx.args.all ? `No jobs for profile ${profile.name} yet.` : "No jobs in this channel yet.");
    const active = jobs.filter((j) => !FINAL_JOB_STATES.includes(j.state)).length;
    const now = Date.now();
    return ephemeral(`${jobs.length} jobs, ${active} active`, [
      { type: "text", text: `*${active} active*, ${jobs.length - active} finished (newest first)` },
      {
        type: "table",
        columns: ["JOB", "WHAT", "STATE", "STEP", "BY", "AGE"],
        rows: jobs.map((j) => [j.id, describeJob(j), j.state, j.currentStep ?? "", j.requester, age(j, now)]),
      },
      { type: "context", text: "`/pve cancel <job>` stops a job that has not finished." },
    ]);
  },
});
