import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { unboundReply } from "../src/commands/dispatch.js";
import { ephemeral, escapeMrkdwn, principalText, type MessageBlock } from "../src/commands/message.js";
import { checkPermission, decidingKey } from "../src/commands/permissions.js";
import { closest } from "../src/commands/parse.js";
import { UsageError } from "../src/errors.js";

const usage = "/pve help [command]";

export default defineCommand({
  name: "help",
  summary: "what you can run here, or the full usage of one command",
  usage,
  examples: ["help", "help provision"],
  permission: "anyone",
  needsBinding: false,
  mutates: false,
  args: { positionals: [{ name: "command" }], flags: {} },
  schema: z.object({ command: z.string().max(64, "is not a command name").optional() }),
  async run(ctx) {
    const { deps } = ctx;
    const profile = ctx.binding?.profile;
    if (ctx.args.command) {
      const name = ctx.args.command.toLowerCase();
      const cmd = deps.commands.find((c) => c.name === name);
      if (!cmd) {
        const guess = closest(name, deps.commands.map((c) => c.name));
        throw new UsageError(`No command "${ctx.args.command}".${guess ? ` Did you mean \`${guess}\`?` : ""}`, usage);
      }
      const blocks: MessageBlock[] = [
        { type: "header", text: `/pve ${cmd.name}` },
        { type: "text", text: `${escapeMrkdwn(cmd.summary)}\n\`${escapeMrkdwn(cmd.usage)}\`` },
      ];
      if (cmd.details) blocks.push({ type: "text", text: cmd.details });
      const flags = Object.entries(cmd.args.flags).filter(([, f]) => f.help);
      if (flags.length) {
        blocks.push({
          type: "text",
          text: flags.map(([n, f]) => `\`${escapeMrkdwn(`--${n}${f.kind === "value" ? ` <${f.metavar ?? "value"}>` : ""}`)}\`${f.repeat ? " (repeatable)" : ""} — ${escapeMrkdwn(f.help!)}`).join("\n"),
        });
      }
      blocks.push({ type: "text", text: `*Examples*\n${cmd.examples.map((e) => `\`/pve ${escapeMrkdwn(e)}\``).join("\n")}` });
      let who: string;
      if (cmd.permission === "anyone") who = "Anyone may run it.";
      else if (cmd.permission === "admin") who = `Only bot admins may run it${deps.slack.admins.length ? `: ${deps.slack.admins.map(principalText).join(", ")}` : ""}.`;
      else if (!profile) who = `Who may run it depends on the channel's profile (permissions key ${cmd.permission.join(" or ")}).`;
      else {
        const key = decidingKey(cmd.permission, profile);
        who = key
          ? `In this channel (profile ${profile.name}): ${(profile.permissions[key] ?? []).map(principalText).join(", ")} (permissions.${key}).`
          : `Profile ${profile.name} lets nobody run it (no permissions entry for ${cmd.permission.join(" or ")}).`;
      }
      blocks.push({ type: "context", text: who });
      return ephemeral(`/pve ${cmd.name}: ${cmd.usage}`, blocks);
    }
    const lines: string[] = [];
    for (const cmd of deps.commands) {
      if (cmd.needsBinding && !profile) continue;
      const decision = await checkPermission({ rule: cmd.permission, user: ctx.user, admins: deps.slack.admins, profile, resolver: deps.principals });
      if (!decision.allowed) continue;
      lines.push(`*${cmd.name}* — ${escapeMrkdwn(cmd.summary)}\n      \`/pve ${escapeMrkdwn(cmd.examples[0] ?? cmd.name)}\``);
    }
    const blocks: MessageBlock[] = [
      { type: "header", text: profile ? `/pve in this channel (profile ${profile.name})` : "/pve" },
      { type: "text", text: lines.join("\n") },
    ];
    if (!profile) blocks.push(...unboundReply(ctx.isAdmin, deps.profiles).blocks);
    blocks.push({ type: "context", text: "`/pve help <command>` shows a command's full usage. Only commands you may run here are listed." });
    return ephemeral(`/pve commands you may run here: ${lines.length}`, blocks);
  },
});
