/** `pve-chatops check` against the simulator, with a config file on disk. */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/check.js";
import type { CliIo } from "../../src/cli/io.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";

const WEAK_ID = "chatops@pve!weak";
const WEAK_SECRET = "6a1d3c5e-0f2b-4d7a-9e8c-1b2a3c4d5e6f";

let sim: PveSimulator;
beforeAll(async () => {
  sim = await startSimulator({
    speed: 100,
    authFailureDelayMs: 10,
    guestSshPort: null,
    tokens: [
      { tokenId: "chatops@pve!bot" },
      // Audit only: can look but not clone, allocate or power guests.
      { tokenId: WEAK_ID, secret: WEAK_SECRET, acl: [{ path: "/", privs: ["PVEAuditor"] }] },
    ],
  });
});
afterAll(async () => {
  await sim?.close();
});

function setup(api: { tokenId: string; fingerprint: string }, secret: string) {
  const dir = mkdtempSync(join(tmpdir(), "pve-check-sim-"));
  mkdirSync(join(dir, "profiles"));
  writeFileSync(
    join(dir, "pve-chatops.yaml"),
    [
      "clusters:",
      "  sim:",
      "    api:",
      `      url: "${sim.url}"`,
      `      tokenId: "${api.tokenId}"`,
      '      tokenSecret: "${PVE_TOKEN}"',
      `      fingerprint: "${api.fingerprint}"`,
      "profilesDir: ./profiles",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "profiles", "lab.yaml"),
    [
      "cluster: sim",
      "pool: chatops",
      "storage: local-lvm",
      "bridge: vmbr0",
      'vmidRanges: { templates: "9000-9999", auto: "500-8999" }',
      "sizes: { small: { cores: 1, memoryMb: 2048, diskGb: 20 } }",
      "images: { ubuntu: { template: 9000 } }",
      "quota: { cores: 16, memoryMb: 65536, diskGb: 500 }",
      "",
    ].join("\n"),
  );
  const out: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), env: { PVE_TOKEN: secret }, cwd: dir, stopSignal: new Promise(() => {}) };
  return { io, text: () => out.join("\n") };
}

describe("pve-chatops check against the simulator", () => {
  it("OK with the simulator's bot token", async () => {
    const t = setup({ tokenId: sim.tokenId, fingerprint: sim.fingerprint }, sim.tokenSecret);
    expect(await run([], t.io)).toBe(0);
    expect(t.text()).toMatch(/: OK \(Proxmox VE \d+\.\d+/);
    expect(t.text()).toMatch(/privileges: OK/);
    expect(t.text()).not.toContain(sim.tokenSecret);
  });

  it("wrong secret → exit 1 with the 401 line", async () => {
    const wrong = "99999999-8888-7777-6666-555555555555";
    const t = setup({ tokenId: sim.tokenId, fingerprint: sim.fingerprint }, wrong);
    expect(await run(["sim"], t.io)).toBe(1);
    expect(t.text()).toContain("bad credentials: Proxmox answered 401 Authentication failed! — check tokenId/tokenSecret");
    expect(t.text()).not.toContain(wrong);
  });

  it("wrong fingerprint → TLS refusal", async () => {
    const wrongFp = sim.fingerprint.replace(/^../, sim.fingerprint.startsWith("AA") ? "BB" : "AA");
    const t = setup({ tokenId: sim.tokenId, fingerprint: wrongFp }, sim.tokenSecret);
    expect(await run([], t.io)).toBe(1);
    expect(t.text()).toContain("TLS refused: certificate fingerprint mismatch");
    expect(t.text()).toContain(`got ${sim.fingerprint}`);
  });

  it("a token lacking privileges → lists each with its fix", async () => {
    const t = setup({ tokenId: WEAK_ID, fingerprint: sim.fingerprint }, WEAK_SECRET);
    expect(await run([], t.io)).toBe(1);
    const text = t.text();
    for (const priv of ["VM.Allocate on /pool/chatops", "VM.Clone on /vms", "VM.PowerMgmt on /pool/chatops", "Datastore.AllocateSpace on /storage/local-lvm", "SDN.Use on /sdn/zones/localnetwork/vmbr0"]) {
      expect(text).toContain(`- ${priv}:`);
    }
    // The auditor role has these, so they are not listed.
    expect(text).not.toContain("- VM.Audit on /vms:");
    expect(text).not.toContain("- Sys.Audit on /nodes:");
    expect(text).toContain(`fix: pveum acl modify /pool/chatops --users chatops@pve --tokens '${WEAK_ID}' --roles PVEChatOpsGuests`);
  });
});
