import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseKnownHosts, verifyHostKey, hostKeyAlgorithmsFor, keyFingerprint } from "../../src/adapters/ssh/known-hosts.js";

function newKey(): { line: string; blob: Buffer } {
  const pub = generateEd25519KeyPair().public; // "ssh-ed25519 AAAA..."
  return { line: pub, blob: Buffer.from(pub.split(" ")[1]!, "base64") };
}

describe("known_hosts", () => {
  const a = newKey();
  const b = newKey();
  const c = newKey();

  it("matches plain names, [host]:port, wildcards and negations", () => {
    const entries = parseKnownHosts(
      [
        "# comment",
        `pve1.lab.example,10.0.0.1 ${a.line} root@pve1`,
        `[pve2.lab.example]:2222 ${b.line}`,
        `*.edge.example,!bad.edge.example ${c.line}`,
        "garbage line",
        "",
      ].join("\n"),
    );
    expect(entries).toHaveLength(3);
    expect(verifyHostKey(entries, "pve1.lab.example", 22, a.blob).status).toBe("match");
    expect(verifyHostKey(entries, "10.0.0.1", 22, a.blob).status).toBe("match");
    expect(verifyHostKey(entries, "PVE1.lab.example", 22, a.blob).status).toBe("match");
    // The same host on another port is another known_hosts name.
    expect(verifyHostKey(entries, "pve1.lab.example", 2222, a.blob).status).toBe("unknown");
    expect(verifyHostKey(entries, "pve2.lab.example", 2222, b.blob).status).toBe("match");
    expect(verifyHostKey(entries, "pve2.lab.example", 22, b.blob).status).toBe("unknown");
    expect(verifyHostKey(entries, "n1.edge.example", 22, c.blob).status).toBe("match");
    expect(verifyHostKey(entries, "bad.edge.example", 22, c.blob).status).toBe("unknown");
    const mismatch = verifyHostKey(entries, "pve1.lab.example", 22, b.blob);
    expect(mismatch.status).toBe("mismatch");
    expect(mismatch.status === "mismatch" && mismatch.expected.map((e) => e.line)).toEqual([2]);
    expect(hostKeyAlgorithmsFor(entries, "pve1.lab.example", 22)).toEqual(["ssh-ed25519"]);
  });

  it("honours @revoked and ignores @cert-authority", () => {
    const entries = parseKnownHosts(`pve1 ${a.line}\n@revoked * ${a.line}\n@cert-authority pve1 ${b.line}\n`);
    expect(verifyHostKey(entries, "pve1", 22, a.blob).status).toBe("revoked");
    expect(verifyHostKey(entries, "pve1", 22, b.blob).status).toBe("mismatch");
  });

  it("matches entries hashed by ssh-keygen -H", () => {
    const keygen = spawnSync("ssh-keygen", ["-?"], { encoding: "utf8" });
    if (keygen.error) return; // no OpenSSH here: the plain-name tests above still cover the matching logic
    const dir = mkdtempSync(join(tmpdir(), "kh-"));
    try {
      const file = join(dir, "known_hosts");
      writeFileSync(file, `pve1.lab.example ${a.line}\n[127.0.0.1]:2200 ${b.line}\n`);
      const r = spawnSync("ssh-keygen", ["-H", "-f", file], { encoding: "utf8" });
      expect(r.status).toBe(0);
      const hashed = readFileSync(file, "utf8");
      expect(hashed).not.toContain("pve1.lab.example");
      const entries = parseKnownHosts(hashed);
      expect(entries.every((e) => e.hosts.startsWith("|1|"))).toBe(true);
      expect(verifyHostKey(entries, "pve1.lab.example", 22, a.blob).status).toBe("match");
      expect(verifyHostKey(entries, "127.0.0.1", 2200, b.blob).status).toBe("match");
      expect(verifyHostKey(entries, "127.0.0.1", 2200, a.blob).status).toBe("mismatch");
      expect(verifyHostKey(entries, "pve2.lab.example", 22, a.blob).status).toBe("unknown");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints OpenSSH-style SHA256 fingerprints", () => {
    const keygen = spawnSync("ssh-keygen", ["-l", "-f", "/dev/stdin"], { input: `${a.line}\n`, encoding: "utf8" });
    if (keygen.error || keygen.status !== 0) return;
    expect(keygen.stdout).toContain(keyFingerprint(a.blob));
  });
});
