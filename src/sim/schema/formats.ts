/**
 * Named parameter formats (`format: "pve-vmid"` …), re-implemented from the Proxmox sources. Every check and
 * every message follows the original; the source is named on each one. Where a format depends on state the
 * simulator does not model (CPU model tables, time zones, USB/PCI devices) the check here is STRICTER than
 * the real one, never looser, so a request that passes here also passes on a real server.
 *
 * A format failure is a Perl `die "<text>\n"`; pve-common `check_prop` turns it into the parameter error
 * `invalid format - <text>\n` (the trailing newline is part of the real message).
 */
import type { PropertyStringFormat } from "./types.js";

/** A Perl `die` inside a format check. `text` is `$@` exactly, including the trailing newline. */
export class PerlDie extends Error {
  constructor(
    readonly text: string,
    /** Set when a property string failed validation (`raise "format error\n", errors => …`). */
    readonly errors?: Readonly<Record<string, string>>,
  ) {
    super(text.replace(/\n$/, ""));
    this.name = "PerlDie";
  }

  /** `PVE::Exception::stringify`: the message, then one `key: error` line per error. */
  perlString(): string {
    if (!this.errors) return this.text;
    let out = this.text;
    for (const key of Object.keys(this.errors).sort()) out += `${key}: ${this.errors[key]}\n`;
    return out;
  }
}

const die = (text: string): never => {
  throw new PerlDie(`${text}\n`);
};

// --- regexes (pve-common src/PVE/ParseUtils.pm, src/PVE/JSONSchema.pm) ----------------------------------

const IPV4_OCTET = "(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])";
const IPV4_RE = `(?:(?:${IPV4_OCTET}\\.){3}${IPV4_OCTET})`;
const H16 = "(?:[0-9a-fA-F]{1,4})";
const LS32 = `(?:(?:${IPV4_RE}|${H16}:${H16}))`;
const IPV6_RE =
  "(?:" +
  `(?:(?:(?:${H16}:){6})${LS32})|` +
  `(?:(?:::(?:${H16}:){5})${LS32})|` +
  `(?:(?:(?:${H16})?::(?:${H16}:){4})${LS32})|` +
  `(?:(?:(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3})${LS32})|` +
  `(?:(?:(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2})${LS32})|` +
  `(?:(?:(?:(?:${H16}:){0,3}${H16})?::(?:${H16}:){1})${LS32})|` +
  `(?:(?:(?:(?:${H16}:){0,4}${H16})?::)${LS32})|` +
  `(?:(?:(?:(?:${H16}:){0,5}${H16})?::)${H16})|` +
  `(?:(?:(?:(?:${H16}:){0,6}${H16})?::)))`;

const IPV4 = new RegExp(`^(?:${IPV4_RE})$`);
const IPV6 = new RegExp(`^(?:${IPV6_RE})$`);
const CIDRV4 = new RegExp(`^(?:${IPV4_RE})/(\\d+)$`);
const CIDRV6 = new RegExp(`^(?:${IPV6_RE})/(\\d+)$`);
const DNS_NAME = /^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/;
const CONFIGID = /^[a-z][a-z0-9_-]+$/i;
const PVE_TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

export const isIp = (v: string): boolean => IPV4.test(v) || IPV6.test(v);
const isCidrV4 = (v: string): boolean => {
  const m = CIDRV4.exec(v);
  return !!m && Number(m[1]) > 7 && Number(m[1]) <= 32;
};
const isCidrV6 = (v: string): boolean => {
  const m = CIDRV6.exec(v);
  return !!m && Number(m[1]) > 7 && Number(m[1]) <= 128;
};

/** pve-common `PVE::JSONSchema::parse_size` (used by `disk-size`). */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+(\.\d+)?)([KMGT](?:iB)?)?$/.exec(value);
  if (!m) return undefined;
  const unitPower: Record<string, number> = { K: 1, M: 2, G: 3, T: 4 };
  const power = m[3] ? (unitPower[m[3][0]!] ?? 0) : 0;
  return Math.trunc(Number(m[1]) * 1024 ** power);
}

/** pve-common `split_list`: NUL-separated if it contains NUL, else separated by `,`, `;` and whitespace. */
export function splitList(text: string): string[] {
  if (text.includes("\0")) return perlSplit(text, /\0/);
  const t = text.replace(/[,;]/g, " ").replace(/^\s+/, "");
  return perlSplit(t, /\s+/);
}

/** Perl `split` drops trailing empty fields. */
function perlSplit(text: string, sep: RegExp): string[] {
  const parts = text.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

// --- code formats ---------------------------------------------------------------------------------------

type CodeFormat = (value: string) => void;

function verifyStorageId(id: string): void {
  // pve-common JSONSchema.pm parse_id($id, 'storage')
  if ([...id].length < 2) die(`storage ID '${id}' cannot be shorter than 2 characters`);
  if (!/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(id)) die(`storage ID '${id}' contains illegal characters`);
}

function verifyVolumeId(volid: string): void {
  // pve-storage src/PVE/Storage/Plugin.pm parse_volume_id
  if (!/^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$/i.test(volid)) die(`unable to parse volume ID '${volid}'`);
}

function verifyVolumeIdOrAbsolutePath(volid: string): void {
  // qemu-server src/PVE/QemuServer.pm verify_volume_id_or_absolute_path
  if (volid.startsWith("/")) return;
  verifyVolumeId(volid);
}

const DRIVE_MAX: Readonly<Record<string, number>> = { ide: 3, sata: 5, scsi: 30, virtio: 15 };

/** qemu-server `verify_bootdev`: a drive (not efidisk/tpmstate) or `netN`. STRICTER: usbN/hostpciN refused. */
function verifyBootdev(dev: string): void {
  const m = /^(ide|sata|scsi|virtio|net)(\d+)$/.exec(dev);
  if (m) {
    const max = m[1] === "net" ? 31 : DRIVE_MAX[m[1]!]!;
    if (String(Number(m[2])) === m[2] && Number(m[2]) <= max) return;
  }
  die(`invalid boot device '${dev}'`);
}

/** Content types of the `dir` plugin, which has them all (pve-storage DirPlugin.pm plugindata) + `import`. */
const STORAGE_CONTENT = new Set(["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "none", "import"]);

const CODE_FORMATS: Readonly<Record<string, CodeFormat>> = {
  string: () => {},
  // pve-common src/PVE/JSONSchema.pm
  urlencoded: (v) => {
    if (!/^[-%a-zA-Z0-9_.!~*'()]*$/.test(v)) die(`invalid urlencoded string: ${v}`);
  },
  "pve-configid": (v) => {
    if (!CONFIGID.test(v)) die(`invalid configuration ID '${v}'`);
  },
  "pve-storage-id": verifyStorageId,
  "pve-bridge-id": (v) => {
    if (!/^[-_.\w\d]+$/.test(v)) die(`invalid bridge ID '${v}'`);
  },
  "pve-vmid": (v) => {
    if (!/^[1-9][0-9]{2,8}$/.test(v)) die("value does not look like a valid VM ID");
  },
  "pve-node": (v) => {
    if (!/^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/.test(v)) die("value does not look like a valid node name");
  },
  "mac-addr": (v) => {
    if (!/^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i.test(v))
      die("value does not look like a valid unicast MAC address");
  },
  ipv4: (v) => {
    if (!IPV4.test(v)) die("value does not look like a valid IPv4 address");
  },
  ipv6: (v) => {
    if (!IPV6.test(v)) die("value does not look like a valid IPv6 address");
  },
  ip: (v) => {
    if (!isIp(v)) die("value does not look like a valid IP address");
  },
  CIDRv4: (v) => {
    if (!isCidrV4(v)) die("value does not look like a valid IPv4 CIDR network");
  },
  CIDRv6: (v) => {
    if (!isCidrV6(v)) die("value does not look like a valid IPv6 CIDR network");
  },
  CIDR: (v) => {
    if (!isCidrV4(v) && !isCidrV6(v)) die("value does not look like a valid CIDR network");
  },
  "pve-ipv4-config": (v) => {
    if (!/^(?:dhcp|manual)$/.test(v) && !isCidrV4(v))
      die("value does not look like a valid ipv4 network configuration");
  },
  "pve-ipv6-config": (v) => {
    if (!/^(?:auto|dhcp|manual)$/.test(v) && !isCidrV6(v))
      die("value does not look like a valid ipv6 network configuration");
  },
  "dns-name": (v) => {
    if (!DNS_NAME.test(v)) die("value does not look like a valid DNS name");
  },
  "pve-iface": (v) => {
    if (!/^[a-z][a-z0-9_]{1,20}([:.]\d+)?$/i.test(v)) die(`invalid network interface name '${v}'`);
  },
  address: (v) => {
    if (!isIp(v) && !DNS_NAME.test(v)) die(`value does not look like a valid address: ${v}`);
  },
  "disk-size": (v) => {
    if (parseSize(v) === undefined) die(`value does not look like a valid disk size: ${v}`);
  },
  "pve-tag": (v) => {
    if (!PVE_TAG.test(v)) die("invalid characters in tag");
  },
  "pve-task-status-type": (v) => {
    if (!/^(ok|error|warning|unknown)$/i.test(v)) die(`invalid status '${v}'`);
  },
  // pve-access-control src/PVE/AccessControl.pm verify_poolname
  "pve-poolid": (v) => {
    if (v.split("/").length > 3) die(`pool name '${v}' nested too deeply (max levels = 3)`);
    if (!/^[A-Za-z0-9.\-_]+(?:\/[A-Za-z0-9.\-_]+){0,2}$/.test(v)) die(`pool name '${v}' contains invalid characters`);
  },
  // pve-storage src/PVE/Storage/Plugin.pm
  "pve-volume-id": verifyVolumeId,
  "pve-storage-content": (v) => {
    if (!STORAGE_CONTENT.has(v)) die(`invalid content type '${v}'`);
  },
  // qemu-server src/PVE/QemuServer.pm
  "pve-volume-id-or-qm-path": (v) => {
    if (v === "none" || v === "cdrom") return;
    verifyVolumeIdOrAbsolutePath(v);
  },
  "pve-volume-id-or-absolute-path": verifyVolumeIdOrAbsolutePath,
  "pve-qm-bootdev": verifyBootdev,
  // pve-ha-manager src/PVE/HA/Tools.pm
  "pve-ha-resource-or-vm-id": (v) => {
    if (!/^([a-z]+:\S+|\d+)$/.test(v)) die("value does not look like a valid ha resource id");
  },
  // pve-container src/PVE/LXC/Config.pm
  "lxc-ip-with-ll-iface": (v) => {
    const m = /^(fe80:[^%]+)%(.*)$/.exec(v);
    if (m && isIp(m[1]!) && /^[a-z][a-z0-9_]{1,20}([:.]\d+)?$/i.test(m[2]!)) return;
    if (!isIp(v)) die("value does not look like a valid IP address");
  },
  "pve-lxc-mp-string": (v) => {
    if (/\/\.\.?\//.test(v) || /\/\.\.?$/.test(v) || /^\.\.\//.test(v)) die(`${v} contains illegal character sequences`);
  },
};

// --- hash (property-string) formats ---------------------------------------------------------------------

interface HashFormat {
  readonly keys: PropertyStringFormat;
  /** Runs after the keys validated (pve-common `$format_validators`). */
  readonly validator?: (parsed: Readonly<Record<string, string>>) => void;
}

/** Built-in x86 CPU models (qemu-server CPUConfig.pm). STRICTER than PVE: custom models and others refused. */
const CPU_MODELS = new Set([
  "host", "max", "kvm64", "kvm32", "qemu64", "qemu32", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4",
  "Broadwell", "Broadwell-noTSX", "Cascadelake-Server", "EPYC", "EPYC-Rome", "EPYC-Milan", "EPYC-Genoa",
  "Haswell", "Haswell-noTSX", "IvyBridge", "Icelake-Server", "Nehalem", "SandyBridge", "Skylake-Client",
  "Skylake-Server", "SapphireRapids", "Westmere", "Opteron_G5",
]);
/** VM-specific CPU flags allowed for non-custom models (qemu-server CPUFlags.pm). */
const CPU_FLAG = "[+-](aes|amd-no-ssb|amd-ssbd|hv-evmcs|hv-tlbflush|ibpb|md-clear|nested-virt|pcid|pdpe1gb|spec-ctrl|ssbd|virt-ssbd)";

const HASH_FORMATS: Readonly<Record<string, HashFormat>> = {
  // qemu-server src/PVE/QemuServer/Network.pm $ipconfig_fmt
  "pve-qm-ipconfig": {
    keys: {
      ip: { type: "string", format: "pve-ipv4-config", optional: 1, default: "dhcp" },
      gw: { type: "string", format: "ipv4", optional: 1, requires: "ip" },
      ip6: { type: "string", format: "pve-ipv6-config", optional: 1, default: "dhcp" },
      gw6: { type: "string", format: "ipv6", optional: 1, requires: "ip6" },
    },
  },
  // qemu-server src/PVE/QemuServer.pm $boot_fmt
  "pve-qm-boot": {
    keys: {
      legacy: { type: "string", optional: 1, default_key: 1, pattern: "[acdn]{1,4}", default: "cdn" },
      order: { type: "string", optional: 1, format: "pve-qm-bootdev-list" },
    },
  },
  // qemu-server src/PVE/QemuServer/CPUConfig.pm $cpu_fmt + validate_vm_cpu_conf. STRICTER subset: only
  // cputype, flags and hidden; no custom models; flags limited to the VM-specific set.
  "pve-vm-cpu-conf": {
    keys: {
      cputype: { type: "string", default: "kvm64", default_key: 1, optional: 1 },
      hidden: { type: "boolean", optional: 1, default: 0 },
      flags: { type: "string", optional: 1, pattern: `${CPU_FLAG}(;${CPU_FLAG})*` },
    },
    validator: (cpu) => {
      if (!cpu["cputype"]) die("CPU is missing cputype");
      if (!CPU_MODELS.has(cpu["cputype"]!))
        die(`Built-in cputype '${cpu["cputype"]}' is not defined (missing 'custom-' prefix?)`);
    },
  },
};

export function getHashFormat(name: string): HashFormat | undefined {
  return HASH_FORMATS[name];
}

/**
 * pve-common `check_format` for a NAMED format, with the `-list` and `-opt` suffixes. Hash formats are
 * handed to `parseHashFormat` (supplied by the validator, which owns property-string parsing).
 * Throws PerlDie.
 */
export function checkNamedFormat(
  format: string,
  value: string,
  path: string,
  parseHashFormat: (keys: PropertyStringFormat, value: string, path: string) => Record<string, string>,
): void {
  const m = /^(.*?)(?:-(list|opt))?$/.exec(format)!;
  const name = m[1]!;
  const kind = m[2] ?? "none";
  const code = CODE_FORMATS[name];
  const hash = HASH_FORMATS[name];
  if (!code && !hash) die(`undefined format '${format}'`);
  if (kind !== "none" && !code) die(`'-${kind}' format must have code ref, not hash`);
  if (kind === "list") {
    for (const item of splitList(value)) code!(item);
  } else if (kind === "opt") {
    if (value !== "" && value !== "0") code!(value);
  } else if (hash) {
    const parsed = parseHashFormat(hash.keys, value, path);
    hash.validator?.(parsed);
  } else {
    code!(value);
  }
}

export function isKnownFormat(format: string): boolean {
  const name = /^(.*?)(?:-(list|opt))?$/.exec(format)![1]!;
  return name in CODE_FORMATS || name in HASH_FORMATS;
}
