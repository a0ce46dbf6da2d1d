/**
 * Typed reads of cluster state through the PveClient. Proxmox serves some numbers as strings (nextid, vmid on
 * PVE 7 lists, memory in 8.1+ configs; see test/fixtures/pve-api/SOURCE.md and BEHAVIOUR §14), so numeric
 * fields are coerced, and optional fields are simply absent.
 */
import { z } from "zod";
import type { PveClient } from "../adapters/pve/types.js";
import { parseTags } from "../adapters/pve/encode.js";
import type { GuestRef, GuestType } from "./types.js";

const optNum = z.coerce.number().optional();
const bool01 = z.union([z.number(), z.string(), z.boolean()]).transform((v) => v === true || v === 1 || v === "1");

export const resourceSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  node: z.string().optional(),
  status: z.string().optional(),
  vmid: optNum,
  name: z.string().optional(),
  template: bool01.optional(),
  pool: z.string().optional(),
  tags: z.string().optional(),
  lock: z.string().optional(),
  hastate: z.string().optional(),
  maxcpu: optNum,
  cpu: optNum,
  maxmem: optNum,
  mem: optNum,
  maxdisk: optNum,
  disk: optNum,
  storage: z.string().optional(),
  shared: bool01.optional(),
  content: z.string().optional(),
  plugintype: z.string().optional(),
});
export type Resource = z.infer<typeof resourceSchema>;

export interface NodeInfo {
  name: string;
  online: boolean;
  maxmem: number;
  mem: number;
  maxcpu: number;
}

export interface StorageInfo {
  storage: string;
  node: string;
  shared: boolean;
  content: string[];
  plugintype: string;
  total: number;
  used: number;
  active: boolean;
}

export interface GuestInfo extends GuestRef {
  maxcpu: number;
  maxmem: number;
  maxdisk: number;
  lock?: string;
}

/** One consistent snapshot of `/cluster/resources`. */
export interface ClusterView {
  nodes: NodeInfo[];
  storages: StorageInfo[];
  guests: GuestInfo[];
}


export async function readClusterView(client: PveClient, signal?: AbortSignal): Promise<ClusterView> {
  const rows = await client.get("/cluster/resources", {}, { schema: z.array(resourceSchema), ...(signal ? { signal } : {}) });
  const nodes: NodeInfo[] = [];
  const storages: StorageInfo[] = [];
  const guests: GuestInfo[] = [];
  for (const r of rows) {
    if (r.type === "node" && r.node) {
      nodes.push({
        name: r.node,
        online: r.status === "online",
        maxmem: r.maxmem ?? 0,
        mem: r.mem ?? 0,
        maxcpu: r.maxcpu ?? 0,
      });
    } else if (r.type === "storage" && r.storage && r.node) {
      storages.push({
        storage: r.storage,
        node: r.node,
        shared: r.shared ?? false,
        content: (r.content ?? "").split(",").filter(Boolean),
        plugintype: r.plugintype ?? "",
        total: r.maxdisk ?? 0,
        used: r.disk ?? 0,
        active: r.status === "available",
      });
    } else if ((r.type === "qemu" || r.type === "lxc") && r.vmid !== undefined && r.node) {
      guests.push({
        vmid: r.vmid,
        name: r.name ?? `${r.type === "qemu" ? "VM" : "CT"} ${r.vmid}`,
        node: r.node,
        type: r.type as GuestType,
        status: r.status ?? "unknown",
        template: r.template ?? false,
        tags: parseTags(r.tags),
        ...(r.pool ? { pool: r.pool } : {}),
        ...(r.hastate ? { hastate: r.hastate } : {}),
        ...(r.lock ? { lock: r.lock } : {}),
        maxcpu: r.maxcpu ?? 0,
        maxmem: r.maxmem ?? 0,
        maxdisk: r.maxdisk ?? 0,
      });
    }
  }
  nodes.sort((a, b) => a.name.localeCompare(b.name));
  guests.sort((a, b) => a.vmid - b.vmid);
  return { nodes, storages, guests };
}

export const guestConfigSchema = z.looseObject({
  name: z.string().optional(),
  hostname: z.string().optional(),
  description: z.string().optional(),
  cores: optNum,
  memory: optNum,
  template: bool01.optional(),
  lock: z.string().optional(),
  digest: z.string().optional(),
  tags: z.string().optional(),
  net0: z.string().optional(),
});
export type GuestConfig = z.infer<typeof guestConfigSchema> & Record<string, unknown>;

export function guestPath(g: { node: string; type: GuestType; vmid: number }): string {
  return `/nodes/${encodeURIComponent(g.node)}/${g.type}/${g.vmid}`;
}

export async function readGuestConfig(
  client: PveClient,
  g: { node: string; type: GuestType; vmid: number },
  signal?: AbortSignal,
): Promise<GuestConfig> {
  return (await client.get(`${guestPath(g)}/config`, {}, { schema: guestConfigSchema, ...(signal ? { signal } : {}) })) as GuestConfig;
}

export const statusCurrentSchema = z.looseObject({
  status: z.string(),
  lock: z.string().optional(),
  qmpstatus: z.string().optional(),
  agent: optNum,
  /** HA state of this guest; readable with VM.Audit (the HA resource list needs Sys.Audit on /). */
  ha: z.looseObject({ managed: optNum }).optional(),
});

export async function readGuestStatus(client: PveClient, g: { node: string; type: GuestType; vmid: number }, signal?: AbortSignal) {
  return client.get(`${guestPath(g)}/status/current`, {}, { schema: statusCurrentSchema, ...(signal ? { signal } : {}) });
}

const SIZE_UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `size=32G` inside a disk property string → bytes. Proxmox sizes without unit are bytes. */
export function diskSizeBytes(diskValue: string): number | undefined {
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(diskValue);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? SIZE_UNITS[m[2]]! : 1));
}

const DISK_KEY = /^(scsi|virtio|sata|ide|rootfs|mp)\d*$/;

/** Sum of the guest's disk sizes from its config (cdroms and cloud-init drives excluded). */
export function configDiskBytes(config: Record<string, unknown>): number {
  let total = 0;
  for (const [key, value] of Object.entries(config)) {
    if (!DISK_KEY.test(key) || typeof value !== "string") continue;
    if (/media=cdrom/.test(value) || /:cloudinit/.test(value) || value === "none") continue;
    total += diskSizeBytes(value) ?? 0;
  }
  return total;
}

/** The boot disk of a VM config: the first of scsi0, virtio0, sata0, ide0 that is a real disk. */
export function bootDisk(config: Record<string, unknown>): { key: string; storage: string; sizeBytes: number } | undefined {
  for (const key of ["scsi0", "virtio0", "sata0", "ide0"]) {
    const v = config[key];
    if (typeof v !== "string" || /media=cdrom/.test(v) || /:cloudinit/.test(v)) continue;
    const storage = v.split(":")[0] ?? "";
    return { key, storage, sizeBytes: diskSizeBytes(v) ?? 0 };
  }
  return undefined;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;
