/** Planning rules, each checked against the simulator's real API (plans are released, nothing is created). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProvisionPlan, ProvisionRequestInput } from "../../src/engine/types.js";
import { PlanError, QuotaExceeded, UsageError } from "../../src/errors.js";
import { makeProfile, startPveEnv, type PveEnv } from "../support/pve-env.js";
import { Engine } from "../../src/engine/engine.js";

describe("engine: planning against the simulator", () => {
  let env: PveEnv;
  beforeAll(async () => {
    env = await startPveEnv();
  });
  afterAll(async () => env?.close());

  async function plan(input: ProvisionRequestInput, profile = "lab"): Promise<ProvisionPlan> {
    const p = await env.engine.planProvision(profile, input);
    await env.engine.releaseProvision(p);
    return p;
  }

  it("makes a container when no flag needs a VM, with nesting and unprivileged", async () => {
    const p = await plan({ name: "web1" });
    expect(p.type).toBe("lxc");
    expect(p.image).toMatchObject({ kind: "ostemplate", via: "profile default" });
    expect(p.features).toBe("nesting=1");
    expect(p.unprivileged).toBe(true);
    expect(p.steps).toEqual(["create", "start", "wait-ip"]);
  });

  it.each([
    ["docker", { docker: true }],
    ["liveMigrate", { liveMigrate: true }],
    ["windows", { windows: true }],
    ["customKernel", { customKernel: true }],
    ["haLive", { haLive: true }],
  ] as const)("--%s forces a VM", async (flag, flags) => {
    const p = await plan({ name: `vm-${flag.toLowerCase()}`, ...flags });
    expect(p.type).toBe("qemu");
    expect(p.typeReason).toMatch(/^VM because/);
    expect(p.image).toMatchObject({ kind: "vm-template", vmid: 9000, via: "profile default" });
  });

  it("--iso forces a VM created from the ISO", async () => {
    const p = await plan({ name: "inst1", iso: "local:iso/ubuntu-24.04.1-live-server-amd64.iso" });
    expect(p.type).toBe("qemu");
    expect(p.image).toMatchObject({ kind: "iso", via: "explicit volid" });
    expect(p.steps).toEqual(["create", "start"]);
  });

  it("Alpine (OpenRC) gets no nesting unless asked", async () => {
    expect((await plan({ name: "a1", image: "alpine320" })).features).toBe("");
    expect((await plan({ name: "a2", image: "alpine320", nesting: true })).features).toBe("nesting=1");
  });

  it("live-migrate and HA VMs get the profile's migratable CPU type, others cpu host", async () => {
    expect((await plan({ name: "lm1", liveMigrate: true })).cpuType).toBe("kvm64");
    expect((await plan({ name: "ha1", haLive: true })).cpuType).toBe("kvm64");
    expect((await plan({ name: "d1", docker: true })).cpuType).toBe("host");
    const custom = new Engine({ clientFor: () => env.client, profiles: new Map([["x", makeProfile("x", { migratableCpuType: "x86-64-v2-AES" })]]) });
    const p = await custom.planProvision("x", { name: "lm2", liveMigrate: true });
    await custom.releaseProvision(p);
    expect(p.cpuType).toBe("x86-64-v2-AES");
  });

  it("resolves images in priority order: volid > template vmid > template name > alias > default", async () => {
    expect((await plan({ name: "i1", image: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" })).image).toMatchObject({ kind: "ostemplate", via: "explicit volid" });
    expect((await plan({ name: "i2", image: "9001" })).image).toMatchObject({ kind: "vm-template", vmid: 9001, via: "template vmid" });
    expect((await plan({ name: "i3", image: "debian12-template" })).image).toMatchObject({ vmid: 9001, via: "template name" });
    expect((await plan({ name: "i4", image: "debian12" })).image).toMatchObject({ vmid: 9001, via: "profile alias" });
    expect((await plan({ name: "i5", docker: true })).image).toMatchObject({ vmid: 9000, via: "profile default" });
    // --iso beats --os
    expect((await plan({ name: "i6", image: "debian12", iso: "local:iso/virtio-win-0.1.262.iso" })).image).toMatchObject({ kind: "iso" });
  });

  it("fails early on a missing template, listing what exists", async () => {
    const err = await plan({ name: "x1", image: "8999" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect((err as Error).message).toMatch(/9000 \(ubuntu24-template on pve1\)/);
  });

  it("never shrinks a template's disk and grows it to the requested size", async () => {
    const small = await plan({ name: "s1", docker: true, diskGb: 1 });
    expect(small.diskGb).toBe(4); // template 9000 has 3.5 GiB
    expect(small.diskNote).toMatch(/never shrink/);
    expect(small.steps).not.toContain("resize");
    const big = await plan({ name: "s2", docker: true, size: "medium" });
    expect(big.diskGb).toBe(40);
    expect(big.steps).toContain("resize");
    expect((await plan({ name: "s3", docker: true, size: "large", cores: 6, memoryMb: 3000 }))).toMatchObject({ cores: 6, memoryMb: 3000, diskGb: 80 });
  });

  it("validates names as DNS labels and numbers role names from what exists", async () => {
    await expect(plan({ name: "bad_name" })).rejects.toBeInstanceOf(UsageError);
    await expect(plan({ name: "-x" })).rejects.toBeInstanceOf(UsageError);
    await expect(plan({ name: "a".repeat(64) })).rejects.toBeInstanceOf(UsageError);
    const r1 = await env.engine.planProvision("lab", { role: "worker", rolePrefix: "k8s" });
    const r2 = await env.engine.planProvision("lab", { role: "worker", rolePrefix: "k8s" });
    expect([r1.name, r2.name]).toEqual(["k8s-worker-1", "k8s-worker-2"]);
    await env.engine.releaseProvision(r1);
    await env.engine.releaseProvision(r2);
  });

  it("refuses a name that exists and an explicit VMID in use", async () => {
    await expect(plan({ name: "dns1" })).rejects.toThrow(/already exists/);
    await expect(plan({ name: "v1", vmid: 100 })).rejects.toThrow(/already in use/);
    await expect(plan({ name: "v2", vmid: 9100 })).rejects.toThrow(/templates range/);
    expect((await plan({ name: "v3", vmid: 777 })).vmid).toBe(777);
  });

  it("places a linked clone of a local template on the template's node", async () => {
    const p = await plan({ name: "lc1", image: "debian12" });
    expect(p.node).toBe("pve2");
    expect(p.nodeReason).toMatch(/local storage/);
    const shared = await plan({ name: "lc2", image: "rocky9" });
    expect(shared.image).toMatchObject({ sharedStorage: true });
  });

  it("refuses with the numbers when the pool quota would be exceeded", async () => {
    const tight = new Engine({ clientFor: () => env.client, profiles: new Map([["tight", makeProfile("tight", { quota: { cores: 4, memoryMb: 8192, diskGb: 100 } })]]) });
    const err = await tight.planProvision("tight", { name: "q1", size: "large", cores: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaExceeded);
    expect((err as QuotaExceeded).over.find((o) => o.resource === "cores")).toMatchObject({ requested: 8, limit: 4 });
    expect((err as Error).message).toMatch(/cores \d+ used \+ 8 requested/);
  });

  it("counts in-flight plans against the quota", async () => {
    const q = new Engine({ clientFor: () => env.client, profiles: new Map([["q", makeProfile("q", { pool: "chatops", quota: { cores: 1000, memoryMb: 1_000_000, diskGb: 10_000 } })]]) });
    // Learn current usage, then set the quota to allow exactly one more small container.
    const first = await q.planProvision("q", { name: "qa1" });
    const used = first.quota.cores.used;
    await q.releaseProvision(first);
    const q2 = new Engine({ clientFor: () => env.client, profiles: new Map([["q", makeProfile("q", { quota: { cores: used + 1, memoryMb: 1_000_000, diskGb: 10_000 } })]]) });
    const results = await Promise.allSettled([q2.planProvision("q", { name: "qb1" }), q2.planProvision("q", { name: "qb2" })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof QuotaExceeded)).toHaveLength(1);
  });

  it("never places on an offline node", async () => {
    env.sim.faults.setNodeOnline("pve2", false);
    try {
      for (let i = 0; i < 6; i++) {
        const p = await plan({ name: `off${i}`, image: "rocky9" });
        expect(p.node).not.toBe("pve2");
      }
      await expect(plan({ name: "off9", node: "pve2" })).rejects.toThrow(/offline/);
      // debian12's template lives on pve2: while pve2 is offline, Proxmox lists its guests without names, so the
      // template cannot be found, and the error says where it may be.
      await expect(plan({ name: "off10", image: "debian12" })).rejects.toThrow(/pve2 are offline and may hold more/);
      // By VMID it is still listed, but only pve2 could clone it (local storage)
      await expect(plan({ name: "off11", image: "9001" })).rejects.toThrow(/does not exist|No online node/);
    } finally {
      env.sim.faults.setNodeOnline("pve2", true);
    }
  });
});
