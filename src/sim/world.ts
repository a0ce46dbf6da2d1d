/**
 * The simulated cluster's state: nodes, storages, volumes, guests, pools, HA resources. No HTTP here; the
 * handlers in ./handlers turn requests into calls on this model, and ./tasks runs the slow parts.
 */
import { createHash, randomUUID } from "node:crypto";
import { fail } from "./errors.js";
import { DISK_KEY, formatSize, isCdrom, parseProp, parseSize } from "./props.js";

export type GuestType = "qemu" | "lxc";
export type ConfigValue = string | number;
export type Config = Record<string, ConfigValue>;

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface SimNode {
  name: string;
  nodeid: number;
  /** The address /cluster/status shows (127.0.0.0/8 only: the network rule). */
  ip: string;
  online: boolean;
  cores: number;
  memTotal: number;
  /** Memory the host itself uses. */
  baseMemUsed: number;
  rootfsTotal: number;
  /** Real ms when the node "booted" (uptime counts from here, scaled). */
  bootAt: number;
}

export interface StorageDef {
  id: string;
  type: "dir" | "lvmthin" | "rbd";
  content: readonly string[];
  shared: boolean;
  /** Bytes per node for local storage, in total for shared storage. */
  total: number;
  /** Bytes used by things the simulator does not model (OS, other data). */
  baseUsed: number;
  /** Supports linked clones (`clone` feature): lvmthin, rbd, qcow2 on dir. */
  canClone: boolean;
}

export interface Volume {
  volid: string;
  storage: string;
  /** Node for local storage; undefined on shared storage. */
  node: string | undefined;
  /** Owner VMID; 0 for ISO images and container templates. */
  vmid: number;
  size: number;
  content: "images" | "rootdir" | "iso" | "vztmpl";
  format: string;
  /** The base volume a linked clone was made from. */
  parent?: string;
  ctime: number;
}

export interface Snapshot {
  name: string;
  description: string;
  snaptime: number;
  parent?: string;
  vmstate?: number;
  config: Config;
}

export interface Guest {
  vmid: number;
  type: GuestType;
  node: string;
  config: Config;
  lock?: string;
  running: boolean;
  /** Real ms of the last start. */
  startedAt?: number;
  /** Real ms after which the guest agent answers and the network is up. */
  netUpAt?: number;
  /** Real ms of creation; /cluster/resources shows `status: unknown` for a while after it. */
  createdAt: number;
  snapshots: Snapshot[];
  /** The snapshot the current state descends from. */
  parentSnapshot?: string;
  pool?: string;
  /** Counters that grow while the guest runs. */
  counters: { netin: number; netout: number; diskread: number; diskwrite: number };
}

export interface HaResource {
  sid: string;
  state: string;
  group?: string;
  comment?: string;
  max_restart: number;
  max_relocate: number;
}

export const isTemplate = (g: Guest): boolean => Number(g.config.template ?? 0) === 1;
export const guestName = (g: Guest): string =>
  String(g.type === "qemu" ? (g.config.name ?? `VM ${g.vmid}`) : (g.config.hostname ?? `CT${g.vmid}`));
export const kindWord = (t: GuestType): "VM" | "CT" => (t === "qemu" ? "VM" : "CT");

/** `nodes/<node>/qemu-server/<id>.conf` or `nodes/<node>/lxc/<id>.conf`, as pmxcfs names them. */
export const configFile = (type: GuestType, node: string, vmid: number): string =>
  `nodes/${node}/${type === "qemu" ? "qemu-server" : "lxc"}/${vmid}.conf`;

export interface WorldOptions {
  nodes: number;
  random: () => number;
}

export class World {
  readonly nodes = new Map<string, SimNode>();
  readonly storages = new Map<string, StorageDef>();
  readonly volumes = new Map<string, Volume>();
  readonly guests = new Map<number, Guest>();
  readonly pools = new Map<string, { comment?: string }>();
  readonly ha = new Map<string, HaResource>();
  readonly clusterName = "simcluster";
  readonly random: () => number;
  private readonly usedMacs = new Set<string>();

  constructor(opts: WorldOptions) {
    this.random = opts.random;
    const now = Date.now();
    for (let i = 1; i <= opts.nodes; i++) {
      const name = `pve${i}`;
      this.nodes.set(name, {
        name,
        nodeid: i,
        ip: `127.10.0.${i}`,
        online: true,
        cores: 16,
        memTotal: 64 * GiB,
        baseMemUsed: Math.round((2.1 + 0.3 * i) * GiB),
        rootfsTotal: 94 * GiB,
        bootAt: now - (8 * 86_400 + 3_600 * i) * 1000,
      });
    }
  }

  // ------------------------------------------------------------------------------------------- lookups

  node(name: string): SimNode | undefined {
    return this.nodes.get(name);
  }

  storagesOn(node: string): StorageDef[] {
    return this.nodes.has(node) ? [...this.storages.values()] : [];
  }

  /** `local-lvm` on `pve1`: undefined when that storage is not on the node. */
  storageOn(node: string, id: string): StorageDef | undefined {
    return this.nodes.has(node) ? this.storages.get(id) : undefined;
  }

  volumeKey(storage: StorageDef, node: string | undefined, volid: string): string {
    return storage.shared ? `*|${volid}` : `${node}|${volid}`;
  }

  findVolume(node: string, volid: string): Volume | undefined {
    const storage = this.storages.get(volid.split(":")[0] ?? "");
    if (!storage) return undefined;
    return this.volumes.get(this.volumeKey(storage, node, volid));
  }

  volumesOn(storage: StorageDef, node: string): Volume[] {
    return [...this.volumes.values()].filter((v) => v.storage === storage.id && (storage.shared || v.node === node));
  }

  storageUsed(storage: StorageDef, node: string): number {
    return storage.baseUsed + this.volumesOn(storage, node).reduce((s, v) => s + (v.parent ? Math.round(v.size * 0.02) : v.size), 0);
  }

  /** The guest on that node, or the error Proxmox gives when its config file is not there. */
  guestOn(node: string, vmid: number, type: GuestType): Guest {
    const g = this.guests.get(vmid);
    if (!g || g.node !== node || g.type !== type) throw fail(`Configuration file '${configFile(type, node, vmid)}' does not exist`);
    return g;
  }

  /** Lowest free VMID ≥ 100 (what /cluster/nextid answers; it reserves nothing). */
  nextFreeVmid(): number {
    let id = 100;
    while (this.guests.has(id)) id++;
    return id;
  }

  // ------------------------------------------------------------------------------------------- identity

  newMac(): string {
    for (;;) {
      const bytes = [0, 0, 0].map(() => Math.floor(this.random() * 256));
      // Proxmox's default OUI since 8.1: BC:24:11 (datacenter.cfg `mac_prefix`).
      const mac = ["BC", "24", "11", ...bytes.map((b) => b.toString(16).toUpperCase().padStart(2, "0"))].join(":");
      if (!this.usedMacs.has(mac)) {
        this.usedMacs.add(mac);
        return mac;
      }
    }
  }

  newUuid(): string {
    if (this.random === Math.random) return randomUUID();
    const h = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16)).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /**
   * The address a guest reports: 127.20.<vmid>>>8>.<vmid&255> (127.0.0.0/8 only, by the network rule). A last
   * octet of 0 or 255 moves to 127.21.x.{1,254} so the address is never a network or broadcast address.
   */
  guestIp(vmid: number): string {
    const high = Math.floor(vmid / 65536) % 100;
    const third = (vmid >> 8) & 255;
    const fourth = vmid & 255;
    if (fourth === 0 || fourth === 255) return `127.${21 + 2 * high}.${third}.${fourth === 0 ? 1 : 254}`;
    return `127.${20 + 2 * high}.${third}.${fourth}`;
  }

  /** The static IPv4 configured on a guest (`ipconfig0: ip=…` or CT `net0: …,ip=…`), if any. */
  staticIp(g: Guest): { ip: string; prefix: number } | undefined {
    const v = g.type === "qemu" ? g.config.ipconfig0 : g.config.net0;
    if (typeof v !== "string") return undefined;
    const ip = parseProp(v).pairs.find(([k]) => k === "ip")?.[1];
    const m = ip ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(ip) : null;
    return m ? { ip: m[1]!, prefix: Number(m[2]) } : undefined;
  }

  /** The guest's primary address and prefix as the agent or `ip a` would show it. */
  guestAddress(g: Guest): { ip: string; prefix: number } {
    return this.staticIp(g) ?? { ip: this.guestIp(g.vmid), prefix: 8 };
  }

  // ------------------------------------------------------------------------------------------- config

  digest(g: Guest): string {
    const lines = Object.keys(g.config)
      .sort()
      .map((k) => `${k}: ${g.config[k]}`);
    if (g.lock) lines.push(`lock: ${g.lock}`);
    return createHash("sha1").update(lines.join("\n")).digest("hex");
  }

  /** Memory in MiB from the config (qemu `memory` is a property string since 8.1: `2048` or `current=2048`). */
  memoryMb(g: Guest): number {
    const raw = String(g.config.memory ?? (g.type === "qemu" ? 2048 : 512));
    const p = parseProp(raw);
    return Number(p.head ?? p.pairs.find(([k]) => k === "current")?.[1] ?? 512);
  }

  cores(g: Guest): number {
    const cores = Number(g.config.cores ?? 1);
    return g.type === "qemu" ? cores * Number(g.config.sockets ?? 1) : cores;
  }

  /** Disk entries of a guest config that hold a real volume (not CD-ROMs or `none`). */
  diskEntries(config: Config): { key: string; volid: string; size: number }[] {
    const out: { key: string; volid: string; size: number }[] = [];
    for (const [key, value] of Object.entries(config)) {
      if (!DISK_KEY.test(key) || typeof value !== "string") continue;
      const p = parseProp(value);
      const volid = key.startsWith("unused") ? value : p.head;
      if (!volid || volid === "none" || !volid.includes(":") || isCdrom(value)) continue;
      const size = parseSize(p.pairs.find(([k]) => k === "size")?.[1] ?? "0") ?? 0;
      out.push({ key, volid, size });
    }
    return out;
  }

  /** The boot disk's size: qemu `maxdisk` is the boot disk only (QemuServer.pm `vmstatus`). */
  bootDiskSize(g: Guest): number {
    const disks = this.diskEntries(g.config).filter((d) => !d.key.startsWith("unused") && !d.volid.includes("cloudinit"));
    if (g.type === "lxc") return disks.find((d) => d.key === "rootfs")?.size ?? 0;
    const order = /order=([^,]+)/.exec(String(g.config.boot ?? ""))?.[1]?.split(";") ?? [];
    for (const k of order) {
      const d = disks.find((x) => x.key === k);
      if (d) return d.size;
    }
    return disks[0]?.size ?? 0;
  }

  memUsedOn(node: string): number {
    const n = this.nodes.get(node)!;
    let used = n.baseMemUsed;
    for (const g of this.guests.values()) if (g.node === node && g.running) used += this.memoryMb(g) * MiB;
    return Math.min(used, n.memTotal);
  }

  // ------------------------------------------------------------------------------------------- volumes

  addVolume(v: Omit<Volume, "ctime"> & { ctime?: number }): Volume {
    const storage = this.storages.get(v.storage)!;
    const vol: Volume = { ctime: Math.floor(Date.now() / 1000), ...v, node: storage.shared ? undefined : v.node };
    this.volumes.set(this.volumeKey(storage, v.node, v.volid), vol);
    return vol;
  }

  removeVolume(node: string, volid: string): void {
    const storage = this.storages.get(volid.split(":")[0] ?? "");
    if (storage) this.volumes.delete(this.volumeKey(storage, node, volid));
  }

  /** The next free `vm-<id>-disk-N` name on a storage. */
  nextDiskName(storage: StorageDef, node: string, vmid: number): string {
    const taken = new Set(this.volumesOn(storage, node).map((v) => v.volid));
    for (let n = 0; ; n++) {
      const base = `${storage.id}:base-${vmid}-disk-${n}`;
      const vm = `${storage.id}:vm-${vmid}-disk-${n}`;
      const suffix = storage.type === "dir" ? ".qcow2" : "";
      if (!taken.has(vm + suffix) && !taken.has(base + suffix) && ![...taken].some((t) => t.endsWith(`/vm-${vmid}-disk-${n}${suffix}`)))
        return storage.type === "dir" ? `${storage.id}:${vmid}/vm-${vmid}-disk-${n}.qcow2` : vm;
    }
  }

  /** Volumes whose parent is one of the given base volumes (linked clones that still use a template). */
  linkedChildren(baseVolids: readonly string[]): Volume[] {
    const set = new Set(baseVolids);
    return [...this.volumes.values()].filter((v) => v.parent !== undefined && set.has(v.parent));
  }

  formatDiskValue(volid: string, size: number, rest: [string, string][] = []): string {
    return [volid, ...rest.filter(([k]) => k !== "size").map(([k, v]) => `${k}=${v}`), `size=${formatSize(size)}`].join(",");
  }
}
