/**
 * `pve-chatops check` end to end: a config file on disk, loaded by loadConfig, against a scripted pveproxy
 * stand-in over HTTPS. (check-sim.test.ts runs the same against the simulator.)
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../src/cli/check.js";
import type { CliIo } from "../../src/cli/io.js";
import { closedPort, startFakePve, type FakeServer } from "./pve-client-fake-server.js";
import { REQUIRED_PRIVILEGES } from "../../src/adapters/pve/privileges.js";

const TOKEN_ID = "chatops@pve!bot";
const SECRET = "0b6f2a51-7c3d-4e8f-9a10-b2c3d4e5f607";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Effective privileges per ACL path, as GET /access/permissions?path= returns them. */
function allPrivileges(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const fill: Record<string, string> = {
    "/pool/{pool}": "/pool/dev",
    "/storage/{storage}": "/storage/local-lvm",
    "/sdn/zones/localnetwork/{bridge}": "/sdn/zones/localnetwork/vmbr0",
  };
  for (const p of REQUIRED_PRIVILEGES) {
    const path = fill[p.path] ?? p.path;
    m.set(path, [...(m.get(path) ?? []), p.privilege]);
  }
  m.set("/storage/local", m.get("/storage/local-lvm")!);
  return m;
}

async function fakeCluster(opts: { secret?: string; privileges?: Map<string, string[]> } = {}): Promise<FakeServer> {
  const s = await startFakePve();
  cleanups.push(() => s.close());
  const privileges = opts.privileges ?? allPrivileges();
  const authorised = (auth: string | undefined) => auth === `PVEAPIToken=${TOKEN_ID}=${opts.secret ?? SECRET}`;
  s.route("GET", "/version", (r) =>
    authorised(r.headers.authorization)
      ? { body: { data: { version: "9.1.2", release: "9.1", repoid: "0a1b2c3d" } } }
      : { status: 401, reason: "Authentication failed!", body: "" },
  );
  s.route("GET", "/access/permissions", (r) => {
    if (!authorised(r.headers.authorization)) return { status: 401, reason: "Authentication failed!", body: "" };
    const path = r.query.get("path") ?? "/";
    const privs = Object.fromEntries((privileges.get(path) ?? []).map((p) => [p, 1]));
    return { body: { data: { [path]: privs } } };
  });
  return s;
}

function writeConfig(api: Record<string, string | string[]>): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "pve-check-"));
  mkdirSync(join(dir, "profiles"));
  const apiYaml = Object.entries(api)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
    .join("\n");
  writeFileSync(
    join(dir, "pve-chatops.yaml"),
    `clusters:\n  lab:\n    api:\n${apiYaml}\n      tokenId: "${TOKEN_ID}"\n      tokenSecret: "\${PVE_TOKEN}"\nprofilesDir: ./profiles\n`,
  );
  writeFileSync(
    join(dir, "profiles", "dev.yaml"),
    [
      "cluster: lab",
      "pool: dev",
      "storage: local-lvm",
      "bridge: vmbr0",
      'vmidRanges: { templates: "9000-9999", auto: "500-8999" }',
      "sizes: { small: { cores: 1, memoryMb: 2048, diskGb: 20 } }",
      'images: { ct: { ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" } }',
      "quota: { cores: 16, memoryMb: 65536, diskGb: 500 }",
      "",
    ].join("\n"),
  );
  return { dir, file: join(dir, "pve-chatops.yaml") };
}

function io(dir: string, secret = SECRET) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: { PVE_TOKEN: secret }, cwd: dir, stopSignal: new Promise(() => {}) };
  return { cli, out, err, text: () => [...out, ...err].join("\n") };
}

describe("pve-chatops check", () => {
  it("OK: version line and every privilege present → exit 0", async () => {
    const s = await fakeCluster();
    const cfg = writeConfig({ url: s.url, fingerprint: s.fingerprint });
    const t = io(cfg.dir);
    expect(await run(["--config", cfg.file], t.cli)).toBe(0);
    expect(t.text()).toContain(`${s.url}: OK (Proxmox VE 9.1.2, release 9.1)`);
    expect(t.text()).toMatch(/privileges: OK \(\d+ checked\)/);
    const asked = new Set(s.requests.filter((r) => r.path === "/access/permissions").map((r) => r.query.get("path")));
    expect(asked).toEqual(new Set(["/pool/dev", "/vms", "/storage/local-lvm", "/storage/local", "/sdn/zones/localnetwork/vmbr0", "/nodes", "/"]));
    expect(t.text()).not.toContain(SECRET);
  });

  it("wrong secret → exit 1 with a clear 401 line and no secret in the output", async () => {
    const s = await fakeCluster();
    const cfg = writeConfig({ url: s.url, fingerprint: s.fingerprint });
    const wrong = "11111111-2222-3333-4444-555555555555";
    const t = io(cfg.dir, wrong);
    expect(await run(["lab", "--config", cfg.file], t.cli)).toBe(1);
    expect(t.text()).toContain("bad credentials: Proxmox answered 401 Authentication failed! — check tokenId/tokenSecret");
    expect(t.text()).not.toContain(wrong);
  });

  it("wrong fingerprint → TLS refusal line naming both fingerprints", async () => {
    const s = await fakeCluster();
    const wrongFp = s.fingerprint.replace(/^../, s.fingerprint.startsWith("AA") ? "BB" : "AA");
    const cfg = writeConfig({ url: s.url, fingerprint: wrongFp });
    const t = io(cfg.dir);
    expect(await run(["--config", cfg.file], t.cli)).toBe(1);
    expect(t.text()).toContain("TLS refused: certificate fingerprint mismatch");
    expect(t.text()).toContain(`expected ${wrongFp}, got ${s.fingerprint}`);
    expect(s.requests.length).toBe(0);
  });

  it("lists missing privileges with path, reason and the pveum fix", async () => {
    const privileges = allPrivileges();
    privileges.set("/vms", ["VM.Audit"]); // no VM.Clone on /vms
    privileges.set("/storage/local-lvm", ["Datastore.Audit"]); // no AllocateSpace
    const s = await fakeCluster({ privileges });
    const cfg = writeConfig({ url: s.url, fingerprint: s.fingerprint });
    const t = io(cfg.dir);
    expect(await run(["--config", cfg.file], t.cli)).toBe(1);
    const text = t.text();
    expect(text).toContain("missing privileges (2 of");
    expect(text).toMatch(/- VM\.Clone on \/vms: needed to clone templates/);
    expect(text).toContain("fix: pveum acl modify /vms --users chatops@pve --tokens 'chatops@pve!bot' --roles PVEChatOpsTemplates");
    expect(text).toMatch(/- Datastore\.AllocateSpace on \/storage\/local-lvm/);
    expect(text).toContain("pveum role add PVEChatOpsStorage --privs");
    expect(text).not.toMatch(/VM\.Audit on \/vms/);
  });

  it("unreachable second endpoint: a warning naming it, still OK", async () => {
    const s = await fakeCluster();
    const dead = `https://127.0.0.1:${await closedPort()}`;
    const cfg = writeConfig({ url: s.url, endpoints: [dead], fingerprint: s.fingerprint });
    const t = io(cfg.dir);
    expect(await run(["--config", cfg.file], t.cli)).toBe(0);
    expect(t.text()).toMatch(new RegExp(`${dead.replace(/[.:/]/g, "\\$&")}: unreachable: .*ECONNREFUSED`));
    expect(t.text()).toContain("warning: 1 of 2 endpoints failed");
  });

  it("unknown cluster name is a usage error", async () => {
    const s = await fakeCluster();
    const cfg = writeConfig({ url: s.url, fingerprint: s.fingerprint });
    await expect(run(["nope", "--config", cfg.file], io(cfg.dir).cli)).rejects.toMatchObject({ code: "USAGE" });
  });
});
