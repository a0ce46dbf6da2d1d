/**
 * The world the simulator starts with (the demo shows it, so it looks like a small real cluster):
 * nodes pve1..pveN, `local` (dir) and `local-lvm` (lvmthin) on every node, one shared `cephpool` (rbd),
 * ISO images and container templates on every node's `local`, three VM templates, the `chatops` pool and,
 * unless turned off, two long-running infrastructure guests.
 */
import { GiB, MiB, World, type Config, type Guest, type GuestType } from "./world.js";

const ISOS: [string, number][] = [
  ["ubuntu-24.04.1-live-server-amd64.iso", 2_773_874_688],
  ["virtio-win-0.1.262.iso", 708_100_096],
];
const VZTMPLS: [string, number][] = [
  ["ubuntu-24.04-standard_24.04-2_amd64.tar.zst", 141_589_483],
  ["alpine-3.20-default_20240908_amd64.tar.xz", 3_214_060],
  ["debian-12-standard_12.7-1_amd64.tar.zst", 126_008_160],
];

export const SIM_QEMU_VERSION = "9.2.0";

export function seedWorld(world: World, opts: { workloads: boolean }): void {
  world.storages.set("local", {
    id: "local",
    type: "dir",
    content: ["iso", "vztmpl", "backup", "snippets"],
    shared: false,
    total: 94 * GiB,
    baseUsed: 9 * GiB,
    canClone: false,
  });
  world.storages.set("local-lvm", {
    id: "local-lvm",
    type: "lvmthin",
    content: ["images", "rootdir"],
    shared: false,
    total: 832 * GiB,
    baseUsed: 0,
    canClone: true,
  });
  world.storages.set("cephpool", {
    id: "cephpool",
    type: "rbd",
    content: ["images", "rootdir"],
    shared: true,
    total: 3 * 1024 * GiB,
    baseUsed: 412 * GiB,
    canClone: true,
  });

  const ctime = Math.floor(Date.now() / 1000) - 40 * 86_400;
  for (const node of world.nodes.keys()) {
    for (const [file, size] of ISOS)
      world.addVolume({ volid: `local:iso/${file}`, storage: "local", node, vmid: 0, size, content: "iso", format: "iso", ctime });
    for (const [file, size] of VZTMPLS)
      world.addVolume({
        volid: `local:vztmpl/${file}`,
        storage: "local",
        node,
        vmid: 0,
        size,
        content: "vztmpl",
        format: file.endsWith(".zst") ? "tzst" : "txz",
        ctime,
      });
  }

  world.pools.set("chatops", { comment: "Guests made by pve-chatops" });

  const nodeNames = [...world.nodes.keys()];
  const nodeAt = (i: number) => nodeNames[Math.min(i, nodeNames.length - 1)]!;
  addVmTemplate(world, 9000, "ubuntu24-template", nodeAt(0), "local-lvm", 3584 * MiB, ctime);
  addVmTemplate(world, 9001, "debian12-template", nodeAt(1), "local-lvm", 3 * GiB, ctime);
  addVmTemplate(world, 9002, "rocky9-template", nodeAt(2), "cephpool", 10 * GiB, ctime);

  if (opts.workloads) {
    const dns = addGuest(world, "qemu", 100, nodeAt(0), {
      name: "dns1",
      agent: "1",
      boot: "order=scsi0",
      cores: 2,
      cpu: "x86-64-v2-AES",
      memory: "2048",
      ostype: "l26",
      scsihw: "virtio-scsi-single",
      tags: "infra",
      onboot: 1,
      ipconfig0: "ip=dhcp",
    });
    addDisk(world, dns, "scsi0", "local-lvm", 20 * GiB, [["iothread", "1"]]);
    dns.config.net0 = `virtio=${world.newMac()},bridge=vmbr0`;
    const proxy = addGuest(world, "lxc", 101, nodeAt(1), {
      hostname: "proxy",
      arch: "amd64",
      cores: 1,
      memory: 512,
      swap: 512,
      ostype: "debian",
      unprivileged: 1,
      features: "nesting=1",
      tags: "infra",
      onboot: 1,
    });
    addDisk(world, proxy, "rootfs", "local-lvm", 8 * GiB);
    proxy.config.net0 = `name=eth0,bridge=vmbr0,hwaddr=${world.newMac()},ip=dhcp,type=veth`;
    for (const g of [dns, proxy]) {
      g.running = true;
      g.startedAt = Date.now() - 3 * 86_400_000;
      g.netUpAt = g.startedAt;
      g.createdAt = g.startedAt;
    }
  }
}

function addGuest(world: World, type: GuestType, vmid: number, node: string, config: Config): Guest {
  const g: Guest = {
    vmid,
    type,
    node,
    config,
    running: false,
    createdAt: Date.now() - 40 * 86_400_000,
    snapshots: [],
    counters: { netin: 0, netout: 0, diskread: 0, diskwrite: 0 },
  };
  if (type === "qemu") {
    config.smbios1 = `uuid=${world.newUuid()}`;
    config.vmgenid = world.newUuid();
    config.meta = `creation-qemu=${SIM_QEMU_VERSION},ctime=${Math.floor(g.createdAt / 1000)}`;
  }
  world.guests.set(vmid, g);
  return g;
}

function addDisk(world: World, g: Guest, key: string, storage: string, size: number, opts: [string, string][] = [], base = false): void {
  const st = world.storages.get(storage)!;
  const volid = base ? `${storage}:base-${g.vmid}-disk-0` : world.nextDiskName(st, g.node, g.vmid);
  world.addVolume({ volid, storage, node: g.node, vmid: g.vmid, size, content: g.type === "qemu" ? "images" : "rootdir", format: "raw" });
  g.config[key] = world.formatDiskValue(volid, size, opts);
}

function addVmTemplate(world: World, vmid: number, name: string, node: string, storage: string, size: number, ctime: number): void {
  const g = addGuest(world, "qemu", vmid, node, {
    name,
    agent: "1",
    boot: "order=scsi0",
    cores: 2,
    cpu: "x86-64-v2-AES",
    memory: "2048",
    ostype: "l26",
    scsihw: "virtio-scsi-single",
    serial0: "socket",
    vga: "serial0",
    ipconfig0: "ip=dhcp",
    ciuser: "ubuntu",
    description: `${name} (cloud image, cloud-init)`,
    template: 1,
  });
  g.createdAt = ctime * 1000;
  addDisk(world, g, "scsi0", storage, size, [["discard", "on"], ["iothread", "1"]], true);
  const ci = `${storage}:vm-${vmid}-cloudinit`;
  world.addVolume({ volid: ci, storage, node, vmid, size: 4 * MiB, content: "images", format: "raw" });
  g.config.ide2 = `${ci},media=cdrom`;
  g.config.net0 = `virtio=${world.newMac()},bridge=vmbr0`;
}
