import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { fileURLToPath } from "node:url";
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, embeddedDefaultConfig } from "../../src/config/load.js";
import { LAB_PROFILE_YAML } from "../../src/config/defaults.js";
import { ConfigError } from "../../src/errors.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const LAB_TOKEN = "5b0ad6c4-0f64-4c1e-9d3a-2f1f2c7e9a10";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pve-chatops-examples-"));
  // The examples as shipped, plus the secret files they name (relative to the config file).
  await cp(EXAMPLES, dir, { recursive: true });
  await mkdir(join(dir, "secrets"));
  const key = generateEd25519KeyPair();
  await writeFile(join(dir, "secrets", "pve_ed25519"), `${key.private}\n`);
  await writeFile(join(dir, "secrets", "known_hosts"), `pve1.lab.example ${key.public}\n`);
  await writeFile(join(dir, "secrets", "pve_prod_token"), "prod-token-value\n");
  await writeFile(join(dir, "secrets", "prod-ca.pem"), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("examples/", () => {
  it("loads the example config and profile with the values they document", async () => {
    const { config, profiles } = await loadConfig({ path: join(dir, "pve-chatops.yaml"), env: { PVE_LAB_TOKEN: LAB_TOKEN } });
    expect(config.store.url).toBe("sqlite:./data/pve-chatops.db");
    const lab = config.clusters.lab!;
    expect(lab.api.endpoints).toEqual(["https://pve1.lab.example:8006", "https://pve2.lab.example:8006"]);
    expect(lab.api.tokenId).toBe("chatops@pve!bot");
    expect(lab.api.tokenSecret.reveal()).toBe(LAB_TOKEN);
    expect(lab.api.fingerprint).toMatch(/^3F:0A:/);
    expect(lab.api).toMatchObject({ timeoutMs: 30000, maxConcurrent: 8, ratePerSecond: 50, insecure: false });
    expect(lab.ssh).toMatchObject({ user: "root", port: 22, privateKeyFile: join(dir, "secrets", "pve_ed25519") });
    expect(lab.ssh!.privateKey.reveal()).toContain("PRIVATE KEY");
    expect(lab.ssh!.knownHosts).toMatch(/^pve1\.lab\.example ssh-ed25519 /);
    const prod = config.clusters.prod!;
    expect(prod.api.tokenSecret.reveal()).toBe("prod-token-value");
    expect(prod.api.ca).toBe(join(dir, "secrets", "prod-ca.pem"));
    expect(config.profilesDir).toBe(join(dir, "profiles"));
    expect(config.slack).toMatchObject({ admins: ["U0ADMIN"], bindings: { C0LAB: "lab" } });
    expect(config.log.level).toBe("info");

    expect([...profiles.keys()]).toEqual(["lab"]);
    const p = profiles.get("lab")!;
    expect(p).toMatchObject({ name: "lab", cluster: "lab", pool: "chatops", storage: "local-lvm", bridge: "vmbr0", placement: "least-loaded" });
    expect(p.vmidRanges).toEqual({ templates: { min: 9000, max: 9999 }, auto: { min: 500, max: 8999 } });
    expect(p.sizes).toEqual({
      small: { cores: 1, memoryMb: 2048, diskGb: 20 },
      medium: { cores: 2, memoryMb: 4096, diskGb: 40 },
      large: { cores: 4, memoryMb: 8192, diskGb: 80 },
    });
    expect(p.images).toEqual({
      ubuntu24: { template: 9000 },
      debian12: { templateName: "debian12-template" },
      "ubuntu24-ct": { ostemplate: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst" },
      alpine320: { ostemplate: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" },
    });
    expect(p.defaultImage).toEqual({ vm: "ubuntu24", ct: "ubuntu24-ct" });
    expect(p.quota).toEqual({ cores: 64, memoryMb: 131072, diskGb: 2000 });
    expect(p.permissions).toEqual({ list: ["*"], provision: ["S0INFRA", "U0ALICE"], teardown: ["S0INFRA"] });
    expect(p.approvals.teardown).toEqual({ approvers: ["S0LEADS", "U0BOB"], selfApprove: false, expiresMinutes: 30, bulkThreshold: 5 });
    expect(p.approvals.upgrade).toMatchObject({ approvers: ["S0LEADS"], selfApprove: false, expiresMinutes: 30 });
  });

  it("accepts the documents from the issue verbatim (only the /secrets files it names are missing here)", async () => {
    const issueDir = join(dir, "issue");
    await mkdir(join(issueDir, "profiles"), { recursive: true });
    await writeFile(
      join(issueDir, "pve-chatops.yaml"),
      `store: { url: "sqlite:./data/pve-chatops.db" }
clusters:
  lab:
    api:
      url: https://pve1.lab.example:8006
      tokenId: "chatops@pve!bot"
      tokenSecret: "\${PVE_LAB_TOKEN}"
      fingerprint: "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
    ssh: { user: root, privateKeyFile: /secrets/pve_ed25519, knownHostsFile: /secrets/known_hosts }
profilesDir: ./profiles
slack:
  admins: ["U0ADMIN"]
  bindings: { C0LAB: lab }
`,
    );
    await writeFile(join(issueDir, "profiles", "lab.yaml"), await readFile(join(EXAMPLES, "profiles", "lab.yaml"), "utf8"));
    const err = await loadConfig({ path: join(issueDir, "pve-chatops.yaml"), env: { PVE_LAB_TOKEN: LAB_TOKEN } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => [p.code, p.path, p.line])).toEqual([
      ["file-unreadable", "clusters.lab.ssh.privateKeyFile", 9],
      ["file-unreadable", "clusters.lab.ssh.knownHostsFile", 9],
    ]);
  });

  it("embeds the example lab profile verbatim for the demo, on cluster sim", async () => {
    expect(LAB_PROFILE_YAML).toBe(await readFile(join(EXAMPLES, "profiles", "lab.yaml"), "utf8"));
    const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, "0").toUpperCase()).join(":");
    const loaded = embeddedDefaultConfig({ url: "https://127.0.0.1:8006", fingerprint, tokenId: "root@pam!sim", tokenSecret: "sim-secret" });
    expect(Object.keys(loaded.config.clusters)).toEqual(["sim"]);
    expect(loaded.config.clusters.sim!.api).toMatchObject({ endpoints: ["https://127.0.0.1:8006"], tokenId: "root@pam!sim", fingerprint });
    expect(loaded.config.clusters.sim!.api.tokenSecret.reveal()).toBe("sim-secret");
    expect(loaded.config.store.url).toBe("sqlite:./data/pve-chatops.db");
    const lab = loaded.profiles.get("lab")!;
    expect(lab.cluster).toBe("sim");

    const fromExamples = await loadConfig({ path: join(dir, "pve-chatops.yaml"), env: { PVE_LAB_TOKEN: LAB_TOKEN } });
    expect({ ...lab, cluster: "lab" }).toEqual(fromExamples.profiles.get("lab"));
    expect(Object.isFrozen(lab)).toBe(true);
  });

  it("refuses an embedded config whose simulator values are invalid, without echoing the secret", () => {
    let err: unknown;
    try {
      embeddedDefaultConfig({ url: "not a url", fingerprint: "", tokenId: "root@pam!sim", tokenSecret: "sim secret with spaces" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => [p.code, p.path]);
    expect(problems).toEqual([
      ["invalid", "clusters.sim.api.url"],
      ["invalid", "clusters.sim.api.tokenSecret"],
    ]);
    expect((err as ConfigError).message).not.toContain("sim secret with spaces");
  });
});
