/**
 * Small helpers for Proxmox property strings (`virtio=BC:24:11:00:00:01,bridge=vmbr0`) and disk sizes.
 * Enough for the simulator's own bookkeeping; full schema-aware parsing is in ./schema.
 */

export interface PropString {
  /** The bare leading value (`local-lvm:vm-100-disk-0` in a disk, `virtio` in `virtio,bridge=…`), if any. */
  head?: string;
  /** key=value pairs in order. */
  pairs: [string, string][];
}

export function parseProp(value: string): PropString {
  const out: PropString = { pairs: [] };
  for (const [i, part] of value.split(",").entries()) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (i === 0) out.head = part;
      else out.pairs.push([part, "1"]);
    } else out.pairs.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

export function propGet(p: PropString, key: string): string | undefined {
  return p.pairs.find(([k]) => k === key)?.[1];
}

export function propSet(p: PropString, key: string, value: string): void {
  const hit = p.pairs.find(([k]) => k === key);
  if (hit) hit[1] = value;
  else p.pairs.push([key, value]);
}

export function propDelete(p: PropString, key: string): void {
  p.pairs = p.pairs.filter(([k]) => k !== key);
}

export function formatProp(p: PropString): string {
  return [...(p.head !== undefined ? [p.head] : []), ...p.pairs.map(([k, v]) => `${k}=${v}`)].join(",");
}

const UNIT: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `32G`, `3584M`, `8` (GiB when bare, as in disk sizes) → bytes. */
export function parseSize(size: string, bareUnit: "G" | "B" = "G"): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(size.trim());
  if (!m) return undefined;
  const unit = m[2] ? UNIT[m[2]]! : bareUnit === "G" ? UNIT.G! : 1;
  return Math.round(Number(m[1]) * unit);
}

/** Bytes → the largest unit that divides evenly, as PVE writes `size=` (3.5 GiB → `3584M`). */
export function formatSize(bytes: number): string {
  for (const u of ["T", "G", "M", "K"] as const) {
    if (bytes % UNIT[u]! === 0) return `${bytes / UNIT[u]!}${u}`;
  }
  return String(bytes);
}

/** Config keys that hold volumes. */
export const DISK_KEY = /^(?:(?:scsi|virtio|sata|ide|mp|unused)\d+|efidisk0|tpmstate0|rootfs)$/;

export function isCdrom(value: string): boolean {
  const p = parseProp(value);
  return propGet(p, "media") === "cdrom" && !(p.head ?? "").includes("cloudinit");
}
