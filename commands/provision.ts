import { z } from "zod";
import { defineCommand } from "../src/commands/define.js";
import { guestNameArg, intArg, nodeArg, tagArg } from "../src/commands/parse.js";
import { UsageError } from "../src/errors.js";
import type { ProvisionRequestInput } from "../src/engine/types.js";
import type { Profile } from "../src/config/schema.js";

export const usage =
  "/pve provision <name> [--docker] [--live-migrate] [--windows] [--custom-kernel] [--ha-live] [--iso <volid>] [--nesting] " +
  "[--size small|medium|large] [--cores N] [--memory MB] [--disk GB] [--os <alias|volid>] [--node <node>] " +
  "[--ip <cidr> --gateway <ip> [--dns <ip>] | --dhcp] [--tag <t>]… [--full-clone] [--ssh-key <key>]";

const ipv4 = z.string().regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/, "expected an IPv4 address like 10.0.0.1");

/** An OpenSSH public key line: type, base64 body, optional comment. */
const sshPublicKey = z
  .string()
  .trim()
  .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/, "expected an OpenSSH public key like ssh-ed25519 AAAA… user@host")
  .max(16_384, "is too long for a public key");

/**
 * The command's arguments (flag names as typed). Exported for the request modal, which validates its fields with
 * exactly these rules. Without a name, Slack opens the modal instead (src/transport/slack/modal.ts).
 */
export const schema = z
  .object({
    name: guestNameArg.optional(),
    docker: z.boolean().optional(),
    "live-migrate": z.boolean().optional(),
    windows: z.boolean().optional(),
    "custom-kernel": z.boolean().optional(),
    "ha-live": z.boolean().optional(),
    iso: z.string().regex(/^[A-Za-z0-9_.-]+:iso\/[^\s/]+$/, "expected an ISO volid like local:iso/debian-12.iso").optional(),
    nesting: z.boolean().optional(),
    size: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, "expected a size name like small, medium or large").optional(),
    cores: intArg(1, 512).optional(),
    memory: intArg(64, 4 * 1024 * 1024, "a size in MB").optional(),
    disk: intArg(1, 65536, "a size in GB").optional(),
    os: z.string().regex(/^[A-Za-z0-9_.:/+-]{1,200}$/, "expected an image alias from the profile, a template name/VMID or a volid").optional(),
    node: nodeArg.optional(),
    ip: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "expected an address in CIDR form like 10.0.0.5/24")
      .refine((s) => ipv4.safeParse(s.split("/")[0]).success && Number(s.split("/")[1]) <= 32, "is not a valid IPv4 CIDR")
      .optional(),
    gateway: ipv4.optional(),
    dns: ipv4.optional(),
    dhcp: z.boolean().optional(),
    tag: z.array(tagArg).optional(),
    "full-clone": z.boolean().optional(),
    "ssh-key": sshPublicKey.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.dhcp && (a.ip || a.gateway || a.dns)) ctx.addIssue({ code: "custom", path: ["dhcp"], message: "cannot be combined with --ip/--gateway/--dns" });
    else if (a.ip && !a.gateway) ctx.addIssue({ code: "custom", path: ["ip"], message: "needs --gateway <ip> too" });
    else if (!a.ip && (a.gateway || a.dns)) ctx.addIssue({ code: "custom", path: [a.gateway ? "gateway" : "dns"], message: "only goes with --ip <cidr>" });
  });

export default defineCommand({
  name: "provision",
  summary: "create a VM or container and follow it until it answers on SSH",
  usage,
  examples: ["provision docker1 --docker", "provision web-1 --size medium --tag web", "provision db1 --os debian12 --ip 10.0.0.5/24 --gateway 10.0.0.1"],
  details:
    "A container unless a flag needs a VM (--docker, --live-migrate, --windows, --custom-kernel, --ha-live, --iso). " +
    "Size from the profile's sizes; --cores/--memory/--disk override it. Network: DHCP unless --ip and --gateway are given.",
  permission: ["provision"],
  needsBinding: true,
  mutates: true,
  args: {
    positionals: [{ name: "name" }],
    flags: {
      docker: { kind: "boolean", help: "a VM ready for Docker (nesting-capable CPU)" },
      "live-migrate": { kind: "boolean", help: "a VM that can move between hosts while running (generic CPU type)" },
      windows: { kind: "boolean", help: "a Windows VM" },
      "custom-kernel": { kind: "boolean", help: "a VM (containers share the host's kernel)" },
      "ha-live": { kind: "boolean", help: "a VM under Proxmox HA" },
      iso: { kind: "value", metavar: "volid", help: "install from this ISO (a VM created from scratch)" },
      nesting: { kind: "boolean", help: "containers: enable nesting" },
      size: { kind: "value", metavar: "small|medium|large", help: "a size from the profile" },
      cores: { kind: "value", metavar: "N", help: "CPU cores" },
      memory: { kind: "value", metavar: "MB", help: "memory in MB" },
      disk: { kind: "value", metavar: "GB", help: "root disk in GB (never shrinks below the image)" },
      os: { kind: "value", metavar: "alias|volid", help: "image: a profile alias, template name or VMID, or a volid" },
      node: { kind: "value", metavar: "node", help: "place on this node instead of the profile's rule" },
      ip: { kind: "value", metavar: "cidr", help: "static address, e.g. 10.0.0.5/24 (needs --gateway)" },
      gateway: { kind: "value", metavar: "ip", help: "default gateway for --ip" },
      dns: { kind: "value", metavar: "ip", help: "name server for --ip" },
      dhcp: { kind: "boolean", help: "DHCP (the default)" },
      tag: { kind: "value", repeat: true, metavar: "t", help: "a Proxmox tag" },
      "full-clone": { kind: "boolean", help: "a full clone instead of a linked one" },
      "ssh-key": { kind: "value", metavar: "key", help: "an OpenSSH public key to install (quote it)" },
    },
  },
  schema,
  async run(ctx) {
    const a = ctx.args;
    const profile = ctx.profile();
    if (a.name === undefined) throw new UsageError("Missing <name>. (In Slack, `/pve provision` alone opens a form.)", usage);
    const request = provisionRequestFrom({ ...a, name: a.name }, profile, ctx.user);
    const { reply } = await ctx.startJob({ kind: "provision", request: { profile: profile.name, request: request as Record<string, unknown> }, target: a.name });
    return reply;
  },
});

/** Checked arguments → the engine's request (the command and the request modal share this). */
export function provisionRequestFrom(a: z.output<typeof schema> & { name: string }, profile: Profile, user: string): ProvisionRequestInput {
  if (a.size !== undefined && !(a.size in profile.sizes)) {
    throw new UsageError(`--size "${a.size}": profile ${profile.name} has sizes ${Object.keys(profile.sizes).join(", ")}.`, usage);
  }
  return {
    name: a.name,
    docker: a.docker ?? false,
    liveMigrate: a["live-migrate"] ?? false,
    windows: a.windows ?? false,
    customKernel: a["custom-kernel"] ?? false,
    haLive: a["ha-live"] ?? false,
    ...(a.iso ? { iso: a.iso } : {}),
    ...(a.nesting ? { nesting: true } : {}),
    ...(a.size ? { size: a.size } : {}),
    ...(a.cores !== undefined ? { cores: a.cores } : {}),
    ...(a.memory !== undefined ? { memoryMb: a.memory } : {}),
    ...(a.disk !== undefined ? { diskGb: a.disk } : {}),
    ...(a.os ? { image: a.os } : {}),
    ...(a.node ? { node: a.node } : {}),
    network: a.ip && a.gateway ? { mode: "static", ip: a.ip, gateway: a.gateway, ...(a.dns ? { dns: a.dns } : {}) } : { mode: "dhcp" },
    tags: (a.tag ?? []).map((t) => t.toLowerCase()),
    fullClone: a["full-clone"] ?? false,
    ...(a["ssh-key"] ? { sshKeys: [a["ssh-key"]] } : {}),
    requestedBy: user,
  };
}
