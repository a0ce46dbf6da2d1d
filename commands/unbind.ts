import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral, escapeMrkdwn, inChannel, mention } from "../src/commands/message.js";

export default defineCommand({
  name: "unbind",
  summary: "remove this channel's binding",
  usage: "/pve unbind",
  examples: ["unbind"],
  permission: "admin",
  needsBinding: false,
  mutates: true,
  args: { positionals: [], flags: {} },
  schema: z.object({}),
  async run(ctx) {
    const removed = await ctx.deps.store.unbindChannel(ctx.channel);
    const fromConfig = ctx.deps.slack.bindings[ctx.channel];
    await ctx.audit({ action: "unbind-channel", target: ctx.channel, result: removed ? "ok" : "not-bound" });
    if (!removed) {
      return ephemeral(
        fromConfig
          ? `This channel is bound to ${escapeMrkdwn(fromConfig)} in the configuration file (slack.bindings); remove it there.`
          : "This channel was not bound.",
      );
    }
    const text = `${mention(ctx.user)} unbound this channel${fromConfig ? `; the binding from the configuration file applies again (profile *${escapeMrkdwn(fromConfig)}*)` : ""}.`;
    return inChannel("This channel is no longer bound.", [{ type: "text", text }]);
  },
});
