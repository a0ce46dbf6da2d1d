/**
 * The token the README tells admins to create (src/adapters/pve/privileges.ts → pveum lines) must be enough for
 * everything the bot does, and nothing the bot does may need more. The simulator enforces each endpoint's real
 * permission rule, so this runs the whole lifecycle with exactly that ACL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privilegesFor } from "../../src/adapters/pve/privileges.js";
import { Engine } from "../../src/engine/engine.js";
import { ProvisionFailed } from "../../src/engine/provision.js";
import { startSimulator, type AclEntry, type PveSimulator } from "../../src/sim/index.js";
import type { PveClient } from "../../src/adapters/pve/types.js";
import { FAST_TIMING, freePort, makeProfile, simClient } from "../support/pve-env.js";

function aclFor(opts: { withOptional: boolean }): AclEntry[] {
  return privilegesFor({ pools: ["chatops"], storages: ["local-lvm", "local", "cephpool"], bridges: ["vmbr0"], pveMajor: 9 })
    .filter((p) => opts.withOptional || !p.optional)
    .map((p) => ({ path: p.path, privs: [p.privilege] }));
}

describe("least-privilege token (the README's pveum lines)", () => {
  let sim: PveSimulator;
  let client: PveClient;
  let engine: Engine;
  beforeAll(async () => {
    const sshPort = await freePort();
    const acl = aclFor({ withOptional: false });
    sim = await startSimulator({
      speed: 100,
      authFailureDelayMs: 10,
      guestSshPort: sshPort,
      // privsep token: its own ACL intersected with its user's; the README grants both the same roles.
      tokens: [{ tokenId: "chatops@pve!bot", privsep: true, acl, userAcl: acl }],
    });
    client = simClient(sim);
    const profile = makeProfile("lab", { readiness: { agentTimeoutSec: 60, ipTimeoutSec: 60, sshTimeoutSec: 30, sshHandshake: false, sshPort } });
    engine = new Engine({ clientFor: () => client, profiles: new Map([["lab", profile]]), timing: FAST_TIMING });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it("can run the whole lifecycle: VM and container provision, list, status, power, snapshot, migrate, evacuate, teardown", async () => {
    const vm = await engine.provision("lab", { name: "lp-vm", docker: true, size: "medium" });
    const ct = await engine.provision("lab", { name: "lp-ct" });
    const shared = await engine.provision("lab", { name: "lp-rocky", image: "rocky9" });
    expect(vm.ip).toMatch(/^127\./);
    expect(ct.ip).toMatch(/^127\./);
    expect((await engine.list("lab")).map((g) => g.name).sort()).toEqual(["lp-ct", "lp-rocky", "lp-vm"]);
    expect((await engine.status("lab", { name: "lp-vm" })).ip).toBe(vm.ip);
    await engine.power("lab", { name: "lp-ct" }, "shutdown");
    await engine.power("lab", { name: "lp-ct" }, "start");
    await engine.snapshot("lab", { name: "lp-vm" }, { action: "create", name: "pre" });
    await engine.snapshot("lab", { name: "lp-vm" }, { action: "delete", name: "pre" });
    await engine.migrate("lab", { name: "lp-rocky" }, shared.node === "pve1" ? "pve2" : "pve1");
    const evac = await engine.planEvacuate("lab", "pve3");
    expect((await engine.executeEvacuate(evac)).failed).toEqual([]);
    for (const name of ["lp-vm", "lp-ct", "lp-rocky"]) {
      const res = await engine.executeTeardown(await engine.planTeardown("lab", { name }));
      expect(res.failed).toEqual([]);
    }
    expect(sim.state.guests().filter((g) => g.name.startsWith("lp-"))).toEqual([]);
  });

  it("--ha-live without the optional Sys.Console on / fails clearly, naming the privilege, and leaves nothing", async () => {
    const err = await engine.provision("lab", { name: "lp-ha", haLive: true, image: "rocky9" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionFailed);
    expect((err as Error).message).toMatch(/Sys\.Console/);
    expect(sim.state.guests().filter((g) => g.name === "lp-ha")).toEqual([]);
  });
});
