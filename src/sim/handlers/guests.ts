/**
 * QEMU and LXC guest endpoints: list, create, config, power, clone, resize, migrate, snapshots, delete,
 * template, guest agent and container interfaces. Texts of errors are Proxmox's own (see BEHAVIOUR.md §3).
 */
import { fail, paramError, permError, TaskFailure, TaskInterrupted } from "../errors.js";
import type { TaskContext } from "../tasks.js";
import { formatProp, parseProp, parseSize, propGet, propSet, formatSize, DISK_KEY, isCdrom, propDelete } from "../props.js";
import { listRow, statusCurrent } from "../views.js";
import { SIM_QEMU_VERSION } from "../seed.js";
import {
  configFile,
  guestName,
  isTemplate,
  kindWord,
  type Config,
  type ConfigValue,
  type Guest,
  type GuestType,
  type StorageDef,
} from "../world.js";
import { bool, nodeOf, reqInt, reqStr, splitList, str, type Handler, type RequestContext } from "./common.js";

// ------------------------------------------------------------------------------------------------ helpers

function load(rc: RequestContext, type: GuestType): Guest {
  const node = nodeOf(rc);
  return rc.core.world.guestOn(node.name, reqInt(rc.params, "vmid"), type);
}

/** `check_lock` (pve-guest-common AbstractConfig.pm): `VM is locked (clone)`, no VMID in the text. */
function checkLock(g: Guest): void {
  if (g.lock) throw fail(`${kindWord(g.type)} is locked (${g.lock})`);
}

const taskPrefix = (t: GuestType) => (t === "qemu" ? "qm" : "vz");

function startTask(
  rc: RequestContext,
  g: { node: string; vmid: number },
  type: string,
  body: (ctx: TaskContext) => Promise<void>,
  targetVmid?: number,
): string {
  return rc.core.tasks.start(
    { node: g.node, type, id: String(g.vmid), user: rc.token.tokenId, ...(targetVmid !== undefined ? { targetVmid } : {}) },
    body,
  );
}

/** Ensures the guest still exists (it may be destroyed while a task sleeps). */
function stillThere(rc: RequestContext, g: Guest): void {
  if (rc.core.world.guests.get(g.vmid) !== g) throw new TaskFailure(`Configuration file '${configFile(g.type, g.node, g.vmid)}' does not exist`);
}

const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(\s.*)?$/;

/** `PVE::Tools::validate_ssh_public_keys`: every non-empty, non-comment line must be a public key. */
function validateSshKeys(text: string): void {
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (!l || l.startsWith("#")) continue;
    if (!SSH_KEY.test(l)) throw fail("SSH public key validation error");
  }
}

/** Cloud-init `sshkeys` arrives percent-encoded inside the form value; it is checked decoded, stored encoded. */
function checkEncodedSshKeys(value: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw paramError({ sshkeys: `invalid format - invalid urlencoded string: ${value}` });
  }
  validateSshKeys(decoded);
}

function requirePool(rc: RequestContext): string | undefined {
  const pool = str(rc.params, "pool");
  // check_pool_exist (RPCEnvironment.pm): a missing pool is a *permission* error.
  if (pool !== undefined && !rc.core.world.pools.has(pool)) throw permError(`pool '${pool}' does not exist`);
  return pool;
}

const NON_CONFIG = new Set([
  "node", "vmid", "digest", "delete", "revert", "skiplock", "background_delay", "force", "pool", "storage", "start",
  "archive", "unique", "live-restore", "bwlimit", "ha-managed", "import-working-storage", "ostemplate", "password",
  "ssh-public-keys", "restore", "ignore-unpack-errors",
]);

const NIC_MODELS = /^(virtio|e1000|e1000e|rtl8139|vmxnet3|ne2k_pci|pcnet|i82551|i82557b|i82559er|ne2k_isa)$/;

/**
 * The stored/returned type follows the schema, as qemu-server/pve-container `check_type` does when a config
 * is parsed: integer/number/boolean keys become numbers (booleans 1/0), everything else (property strings
 * such as `agent`, and qemu `memory` since 8.1) stays a string. The validator has already coerced the types.
 */
function toConfigValue(key: string, v: unknown, type: GuestType): ConfigValue {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return type === "qemu" && key === "memory" ? String(v) : v;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

/** Gives a NIC a MAC when it has none (`virtio,bridge=vmbr0` → `virtio=BC:24:11:…,bridge=vmbr0`). */
function normalizeNet(rc: RequestContext, type: GuestType, value: string): string {
  const p = parseProp(value);
  if (type === "qemu") {
    const macaddr = propGet(p, "macaddr");
    if (p.head && NIC_MODELS.test(p.head)) {
      const model = p.head;
      delete p.head;
      p.pairs.unshift([model, macaddr ?? rc.core.world.newMac()]);
    }
    propDelete(p, "macaddr");
    return formatProp(p);
  }
  if (!propGet(p, "hwaddr")) propSet(p, "hwaddr", rc.core.world.newMac());
  if (!propGet(p, "type")) propSet(p, "type", "veth");
  return formatProp(p);
}

interface DiskPlan {
  key: string;
  storage: StorageDef;
  size: number;
  rest: [string, string][];
  kind: "new" | "cloudinit" | "import";
}

/** A disk value that asks for a new volume: `local-lvm:32`, `local-lvm:cloudinit`, `local-lvm:0,import-from=…`. */
function planDisk(rc: RequestContext, node: string, type: GuestType, key: string, value: string): DiskPlan | undefined {
  if (!DISK_KEY.test(key) || key.startsWith("unused")) return undefined;
  const p = parseProp(value);
  let head = p.head ?? "";
  if (type === "lxc" && /^\d+(\.\d+)?$/.test(head)) head = `${str(rc.params, "storage") ?? "local"}:${head}`;
  const m = /^([a-z][a-z0-9\-_.]*):(\d+(?:\.\d+)?|cloudinit)$/i.exec(head);
  if (!m || isCdrom(value)) return undefined;
  const storage = rc.core.world.storageOn(node, m[1]!);
  if (!storage) throw fail(`storage '${m[1]}' does not exist`);
  const needs = type === "qemu" ? "images" : "rootdir";
  if (!storage.content.includes(needs)) {
    if (type === "lxc") throw paramError({ storage: `storage '${storage.id}' does not support container directories` });
    throw fail(`storage '${storage.id}' does not support vm images`);
  }
  const importFrom = propGet(p, "import-from");
  if (m[2] === "cloudinit") return { key, storage, size: 4 * 1024 ** 2, rest: p.pairs, kind: "cloudinit" };
  if (importFrom) {
    const src = rc.core.world.findVolume(node, importFrom);
    if (!src) throw fail(`volume '${importFrom}' does not exist`);
    return { key, storage, size: src.size, rest: p.pairs.filter(([k]) => k !== "import-from"), kind: "import" };
  }
  return { key, storage, size: Math.round(Number(m[2]) * 1024 ** 3), rest: p.pairs, kind: "new" };
}

/** Allocates a planned disk (takes the storage lock) and returns the config value. */
function allocDisk(rc: RequestContext, g: Guest, plan: DiskPlan, ctx?: TaskContext): { value: string; volid: string } {
  const { world } = rc.core;
  rc.core.storageOp(plan.storage.id);
  const volid =
    plan.kind === "cloudinit"
      ? `${plan.storage.id}:vm-${g.vmid}-cloudinit${plan.storage.type === "dir" ? ".qcow2" : ""}`
      : world.nextDiskName(plan.storage, g.node, g.vmid);
  world.addVolume({ volid, storage: plan.storage.id, node: g.node, vmid: g.vmid, size: plan.size, content: g.type === "qemu" ? "images" : "rootdir", format: volid.endsWith(".qcow2") ? "qcow2" : "raw" });
  ctx?.log(plan.storage.type === "lvmthin" ? `  Logical volume "${volid.split(":")[1]}" created.` : `allocated volume ${volid}`);
  if (plan.kind === "cloudinit") return { volid, value: `${volid},media=cdrom` };
  return { volid, value: world.formatDiskValue(volid, plan.size, plan.rest) };
}

function freeVolumes(rc: RequestContext, node: string, volids: readonly string[]): void {
  for (const v of volids) rc.core.world.removeVolume(node, v);
}

function renderConfig(rc: RequestContext, g: Guest, config: Config = g.config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (out.cipassword !== undefined) out.cipassword = "**********";
  if (g.lock && config === g.config) out.lock = g.lock;
  if (g.parentSnapshot && config === g.config) out.parent = g.parentSnapshot;
  out.digest = rc.core.world.digest(g);
  return out;
}

const agentEnabled = (g: Guest) => /^(1|enabled=1)(,|$)/.test(String(g.config.agent ?? "0")) || /(^|,)enabled=1/.test(String(g.config.agent ?? ""));

// ------------------------------------------------------------------------------------------------ list/status/config

export const listGuests =
  (type: GuestType): Handler =>
  (rc) => {
    const n = nodeOf(rc);
    return [...rc.core.world.guests.values()]
      .filter((g) => g.node === n.name && g.type === type && rc.token.has(`/vms/${g.vmid}`, "VM.Audit"))
      .sort((a, b) => a.vmid - b.vmid)
      .map((g) => listRow(rc.core, g));
  };

export const statusCurrentHandler =
  (type: GuestType): Handler =>
  (rc) =>
    statusCurrent(rc.core, load(rc, type));

export const getConfig =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    const snapname = str(rc.params, "snapshot");
    if (snapname !== undefined) {
      const s = g.snapshots.find((x) => x.name === snapname);
      if (!s) throw fail(`snapshot '${snapname}' does not exist`);
      return renderConfig(rc, g, { ...s.config, snaptime: s.snaptime, ...(s.description ? { description: s.description } : {}) });
    }
    return renderConfig(rc, g);
  };

/** Applies set/delete changes to a guest config; new disks are allocated (sync for PUT, in the task for POST). */
function applyConfig(rc: RequestContext, g: Guest, ctx?: TaskContext): void {
  const { params } = rc;
  const changes: [string, ConfigValue][] = [];
  for (const [key, raw] of Object.entries(params)) {
    if (NON_CONFIG.has(key) || raw === undefined) continue;
    let v = toConfigValue(key, raw, g.type);
    if (/^net\d+$/.test(key) && typeof v === "string") v = normalizeNet(rc, g.type, v);
    changes.push([key, v]);
  }
  for (const key of splitList(str(params, "delete"))) {
    const old = g.config[key];
    if (old === undefined) continue;
    delete g.config[key];
    // Removing a disk keeps its volume as `unusedN` (qemu-server vmconfig_delete_or_detach_drive).
    if (g.type === "qemu" && DISK_KEY.test(key) && typeof old === "string" && !key.startsWith("unused") && !isCdrom(old)) {
      const volid = parseProp(old).head;
      if (volid && volid.includes(":") && !volid.includes("cloudinit")) {
        let i = 0;
        while (g.config[`unused${i}`] !== undefined) i++;
        g.config[`unused${i}`] = volid;
      } else if (volid?.includes("cloudinit")) rc.core.world.removeVolume(g.node, volid);
    }
  }
  for (const [key, v] of changes) {
    if (typeof v === "string") {
      const plan = planDisk(rc, g.node, g.type, key, v);
      if (plan) {
        try {
          g.config[key] = allocDisk(rc, g, plan, ctx).value;
        } catch (err) {
          if (err instanceof TaskFailure && !ctx) throw fail(err.message);
          throw err;
        }
        continue;
      }
    }
    g.config[key] = v;
  }
}

function preConfigChecks(rc: RequestContext, g: Guest): void {
  const digest = str(rc.params, "digest");
  if (digest !== undefined && digest !== rc.core.world.digest(g)) throw fail("checksum mismatch (file change by other user?)");
  if (bool(rc.params, "skiplock")) throw fail("Only root may use this option.");
  checkLock(g);
  const keys = str(rc.params, "sshkeys");
  if (keys !== undefined) checkEncodedSshKeys(keys);
}

/** `PUT …/config`: synchronous, returns null. */
export const putConfig =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    preConfigChecks(rc, g);
    applyConfig(rc, g);
    return null;
  };

/** `POST /nodes/{node}/qemu/{vmid}/config`: the same change in a `qmconfig` worker. */
export const postQemuConfig: Handler = (rc) => {
  const g = load(rc, "qemu");
  preConfigChecks(rc, g);
  return startTask(rc, g, "qmconfig", async (ctx) => {
    await ctx.step(rc.core.durations.config);
    stillThere(rc, g);
    checkLockInTask(g);
    applyConfig(rc, g, ctx);
  });
};

function checkLockInTask(g: Guest): void {
  if (g.lock) throw new TaskFailure(`${kindWord(g.type)} is locked (${g.lock})`);
}

// ------------------------------------------------------------------------------------------------ create

function newGuest(rc: RequestContext, type: GuestType, vmid: number, node: string): Guest {
  return {
    vmid,
    type,
    node,
    config: {},
    lock: "create",
    running: false,
    createdAt: Date.now(),
    snapshots: [],
    counters: { netin: 0, netout: 0, diskread: 0, diskwrite: 0 },
  };
}

function buildConfig(rc: RequestContext, type: GuestType): { config: Config; disks: DiskPlan[] } {
  const node = nodeOf(rc).name;
  const config: Config = {};
  const disks: DiskPlan[] = [];
  for (const [key, raw] of Object.entries(rc.params)) {
    if (NON_CONFIG.has(key) || raw === undefined) continue;
    let v = toConfigValue(key, raw, type);
    if (/^net\d+$/.test(key) && typeof v === "string") v = normalizeNet(rc, type, v);
    const plan = typeof v === "string" ? planDisk(rc, node, type, key, v) : undefined;
    if (plan) disks.push(plan);
    else config[key] = v;
  }
  return { config, disks };
}

export const createQemu: Handler = (rc) => {
  const node = nodeOf(rc);
  const vmid = reqInt(rc.params, "vmid");
  const pool = requirePool(rc);
  const keys = str(rc.params, "sshkeys");
  if (keys !== undefined) checkEncodedSshKeys(keys);
  const { world } = rc.core;
  const existing = world.guests.get(vmid);
  if (existing) throw fail(`unable to create VM ${vmid} - VM ${vmid} already exists on node '${existing.node}'`);
  const { config, disks } = buildConfig(rc, "qemu");
  // create_and_lock_config: an (empty) config with `lock: create` exists before the UPID is returned.
  const g = newGuest(rc, "qemu", vmid, node.name);
  world.guests.set(vmid, g);
  const start = bool(rc.params, "start") === true;
  return startTask(rc, g, "qmcreate", async (ctx) => {
    const made: string[] = [];
    try {
      const d = rc.core.durations.create;
      for (const plan of disks) {
        await ctx.step(d / (disks.length + 1));
        stillThere(rc, g);
        const { value, volid } = allocDisk(rc, g, plan, ctx);
        made.push(volid);
        config[plan.key] = value;
      }
      await ctx.step(d / (disks.length + 1));
      stillThere(rc, g);
      config.smbios1 ??= `uuid=${world.newUuid()}`;
      config.vmgenid ??= world.newUuid();
      config.meta = `creation-qemu=${SIM_QEMU_VERSION},ctime=${Math.floor(Date.now() / 1000)}`;
      g.config = config;
      if (pool) g.pool = pool;
      delete g.lock;
      if (start) startPower(rc, g, "start");
    } catch (err) {
      freeVolumes(rc, g.node, made);
      if (world.guests.get(vmid) === g) rc.core.removeGuest(g);
      if (err instanceof TaskFailure && !err.injected) throw new TaskFailure(`unable to create VM ${vmid} - ${err.message}`);
      throw err;
    }
  });
};

export const createLxc: Handler = (rc) => {
  const node = nodeOf(rc);
  const vmid = reqInt(rc.params, "vmid");
  const { world } = rc.core;
  const existing = world.guests.get(vmid);
  // check_vmid_unused: the word is the type of the *existing* guest, no "unable to create" prefix.
  if (existing) throw fail(`${kindWord(existing.type)} ${vmid} already exists on node '${existing.node}'`);
  const pool = requirePool(rc);
  const unprivileged = bool(rc.params, "unprivileged") ?? true; // API default is 1 (LXC.pm l.271), not the schema's 0.
  if (!unprivileged && !rc.token.has("/", "Sys.Modify")) throw permError("/, Sys.Modify");
  const features = str(rc.params, "features");
  if (features !== undefined) {
    // Tokens are never root@pam (pve-container LXC.pm check_ct_modify_config_perm).
    if (!unprivileged) throw permError("changing feature flags for privileged container is only allowed for root@pam");
    const p = parseProp(features);
    const keys = [...(p.head ? [p.head] : []), ...p.pairs.map(([k]) => k)];
    if (keys.some((k) => k !== "nesting")) throw permError("changing feature flags (except nesting) is only allowed for root@pam");
  }
  const ostemplate = reqStr(rc.params, "ostemplate");
  const tmpl = world.findVolume(node.name, ostemplate);
  if (!tmpl || tmpl.content !== "vztmpl") throw fail(`volume '${ostemplate}' does not exist`);
  const keys = str(rc.params, "ssh-public-keys");
  if (keys !== undefined) validateSshKeys(keys);
  if (rc.params.rootfs === undefined) rc.params.rootfs = `${str(rc.params, "storage") ?? "local"}:4`;
  const { config, disks } = buildConfig(rc, "lxc");
  const g = newGuest(rc, "lxc", vmid, node.name);
  world.guests.set(vmid, g);
  const start = bool(rc.params, "start") === true;
  const file = ostemplate.split("/").pop()!;
  return startTask(rc, g, "vzcreate", async (ctx) => {
    const made: string[] = [];
    try {
      const d = rc.core.durations.create;
      for (const plan of disks) {
        await ctx.step(d / 4);
        stillThere(rc, g);
        const { value, volid } = allocDisk(rc, g, plan, ctx);
        made.push(volid);
        config[plan.key] = value;
      }
      ctx.log(`extracting archive '/var/lib/vz/template/cache/${file}'`);
      await ctx.step(d / 2);
      ctx.log(`Total bytes read: ${tmpl.size * 4} (${formatSize(Math.round(tmpl.size * 4 / 1024 ** 2) * 1024 ** 2)}iB)`);
      ctx.log("Detected container architecture: amd64");
      ctx.log("Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...");
      await ctx.step(d / 4);
      stillThere(rc, g);
      const ostype = /^(ubuntu|debian|alpine|centos|rockylinux|fedora|archlinux)/.exec(file)?.[1] ?? "unmanaged";
      g.config = { arch: "amd64", ostype, memory: 512, swap: 512, ...config, unprivileged: unprivileged ? 1 : 0 };
      if (!g.config.hostname) g.config.hostname = `CT${vmid}`;
      if (pool) g.pool = pool;
      delete g.lock;
      if (start) startPower(rc, g, "start");
    } catch (err) {
      freeVolumes(rc, g.node, made);
      if (world.guests.get(vmid) === g) rc.core.removeGuest(g);
      throw err;
    }
  });
};

// ------------------------------------------------------------------------------------------------ power

type PowerAction = "start" | "stop" | "shutdown" | "reboot";

function haSid(g: Guest): string {
  return `${g.type === "qemu" ? "vm" : "ct"}:${g.vmid}`;
}

/** Starts the power task; the synchronous checks are done by the caller. */
function startPower(rc: RequestContext, g: Guest, action: PowerAction): string {
  const d = rc.core.durations;
  const ha = rc.core.world.ha.get(haSid(g));
  if (ha && (action === "start" || action === "stop")) {
    // HA-managed guests are started and stopped by the HA stack (pve-ha-manager `hastart`/`hastop`).
    return startTask(rc, g, action === "start" ? "hastart" : "hastop", async (ctx) => {
      ha.state = action === "start" ? "started" : "stopped";
      ctx.log(`Requesting HA ${action} for ${kindWord(g.type)} ${g.vmid}`);
      await ctx.step(d[action]);
      stillThere(rc, g);
      if (action === "start" && !g.running) rc.core.boot(g);
      if (action === "stop" && g.running) rc.core.halt(g);
    });
  }
  const type = `${taskPrefix(g.type)}${action}`;
  return startTask(rc, g, type, async (ctx) => {
    if (action === "start") {
      if (g.running) throw new TaskFailure(`${kindWord(g.type)} ${g.vmid} already running`);
      if (g.type === "qemu" && Object.values(g.config).some((v) => String(v).includes("cloudinit"))) ctx.log("generating cloud-init ISO");
    }
    await ctx.step(d[action]);
    stillThere(rc, g);
    if (action === "start") rc.core.boot(g);
    else if (action === "reboot") {
      rc.core.halt(g);
      rc.core.boot(g);
    } else if (g.running) rc.core.halt(g);
  });
}

export const power =
  (type: GuestType, action: PowerAction): Handler =>
  (rc) => {
    const g = load(rc, type);
    if (bool(rc.params, "skiplock")) throw fail("Only root may use this option.");
    checkLock(g);
    if (action === "start" && isTemplate(g))
      throw fail(type === "qemu" ? "you can't start a vm if it's a template" : "you can't start a CT if it's a template");
    if (type === "lxc") {
      // pve-container checks the state before forking the worker.
      if (action === "start" && g.running) throw fail(`CT ${g.vmid} already running`);
      if (action !== "start" && !g.running) throw fail(`CT ${g.vmid} not running`);
    } else if (action === "reboot" && !g.running) throw fail(`VM ${g.vmid} not running`);
    return startPower(rc, g, action);
  };

// ------------------------------------------------------------------------------------------------ clone

export const clone =
  (type: GuestType): Handler =>
  (rc) => {
    const { world } = rc.core;
    const node = nodeOf(rc);
    const src = world.guestOn(node.name, reqInt(rc.params, "vmid"), type);
    const newid = reqInt(rc.params, "newid");
    const pool = requirePool(rc);
    const targetName = str(rc.params, "target");
    if (targetName !== undefined && !world.node(targetName))
      throw fail(`hostname lookup '${targetName}' failed - failed to get address info for: ${targetName}: Name or service not known`);
    const target = targetName ?? node.name;
    checkLock(src);
    const snapname = str(rc.params, "snapname");
    const snap = snapname !== undefined ? src.snapshots.find((s) => s.name === snapname) : undefined;
    if (snapname !== undefined && !snap) throw fail(`snapshot '${snapname}' does not exist`);
    if (world.guests.has(newid))
      throw fail(type === "qemu" ? `unable to create VM ${newid}: config file already exists` : `unable to create CT ${newid}: config file already exists`);
    const full = bool(rc.params, "full") ?? !isTemplate(src);
    const storageId = str(rc.params, "storage");
    const format = str(rc.params, "format");
    const srcConfig = snap ? snap.config : src.config;
    const disks = world.diskEntries(srcConfig).filter((d) => !d.key.startsWith("unused"));
    if (!full) {
      if (!isTemplate(src)) throw fail(`linked clone feature for non-template ${kindWord(type)}s is not supported`);
      if (storageId !== undefined) throw fail("parameter 'storage' not allowed for linked clones");
      if (format !== undefined) throw fail("parameter 'format' not allowed for linked clones");
      for (const d of disks) {
        if (d.volid.includes("cloudinit")) continue;
        const st = world.storages.get(d.volid.split(":")[0]!);
        if (!st?.canClone) throw fail(`Linked clone feature is not supported for '${d.volid}' (${d.key})`);
      }
    }
    const targetStorage = storageId !== undefined ? world.storageOn(node.name, storageId) : undefined;
    if (storageId !== undefined && !targetStorage) throw fail(`storage '${storageId}' does not exist`);
    if (targetStorage && !targetStorage.content.includes(type === "qemu" ? "images" : "rootdir"))
      throw fail(`storage '${targetStorage.id}' does not support vm images`);
    if (target !== node.name) {
      if (targetStorage && !targetStorage.shared) throw fail(`can't clone to non-shared storage '${targetStorage.id}'`);
      if (!targetStorage && disks.some((d) => !world.storages.get(d.volid.split(":")[0]!)?.shared))
        throw fail(`can't clone ${kindWord(type)} to node '${target}' (${kindWord(type)} uses local storage)`);
    }
    const name = str(rc.params, type === "qemu" ? "name" : "hostname");
    const description = str(rc.params, "description");
    const d = rc.core.durations;
    const cfile = type === "qemu" ? `/var/lock/qemu-server/lock-${newid}.conf` : `/run/lock/lxc/pve-config-${newid}.lock`;

    return startTask(
      rc,
      src,
      `${taskPrefix(type)}clone`,
      async (ctx) => {
        // The new ID's config flock (1 s in clone): a concurrent clone to the same newid holds it.
        const waitUntil = Date.now() + rc.core.sched.scale(1000);
        while (rc.core.flocks.has(newid)) {
          if (Date.now() >= waitUntil) throw new TaskFailure(`can't lock file '${cfile}' - got timeout`);
          await rc.core.sched.sleepReal(Math.max(2, rc.core.sched.scale(50)), ctx.signal);
        }
        rc.core.flocks.add(newid);
        const made: string[] = [];
        let g: Guest | undefined;
        try {
          // The worker writes the new config a moment after the UPID went out: the race window of two clones.
          await rc.core.sched.sleepReal(Math.max(25, rc.core.sched.scale(d.cloneWorkerStart)), ctx.signal);
          if (world.guests.has(newid))
            throw new TaskFailure(`unable to create ${kindWord(type)} ${newid}: config file already exists`);
          g = newGuest(rc, type, newid, node.name);
          g.lock = "clone";
          world.guests.set(newid, g);
          const config: Config = {};
          for (const [k, v] of Object.entries(srcConfig)) {
            if (k === "template" || k.startsWith("unused") || k === "parent" || k === "snaptime" || k === "vmstate") continue;
            config[k] = v;
          }
          const total = full ? d.fullClone : d.linkedClone;
          const steps = Math.max(1, disks.length);
          for (const disk of disks) {
            const srcStorage = world.storages.get(disk.volid.split(":")[0]!)!;
            const cloudinit = disk.volid.includes("cloudinit");
            const dest = full || cloudinit ? (targetStorage ?? srcStorage) : srcStorage;
            const rest = parseProp(String(srcConfig[disk.key])).pairs;
            ctx.log(
              full || cloudinit
                ? `create full clone of drive ${disk.key} (${disk.volid})`
                : `create linked clone of drive ${disk.key} (${disk.volid})`,
            );
            await ctx.step(total / steps);
            rc.core.storageOp(dest.id);
            let volid: string;
            if (cloudinit) volid = `${dest.id}:vm-${newid}-cloudinit`;
            else if (!full) {
              const base = disk.volid.split(":")[1]!;
              const n = world.nextDiskName(dest, node.name, newid).split(":")[1]!;
              volid = dest.type === "rbd" ? `${dest.id}:${base}/${n}` : `${dest.id}:${n}`;
            } else volid = world.nextDiskName(dest, node.name, newid);
            world.addVolume({
              volid,
              storage: dest.id,
              node: node.name,
              vmid: newid,
              size: disk.size || 4 * 1024 ** 2,
              content: type === "qemu" ? "images" : "rootdir",
              format: volid.endsWith(".qcow2") ? "qcow2" : "raw",
              ...(!full && !cloudinit ? { parent: disk.volid } : {}),
            });
            made.push(volid);
            if (full && !cloudinit && dest.type === "lvmthin") ctx.log(`  Logical volume "${volid.split(":")[1]}" created.`);
            if (full && !cloudinit) ctx.log(`transferred ${formatSize(disk.size)} of ${formatSize(disk.size)} (100.00%)`);
            config[disk.key] = cloudinit ? `${volid},media=cdrom` : world.formatDiskValue(volid, disk.size, rest);
          }
          if (disks.length === 0) await ctx.step(total);
          for (const k of Object.keys(config)) {
            if (!/^net\d+$/.test(k)) continue;
            const p = parseProp(String(config[k]));
            if (type === "qemu") {
              const model = p.pairs.find(([key]) => NIC_MODELS.test(key));
              if (model) model[1] = world.newMac();
            } else propSet(p, "hwaddr", world.newMac());
            config[k] = formatProp(p);
          }
          if (type === "qemu") {
            const smbios = parseProp(String(config.smbios1 ?? ""));
            propSet(smbios, "uuid", world.newUuid());
            config.smbios1 = formatProp(smbios);
            if (config.vmgenid !== undefined) config.vmgenid = world.newUuid();
            config.name = name ?? `Copy-of-VM-${guestName(src)}`;
            config.meta = `creation-qemu=${SIM_QEMU_VERSION},ctime=${Math.floor(Date.now() / 1000)}`;
          } else if (name) config.hostname = name;
          if (description !== undefined) config.description = description;
          stillThere(rc, g);
          g.config = config;
          if (target !== node.name) {
            ctx.log(`moving ${kindWord(type)} ${newid} to node '${target}'`);
            g.node = target;
          }
          if (pool) g.pool = pool;
          delete g.lock;
        } catch (err) {
          freeVolumes(rc, node.name, made);
          if (g && world.guests.get(newid) === g) rc.core.removeGuest(g);
          if (err instanceof TaskFailure && !err.injected && g) throw new TaskFailure(`clone failed: ${err.message}`);
          throw err;
        } finally {
          rc.core.flocks.delete(newid);
        }
      },
      newid,
    );
  };

// ------------------------------------------------------------------------------------------------ resize

export const resize =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    checkLock(g);
    const disk = reqStr(rc.params, "disk");
    const sizeArg = reqStr(rc.params, "size");
    const value = g.config[disk];
    if (typeof value !== "string" || !DISK_KEY.test(disk)) throw fail(`disk '${disk}' does not exist`);
    const p = parseProp(value);
    if (isCdrom(value) || !p.head || p.head.includes("cloudinit")) throw fail(`you can't resize a cdrom`);
    const current = parseSize(propGet(p, "size") ?? "0") ?? 0;
    const m = /^(\+)?(\d+(?:\.\d+)?[KMGT]?)$/.exec(sizeArg);
    if (!m) throw paramError({ size: "value does not match the regex pattern" });
    const amount = parseSize(m[2]!, "B")!;
    const wanted = m[1] ? current + amount : amount;
    if (wanted < current) throw fail("shrinking disks is not supported");
    const volid = p.head;
    return startTask(rc, g, "resize", async (ctx) => {
      await ctx.step(rc.core.durations.resize);
      stillThere(rc, g);
      rc.core.storageOp(volid.split(":")[0]!);
      const vol = rc.core.world.findVolume(g.node, volid);
      if (vol) vol.size = wanted;
      const now = parseProp(String(g.config[disk]));
      propSet(now, "size", formatSize(wanted));
      g.config[disk] = formatProp(now);
      ctx.log(`  Size of logical volume pve/${volid.split(":")[1]} changed from ${formatSize(current)} to ${formatSize(wanted)}.`);
    });
  };

// ------------------------------------------------------------------------------------------------ migrate

export const migrate =
  (type: GuestType): Handler =>
  (rc) => {
    const { world } = rc.core;
    const g = load(rc, type);
    const targetName = reqStr(rc.params, "target");
    const target = world.node(targetName);
    if (!target) throw fail(`hostname lookup '${targetName}' failed - failed to get address info for: ${targetName}: Name or service not known`);
    if (target.name === g.node) throw paramError({ target: "target is local node." });
    checkLock(g);
    const online = bool(rc.params, "online") === true;
    const restart = bool(rc.params, "restart") === true;
    if (type === "qemu" && g.running && !online) throw fail("can't migrate running VM without --online");
    if (type === "lxc" && g.running && online) throw fail("lxc live migration is currently not implemented");
    if (type === "lxc" && g.running && !restart) throw fail("running container can only be migrated in restart mode");
    const withLocalDisks = bool(rc.params, "with-local-disks") === true;
    const from = g.node;
    return startTask(rc, g, `${taskPrefix(type)}igrate`.replace("vzigrate", "vzmigrate"), async (ctx) => {
      g.lock = "migrate";
      const wasRunning = g.running;
      const started = Date.now();
      const abort = (why: string) => {
        const secs = Math.max(1, Math.round((Date.now() - started) / 1000));
        ctx.log(`ERROR: migration aborted (duration 00:00:${String(secs).padStart(2, "0")}): ${why}`);
        return new TaskFailure("migration aborted");
      };
      try {
        ctx.log(`starting migration of ${kindWord(type)} ${g.vmid} to node '${target.name}' (${target.ip})`);
        await ctx.step(rc.core.durations.migrate * 0.1);
        stillThere(rc, g);
        if (!target.online) throw abort("Can't connect to destination address using public key");
        const local = world.diskEntries(g.config).filter((d) => !world.storages.get(d.volid.split(":")[0]!)?.shared);
        if (type === "qemu" && wasRunning && local.length > 0 && !withLocalDisks)
          throw abort("can't live migrate attached local disks without with-local-disks option");
        if (type === "lxc" && wasRunning) {
          ctx.log(`shutdown CT ${g.vmid}`);
          rc.core.halt(g);
        }
        for (const disk of local) {
          ctx.log(`found local volume '${disk.volid}' (in current VM config)`);
          await ctx.step((rc.core.durations.migrate * 0.8) / local.length);
          rc.core.storageOp(disk.volid.split(":")[0]!);
          const vol = world.findVolume(from, disk.volid);
          if (vol) {
            world.removeVolume(from, disk.volid);
            world.addVolume({ ...vol, node: target.name });
          }
        }
        await ctx.step(rc.core.durations.migrate * (local.length ? 0.1 : 0.9));
        stillThere(rc, g);
        g.node = target.name;
        delete g.lock;
        if (type === "lxc" && wasRunning) {
          ctx.log(`start CT ${g.vmid} on node '${target.name}'`);
          rc.core.boot(g);
        } else rc.core.refreshNetwork(g);
        ctx.log(`migration finished successfully (duration 00:00:${String(Math.max(1, Math.round((Date.now() - started) / 1000))).padStart(2, "0")})`);
      } catch (err) {
        if (g.lock === "migrate") delete g.lock;
        if (type === "lxc" && wasRunning && !g.running && world.guests.get(g.vmid) === g) rc.core.boot(g);
        throw err;
      }
    });
  };

// ------------------------------------------------------------------------------------------------ snapshots

export const listSnapshots =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    return [
      ...g.snapshots.map((s) => ({
        name: s.name,
        description: s.description,
        snaptime: s.snaptime,
        ...(s.parent ? { parent: s.parent } : {}),
        ...(s.vmstate ? { vmstate: s.vmstate } : {}),
      })),
      { name: "current", description: "You are here!", running: g.running ? 1 : 0, digest: rc.core.world.digest(g), ...(g.parentSnapshot ? { parent: g.parentSnapshot } : {}) },
    ];
  };

export const createSnapshot =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    const snapname = reqStr(rc.params, "snapname");
    checkLock(g);
    const description = str(rc.params, "description") ?? "";
    const vmstate = bool(rc.params, "vmstate") === true && g.running;
    return startTask(rc, g, `${taskPrefix(type)}snapshot`, async (ctx) => {
      if (snapname === "current" || g.snapshots.some((s) => s.name === snapname)) throw new TaskFailure(`snapshot name '${snapname}' already used`);
      checkLockInTask(g);
      g.lock = "snapshot";
      try {
        ctx.log(`snapshotting '${snapname}'`);
        await ctx.step(rc.core.durations.snapshot);
        stillThere(rc, g);
        g.snapshots.push({
          name: snapname,
          description,
          snaptime: Math.floor(Date.now() / 1000),
          config: { ...g.config },
          ...(g.parentSnapshot ? { parent: g.parentSnapshot } : {}),
          ...(vmstate ? { vmstate: 1 } : {}),
        });
        g.parentSnapshot = snapname;
      } finally {
        if (g.lock === "snapshot") delete g.lock;
      }
    });
  };

/** The guest and its snapshot named in the path; unlocked, or the request fails as Proxmox's does. */
function loadSnapshot(rc: Parameters<Handler>[0], type: GuestType) {
  const g = load(rc, type);
  const snapname = reqStr(rc.params, "snapname");
  const snap = g.snapshots.find((s) => s.name === snapname);
  if (!snap) throw fail(`snapshot '${snapname}' does not exist`);
  checkLock(g);
  return { g, snapname, snap };
}

export const deleteSnapshot =
  (type: GuestType): Handler =>
  (rc) => {
    const { g, snapname, snap } = loadSnapshot(rc, type);
    return startTask(rc, g, `${taskPrefix(type)}delsnapshot`, async (ctx) => {
      g.lock = "snapshot-delete";
      try {
        await ctx.step(rc.core.durations.deleteSnapshot);
        stillThere(rc, g);
        g.snapshots = g.snapshots.filter((s) => s !== snap);
        for (const s of g.snapshots) if (s.parent === snapname) s.parent = snap.parent as string;
        if (g.parentSnapshot === snapname) {
          if (snap.parent) g.parentSnapshot = snap.parent;
          else delete g.parentSnapshot;
        }
      } finally {
        if (g.lock === "snapshot-delete") delete g.lock;
      }
    });
  };

export const rollback =
  (type: GuestType): Handler =>
  (rc) => {
    const { g, snapname, snap } = loadSnapshot(rc, type);
    const start = bool(rc.params, "start") === true;
    return startTask(rc, g, `${taskPrefix(type)}rollback`, async (ctx) => {
      g.lock = "rollback";
      try {
        if (g.running && !snap.vmstate) {
          ctx.log(`stopping ${kindWord(type)} ${g.vmid}`);
          rc.core.halt(g);
        }
        await ctx.step(rc.core.durations.rollback);
        stillThere(rc, g);
        g.config = { ...snap.config };
        g.parentSnapshot = snapname;
        if (start && !g.running) rc.core.boot(g);
      } finally {
        if (g.lock === "rollback") delete g.lock;
      }
    });
  };

// ------------------------------------------------------------------------------------------------ delete/template

export const destroy =
  (type: GuestType): Handler =>
  (rc) => {
    const { world } = rc.core;
    const g = load(rc, type);
    const word = kindWord(type);
    if (Number(g.config.protection ?? 0) === 1) throw fail(`can't remove ${word} ${g.vmid} - protection mode enabled`);
    if (bool(rc.params, "skiplock")) throw fail("Only root may use this option.");
    if (g.running)
      throw fail(type === "qemu" ? `VM ${g.vmid} is running - destroy failed` : `unable to destroy CT ${g.vmid} - container is running`);
    const purge = bool(rc.params, "purge") === true;
    if (world.ha.has(haSid(g)) && !purge)
      throw fail(`unable to remove ${word} ${g.vmid} - used in HA resources and purge parameter not set.`);
    return startTask(rc, g, `${taskPrefix(type)}destroy`, async (ctx) => {
      checkLockInTask(g);
      // The config is replaced by a stub with `lock: destroyed`: the guest stays listed until the end.
      g.lock = "destroyed";
      try {
        await ctx.step(rc.core.durations.destroy / 2);
        stillThere(rc, g);
        const disks = world.diskEntries(g.config);
        if (isTemplate(g)) {
          const inUse = world.linkedChildren(disks.map((x) => x.volid));
          if (inUse.length > 0) throw new TaskFailure(`base volume '${inUse[0]!.parent}' is still in use by linked cloned`);
        }
        for (const disk of disks) {
          try {
            rc.core.storageOp(disk.volid.split(":")[0]!);
            world.removeVolume(g.node, disk.volid);
            ctx.log(`  Logical volume "${disk.volid.split(":")[1]}" successfully removed.`);
          } catch (err) {
            // destroy_vm frees disks in an eval and only warns (qemu-server QemuServer.pm destroy_vm).
            ctx.warn(`could not remove disk '${disk.volid}', check manually: ${(err as Error).message}`);
          }
        }
        // Volumes of this VMID not in the config (destroy-unreferenced-disks=1).
        if (bool(rc.params, "destroy-unreferenced-disks") !== false)
          for (const v of [...world.volumes.values()])
            if (v.vmid === g.vmid && (v.node === undefined || v.node === g.node)) world.removeVolume(g.node, v.volid);
        await ctx.step(rc.core.durations.destroy / 2);
        rc.core.removeGuest(g);
        if (purge) world.ha.delete(haSid(g));
      } catch (err) {
        if (world.guests.get(g.vmid) === g && g.lock === "destroyed" && !(err instanceof TaskInterrupted && rc.core.sched.isClosed))
          delete g.lock;
        throw err;
      }
    });
  };

export const convertToTemplate =
  (type: GuestType): Handler =>
  (rc) => {
    const g = load(rc, type);
    checkLock(g);
    if (isTemplate(g)) throw fail(`${kindWord(type)} ${g.vmid} is already a template`);
    if (g.running) throw fail(type === "qemu" ? "you can't convert a running VM to a template" : "you can't convert a running CT to a template");
    const upid = startTask(rc, g, `${taskPrefix(type)}template`, async (ctx) => {
      g.lock = "template";
      try {
        await ctx.step(rc.core.durations.template);
        stillThere(rc, g);
        for (const disk of rc.core.world.diskEntries(g.config)) {
          if (disk.volid.includes("cloudinit") || disk.key.startsWith("unused")) continue;
          const renamed = disk.volid.replace(/vm-(\d+)-disk-(\d+)/, "base-$1-disk-$2");
          if (renamed === disk.volid) continue;
          rc.core.storageOp(disk.volid.split(":")[0]!);
          const vol = rc.core.world.findVolume(g.node, disk.volid);
          if (vol) {
            rc.core.world.removeVolume(g.node, disk.volid);
            rc.core.world.addVolume({ ...vol, volid: renamed });
          }
          g.config[disk.key] = String(g.config[disk.key]).replace(disk.volid, renamed);
          ctx.log(`  Renamed "${disk.volid.split(":")[1]}" to "${renamed.split(":")[1]}"`);
        }
        g.config.template = 1;
      } finally {
        if (g.lock === "template") delete g.lock;
      }
    });
    // The LXC variant forks the worker but returns null (pve-container API2/LXC.pm template).
    return type === "qemu" ? upid : null;
  };

// ------------------------------------------------------------------------------------------------ agent/interfaces

function linkLocal(mac: string): string {
  const b = mac.toLowerCase().split(":").map((x) => parseInt(x, 16));
  b[0] = b[0]! ^ 2;
  const h = (x: number, y: number) => ((x << 8) | y).toString(16);
  return `fe80::${h(b[0]!, b[1]!)}:${h(b[2]!, 0xff)}:${h(0xfe, b[3]!)}:${h(b[4]!, b[5]!)}`;
}

function nicMacs(g: Guest): [string, string][] {
  return Object.keys(g.config)
    .filter((k) => /^net\d+$/.test(k))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    .map((k) => {
      const p = parseProp(String(g.config[k]));
      const mac = g.type === "qemu" ? p.pairs.find(([key]) => NIC_MODELS.test(key))?.[1] : propGet(p, "hwaddr");
      return [g.type === "lxc" ? (propGet(p, "name") ?? `eth${k.slice(3)}`) : `eth${k.slice(3)}`, (mac ?? "00:00:00:00:00:00").toLowerCase()];
    });
}

async function agentReady(rc: RequestContext): Promise<Guest> {
  const g = load(rc, "qemu");
  if (!agentEnabled(g)) throw fail("No QEMU guest agent configured");
  if (!g.running) throw fail(`VM ${g.vmid} is not running`);
  if (!rc.core.networkUp(g)) {
    // qemu-server tries guest-ping for 3 s before giving up (QemuServer/Agent.pm).
    await rc.core.sched.sleepSim(rc.core.durations.agentTimeout);
    throw fail("QEMU guest agent is not running");
  }
  return g;
}

export const agentPing: Handler = async (rc) => {
  await agentReady(rc);
  return { result: {} };
};

export const agentNetworkInterfaces: Handler = async (rc) => {
  const g = await agentReady(rc);
  const addr = rc.core.world.guestAddress(g);
  const stats = (n: number) => ({
    "rx-bytes": 1_000_000 + n,
    "rx-packets": 9000 + n,
    "rx-errs": 0,
    "rx-dropped": 0,
    "tx-bytes": 400_000 + n,
    "tx-packets": 4000 + n,
    "tx-errs": 0,
    "tx-dropped": 0,
  });
  const result: Record<string, unknown>[] = [
    {
      name: "lo",
      "hardware-address": "00:00:00:00:00:00",
      "ip-addresses": [
        { "ip-address": "127.0.0.1", "ip-address-type": "ipv4", prefix: 8 },
        { "ip-address": "::1", "ip-address-type": "ipv6", prefix: 128 },
      ],
      statistics: stats(1),
    },
  ];
  for (const [i, [name, mac]] of nicMacs(g).entries()) {
    const ips: Record<string, unknown>[] = [];
    if (i === 0) ips.push({ "ip-address": addr.ip, "ip-address-type": "ipv4", prefix: addr.prefix });
    ips.push({ "ip-address": linkLocal(mac), "ip-address-type": "ipv6", prefix: 64 });
    result.push({ name, "hardware-address": mac, "ip-addresses": ips, statistics: stats(g.vmid + i) });
  }
  // Noise a real guest often has: a docker bridge with its own address.
  result.push({
    name: "docker0",
    "hardware-address": "02:42:8f:3a:11:0c",
    "ip-addresses": [{ "ip-address": "172.17.0.1", "ip-address-type": "ipv4", prefix: 16 }],
    statistics: stats(0),
  });
  return { result };
};

export const lxcInterfaces: Handler = (rc) => {
  const g = load(rc, "lxc");
  // A stopped container answers 200 with data null (pve-container LXC.pm get_interfaces).
  if (!g.running) return null;
  const up = rc.core.networkUp(g);
  const addr = rc.core.world.guestAddress(g);
  const rows: Record<string, unknown>[] = [
    {
      name: "lo",
      hwaddr: "00:00:00:00:00:00",
      "hardware-address": "00:00:00:00:00:00",
      inet: "127.0.0.1/8",
      inet6: "::1/128",
      "ip-addresses": [
        { "ip-address": "127.0.0.1", "ip-address-type": "inet", prefix: 8 },
        { "ip-address": "::1", "ip-address-type": "inet6", prefix: 128 },
      ],
    },
  ];
  for (const [i, [name, mac]] of nicMacs(g).entries()) {
    const ll = linkLocal(mac);
    const ips: Record<string, unknown>[] = [];
    const row: Record<string, unknown> = { name, hwaddr: mac, "hardware-address": mac };
    if (i === 0 && up) {
      ips.push({ "ip-address": addr.ip, "ip-address-type": "inet", prefix: addr.prefix });
      row.inet = `${addr.ip}/${addr.prefix}`;
    }
    ips.push({ "ip-address": ll, "ip-address-type": "inet6", prefix: 64 });
    row.inet6 = `${ll}/64`;
    row["ip-addresses"] = ips;
    rows.push(row);
  }
  return rows;
};

