/**
 * The Proxmox VE encoding quirks, in one place. Sources are in docs/proxmox-behaviour.md (§1, §8, §14);
 * section numbers below refer to it.
 */
import type { PveParams } from "./types.js";

/**
 * Parameter values as Proxmox wants them in a query string or an `application/x-www-form-urlencoded` body:
 * booleans become `1`/`0` (the form decoder rejects `true`: "type check ('boolean') failed - got 'true'",
 * pve-common JSONSchema.pm `check_type`, §1.5), numbers become decimal strings, `undefined` is dropped.
 */
export function encodeParamValue(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError(`cannot send a non-finite number (${v}) to Proxmox`);
    return String(v);
  }
  return v;
}

/**
 * Form/query encoding. URLSearchParams percent-encodes `;` (`%3B`) and `+` (`%2B`): both matter because the
 * Proxmox form decoder splits pairs on `&` *and* `;` and turns `+` into a space (pve-http-server AnyEvent.pm
 * `decode_urlencoded`, §1.3), so `tags=a;b` sent raw would arrive as `tags=a` plus a stray key `b`.
 */
export function encodeForm(params: PveParams | undefined): URLSearchParams {
  const form = new URLSearchParams();
  if (!params) return form;
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    form.append(key, encodeParamValue(value));
  }
  return form;
}

/**
 * pve-common JSONSchema.pm (l.241-250) format `urlencoded`: the value must match this regex after the form
 * layer has been decoded once. It is exactly the set `encodeURIComponent` leaves alone (A-Z a-z 0-9 - _ . ! ~ * ' ( ))
 * plus `%` for its escapes, so `encodeURIComponent`'s output always fits (checked by test/unit/pve-encode.test.ts).
 */
export const PVE_URLENCODED_FORMAT = /^[-%a-zA-Z0-9_.!~*'()]*$/;

/**
 * QEMU cloud-init `sshkeys` (§8.5): the keys joined with `\n` must be percent-encoded *inside* the value, and the
 * form layer then encodes it a second time (`ssh-rsa%2520AAAA…` on the wire). Proxmox stores the encoded string and
 * returns it encoded from GET …/config. `+` in base64 and `:` in comments must become `%2B`/`%3A`, which
 * encodeURIComponent does (unlike Python's quote_plus, proxmoxer#153). Containers take `ssh-public-keys` as plain
 * text instead: do not use this for LXC.
 */
export function encodeSshKeysForQemu(keys: readonly string[]): string {
  const joined = keys.map((k) => k.trim()).filter((k) => k.length > 0).join("\n");
  const encoded = encodeURIComponent(joined);
  if (!PVE_URLENCODED_FORMAT.test(encoded)) {
    // Cannot happen with encodeURIComponent; kept as a guard so a change here fails loudly, not on the server.
    throw new Error("sshkeys encoding produced characters outside Proxmox's urlencoded format");
  }
  return encoded;
}

/** Inverse of encodeSshKeysForQemu, for reading `sshkeys` back from GET …/config. */
export function decodeSshKeysFromQemu(value: string): string[] {
  return decodeURIComponent(value)
    .split("\n")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/** Tag syntax from pve-common JSONSchema.pm l.890-903 (case-insensitive), §1.7. */
export const PVE_TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

/** A tag list as Proxmox stores it: `;`-separated (the form layer percent-encodes the `;`). */
export function formatTags(tags: readonly string[]): string {
  const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
  for (const t of unique) {
    if (!PVE_TAG.test(t)) throw new RangeError(`"${t}" is not a valid Proxmox tag (allowed: ${PVE_TAG.source})`);
  }
  return unique.join(";");
}

/** Proxmox returns tags `;`-separated; older versions and hand edits also use `,` or spaces. */
export function parseTags(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[;, ]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export type PropertyValue = string | number | boolean | undefined;

/**
 * Proxmox "property strings" such as `net0: virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=20,firewall=1`.
 * Keys are written in the given order; `undefined` values are skipped, booleans are 1/0. A key given with
 * the value `true` in a `flags` list is not needed here: Proxmox always accepts `key=1`.
 * Values must not contain `,` or `=` (Proxmox has no escaping for most keys), so we refuse them.
 */
export function formatPropertyString(props: Readonly<Record<string, PropertyValue>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    const text = encodeParamValue(value);
    if (/[,=]/.test(key) || /[,]/.test(text)) {
      throw new RangeError(`property ${key}=${text}: keys and values may not contain "," (or "=" in keys)`);
    }
    parts.push(`${key}=${text}`);
  }
  return parts.join(",");
}

/**
 * Parses a property string. A part without `=` is the default key's value: `local-lvm:vm-100-disk-0,size=32G`
 * gives `{ [defaultKey]: "local-lvm:vm-100-disk-0", size: "32G" }` (pve-common JSONSchema.pm `parse_property_string`).
 */
export function parsePropertyString(value: string, defaultKey = "_default"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of value.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) out[defaultKey] = part;
    else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Disk sizes as Proxmox writes them (`size=32G`, `8G`, `512M`, `1.5T`): binary units, no unit = bytes
 * (pve-common JSONSchema.pm `parse_size`; the resize API takes the same `\+?\d+(\.\d+)?[KMGT]?`, §8.6).
 */
export function parseSizeToBytes(size: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$/i.exec(size);
  if (!m) throw new RangeError(`"${size}" is not a Proxmox size like 32G`);
  const factor = SIZE_UNITS[m[2]!.toUpperCase()]!;
  return Math.round(Number(m[1]) * factor);
}

/** Bytes → the largest exact Proxmox unit (`34359738368` → `32G`, `1536M` stays `1536M`). */
export function formatDiskSize(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`not a byte count: ${bytes}`);
  for (const unit of ["T", "G", "M", "K"] as const) {
    const f = SIZE_UNITS[unit]!;
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

/** Proxmox sometimes sends integers as strings (§14: nextid, vmid on PVE 7, memory on 8.1+). */
export function toInt(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}
