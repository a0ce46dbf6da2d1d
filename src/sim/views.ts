/**
 * How the state looks on the wire: the stats objects of /cluster/resources, pool members, guest lists and
 * status/current (pve-manager API2Tools.pm `extract_vm_stats`, qemu-server `vmstatus`, pve-container `vmstatus`).
 */
import type { SimCore } from "./core.js";
import { guestName, isTemplate, MiB, type Guest, type SimNode, type StorageDef } from "./world.js";

type Row = Record<string, unknown>;

/** A stable pseudo-random fraction per guest (so the numbers look alive but tests are reproducible). */
const wobble = (vmid: number, salt: number) => ((vmid * 2654435761 + salt * 40503) % 1000) / 1000;

export function uptimeSec(g: Guest): number {
  return g.running && g.startedAt !== undefined ? Math.max(0, Math.floor((Date.now() - g.startedAt) / 1000)) : 0;
}

/** Common numbers for lists, status and /cluster/resources. */
export function guestNumbers(core: SimCore, g: Guest): Row {
  const maxmem = core.world.memoryMb(g) * MiB;
  const node = core.world.node(g.node)!;
  const up = uptimeSec(g);
  const running = g.running;
  const maxdisk = core.world.bootDiskSize(g);
  return {
    maxcpu: Math.min(core.world.cores(g), node.cores),
    cpu: running ? 0.002 + 0.04 * wobble(g.vmid, 1) : 0,
    maxmem,
    mem: running ? Math.round(maxmem * (0.25 + 0.4 * wobble(g.vmid, 2))) : 0,
    maxdisk,
    // QEMU cannot see inside its disks: `disk` is 0 for VMs; containers report the used space.
    disk: running && g.type === "lxc" ? Math.round(maxdisk * (0.1 + 0.3 * wobble(g.vmid, 3))) : 0,
    netin: running ? g.counters.netin + up * 1377 : 0,
    netout: running ? g.counters.netout + up * 611 : 0,
    diskread: running ? g.counters.diskread + 180_000_000 + up * 4096 : 0,
    diskwrite: running ? g.counters.diskwrite + 20_000_000 + up * 8192 : 0,
    uptime: up,
  };
}

function statsFresh(core: SimCore, g: Guest): boolean {
  return Date.now() - g.createdAt >= core.sched.scale(core.durations.statsLag) && core.world.node(g.node)?.online === true;
}

/** One guest row of /cluster/resources and of pool members. */
export function resourceRow(core: SimCore, g: Guest): Row {
  const row: Row = { id: `${g.type}/${g.vmid}`, vmid: g.vmid, node: g.node, type: g.type, status: "unknown" };
  if (statsFresh(core, g)) {
    Object.assign(row, {
      name: guestName(g),
      status: g.running ? "running" : "stopped",
      template: isTemplate(g) ? 1 : 0,
      ...guestNumbers(core, g),
    });
  }
  if (g.pool) row.pool = g.pool;
  if (g.lock) row.lock = g.lock;
  if (g.config.tags !== undefined) row.tags = String(g.config.tags);
  const ha = core.world.ha.get(`${g.type === "qemu" ? "vm" : "ct"}:${g.vmid}`);
  if (ha) row.hastate = ha.state;
  return row;
}

export function nodeRow(core: SimCore, n: SimNode, withFingerprint: string | undefined): Row {
  const base: Row = { id: `node/${n.name}`, node: n.name, type: "node", status: n.online ? "online" : "offline" };
  if (!n.online) return withFingerprint ? { ...base, ssl_fingerprint: withFingerprint } : base;
  const row: Row = {
    ...base,
    level: "",
    maxcpu: n.cores,
    cpu: 0.004 + 0.002 * n.nodeid,
    maxmem: n.memTotal,
    mem: core.world.memUsedOn(n.name),
    maxdisk: n.rootfsTotal,
    disk: 9 * 1024 ** 3 + n.nodeid * 123_456_789,
    uptime: Math.floor((Date.now() - n.bootAt) / 1000),
  };
  if (withFingerprint) row.ssl_fingerprint = withFingerprint;
  else row["cgroup-mode"] = 2;
  return row;
}

export function storageRow(core: SimCore, s: StorageDef, n: SimNode): Row {
  const row: Row = {
    id: `storage/${n.name}/${s.id}`,
    storage: s.id,
    node: n.name,
    type: "storage",
    status: n.online ? "available" : "unknown",
    plugintype: s.type,
    content: [...s.content].sort().join(","),
    shared: s.shared ? 1 : 0,
  };
  if (n.online) Object.assign(row, { disk: core.world.storageUsed(s, n.name), maxdisk: s.total });
  return row;
}

/** `GET /nodes/{node}/qemu` and `/lxc` entries. */
export function listRow(core: SimCore, g: Guest): Row {
  const nums = guestNumbers(core, g);
  const row: Row = {
    vmid: g.vmid,
    name: guestName(g),
    status: g.running ? "running" : "stopped",
    cpus: nums.maxcpu,
    ...nums,
  };
  delete row.maxcpu;
  if (g.type === "lxc") Object.assign(row, { type: "lxc", maxswap: Number(g.config.swap ?? 512) * MiB, swap: 0 });
  if (g.running) row.pid = 100_000 + g.vmid;
  if (isTemplate(g)) row.template = 1;
  if (g.lock) row.lock = g.lock;
  if (g.config.tags !== undefined) row.tags = String(g.config.tags);
  return row;
}

function haInfo(core: SimCore, g: Guest): Row {
  const ha = core.world.ha.get(`${g.type === "qemu" ? "vm" : "ct"}:${g.vmid}`);
  if (!ha) return { managed: 0 };
  return { managed: 1, state: ha.state, group: ha.group ?? "null" };
}

/** `GET …/status/current`. */
export function statusCurrent(core: SimCore, g: Guest): Row {
  const nums = guestNumbers(core, g);
  const row: Row = {
    vmid: g.vmid,
    name: guestName(g),
    status: g.running ? "running" : "stopped",
    cpus: nums.maxcpu,
    ha: haInfo(core, g),
    ...nums,
  };
  delete row.maxcpu;
  if (g.lock) row.lock = g.lock;
  if (isTemplate(g)) row.template = 1;
  if (g.config.tags !== undefined) row.tags = String(g.config.tags);
  if (g.type === "lxc") {
    Object.assign(row, { type: "lxc", maxswap: Number(g.config.swap ?? 512) * MiB, swap: 0 });
    if (g.running) row.pid = 100_000 + g.vmid;
    return row;
  }
  row.qmpstatus = g.running ? "running" : "stopped";
  if (/^1|enabled=1/.test(String(g.config.agent ?? "0"))) row.agent = 1;
  if (!g.running) return row;
  const maxmem = nums.maxmem as number;
  const mem = nums.mem as number;
  Object.assign(row, {
    pid: 100_000 + g.vmid,
    shares: 1000,
    spice: 0,
    "running-machine": "pc-i440fx-9.2+pve0",
    "running-qemu": "9.2.0",
    balloon: maxmem,
    balloon_min: maxmem,
    freemem: maxmem - mem,
    ballooninfo: {
      actual: maxmem,
      max_mem: maxmem,
      free_mem: maxmem - mem,
      total_mem: maxmem - 82_137_088,
      major_page_faults: 1200 + g.vmid,
      minor_page_faults: 3_000_000 + g.vmid,
      mem_swapped_in: 0,
      mem_swapped_out: 0,
      last_update: Math.floor(Date.now() / 1000),
    },
    blockstat: Object.fromEntries(
      core.world
        .diskEntries(g.config)
        .filter((d) => !d.key.startsWith("unused"))
        .map((d) => [d.key, blockstat(nums.diskread as number, nums.diskwrite as number)]),
    ),
    nics: Object.fromEntries(
      Object.keys(g.config)
        .filter((k) => /^net\d+$/.test(k))
        .map((k) => [`tap${g.vmid}i${k.slice(3)}`, { netin: nums.netin, netout: nums.netout }]),
    ),
    "proxmox-support": {
      "pbs-dirty-bitmap": true,
      "pbs-dirty-bitmap-migration": true,
      "pbs-dirty-bitmap-savevm": true,
      "pbs-library-version": "1.5.1 (UNKNOWN)",
      "pbs-masterkey": true,
      "query-bitmap-info": true,
      "backup-max-workers": true,
    },
  });
  return row;
}

function blockstat(rd: number, wr: number): Row {
  return {
    rd_bytes: rd,
    wr_bytes: wr,
    rd_operations: Math.floor(rd / 40960),
    wr_operations: Math.floor(wr / 8192),
    flush_operations: Math.floor(wr / 100_000),
    unmap_operations: 0,
    rd_total_time_ns: rd * 11,
    wr_total_time_ns: wr * 43,
    flush_total_time_ns: wr * 5,
    unmap_total_time_ns: 0,
    rd_merged: 0,
    wr_merged: 0,
    unmap_merged: 0,
    unmap_bytes: 0,
    wr_highest_offset: wr,
    idle_time_ns: 1_000_000_000,
    failed_rd_operations: 0,
    failed_wr_operations: 0,
    failed_flush_operations: 0,
    failed_unmap_operations: 0,
    invalid_rd_operations: 0,
    invalid_wr_operations: 0,
    invalid_flush_operations: 0,
    invalid_unmap_operations: 0,
    account_failed: true,
    account_invalid: true,
    timed_stats: [],
  };
}
