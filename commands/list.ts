import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral, escapeMrkdwn } from "../src/commands/message.js";
import { nodeArg, tagArg } from "../src/commands/parse.js";

export default defineCommand({
  name: "list",
  summary: "the guests of this channel's profile, as a table",
  usage: "/pve list [filter] [--node <node>] [--tag <t>] [--templates]",
  examples: ["list", "list web", "list --node pve2"],
  details: "`filter` matches part of a name or an exact VMID.",
  permission: ["list"],
  needsBinding: true,
  mutates: false,
  args: {
    positionals: [{ name: "filter" }],
    flags: {
      node: { kind: "value", metavar: "node", help: "only guests on this node" },
      tag: { kind: "value", metavar: "t", help: "only guests with this tag" },
      templates: { kind: "boolean", help: "include templates" },
    },
  },
  schema: z.object({
    filter: z.string().max(63, "is longer than a guest name can be").optional(),
    node: nodeArg.optional(),
    tag: tagArg.optional(),
    templates: z.boolean().optional(),
  }),
  async run(ctx) {
    const profile = ctx.profile();
    const guests = await ctx.deps.engine.list(profile.name, {
      ...(ctx.args.filter ? { text: ctx.args.filter.toLowerCase() } : {}),
      ...(ctx.args.node ? { node: ctx.args.node } : {}),
      ...(ctx.args.tag ? { tag: ctx.args.tag.toLowerCase() } : {}),
      ...(ctx.args.templates ? { includeTemplates: true } : {}),
    });
    const what = ctx.args.filter ? ` matching "${escapeMrkdwn(ctx.args.filter)}"` : "";
    if (guests.length === 0) return ephemeral(`No guests${what} in pool ${profile.pool} (profile ${profile.name}).`);
    const sorted = [...guests].sort((a, b) => a.vmid - b.vmid);
    const running = sorted.filter((g) => g.status === "running").length;
    return ephemeral(`${guests.length} guests${what} in pool ${profile.pool}`, [
      { type: "text", text: `*${guests.length} guest${guests.length === 1 ? "" : "s"}*${what} in pool \`${escapeMrkdwn(profile.pool)}\` · ${running} running` },
      {
        type: "table",
        columns: ["VMID", "NAME", "TYPE", "NODE", "STATUS", "TAGS"],
        rows: sorted.map((g) => [String(g.vmid), g.name, g.type === "qemu" ? (g.template ? "vm-tpl" : "vm") : "ct", g.node, g.status, g.tags.join(",")]),
      },
    ]);
  },
});
