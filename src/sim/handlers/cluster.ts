/**
 * Cluster-, node-, storage-, pool-, task- and access-level endpoints.
 */
import { parseUpid } from "../../adapters/pve/upid.js";
import { fail, paramError } from "../errors.js";
import type { SimTask } from "../tasks.js";
import { nodeRow, resourceRow, storageRow } from "../views.js";
import { MiB, type Guest } from "../world.js";
import { bool, int, nodeOf, reqStr, str, WithTotal, type Handler, type RequestContext } from "./common.js";

/** What `pveversion` would print; the simulator plays a PVE 9.1 cluster (the schema is 9.1's). */
export const PVE_VERSION = { version: "9.1.1", release: "9.1", repoid: "42db4a6cf33dac83" };
const KERNEL = { release: "6.17.2-1-pve", version: "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-10-21T11:55Z)" };

export const getVersion: Handler = () => ({ ...PVE_VERSION });

// ------------------------------------------------------------------------------------------------ cluster

export const getClusterResources: Handler = (rc) => {
  const type = str(rc.params, "type");
  const { world } = rc.core;
  const rows: Record<string, unknown>[] = [];
  if (!type || type === "vm") {
    for (const g of [...world.guests.values()].sort((a, b) => a.vmid - b.vmid)) {
      if (rc.token.has(`/vms/${g.vmid}`, "VM.Audit")) rows.push(resourceRow(rc.core, g));
    }
  }
  if (!type || type === "node") {
    for (const n of world.nodes.values()) rows.push(nodeRow(rc.core, n, undefined));
  }
  if (!type || type === "storage") {
    for (const n of world.nodes.values())
      for (const s of world.storagesOn(n.name))
        if (rc.token.has(`/storage/${s.id}`, "Datastore.Audit") || rc.token.has(`/storage/${s.id}`, "Datastore.AllocateSpace"))
          rows.push(storageRow(rc.core, s, n));
  }
  if (!type || type === "pool") {
    for (const [poolid] of world.pools) {
      if (!rc.token.has(`/pool/${poolid}`, "Pool.Audit")) continue;
      // Pool rows add up the running members only (pve-manager API2/Cluster.pm resources).
      const running = [...world.guests.values()].filter((g) => g.pool === poolid && g.running);
      rows.push({
        id: `/pool/${poolid}`,
        pool: poolid,
        type: "pool",
        cpu: running.length * 0.01,
        maxcpu: running.reduce((s, g) => s + world.cores(g), 0),
        mem: running.reduce((s, g) => s + Math.round(world.memoryMb(g) * MiB * 0.4), 0),
        maxmem: running.reduce((s, g) => s + world.memoryMb(g) * MiB, 0),
      });
    }
  }
  return rows;
};

export const getNextId: Handler = (rc) => {
  const wanted = str(rc.params, "vmid");
  const { world } = rc.core;
  if (wanted !== undefined) {
    if (world.guests.has(Number(wanted))) throw paramError({ vmid: `VM ${wanted} already exists` });
    return wanted;
  }
  const id = world.nextFreeVmid();
  if (id >= 1_000_000) throw fail("unable to get any free VMID in range [100, 1000000]");
  // A string: the id was a Perl hash key before it was encoded (see BEHAVIOUR.md §5.4).
  return String(id);
};

export const getClusterStatus: Handler = (rc) => {
  const nodes = [...rc.core.world.nodes.values()];
  const online = nodes.filter((n) => n.online).length;
  return [
    { type: "cluster", id: "cluster", name: rc.core.world.clusterName, nodes: nodes.length, quorate: online * 2 > nodes.length ? 1 : 0, version: nodes.length + 2 },
    ...nodes.map((n) => ({
      type: "node",
      id: `node/${n.name}`,
      name: n.name,
      nodeid: n.nodeid,
      ip: n.ip,
      local: n.nodeid === 1 ? 1 : 0,
      online: n.online ? 1 : 0,
      level: "",
    })),
  ];
};

const haSid = (sid: string): string => (/^\d+$/.test(sid) ? `vm:${sid}` : sid);
const haGuest = (rc: RequestContext, sid: string): Guest | undefined => {
  const m = /^(vm|ct):(\d+)$/.exec(sid);
  const g = m ? rc.core.world.guests.get(Number(m[2])) : undefined;
  return g && (m![1] === "vm") === (g.type === "qemu") ? g : undefined;
};

export const getHaResources: Handler = (rc) =>
  [...rc.core.world.ha.values()].map((r) => ({
    sid: r.sid,
    type: r.sid.split(":")[0],
    state: r.state,
    max_restart: r.max_restart,
    max_relocate: r.max_relocate,
    failback: 1,
    digest: "5d3c1f2e9a6b7c8d0e1f2a3b4c5d6e7f8a9b0c1d",
    ...(r.group ? { group: r.group } : {}),
    ...(r.comment ? { comment: r.comment } : {}),
  }));

export const postHaResource: Handler = (rc) => {
  const sid = haSid(reqStr(rc.params, "sid"));
  const { ha } = rc.core.world;
  if (ha.has(sid)) throw fail(`resource ID '${sid}' already defined`);
  if (!haGuest(rc, sid)) throw fail(`unable to find ${sid.startsWith("ct:") ? "CT" : "VM"} ID ${sid.split(":")[1]}`);
  ha.set(sid, {
    sid,
    state: str(rc.params, "state") ?? "started",
    max_restart: int(rc.params, "max_restart") ?? 1,
    max_relocate: int(rc.params, "max_relocate") ?? 1,
    ...(str(rc.params, "group") ? { group: str(rc.params, "group")! } : {}),
    ...(str(rc.params, "comment") ? { comment: str(rc.params, "comment")! } : {}),
  });
  return null;
};

export const deleteHaResource: Handler = (rc) => {
  const sid = haSid(reqStr(rc.params, "sid"));
  if (!rc.core.world.ha.delete(sid)) throw fail(`no such resource '${sid}'`);
  return null;
};

// ------------------------------------------------------------------------------------------------ nodes

export const getNodes: Handler = (rc) => {
  const fp = rc.core.fingerprint;
  return [...rc.core.world.nodes.values()].map((n) => nodeRow(rc.core, n, fp));
};

export const getNodeStatus: Handler = (rc) => {
  const n = nodeOf(rc);
  const used = rc.core.world.memUsedOn(n.name);
  const load = (x: number) => (0.1 * n.nodeid + x).toFixed(2);
  return {
    uptime: Math.floor((Date.now() - n.bootAt) / 1000),
    idle: 0,
    wait: 0.0008,
    cpu: 0.004 + 0.002 * n.nodeid,
    // loadavg entries and cpuinfo.mhz are strings on real servers (fixtures/gp-pve7-node-status.json).
    loadavg: [load(0.12), load(0.18), load(0.21)],
    kversion: `Linux ${KERNEL.release} ${KERNEL.version}`,
    pveversion: `pve-manager/${PVE_VERSION.version}/${PVE_VERSION.repoid}`,
    "current-kernel": { sysname: "Linux", release: KERNEL.release, version: KERNEL.version, machine: "x86_64" },
    "boot-info": { mode: "efi", secureboot: 0 },
    cpuinfo: {
      model: "AMD EPYC 7313P 16-Core Processor",
      mhz: "3000.000",
      sockets: 1,
      cores: n.cores,
      cpus: n.cores,
      hvm: "1",
      user_hz: 100,
      flags: "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca",
    },
    memory: { total: n.memTotal, used, free: n.memTotal - used },
    swap: { total: 8 * 1024 ** 3, used: 0, free: 8 * 1024 ** 3 },
    ksm: { shared: 0 },
    rootfs: { total: n.rootfsTotal, used: 9 * 1024 ** 3, free: n.rootfsTotal - 9 * 1024 ** 3, avail: n.rootfsTotal - 9 * 1024 ** 3 },
  };
};

// ------------------------------------------------------------------------------------------------ storage

export const getNodeStorage: Handler = (rc) => {
  const n = nodeOf(rc);
  const content = str(rc.params, "content");
  const only = str(rc.params, "storage");
  return rc.core.world
    .storagesOn(n.name)
    .filter((s) => !only || s.id === only)
    .filter((s) => !content || content.split(",").every((c) => s.content.includes(c)))
    .map((s) => {
      const used = rc.core.world.storageUsed(s, n.name);
      return {
        storage: s.id,
        type: s.type,
        content: [...s.content].sort().join(","),
        active: 1,
        enabled: 1,
        shared: s.shared ? 1 : 0,
        total: s.total,
        used,
        avail: s.total - used,
        used_fraction: used / s.total,
      };
    });
};

export const getStorageContent: Handler = (rc) => {
  const n = nodeOf(rc);
  const id = reqStr(rc.params, "storage");
  const s = rc.core.world.storageOn(n.name, id);
  if (!s) throw fail(`storage '${id}' does not exist`);
  const content = str(rc.params, "content");
  const vmid = int(rc.params, "vmid");
  return rc.core.world
    .volumesOn(s, n.name)
    .filter((v) => !content || v.content === content)
    .filter((v) => vmid === undefined || v.vmid === vmid)
    .sort((a, b) => a.volid.localeCompare(b.volid))
    .map((v) => ({
      volid: v.volid,
      format: v.format,
      size: v.size,
      content: v.content,
      ctime: v.ctime,
      ...(v.vmid ? { vmid: v.vmid } : {}),
      ...(v.parent ? { parent: v.parent.split(":")[1] } : {}),
    }));
};

// ------------------------------------------------------------------------------------------------ tasks

function taskRow(t: SimTask, forList: boolean): Record<string, unknown> {
  // Token tasks: `user` is split into user and tokenid (pve-manager API2/Tasks.pm).
  const bang = t.user.indexOf("!");
  const row: Record<string, unknown> = {
    upid: t.upid,
    node: t.node,
    pid: t.pid,
    pstart: t.pstart,
    starttime: t.starttime,
    type: t.type,
    id: t.id,
    user: bang >= 0 ? t.user.slice(0, bang) : t.user,
    ...(bang >= 0 ? { tokenid: t.user.slice(bang + 1) } : {}),
  };
  if (forList) {
    if (t.status === "stopped") Object.assign(row, { status: t.exitstatus, endtime: t.endtime });
  } else {
    row.status = t.status;
    if (t.status === "stopped") row.exitstatus = t.exitstatus;
  }
  return row;
}

function visible(rc: RequestContext, t: SimTask): boolean {
  return t.user === rc.token.tokenId || rc.token.has(`/nodes/${t.node}`, "Sys.Audit");
}

function findTask(rc: RequestContext): SimTask {
  const n = nodeOf(rc);
  const upid = reqStr(rc.params, "upid");
  if (!parseUpid(upid)) throw paramError({ upid: "unable to parse worker upid" });
  const t = rc.core.tasks.get(upid);
  // Task logs live on the node that ran the task: any other node has no such task.
  if (!t || t.node !== n.name) throw paramError({ upid: "no such task" });
  return t;
}

export const getTaskStatus: Handler = (rc) => taskRow(findTask(rc), false);

export const getTaskLog: Handler = (rc) => {
  const t = findTask(rc);
  const start = int(rc.params, "start") ?? 0;
  const limit = int(rc.params, "limit") ?? 50;
  if (t.log.length === 0) return new WithTotal([{ n: 1, t: "no content" }], 1);
  const lines = t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
  return new WithTotal(lines, t.log.length);
};

export const deleteTask: Handler = (rc) => {
  const t = findTask(rc);
  rc.core.tasks.stop(t);
  return null;
};

function listTasks(rc: RequestContext, tasks: readonly SimTask[]): Record<string, unknown>[] {
  const vmid = int(rc.params, "vmid");
  const typefilter = str(rc.params, "typefilter");
  const userfilter = str(rc.params, "userfilter");
  const errorsOnly = bool(rc.params, "errors");
  const source = str(rc.params, "source") ?? "archive";
  const start = int(rc.params, "start") ?? 0;
  const limit = int(rc.params, "limit") ?? 50;
  return tasks
    .filter((t) => visible(rc, t))
    .filter((t) => (source === "all" ? true : source === "active" ? t.status === "running" : t.status === "stopped"))
    .filter((t) => vmid === undefined || t.id === String(vmid))
    .filter((t) => !typefilter || t.type === typefilter)
    .filter((t) => !userfilter || t.user.includes(userfilter))
    .filter((t) => !errorsOnly || (t.status === "stopped" && t.exitstatus !== "OK"))
    .slice()
    .reverse()
    .slice(start, start + limit)
    .map((t) => taskRow(t, true));
}

export const getNodeTasks: Handler = (rc) => {
  const n = nodeOf(rc);
  return listTasks(rc, rc.core.tasks.all().filter((t) => t.node === n.name));
};

/** `/cluster/tasks` lists recent tasks of every node, running ones included. */
export const getClusterTasks: Handler = (rc) =>
  rc.core.tasks
    .all()
    .filter((t) => visible(rc, t))
    .slice(-1000)
    .reverse()
    .map((t) => taskRow(t, true));

// ------------------------------------------------------------------------------------------------ pools

function poolMembers(rc: RequestContext, poolid: string, type: string | undefined): Record<string, unknown>[] {
  return [...rc.core.world.guests.values()]
    .filter((g) => g.pool === poolid && (!type || type === g.type))
    .sort((a, b) => a.vmid - b.vmid)
    .map((g) => resourceRow(rc.core, g));
}

export const getPools: Handler = (rc) => {
  const poolid = str(rc.params, "poolid");
  const type = str(rc.params, "type");
  const { pools } = rc.core.world;
  if (poolid !== undefined) {
    const p = pools.get(poolid);
    if (!p || !rc.token.has(`/pool/${poolid}`, "Pool.Audit")) throw fail(`pool '${poolid}' does not exist`);
    return [{ poolid, ...(p.comment ? { comment: p.comment } : {}), members: poolMembers(rc, poolid, type) }];
  }
  return [...pools.entries()]
    .filter(([id]) => rc.token.has(`/pool/${id}`, "Pool.Audit"))
    .map(([id, p]) => ({ poolid: id, ...(p.comment ? { comment: p.comment } : {}) }));
};

export const getPool: Handler = (rc) => {
  const poolid = reqStr(rc.params, "poolid");
  const p = rc.core.world.pools.get(poolid);
  if (!p) throw fail(`pool '${poolid}' does not exist`);
  return { ...(p.comment ? { comment: p.comment } : {}), members: poolMembers(rc, poolid, str(rc.params, "type")) };
};

export const postPool: Handler = (rc) => {
  const poolid = reqStr(rc.params, "poolid");
  if (rc.core.world.pools.has(poolid)) throw fail(`pool '${poolid}' already exists`);
  const comment = str(rc.params, "comment");
  rc.core.world.pools.set(poolid, comment ? { comment } : {});
  return null;
};

// ------------------------------------------------------------------------------------------------ access

export const getPermissions: Handler = (rc) => {
  const userid = str(rc.params, "userid");
  if (userid !== undefined && userid !== rc.token.tokenId && userid !== rc.token.userid && !rc.token.has("/access", "Sys.Audit"))
    throw fail(`Permission check failed (/access, Sys.Audit)`);
  return rc.token.permissionMap(str(rc.params, "path"));
};

