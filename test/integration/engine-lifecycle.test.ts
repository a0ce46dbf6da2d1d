/** Provision, failure and rollback, teardown, day-2 operations and evacuation, through the simulator. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProvisionFailed } from "../../src/engine/provision.js";
import { Cancelled } from "../../src/errors.js";
import type { ProgressEvent } from "../../src/engine/types.js";
import { collect, startPveEnv, type PveEnv } from "../support/pve-env.js";

describe("engine lifecycle against the simulator", () => {
  let env: PveEnv;
  beforeAll(async () => {
    env = await startPveEnv();
  });
  afterAll(async () => env?.close());

  const guestsNamed = (name: string) => env.sim.state.guests().filter((g) => g.name === name);

  it("provisions a container: create, start, IP from its interfaces", async () => {
    const c = collect();
    const r = await env.engine.provision("lab", { name: "ct1", tags: ["web"] }, { onEvent: c.onEvent });
    const g = env.sim.state.guest(r.vmid)!;
    expect(g).toMatchObject({ type: "lxc", status: "running", pool: "chatops" });
    expect(g.config.features).toBe("nesting=1");
    expect(String(g.config.tags)).toContain("web");
    expect(r.ip).toBe(g.ip);
    expect(r.ip).toMatch(/^127\./);
  });

  it("provisions a VM with a static address, ssh keys (double-encoded) and a grown disk", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9mY2ZmZWVmYWNlY2FmZWJhYmVkZWFkYmVlZjAwMDA alice@laptop";
    const r = await env.engine.provision("lab", {
      name: "static1",
      docker: true,
      size: "medium",
      network: { mode: "static", ip: "127.30.0.10/8", gateway: "127.30.0.1", dns: "127.30.0.2" },
      sshKeys: [key],
    });
    const g = env.sim.state.guest(r.vmid)!;
    expect(g.config.ipconfig0).toBe("ip=127.30.0.10/8,gw=127.30.0.1");
    expect(g.config.nameserver).toBe("127.30.0.2");
    // Proxmox stores sshkeys percent-encoded (BEHAVIOUR §8.5)
    expect(decodeURIComponent(String(g.config.sshkeys))).toBe(key);
    expect(String(g.config.scsi0)).toMatch(/size=40G/);
    expect(r.ip).toBe("127.30.0.10");
  });

  it("--ha-live: a live-migratable CPU type and the guest under HA", async () => {
    const r = await env.engine.provision("lab", { name: "ha1", haLive: true, image: "rocky9" });
    const g = env.sim.state.guest(r.vmid)!;
    expect(g.config.cpu).toBe("kvm64");
    const ha = (await env.client.get("/cluster/ha/resources")) as Array<{ sid: string }>;
    expect(ha.map((x) => x.sid)).toContain(`vm:${r.vmid}`);
    // Teardown takes it out of HA before destroying it.
    await env.engine.executeTeardown(await env.engine.planTeardown("lab", { name: "ha1" }));
    const after = (await env.client.get("/cluster/ha/resources")) as Array<{ sid: string }>;
    expect(after.map((x) => x.sid)).not.toContain(`vm:${r.vmid}`);
    expect(env.sim.state.guest(r.vmid)).toBeUndefined();
  });

  it("--iso creates a VM from scratch with the ISO as CD-ROM and starts the installer", async () => {
    const r = await env.engine.provision("lab", { name: "inst1", iso: "local:iso/ubuntu-24.04.1-live-server-amd64.iso", diskGb: 32 });
    const g = env.sim.state.guest(r.vmid)!;
    expect(g).toMatchObject({ type: "qemu", status: "running" });
    expect(String(g.config.ide2)).toContain("local:iso/ubuntu-24.04.1-live-server-amd64.iso,media=cdrom");
    expect(String(g.config.scsi0)).toMatch(/size=32G/);
    expect(r.note).toMatch(/installer/);
    expect(r.ip).toBeUndefined();
  });

  it("a failure in the middle rolls back and leaves nothing; re-running the same request then works", async () => {
    env.sim.faults.failNextTask({ type: "qmstart" }, "start failed: QEMU exited with code 1");
    const c = collect();
    const err = await env.engine.provision("lab", { name: "flaky1", docker: true }, { onEvent: c.onEvent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionFailed);
    const failed = c.events.find((e): e is Extract<ProgressEvent, { type: "failed" }> => e.type === "failed")!;
    expect(failed.step).toBe("start");
    expect(failed.pveMessage).toMatch(/QEMU exited with code 1/);
    expect(failed.logTail?.join("\n")).toMatch(/TASK ERROR/);
    expect(failed.rolledBack.join()).toMatch(/destroyed flaky1/);
    expect(failed.leftBehind).toEqual([]);
    expect(guestsNamed("flaky1")).toHaveLength(0);
    const again = await env.engine.provision("lab", { name: "flaky1", docker: true });
    expect(env.sim.state.guest(again.vmid)?.status).toBe("running");
  });

  it("a failed clone task leaves nothing behind", async () => {
    env.sim.faults.failNextTask({ type: "qmclone" }, "clone failed: storage error");
    await expect(env.engine.provision("lab", { name: "cl-fail", docker: true })).rejects.toBeInstanceOf(ProvisionFailed);
    expect(guestsNamed("cl-fail")).toHaveLength(0);
  });

  it("re-picks the VMID when another actor takes it between plan and clone", async () => {
    const plan = await env.engine.planProvision("lab", { name: "race1", docker: true });
    // Someone else creates a guest with exactly that VMID (outside the bot).
    const upid = await env.client.post("/nodes/pve3/lxc", { vmid: plan.vmid, ostemplate: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz", hostname: "intruder", rootfs: "local-lvm:2" });
    await env.client.waitForTask(String(upid));
    const c = collect();
    const r = await env.engine.executeProvision(plan, { onEvent: c.onEvent, requestedBy: "test" });
    expect(r.vmid).not.toBe(plan.vmid);
    expect(env.sim.state.guest(plan.vmid)?.name).toBe("intruder");
    expect(c.events.some((e) => e.type === "rollback" && /was taken meanwhile/.test(e.message))).toBe(true);
  });

  it("50 concurrent provisions: no VMID collision, no error", { timeout: 120_000 }, async () => {
    const names = Array.from({ length: 50 }, (_, i) => `bulk${i}`);
    const results = await Promise.allSettled(names.map((name, i) => env.engine.provision("lab", { name, tags: ["bulk"], ...(i % 2 ? { docker: true } : {}) })));
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const vmids = results.map((r) => (r as PromiseFulfilledResult<{ vmid: number }>).value.vmid);
    expect(new Set(vmids).size).toBe(50);
    for (const name of names) expect(guestsNamed(name)).toHaveLength(1);
    // Free the nodes for the tests below (the linked clones filled pve1's memory).
    const res = await env.engine.executeTeardown(await env.engine.planTeardown("lab", { tag: "bulk" }));
    expect(res.destroyed).toHaveLength(50);
    expect(res.failed).toEqual([]);
  });

  it("a run cancelled between steps rolls back what it created (resuming is covered by jobs-crash)", async () => {
    const plan = await env.engine.planProvision("lab", { name: "resume1", docker: true });
    const ac = new AbortController();
    const err = await env.engine
      .executeProvision(plan, {
        signal: ac.signal,
        requestedBy: "test",
        onState: (s) => {
          if (s.completed.includes("configure")) ac.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionFailed);
    expect((err as ProvisionFailed).causeError).toBeInstanceOf(Cancelled);
    expect((err as ProvisionFailed).rolledBack.join()).toMatch(/destroyed resume1/);
    expect(guestsNamed("resume1")).toHaveLength(0);
  });

  it("teardown waits for the asynchronous destroy: the VMID is gone on every node when it returns", async () => {
    const r = await env.engine.provision("lab", { name: "gone1", docker: true });
    const plan = await env.engine.planTeardown("lab", { name: "gone1" });
    expect(plan.guests).toMatchObject([{ vmid: r.vmid, name: "gone1", status: "running", ip: r.ip }]);
    const c = collect();
    const res = await env.engine.executeTeardown(plan, { onEvent: c.onEvent });
    expect(res.failed).toEqual([]);
    expect(env.sim.state.guest(r.vmid)).toBeUndefined();
    const listed = (await env.client.get("/cluster/resources", { type: "vm" })) as Array<{ vmid: number }>;
    expect(listed.some((g) => g.vmid === r.vmid)).toBe(false);
    expect(c.events.filter((e) => e.type === "task-started").length).toBeGreaterThanOrEqual(2); // shutdown + destroy
  });

  it("teardown refuses templates unless asked, and guests outside the profile's pool", async () => {
    await expect(env.engine.planTeardown("lab", { vmid: 9000 })).rejects.toThrow(/not in pool|template/);
    await expect(env.engine.planTeardown("lab", { name: "dns1" })).rejects.toThrow(/not in pool/);
  });

  it("teardown by tag takes every tagged guest", async () => {
    await env.engine.provision("lab", { name: "tag-a", tags: ["batch7"] });
    await env.engine.provision("lab", { name: "tag-b", tags: ["batch7"] });
    const plan = await env.engine.planTeardown("lab", { tag: "batch7" });
    expect(plan.guests.map((g) => g.name).sort()).toEqual(["tag-a", "tag-b"]);
    await env.engine.executeTeardown(plan);
    expect(guestsNamed("tag-a")).toHaveLength(0);
    expect(guestsNamed("tag-b")).toHaveLength(0);
  });

  it("lists, reports status, powers, snapshots and migrates", async () => {
    const r = await env.engine.provision("lab", { name: "day2", docker: true, image: "rocky9" });
    const list = await env.engine.list("lab", { text: "day2" });
    expect(list).toMatchObject([{ name: "day2", vmid: r.vmid, type: "qemu" }]);
    const st = await env.engine.status("lab", { name: "day2" });
    expect(st).toMatchObject({ status: "running", ip: r.ip, cores: 1 });
    await env.engine.power("lab", { name: "day2" }, "shutdown");
    expect(env.sim.state.guest(r.vmid)?.status).toBe("stopped");
    await env.engine.power("lab", { name: "day2" }, "start");
    expect(env.sim.state.guest(r.vmid)?.status).toBe("running");
    await env.engine.snapshot("lab", { name: "day2" }, { action: "create", name: "before-upgrade" });
    const snaps = await env.engine.snapshot("lab", { name: "day2" }, { action: "list" });
    expect(snaps[0]!.snapshots!.map((s) => s.name)).toContain("before-upgrade");
    await env.engine.snapshot("lab", { name: "day2" }, { action: "rollback", name: "before-upgrade" });
    // A snapshot without RAM state rolls back to a stopped VM (as on real Proxmox).
    expect(env.sim.state.guest(r.vmid)?.status).toBe("stopped");
    await env.engine.power("lab", { name: "day2" }, "start");
    await env.engine.snapshot("lab", { name: "day2" }, { action: "delete", name: "before-upgrade" });
    const target = r.node === "pve1" ? "pve2" : "pve1";
    await env.engine.migrate("lab", { name: "day2" }, target);
    expect(env.sim.state.guest(r.vmid)?.node).toBe(target);
    expect(env.sim.state.guest(r.vmid)?.status).toBe("running");
  });

  it("evacuates a node: every guest moves to the others by the placement rule", async () => {
    for (const name of ["ev1", "ev2", "ev3"]) await env.engine.provision("lab", { name, image: "rocky9", node: "pve3" });
    const onNode = env.sim.state.guests().filter((g) => g.node === "pve3" && !g.template);
    expect(onNode.length).toBeGreaterThanOrEqual(3);
    const plan = await env.engine.planEvacuate("lab", "pve3");
    expect(plan.moves.length).toBe(onNode.length);
    expect(plan.moves.every((m) => m.target !== "pve3")).toBe(true);
    const res = await env.engine.executeEvacuate(plan);
    expect(res.failed).toEqual([]);
    expect(env.sim.state.guests().filter((g) => g.node === "pve3" && !g.template)).toEqual([]);
  });
});
