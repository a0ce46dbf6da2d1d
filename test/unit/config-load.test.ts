import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { inspect } from "node:util";
import { loadConfig, parseConfigDocument, parseProfileDocument } from "../../src/config/load.js";
import { ConfigError, type ConfigProblem } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/config/", import.meta.url));
const fixture = (...p: string[]) => join(FIXTURES, ...p);
const TOKEN = "0b7c2e2a-6a57-4c43-9f4e-3c1e9b1f7d11";
const ENV = { PVE_LAB_TOKEN: TOKEN, PVE_LAB_HOST3: "pve3.lab.example" };

async function problemsOf(promise: Promise<unknown>): Promise<{ err: ConfigError; problems: readonly ConfigProblem[] }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const ce = err as ConfigError;
  expect(ce.code).toBe("CONFIG_INVALID");
  return { err: ce, problems: ce.problems };
}

function syncProblems(fn: () => unknown): readonly ConfigProblem[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

/** The problem at `path` in a file whose path ends with `fileEnd`. */
function find(problems: readonly ConfigProblem[], fileEnd: string, path: string): ConfigProblem {
  const hit = problems.find((p) => p.file.endsWith(fileEnd) && p.path === path);
  if (!hit) throw new Error(`no problem at ${fileEnd} ${path}; have:\n${problems.map((p) => `${p.file} ${p.line} ${p.path} ${p.code}`).join("\n")}`);
  return hit;
}

describe("loadConfig: a good configuration", () => {
  it("parses the config and every profile, substitutes env and reads *File secrets", async () => {
    const loaded = await loadConfig({ path: fixture("good", "pve-chatops.yaml"), env: ENV });
    const { config, profiles } = loaded;
    expect(loaded.file).toBe(fixture("good", "pve-chatops.yaml"));
    expect(config.store.url).toBe("postgres://chatops@db.lab.example/chatops");
    expect(Object.keys(config.clusters)).toEqual(["lab", "edge"]);

    const lab = config.clusters.lab!;
    expect(lab.api.endpoints).toEqual(["https://pve1.lab.example:8006", "https://pve2.lab.example:8006", "https://pve3.lab.example:8006"]);
    expect(lab.api.tokenSecret).toBeInstanceOf(Secret);
    expect(lab.api.tokenSecret.reveal()).toBe(TOKEN);
    expect(lab.api.insecure).toBe(false);
    expect(lab.ssh?.user).toBe("root");
    expect(lab.ssh?.port).toBe(22);
    expect(lab.ssh?.privateKeyFile).toBe(fixture("good", "secrets", "id_test"));
    expect(lab.ssh?.privateKey.reveal()).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n.*\n-----END OPENSSH PRIVATE KEY-----$/);
    expect(lab.ssh?.knownHostsFile).toBe(fixture("good", "secrets", "known_hosts"));
    expect(lab.ssh?.knownHosts).toMatch(/^pve1\.lab\.example ssh-ed25519 AAAA\S+$/);

    const edge = config.clusters.edge!;
    expect(edge.api.tokenSecret.reveal()).toBe("edge-token-0000-1111"); // trailing newline trimmed
    expect(edge.api.tokenSecretFile).toBe(fixture("good", "secrets", "edge_token"));
    expect(edge.api.insecure).toBe(true);
    expect(edge.ssh).toBeUndefined();

    expect(config.profilesDir).toBe(fixture("good", "profiles"));
    expect(config.slack.admins).toEqual(["U0ADMIN"]);
    expect(config.slack.bindings).toEqual({ C0LAB: "lab", C0DEV: "dev" });
    expect(config.slack.signingSecret?.reveal()).toBe("slack-signing-fixture"); // \r\n trimmed
    expect(config.log.level).toBe("debug");

    expect([...profiles.keys()].sort()).toEqual(["dev", "lab"]);
    const labProfile = profiles.get("lab")!;
    expect(labProfile.name).toBe("lab");
    expect(labProfile.vmidRanges).toEqual({ templates: { min: 9000, max: 9999 }, auto: { min: 500, max: 8999 } });
    expect(labProfile.bridge).toBe("vmbr0"); // default
    expect(labProfile.permissions.provision).toEqual(["S0INFRA", "U0ALICE"]);
    expect(labProfile.approvals.teardown).toEqual({ approvers: ["S0LEADS", "U0BOB"], selfApprove: false, expiresMinutes: 30, bulkThreshold: 5 });
    const dev = profiles.get("dev")!; // a .yml file
    expect(dev.name).toBe("dev");
    expect(dev.placement).toBe("pack");
  });

  it("deep-freezes the result, including the profile map", async () => {
    const { config, profiles } = await loadConfig({ path: fixture("good", "pve-chatops.yaml"), env: ENV });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.clusters.lab!.api.endpoints)).toBe(true);
    expect(() => {
      (config.slack.bindings as Record<string, string>).C0NEW = "lab";
    }).toThrow(TypeError);
    expect(Object.isFrozen(profiles.get("lab")!.sizes.small)).toBe(true);
    expect(() => (profiles as Map<string, unknown>).set("x", {})).toThrow(TypeError);
    expect(() => (profiles as Map<string, unknown>).delete("lab")).toThrow(TypeError);
    expect(profiles.size).toBe(2);
  });

  it("takes the path from PVE_CHATOPS_CONFIG, else ./pve-chatops.yaml in cwd", async () => {
    const viaEnv = await loadConfig({ env: { ...ENV, PVE_CHATOPS_CONFIG: "good/pve-chatops.yaml" }, cwd: FIXTURES });
    expect(viaEnv.file).toBe(fixture("good", "pve-chatops.yaml"));
    const viaCwd = await loadConfig({ env: ENV, cwd: fixture("good") });
    expect(viaCwd.file).toBe(fixture("good", "pve-chatops.yaml"));
    const { problems } = await problemsOf(loadConfig({ env: ENV, cwd: fixture("missing-env") + "/nowhere" }));
    expect(problems).toEqual([expect.objectContaining({ code: "file-unreadable", path: "" })]);
  });
});

describe("loadConfig: problems name file, line and key", () => {
  it("reports a YAML syntax error with its line", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("malformed", "pve-chatops.yaml"), env: ENV }));
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatchObject({ file: fixture("malformed", "pve-chatops.yaml"), code: "yaml-syntax" });
    expect(problems[0]!.line).toBeGreaterThanOrEqual(5); // the unterminated quote opens on line 5
  });

  it("reports a duplicate key as an error with its path", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("duplicate-key", "pve-chatops.yaml"), env: ENV }));
    const inConfig = problems.filter((p) => p.file.endsWith("duplicate-key/pve-chatops.yaml"));
    expect(inConfig).toEqual([expect.objectContaining({ code: "duplicate-key", line: 7, path: "clusters.lab.api.url" })]);
    // The raw document still gives profilesDir and the cluster names, so the profiles are checked too.
    expect(find(problems, "good/profiles/dev.yml", "cluster")).toMatchObject({ code: "unknown-cluster", line: 2 });
  });

  it("reports every unknown key with a did-you-mean hint, in the config and in profiles at once", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("unknown-key", "pve-chatops.yaml"), env: ENV }));
    const fp = find(problems, "unknown-key/pve-chatops.yaml", "clusters.lab.api.fingerprnt");
    expect(fp).toMatchObject({ code: "unknown-key", line: 7 });
    expect(fp.message).toContain('did you mean "fingerprint"');
    const slak = find(problems, "unknown-key/pve-chatops.yaml", "slak");
    expect(slak).toMatchObject({ code: "unknown-key", line: 9 });
    expect(slak.message).toContain('"slack"');
    const placment = find(problems, "unknown-key/profiles/lab.yaml", "placment");
    expect(placment).toMatchObject({ code: "unknown-key", line: 5 });
    expect(placment.message).toContain('"placement"');
    const templat = find(problems, "unknown-key/profiles/lab.yaml", "images.ubuntu24.templat");
    expect(templat).toMatchObject({ code: "unknown-key", line: 9 });
    expect(templat.message).toContain('"template"');
    expect(problems).toHaveLength(4);
  });

  it("names missing environment variables with file, line and key", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("missing-env", "pve-chatops.yaml"), env: {} }));
    const host = find(problems, "missing-env/pve-chatops.yaml", "clusters.lab.api.url");
    expect(host).toMatchObject({ code: "missing-env", line: 4 });
    expect(host.message).toContain("PVE_LAB_HOST");
    const token = find(problems, "missing-env/pve-chatops.yaml", "clusters.lab.api.tokenSecret");
    expect(token).toMatchObject({ code: "missing-env", line: 6 });
    expect(token.message).toContain("PVE_LAB_TOKEN_NOT_SET");
    // "$${LITERAL}" is the escaped literal "${LITERAL}", not a reference: only the fingerprint format is wrong.
    expect(find(problems, "missing-env/pve-chatops.yaml", "clusters.lab.api.fingerprint")).toMatchObject({ code: "invalid", line: 7 });
    expect(problems.filter((p) => p.file.endsWith("missing-env/pve-chatops.yaml"))).toHaveLength(3);
    // The profiles are checked in the same run: good/profiles/dev.yml names cluster "edge", unknown here.
    expect(find(problems, "good/profiles/dev.yml", "cluster")).toMatchObject({ code: "unknown-cluster" });
  });

  it("rejects bad VMID ranges in each profile with file, line and key", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("bad-vmid", "pve-chatops.yaml"), env: ENV }));
    expect(find(problems, "reversed.yaml", "vmidRanges.templates")).toMatchObject({ code: "invalid", line: 5 });
    expect(find(problems, "notarange.yaml", "vmidRanges.templates")).toMatchObject({ code: "invalid", line: 5 });
    expect(find(problems, "toolow.yaml", "vmidRanges.auto")).toMatchObject({ code: "invalid", line: 6 });
    const overlapping = find(problems, "overlapping.yaml", "vmidRanges");
    expect(overlapping).toMatchObject({ code: "invalid", line: 4 });
    expect(overlapping.message).toMatch(/overlap/);
    expect(problems).toHaveLength(4);
  });

  it("rejects overlapping auto ranges of two profiles on one cluster, naming both", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("overlap", "pve-chatops.yaml"), env: ENV }));
    expect(problems).toHaveLength(1);
    const p = find(problems, "overlap/profiles/beta.yaml", "vmidRanges.auto");
    expect(p).toMatchObject({ code: "vmid-overlap", line: 4 });
    expect(p.message).toContain('"alpha"');
    expect(p.message).toContain('"beta"');
  });

  it("rejects a profile naming an unknown cluster, a bad profile file name and a binding to a missing profile", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("unknown-cluster", "pve-chatops.yaml"), env: ENV }));
    const cluster = find(problems, "unknown-cluster/profiles/lab.yaml", "cluster");
    expect(cluster).toMatchObject({ code: "unknown-cluster", line: 3 });
    expect(cluster.message).toContain('"labb"');
    expect(cluster.message).toContain("lab");
    expect(find(problems, "Bad_Name.yaml", "")).toMatchObject({ code: "bad-profile-name" });
    expect(find(problems, "unknown-cluster/pve-chatops.yaml", "slack.bindings.C0NOPE")).toMatchObject({ code: "unknown-profile", line: 8 });
    expect(problems).toHaveLength(3);
  });
});

describe("secrets never appear in errors", () => {
  const HOSTILE_ENV = { HOSTILE_ENV_SECRET: "HOSTILE-SECRET-4\ninsecure: true" };

  it("rejects hostile secrets with file, line, key and the value hidden", async () => {
    const { err, problems } = await problemsOf(loadConfig({ path: fixture("hostile", "pve-chatops.yaml"), env: HOSTILE_ENV }));
    const file = "hostile/pve-chatops.yaml";
    for (const [cluster, line] of [["injected", 8], ["long", 13], ["control", 18], ["fromenv", 23]] as const) {
      const p = find(problems, file, `clusters.${cluster}.api.tokenSecret`);
      expect(p).toMatchObject({ code: "invalid", line });
      expect(p.message).toContain("tokenSecret is invalid (value hidden)");
    }
    expect(find(problems, file, "clusters.badref.api.tokenSecret")).toMatchObject({ code: "bad-reference", line: 28 });
    const missing = find(problems, file, "clusters.missingfile.api.tokenSecretFile");
    expect(missing).toMatchObject({ code: "file-unreadable", line: 33 });
    expect(missing.message).toContain(fixture("hostile", "secrets", "does-not-exist"));
    expect(find(problems, file, "clusters.devzero.api.tokenSecretFile")).toMatchObject({ code: "file-unreadable", line: 38 });
    expect(find(problems, file, "clusters.both.api.tokenSecretFile")).toMatchObject({ code: "secret-conflict", line: 44 });
    expect(find(problems, file, "clusters.both.api.fingerprnt")).toMatchObject({ code: "unknown-key", line: 45 });
    // The injected text did not become keys: nothing complains about or sets `insecure`.
    expect(problems.some((p) => p.path.includes("insecure"))).toBe(false);

    const evil = "hostile/profiles/evil.yaml";
    expect(find(problems, evil, "pool")).toMatchObject({ code: "invalid", line: 3 });
    expect(find(problems, evil, "vmidRanges.auto")).toMatchObject({ code: "invalid", line: 5 });
    expect(find(problems, evil, "sizes.small.cores")).toMatchObject({ code: "invalid", line: 7 });
    expect(find(problems, evil, "sizes.small.memoryMb")).toMatchObject({ code: "invalid", line: 7 });
    expect(find(problems, evil, "sizes.small.diskGb")).toMatchObject({ code: "invalid", line: 7 });
    expect(find(problems, evil, "images.evil.ostemplate")).toMatchObject({ code: "invalid", line: 9 });
    expect(find(problems, evil, "tags.1")).toMatchObject({ code: "invalid", line: 10 });

    // The whole error, however it is printed, carries no secret: not the markers, not the file content.
    for (const text of [err.message, err.userMessage(), JSON.stringify(err.problems), inspect(err, { depth: 10 }), String(err.stack)]) {
      expect(text).not.toMatch(/HOSTILE-SECRET/);
      expect(text).not.toContain("edge-token-0000-1111");
      expect(text).not.toContain("xxxxxxxxxx");
    }
  });

  it("never echoes an invalid secret, whatever its value (property)", async () => {
    const fc = await import("fast-check");
    fc.assert(
      fc.property(fc.string({ minLength: 3, maxLength: 80, unit: "binary" }), (secret) => {
        const text = 'clusters:\n  lab:\n    api:\n      url: "${URL}"\n      tokenId: "${ID}"\n      tokenSecret: "${S}"\n';
        // A bad URL and token ID force errors next to whatever the secret's own validation says.
        const problems = syncProblems(() => parseConfigDocument(text, "/etc/pve-chatops.yaml", { S: secret, URL: `ftp://${secret}`, ID: secret }, "/"));
        expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) expect(p.message.includes(secret)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps secrets out of YAML syntax errors too", () => {
    for (const text of [
      'clusters:\n  lab:\n    api:\n      tokenSecret: "HOSTILE\\qSECRET"\n',
      "clusters:\n  lab:\n    api:\n      tokenSecret: abc\n- HOSTILE-SECRET-9\n",
      'clusters:\n  lab:\n    api:\n      tokenSecret: "\\uZZZZHOSTILE"\n',
    ]) {
      const problems = syncProblems(() => parseConfigDocument(text, "/c.yaml", {}, "/"));
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.code).toBe("yaml-syntax");
        expect(p.line).toBeGreaterThanOrEqual(4);
        expect(p.message).not.toMatch(/HOSTILE|SECRET|ZZZZ/);
      }
    }
  });

  it("does not expand a billion-laughs alias bomb", async () => {
    const { problems } = await problemsOf(loadConfig({ path: fixture("hostile-aliases", "pve-chatops.yaml"), env: {} }));
    expect(problems[0]).toMatchObject({ code: "yaml-syntax", file: fixture("hostile-aliases", "pve-chatops.yaml") });
  });
});

describe("parseConfigDocument / parseProfileDocument", () => {
  const base = 'clusters:\n  lab:\n    api: { url: "https://pve:8006", tokenId: "a@pve!b", tokenSecret: "${T}" }\n';

  it("substitutes embedded references and keeps $${ as a literal", () => {
    const cfg = parseConfigDocument(`${base}store: { url: "sqlite:\${DIR}/x-$\${HOME}.db" }\n`, "cfg/main.yaml", { T: "t0k3n", DIR: "/var/lib" }, "/srv");
    expect(cfg.store.url).toBe("sqlite:/var/lib/x-${HOME}.db");
    expect(cfg.profilesDir).toBe(resolve("/srv/cfg/profiles"));
    expect(cfg.clusters.lab!.api.tokenSecret.reveal()).toBe("t0k3n");
  });

  it("reports a missing secret variable by name and a both-given conflict", () => {
    const problems = syncProblems(() => parseConfigDocument(base, "/c.yaml", {}, "/"));
    expect(problems).toEqual([expect.objectContaining({ code: "missing-env", line: 3, path: "clusters.lab.api.tokenSecret" })]);
    expect(problems[0]!.message).toContain("T");
  });

  it("validates the profile name as a slug and attaches it", () => {
    const text = 'cluster: lab\npool: p\nstorage: s\nvmidRanges: { templates: "9000-9999", auto: "100-200" }\nsizes: {}\nquota: { cores: 1, memoryMb: 1, diskGb: 1 }\n';
    const p = parseProfileDocument("web-1", text, "/p/web-1.yaml", {}, "/");
    expect(p.name).toBe("web-1");
    expect(p.vmidRanges.auto).toEqual({ min: 100, max: 200 });
    expect(Object.isFrozen(p)).toBe(true);
    const problems = syncProblems(() => parseProfileDocument("../etc", text, "/p/x.yaml", {}, "/"));
    expect(problems).toEqual([expect.objectContaining({ code: "bad-profile-name", file: "/p/x.yaml" })]);
  });

  it("reports a missing required key at its parent's line", () => {
    const problems = syncProblems(() => parseProfileDocument("x", "cluster: lab\npool: p\nstorage: s\nsizes: {}\nquota:\n  cores: 1\n  memoryMb: 1\n", "/x.yaml", {}, "/"));
    expect(problems).toContainEqual(expect.objectContaining({ path: "vmidRanges", code: "invalid" }));
    expect(problems).toContainEqual(expect.objectContaining({ path: "quota.diskGb", line: 5, code: "invalid" }));
  });
});
