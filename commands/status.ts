import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { ephemeral, escapeMrkdwn } from "../src/commands/message.js";
import { guestRefArg } from "../src/commands/parse.js";

function uptime(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}

export default defineCommand({
  name: "status",
  summary: "one guest in detail: state, node, size, IP",
  usage: "/pve status <name|vmid>",
  examples: ["status docker1", "status 512"],
  permission: ["status", "list"],
  needsBinding: true,
  mutates: false,
  args: { positionals: [{ name: "target", required: true }], flags: {} },
  schema: z.object({ target: guestRefArg }),
  async run(ctx) {
    const profile = ctx.profile();
    const s = await ctx.deps.engine.status(profile.name, ctx.args.target);
    const icon = s.status === "running" ? ":large_green_circle:" : s.status === "stopped" ? ":red_circle:" : ":white_circle:";
    const fields = [
      { label: "Status", value: `${icon} ${s.status}${s.uptimeSec ? ` for ${uptime(s.uptimeSec)}` : ""}` },
      { label: "Node", value: s.node },
      { label: "Type", value: s.type === "qemu" ? "VM" : "container" },
      { label: "VMID", value: String(s.vmid) },
      { label: "Size", value: `${s.cores} cores · ${s.memoryMb} MB · ${s.diskGb} GB` },
      { label: "IP", value: s.ip ? `\`${s.ip}\`` : "—" },
    ];
    if (s.tags.length) fields.push({ label: "Tags", value: s.tags.map(escapeMrkdwn).join(", ") });
    if (s.lock) fields.push({ label: "Lock", value: `\`${escapeMrkdwn(s.lock)}\`` });
    if (s.hastate) fields.push({ label: "HA", value: escapeMrkdwn(s.hastate) });
    return ephemeral(`${s.name} (${s.vmid}): ${s.status} on ${s.node}`, [
      { type: "header", text: `${s.name} (${s.vmid})` },
      { type: "fields", fields: fields.map((f) => ({ label: f.label, value: f.label === "Status" || f.label === "IP" ? f.value : escapeMrkdwn(f.value) })) },
    ]);
  },
});
