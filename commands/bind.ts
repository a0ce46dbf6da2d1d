import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { escapeMrkdwn, inChannel, mention } from "../src/commands/message.js";
import { closest } from "../src/commands/parse.js";
import { NotFound } from "../src/errors.js";

export default defineCommand({
  name: "bind",
  summary: "bind this channel to a profile (its cluster, pool, defaults and permissions)",
  usage: "/pve bind <profile>",
  examples: ["bind lab"],
  permission: "admin",
  needsBinding: false,
  mutates: true,
  args: { positionals: [{ name: "profile", required: true }], flags: {} },
  schema: z.object({ profile: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "expected a profile name (see /pve profiles)") }),
  async run(ctx) {
    const name = ctx.args.profile.toLowerCase();
    const profile = ctx.deps.profiles.get(name);
    if (!profile) {
      const names = [...ctx.deps.profiles.keys()];
      const guess = closest(name, names);
      await ctx.audit({ action: "bind-channel", target: ctx.channel, result: "failed: unknown profile", details: { requested: name } });
      throw new NotFound(`No profile "${name}".${guess ? ` Did you mean ${guess}?` : ""} Profiles: ${names.join(", ") || "none"}.`);
    }
    const before = ctx.binding?.profile.name;
    await ctx.deps.store.bindChannel(ctx.channel, profile.name, ctx.user);
    await ctx.audit({ action: "bind-channel", target: ctx.channel, result: "ok", details: { profile: profile.name, ...(before ? { previous: before } : {}) } });
    const text = `${mention(ctx.user)} bound this channel to profile *${escapeMrkdwn(profile.name)}* (cluster ${escapeMrkdwn(profile.cluster)}, pool ${escapeMrkdwn(profile.pool)})${before && before !== profile.name ? `, replacing ${escapeMrkdwn(before)}` : ""}. \`/pve help\` shows what each of you may run here.`;
    return inChannel(`This channel is now bound to profile ${profile.name}.`, [{ type: "text", text }]);
  },
});
