import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral, escapeMrkdwn } from "../src/commands/message.js";

export default defineCommand({
  name: "profiles",
  summary: "the profiles this bot knows and the channels bound to them",
  usage: "/pve profiles",
  examples: ["profiles"],
  permission: "anyone",
  needsBinding: false,
  mutates: false,
  args: { positionals: [], flags: {} },
  schema: z.object({}),
  async run(ctx) {
    const profiles = [...ctx.deps.profiles.values()];
    if (profiles.length === 0) return ephemeral("No profiles are configured.");
    const channels = new Map<string, Set<string>>();
    const add = (channel: string, profile: string) => channels.set(profile, (channels.get(profile) ?? new Set()).add(channel));
    for (const [channel, profile] of Object.entries(ctx.deps.slack.bindings)) add(channel, profile);
    for (const b of await ctx.deps.store.listBindings()) {
      for (const set of channels.values()) set.delete(b.channel);
      add(b.channel, b.profile);
    }
    const here = ctx.binding?.profile.name;
    return ephemeral(`${profiles.length} profiles`, [
      { type: "header", text: "Profiles" },
      {
        type: "table",
        columns: ["PROFILE", "CLUSTER", "POOL", "SIZES", "CHANNELS"],
        rows: profiles.map((p) => [p.name + (p.name === here ? " *" : ""), p.cluster, p.pool, Object.keys(p.sizes).join(","), String(channels.get(p.name)?.size ?? 0)]),
      },
      { type: "context", text: here ? `* this channel is bound to ${escapeMrkdwn(here)}.` : "This channel is not bound; an admin runs `/pve bind <profile>`." },
    ]);
  },
});
