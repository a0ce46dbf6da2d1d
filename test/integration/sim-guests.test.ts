import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness, type SimHarness } from "./sim-helpers.js";

let h: SimHarness;
beforeAll(async () => {
  // speed 20 and slow clone/stats windows: the race window of two clones (clone worker start, 300 ms) and the
  // "stats not yet" window (400 ms) stay wide enough on a loaded machine.
  h = await startHarness({ speed: 20, durations: { fullClone: 2000, agentBoot: 4000, agentTimeout: 400, statsLag: 8000, cloneWorkerStart: 6000, linkedClone: 8000 } });
});
afterAll(async () => {
  await h?.close();
});

const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHg0bU3vQzj3Nz4Qn8m1Kx6yT0Zb7x3dP2q9bqk8Hk3T user@host";

describe("create", () => {
  it("returns a qmcreate UPID, holds lock create, then has the config", async () => {
    const upid: string = await h.data("POST", "/nodes/pve1/qemu", {
      vmid: 400,
      name: "made-by-test",
      memory: 1024,
      cores: 2,
      scsi0: "local-lvm:8",
      net0: "virtio,bridge=vmbr0",
      agent: 1,
      sshkeys: encodeURIComponent(SSH_KEY),
    });
    expect(upid).toMatch(/^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmcreate:400:chatops@pve!bot:$/);
    const during = await h.data("GET", "/nodes/pve1/qemu/400/config");
    expect(during.lock).toBe("create");
    const dup = await h.api("POST", "/nodes/pve2/qemu", { vmid: 400 });
    expect(dup.status).toBe(500);
    expect(dup.reason).toBe("unable to create VM 400 - VM 400 already exists on node 'pve1'");
    const ctDup = await h.api("POST", "/nodes/pve1/lxc", { vmid: 400, ostemplate: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" });
    expect(ctDup.reason).toBe("VM 400 already exists on node 'pve1'");
    expect((await h.waitTask(upid)).exitstatus).toBe("OK");
    const cfg = await h.data("GET", "/nodes/pve1/qemu/400/config");
    expect(cfg.lock).toBeUndefined();
    expect(cfg.memory).toBe("1024");
    expect(cfg.cores).toBe(2);
    expect(cfg.scsi0).toBe("local-lvm:vm-400-disk-0,size=8G");
    expect(cfg.net0).toMatch(/^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0$/);
    expect(cfg.sshkeys).toBe(encodeURIComponent(SSH_KEY));
    expect(cfg.digest).toMatch(/^[0-9a-f]{40}$/);
  });

  it("rejects a key that is not SSH, and a digest that does not match", async () => {
    const bad = await h.api("PUT", "/nodes/pve1/qemu/400/config", { sshkeys: encodeURIComponent("not a key") });
    expect(bad.status).toBe(500);
    expect(bad.reason).toBe("SSH public key validation error");
    const stale = await h.api("PUT", "/nodes/pve1/qemu/400/config", { cores: 4, digest: "0".repeat(40) });
    expect(stale.reason).toBe("checksum mismatch (file change by other user?)");
    const { digest } = await h.data("GET", "/nodes/pve1/qemu/400/config");
    expect(await h.data("PUT", "/nodes/pve1/qemu/400/config", { cores: 4, digest, cipassword: "s3cret", delete: "agent" })).toBeNull();
    const cfg = await h.data("GET", "/nodes/pve1/qemu/400/config");
    expect(cfg.cores).toBe(4);
    expect(cfg.agent).toBeUndefined();
    expect(cfg.cipassword).toBe("**********");
  });

  it("resizes with +N and refuses to shrink", async () => {
    const upid = await h.data("PUT", "/nodes/pve1/qemu/400/resize", { disk: "scsi0", size: "+2G" });
    expect(upid).toContain(":resize:400:");
    expect((await h.waitTask(upid)).exitstatus).toBe("OK");
    expect((await h.data("GET", "/nodes/pve1/qemu/400/config")).scsi0).toBe("local-lvm:vm-400-disk-0,size=10G");
    const shrink = await h.api("PUT", "/nodes/pve1/qemu/400/resize", { disk: "scsi0", size: "4G" });
    expect(shrink.status).toBe(500);
    expect(shrink.reason).toBe("shrinking disks is not supported");
  });
});

describe("clone", () => {
  it("shows lock clone on the new VM while it runs, then clears it; new MACs; pool joined at the end", async () => {
    const upid: string = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 410, full: 1, pool: "chatops" });
    const locked = await eventually(async () => {
      const r = await h.api("GET", "/nodes/pve1/qemu/410/status/current");
      return r.status === 200 ? r.body.data : undefined;
    });
    expect(locked.lock).toBe("clone");
    const busy = await h.api("POST", "/nodes/pve1/qemu/410/status/start");
    expect(busy.status).toBe(500);
    expect(busy.reason).toBe("VM is locked (clone)");
    const resources = await h.data("GET", "/cluster/resources", { type: "vm" });
    expect(resources.find((r: { vmid: number }) => r.vmid === 410)).toMatchObject({ lock: "clone", status: "unknown" });
    expect((await h.waitTask(upid)).exitstatus).toBe("OK");
    const cfg = await h.data("GET", "/nodes/pve1/qemu/410/config");
    const tmpl = await h.data("GET", "/nodes/pve1/qemu/9000/config");
    expect(cfg.lock).toBeUndefined();
    expect(cfg.name).toBe("Copy-of-VM-ubuntu24-template");
    expect(cfg.template).toBeUndefined();
    expect(cfg.net0).not.toBe(tmpl.net0);
    expect(cfg.smbios1).not.toBe(tmpl.smbios1);
    expect(cfg.scsi0).toMatch(/^local-lvm:vm-410-disk-0,/);
    expect(h.sim.state.guest(410)?.pool).toBe("chatops");
  });

  it("rejects the clone rules with Proxmox's texts", async () => {
    const wrongNode = await h.api("POST", "/nodes/pve2/qemu/9000/clone", { newid: 411 });
    expect(wrongNode.reason).toBe("Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist");
    const linkedStorage = await h.api("POST", "/nodes/pve1/qemu/9000/clone", { newid: 411, storage: "local-lvm" });
    expect(linkedStorage.reason).toBe("parameter 'storage' not allowed for linked clones");
    const localTarget = await h.api("POST", "/nodes/pve1/qemu/9000/clone", { newid: 411, target: "pve2" });
    expect(localTarget.reason).toBe("can't clone VM to node 'pve2' (VM uses local storage)");
    const noPool = await h.api("POST", "/nodes/pve1/qemu/9000/clone", { newid: 411, pool: "nope" });
    expect(noPool.status).toBe(403);
    expect(noPool.reason).toBe("Permission check failed (pool 'nope' does not exist)");
    const exists = await h.api("POST", "/nodes/pve1/qemu/9000/clone", { newid: 9001 });
    expect(exists.reason).toBe("unable to create VM 9001: config file already exists");
  });

  it("a shared-storage template clones to another node", async () => {
    const upid = await h.data("POST", "/nodes/pve3/qemu/9002/clone", { newid: 412, target: "pve1", name: "rocky-a" });
    expect((await h.waitTask(upid)).exitstatus).toBe("OK");
    expect(h.sim.state.guest(412)).toMatchObject({ node: "pve1", name: "rocky-a" });
    expect(h.sim.state.guest(412)?.config.scsi0).toMatch(/^cephpool:base-9002-disk-0\/vm-412-disk-0,/);
  });

  it("two concurrent clones to one newid: both get a UPID, one fails in its task", async () => {
    const [a, b] = await Promise.all([
      h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 420, name: "race-a" }),
      h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 420, name: "race-b" }),
    ]);
    const results = await Promise.all([h.waitTask(a), h.waitTask(b)]);
    const statuses = results.map((r) => r.exitstatus).sort();
    expect(statuses[0]).toBe("OK");
    expect(statuses[1]).toMatch(/^can't lock file '\/var\/lock\/qemu-server\/lock-420\.conf' - got timeout$|config file already exists/);
    expect(h.sim.state.guests().filter((g) => g.vmid === 420)).toHaveLength(1);
  });
});

describe("delete", () => {
  it("returns a UPID at once and the guest stays listed with lock destroyed (the ghost VM)", async () => {
    const upid: string = await h.data("DELETE", "/nodes/pve1/qemu/400", { purge: 1, "destroy-unreferenced-disks": 1 });
    expect(upid).toContain(":qmdestroy:400:");
    const ghost = await eventually(async () => {
      const rows = await h.data("GET", "/cluster/resources", { type: "vm" });
      return rows.find((r: { vmid: number; lock?: string }) => r.vmid === 400 && r.lock === "destroyed");
    });
    expect(ghost.lock).toBe("destroyed");
    expect((await h.waitTask(upid)).exitstatus).toBe("OK");
    const rows = await h.data("GET", "/cluster/resources", { type: "vm" });
    expect(rows.some((r: { vmid: number }) => r.vmid === 400)).toBe(false);
  });

  it("refuses a running VM, and fails in the task for a template with linked clones", async () => {
    const start = await h.data("POST", "/nodes/pve1/qemu/410/status/start");
    expect((await h.waitTask(start)).exitstatus).toBe("OK");
    const running = await h.api("DELETE", "/nodes/pve1/qemu/410");
    expect(running.reason).toBe("VM 410 is running - destroy failed");
    const again = await h.data("POST", "/nodes/pve1/qemu/410/status/start");
    expect((await h.waitTask(again)).exitstatus).toBe("VM 410 already running");
    const tmpl = await h.data("DELETE", "/nodes/pve1/qemu/9000");
    const done = await h.waitTask(tmpl);
    expect(done.exitstatus).toBe("base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned");
    expect(done.log.at(-1)).toBe("TASK ERROR: base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned");
    expect(h.sim.state.guest(9000)?.lock).toBeUndefined();
  });
});

describe("guest readiness", () => {
  it("agent: not running until booted, then the QGA shape with a 127.x address on net0's MAC", async () => {
    const stopped = await h.api("POST", "/nodes/pve1/qemu/412/agent/ping");
    expect(stopped.reason).toBe("VM 412 is not running");
    const start = await h.data("POST", "/nodes/pve1/qemu/412/status/start");
    await h.waitTask(start);
    const early = await h.api("GET", "/nodes/pve1/qemu/412/agent/network-get-interfaces");
    expect(early.status).toBe(500);
    expect(early.reason).toBe("QEMU guest agent is not running");
    const ifaces = await eventually(async () => {
      const r = await h.api("GET", "/nodes/pve1/qemu/412/agent/network-get-interfaces");
      return r.status === 200 ? r.body.data.result : undefined;
    });
    const mac = /virtio=([0-9A-F:]+)/.exec((await h.data("GET", "/nodes/pve1/qemu/412/config")).net0)![1]!.toLowerCase();
    const names = ifaces.map((i: { name: string }) => i.name);
    expect(names).toEqual(["lo", "eth0", "docker0"]);
    const eth0 = ifaces.find((i: { "hardware-address": string }) => i["hardware-address"] === mac);
    const v4 = eth0["ip-addresses"].find((a: { "ip-address-type": string }) => a["ip-address-type"] === "ipv4");
    expect(v4["ip-address"]).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(v4["ip-address"].split(".")[3]).not.toMatch(/^(0|255)$/);
    expect(eth0["ip-addresses"].some((a: { "ip-address": string }) => a["ip-address"].startsWith("fe80::"))).toBe(true);
    expect(await h.data("POST", "/nodes/pve1/qemu/412/agent/ping")).toEqual({ result: {} });
  });

  it("LXC: interfaces null when stopped, inet/inet6 entries when running", async () => {
    const create = await h.data("POST", "/nodes/pve2/lxc", {
      vmid: 430,
      hostname: "ct-430",
      ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      rootfs: "local-lvm:4",
      net0: "name=eth0,bridge=vmbr0,ip=dhcp",
      "ssh-public-keys": SSH_KEY,
    });
    expect((await h.waitTask(create)).exitstatus).toBe("OK");
    const cfg = await h.data("GET", "/nodes/pve2/lxc/430/config");
    expect(cfg.unprivileged).toBe(1);
    expect(cfg.rootfs).toBe("local-lvm:vm-430-disk-0,size=4G");
    expect(cfg.net0).toMatch(/hwaddr=BC:24:11:/);
    const stopped = await h.api("GET", "/nodes/pve2/lxc/430/interfaces");
    expect(stopped.status).toBe(200);
    expect(stopped.body).toEqual({ data: null });
    await h.waitTask(await h.data("POST", "/nodes/pve2/lxc/430/status/start"));
    const eth0 = await eventually(async () => {
      const rows = await h.data("GET", "/nodes/pve2/lxc/430/interfaces");
      return rows?.find((r: { name: string; inet?: string }) => r.name === "eth0" && r.inet);
    });
    expect(eth0.inet).toMatch(/^127\.\d+\.\d+\.\d+\/\d+$/);
    expect(eth0["ip-addresses"][0]["ip-address-type"]).toBe("inet");
    const feat = await h.api("POST", "/nodes/pve2/lxc", {
      vmid: 431,
      ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      features: "nesting=1,keyctl=1",
    });
    expect(feat.status).toBe(403);
    expect(feat.reason).toBe("Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)");
  });
});

describe("stats, snapshots, migrate", () => {
  it("cluster resources: node, storage and pool rows; memory is accounted", async () => {
    const rows = await h.data("GET", "/cluster/resources");
    const types = new Set(rows.map((r: { type: string }) => r.type));
    expect(types).toEqual(new Set(["qemu", "lxc", "node", "storage", "pool"]));
    const pool = rows.find((r: { id: string }) => r.id === "/pool/chatops");
    expect(pool).toMatchObject({ type: "pool", pool: "chatops" });
    const status = await h.data("GET", "/nodes/pve1/status");
    expect(status.memory.used).toBe(h.sim.state.nodes().find((n) => n.name === "pve1")!.memUsed);
    expect(typeof status.loadavg[0]).toBe("string");
  });

  it("snapshots list with current, then rollback and delete", async () => {
    await h.waitTask(await h.data("POST", "/nodes/pve3/qemu/9002/clone", { newid: 440 }));
    await h.waitTask(await h.data("POST", "/nodes/pve3/qemu/440/snapshot", { snapname: "before" }));
    await h.data("PUT", "/nodes/pve3/qemu/440/config", { cores: 8 });
    const list = await h.data("GET", "/nodes/pve3/qemu/440/snapshot");
    expect(list.map((s: { name: string }) => s.name)).toEqual(["before", "current"]);
    expect(list[1]).toMatchObject({ description: "You are here!", parent: "before" });
    expect((await h.waitTask(await h.data("POST", "/nodes/pve3/qemu/440/snapshot/before/rollback"))).exitstatus).toBe("OK");
    expect((await h.data("GET", "/nodes/pve3/qemu/440/config")).cores).toBe(2);
    expect((await h.waitTask(await h.data("DELETE", "/nodes/pve3/qemu/440/snapshot/before"))).exitstatus).toBe("OK");
    expect((await h.data("GET", "/nodes/pve3/qemu/440/snapshot")).map((s: { name: string }) => s.name)).toEqual(["current"]);
  });

  it("migrate moves the guest at the end, holding lock migrate meanwhile", async () => {
    const upid = await h.data("POST", "/nodes/pve3/qemu/440/migrate", { target: "pve2" });
    expect(upid).toContain(":qmigrate:440:");
    const done = await h.waitTask(upid);
    expect(done.exitstatus).toBe("OK");
    expect(h.sim.state.guest(440)).toMatchObject({ node: "pve2", lock: undefined });
  });
});
