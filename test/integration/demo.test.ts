/**
 * `pve-chatops demo` end to end: the simulator, the SQLite store, the Slack stand-in and the real Slack app,
 * driven by a script on piped input. In process for the full story (provision, list, status, a teardown approved
 * by a second user), and once as a real child process of the built CLI.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { run as runDemo } from "../../src/cli/demo.js";

const ROOT = new URL("../../", import.meta.url).pathname;

async function demo(script: string[], argv: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const output = new PassThrough();
  let out = "";
  output.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const errLines: string[] = [];
  const io: CliIo = { out: (l) => (out += `${l}\n`), err: (l) => errLines.push(l), env: {}, cwd: ROOT, stopSignal: new Promise(() => undefined) };
  const code = await runDemo(["--store", "sqlite::memory:", "--speed", "100", "--quiet-ms", "250", ...argv], io, {
    console: { input: Readable.from(script.map((l) => `${l}\n`)), output, interactive: false },
    color: false,
  });
  return { code, out, err: errLines.join("\n") };
}

describe("pve-chatops demo (in process, scripted)", () => {
  let result: { code: number; out: string; err: string };
  beforeAll(async () => {
    result = await demo([
      "# a scripted demo",
      "/pve help",
      "/pve provision docker1 --docker",
      "/pve list",
      "/pve status docker1",
      "/pve teardown docker1",
      "/user U0BOB",
      "/click Approve",
      "y",
      "/wait",
      "/pve list",
    ]);
  }, 120_000);

  it("exits 0 and logs nothing at warn level or above", () => {
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
  });

  it("answers /pve help with the commands alice may run", () => {
    const help = section(result.out, "/pve help", "/pve provision");
    expect(help).toContain("provision — create a VM or container");
    expect(help).toContain("/pve provision docker1 --docker");
    expect(help).not.toContain("bind —"); // only admins may bind
  });

  it("shows the acknowledgement, the parent message updating and the thread replies of a provision", () => {
    const prov = section(result.out, "/pve provision docker1 --docker", "/pve list");
    expect(prov).toMatch(/Job j-\w+ started: provision docker1/);
    expect(prov).toContain("Provision docker1 · requested by @alice");
    expect(prov).toMatch(/↳ pve-bot in thread “Provision docker1 · requested by @alice”/);
    expect(prov).toContain(":clipboard: Plan");
    expect(prov).toMatch(/Clone template ubuntu24-template \(9000\) → docker1/);
    expect(prov).toMatch(/Proxmox task UPID:pve\d:[0-9A-F]+:[0-9A-F]+:[0-9A-F]+:qmclone:9000:/);
    expect(prov).toMatch(/:rocket: docker1 is ready — VMID (\d+) on (pve\d), IP (127\.[\d.]+)/);
    // The parent's status line was edited in place to its final state.
    expect(prov).toMatch(/✎ “Provision docker1 · requested by @alice” updated:\n\s+:white_check_mark: ready: docker1/);
  });

  it("lists and describes the new guest", () => {
    const list = section(result.out, "alice@#demo> /pve list", "/pve status");
    expect(list).toMatch(/VMID\s+NAME\s+TYPE\s+NODE\s+STATUS/);
    expect(list).toMatch(/\d+\s+docker1\s+vm\s+pve\d\s+running/);
    const status = section(result.out, "/pve status docker1", "/pve teardown");
    expect(status).toContain("docker1");
    expect(status).toMatch(/running/);
  });

  it("tears down only after a second user approves through the card's button", () => {
    const ask = section(result.out, "/pve teardown docker1", "/user U0BOB");
    expect(ask).toMatch(/\[(\d+) Approve\] \[(\d+) Reject\]/);
    expect(ask).toMatch(/waiting for approval/);
    const approve = section(result.out, "/click Approve", "bob@#demo> /pve list");
    expect(approve).toContain("bob clicked “Approve”");
    expect(approve).toMatch(/Approved by @bob/);
    const after = result.out.slice(result.out.lastIndexOf("bob@#demo> /pve list"));
    expect(after).toContain("No guests in pool chatops");
  });

  it("exits 1 when a command is refused (carol may not provision)", async () => {
    const refused = await demo(["/pve provision sneaky"], ["--user", "U0CAROL"]);
    expect(refused.out).toMatch(/:no_entry: You may not run .*provision/);
    expect(refused.code).toBe(1);
  }, 60_000);

  it("fills the request modal field by field, including the fields a views.update adds", async () => {
    // /pve provision without a name opens the modal; Network "Static address" makes the app add IP fields.
    const r = await demo(["/pve provision", "web8", "VM", "", "", "1", "", "1", "2", "127.30.0.5/24", "127.30.0.1", "", "", "/pve list"]);
    expect(r.out).toContain("┌ modal: Request a VM for @alice");
    expect(r.out).toContain("IP address (CIDR): 127.30.0.5/24");
    expect(r.out).toContain("Gateway: 127.30.0.1");
    expect(r.out).toMatch(/:white_check_mark: ready: web8 \(\d+\) on pve\d at 127\.30\.0\.5/);
    expect(r.out).toMatch(/\d+\s+web8\s+vm\s+pve\d\s+running/);
    expect(r.code).toBe(0);
  }, 60_000);

  it("says which button does not exist, and fails", async () => {
    const r = await demo(["/click 7"]);
    expect(r.out).toContain('No button "7"');
    expect(r.code).toBe(1);
  }, 60_000);
});

describe("pve-chatops demo (the built CLI as a child process)", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "pve-chatops-demo-"));
    await promisify(execFile)("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT }).catch(() => undefined);
  }, 240_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("runs piped commands against a SQLite file under ./data and exits 0", async () => {
    expect(existsSync(join(ROOT, "dist/src/cli.js"))).toBe(true);
    const child = spawn(process.execPath, [join(ROOT, "dist/src/cli.js"), "demo", "--speed", "100"], { cwd: dataDir, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.stdin.end("/pve provision web1\n/pve list\n");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(/:rocket: web1 is ready/);
    expect(out).toMatch(/\d+\s+web1\s+ct\s+pve\d\s+running/); // no --docker: a container
    expect(out).not.toMatch(/\x1b\[/); // not a terminal: no colours
    expect(existsSync(join(dataDir, "data/demo.db"))).toBe(true);
  }, 120_000);
});

/** The output between the line echoing `from` and the next line echoing `to`. */
function section(out: string, from: string, to: string): string {
  const start = out.indexOf(`> ${from}`) >= 0 ? out.indexOf(`> ${from}`) : out.indexOf(from);
  expect(start, `"${from}" in the output`).toBeGreaterThanOrEqual(0);
  const end = out.indexOf(`> ${to}`, start + 1);
  return out.slice(start, end > start ? end : undefined);
}
