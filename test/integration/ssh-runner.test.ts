import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createSshRunner, type SshRunner } from "../../src/adapters/ssh/runner.js";
import { SshError } from "../../src/adapters/ssh/errors.js";
import { Secret } from "../../src/secret.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigDocument } from "../../src/config/load.js";
import { sshRunnerForCluster } from "../../src/adapters/ssh/from-config.js";
import { startTestSshServer, type TestSshServer, type ExecReply } from "./ssh-test-server.js";

const clientKey = generateEd25519KeyPair();
const otherKey = generateEd25519KeyPair();

/** Split a command line the way the remote shell would (a local sh, printing each word NUL-terminated). */
function localShellWords(command: string): string[] {
  const r = spawnSync("sh", ["-c", `printf '%s\\0' ${command}`], { encoding: "utf8" });
  return r.stdout.split("\0").slice(0, -1);
}

/** Canned answers by the command the server received. */
function reply(command: string): ExecReply {
  if (command.startsWith("sleep")) return { hang: true };
  if (command === "false") return { code: 1, stderr: "failed\n" };
  if (command.startsWith("sh -c ")) return { code: 0 };
  return { stdout: JSON.stringify(localShellWords(command)), stderr: "note\n", code: 3 };
}

let server: TestSshServer;
const runners: SshRunner[] = [];
const logLines: string[] = [];
const logger = pino(
  { level: "trace" },
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  }),
);

function runner(overrides: Partial<Parameters<typeof createSshRunner>[0]> = {}): SshRunner {
  const r = createSshRunner({
    host: "127.0.0.1",
    port: server.port,
    user: "root",
    privateKey: new Secret(clientKey.private),
    knownHosts: `# pinned\n[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`,
    timeoutMs: 10_000,
    logger,
    ...overrides,
  });
  runners.push(r);
  return r;
}

async function sshErrorOf(p: Promise<unknown>): Promise<SshError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SshError);
  return err as SshError;
}

beforeAll(async () => {
  server = await startTestSshServer({ clientPublicKey: clientKey.public, onExec: reply });
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.close()));
  await server?.close();
});

describe("SSH runner against a local ssh2 server", () => {
  it("runs a command with every argument quoted, returning code, stdout and stderr", async () => {
    const r = runner();
    const argv = ["qm", "importdisk", "9000", "/tmp/disk image's.qcow2", "$(touch /tmp/pwned)", "a;b|c&&d", "`id`", "*", ""];
    const result = await r.run(argv);
    // The server saw one shell-quoted command line that a shell splits back into exactly argv.
    expect(server.commands.at(-1)).toBe(`qm importdisk 9000 '/tmp/disk image'\\''s.qcow2' '$(touch /tmp/pwned)' 'a;b|c&&d' '\`id\`' '*' ''`);
    expect(result).toEqual({ code: 3, stdout: JSON.stringify(argv), stderr: "note\n" });
    // A second command reuses the connection.
    expect((await r.run(["false"])).code).toBe(1);
  });

  it("passes stdin and writes files through a quoted path argument", async () => {
    const r = runner();
    await r.writeFile("/var/lib/vz/snippets/user data; rm -rf.yaml", "#cloud-config\nusers: []\n", { mode: "0644" });
    const command = server.commands.at(-1)!;
    const words = localShellWords(command);
    expect(words.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(words[2]).toContain('cat > "$tmp"');
    expect(words.slice(3)).toEqual(["sh", "/var/lib/vz/snippets/user data; rm -rf.yaml", "0644"]);
    expect(server.stdins.at(-1)!.toString()).toBe("#cloud-config\nusers: []\n");
    await expect(r.writeFile("relative/path", "x")).rejects.toMatchObject({ code: "SSH", kind: "invalid-argument" });
  });

  it("refuses a host whose key does not match known_hosts", async () => {
    const r = runner({ knownHosts: `[127.0.0.1]:${server.port} ${otherKey.public}\n` });
    const err = await sshErrorOf(r.run(["true"]));
    expect(err.kind).toBe("host-key-mismatch");
    expect(err.message).toMatch(/SHA256:/);
  });

  it("refuses a host that is not in known_hosts (no trust on first use)", async () => {
    // Pinned for port 22 only: the test server's port is another known_hosts name.
    const r = runner({ knownHosts: `127.0.0.1 ${server.hostPublicKey}\n` });
    expect((await sshErrorOf(r.run(["true"]))).kind).toBe("host-key-unknown");
    // Pinned for another host name on the right port: the server's key is offered but unknown for this host.
    const r2 = runner({ knownHosts: `[127.0.0.1]:${server.port} ${otherKey.public}\n[localhost]:${server.port} ${server.hostPublicKey}\n` });
    expect((await sshErrorOf(r2.run(["true"]))).kind).toBe("host-key-mismatch");
  });

  it("reports a refused client key as an auth error", async () => {
    const r = runner({ privateKey: Buffer.from(otherKey.private) });
    expect((await sshErrorOf(r.run(["true"]))).kind).toBe("auth");
  });

  it("times out a command that does not finish and stays usable", async () => {
    const r = runner();
    const err = await sshErrorOf(r.run(["sleep", "600"], { timeoutMs: 300 }));
    expect(err.kind).toBe("timeout");
    expect((await r.run(["false"])).code).toBe(1);
  });

  it("never puts the private key into errors or logs", async () => {
    const badKey = new Secret("-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END OPENSSH PRIVATE KEY-----\n");
    const err = await sshErrorOf(runner({ privateKey: badKey }).run(["true"]));
    expect(err.kind).toBe("bad-key");
    const keyBody = clientKey.private.split("\n")[1]!;
    const everything = [err.message, String(err.stack), JSON.stringify(err), ...logLines].join("\n");
    expect(everything).not.toContain("SECRETKEYMATERIAL");
    expect(everything).not.toContain(keyBody);
    expect(logLines.some((l) => l.includes("ssh exec"))).toBe(true); // the logger did record something
  });

  it("builds a runner from a loaded cluster config (key and known_hosts read by the loader)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ssh-config-"));
    try {
      await writeFile(join(dir, "id"), `${clientKey.private}\n`);
      await writeFile(join(dir, "known_hosts"), `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`);
      const text = [
        "clusters:",
        "  lab:",
        '    api: { url: "https://127.0.0.1:8006", tokenId: "a@pve!b", tokenSecret: "t" }',
        `    ssh: { port: ${server.port}, privateKeyFile: ./id, knownHostsFile: ./known_hosts }`,
        "  nossh:",
        '    api: { url: "https://127.0.0.1:8006", tokenId: "a@pve!b", tokenSecret: "t" }',
      ].join("\n");
      const config = parseConfigDocument(text, join(dir, "c.yaml"), {}, "/");
      expect(sshRunnerForCluster(config.clusters.nossh!)).toBeUndefined();
      const r = sshRunnerForCluster(config.clusters.lab!, { logger })!; // host from the API URL
      runners.push(r);
      expect((await r.run(["echo", "hi there"])).stdout).toBe(JSON.stringify(["echo", "hi there"]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
