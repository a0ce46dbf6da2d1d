import { Agent, fetch } from "undici";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/sim.js";
import type { CliIo } from "../../src/cli/io.js";
import { UsageError } from "../../src/errors.js";

function testIo(): { io: CliIo; out: string[]; err: string[]; stop: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopSignal = new Promise<void>((r) => (stop = r));
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd(), stopSignal }, out, err, stop };
}

describe("pve-chatops sim", () => {
  it("--help prints usage", async () => {
    const t = testIo();
    expect(await run(["--help"], t.io)).toBe(0);
    expect(t.out.join("\n")).toMatch(/Usage: pve-chatops sim \[--port 8006\]/);
  });

  it("rejects bad options with a UsageError", async () => {
    await expect(run(["--nodes", "zero"], testIo().io)).rejects.toBeInstanceOf(UsageError);
    await expect(run(["--bogus"], testIo().io)).rejects.toBeInstanceOf(UsageError);
  });

  it("starts, prints URL, fingerprint, token and a config snippet that works, and stops on the signal", async () => {
    const t = testIo();
    const running = run(["--port", "0", "--nodes", "2", "--speed", "50", "--guest-ssh-port", "2222"], t.io);
    const waitFor = async () => {
      for (let i = 0; i < 1000 && !t.out.some((l) => l.startsWith("Press Ctrl-C")); i++) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor();
    const text = t.out.join("\n");
    const url = /^      url: (https:\/\/127\.0\.0\.1:\d+)$/m.exec(text)![1]!;
    const tokenId = /tokenId: "([^"]+)"/.exec(text)![1]!;
    const secret = /tokenSecret: "([^"]+)"/.exec(text)![1]!;
    const fingerprint = /fingerprint: "([0-9A-F:]+)"/.exec(text)![1]!;
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(text).toContain("throwaway credential");
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const res = await fetch(`${url}/api2/json/nodes`, { headers: { authorization: `PVEAPIToken=${tokenId}=${secret}` }, dispatcher });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { node: string }[] };
      expect(body.data.map((n) => n.node).sort()).toEqual(["pve1", "pve2"]);
    } finally {
      await dispatcher.close();
    }
    t.stop();
    expect(await running).toBe(0);
    expect(t.out.at(-1)).toBe("simulator stopped");
  });

  it("--no-tls serves plain HTTP and prints no fingerprint", async () => {
    const t = testIo();
    const running = run(["--port", "0", "--no-tls", "--guest-ssh-port", "2222"], t.io);
    for (let i = 0; i < 1000 && !t.out.some((l) => l.startsWith("Press Ctrl-C")); i++) await new Promise((r) => setTimeout(r, 5));
    const text = t.out.join("\n");
    const url = /^      url: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(text)![1]!;
    expect(text).not.toContain("fingerprint");
    const tokenId = /tokenId: "([^"]+)"/.exec(text)![1]!;
    const secret = /tokenSecret: "([^"]+)"/.exec(text)![1]!;
    const res = await fetch(`${url}/api2/json/version`, { headers: { authorization: `PVEAPIToken=${tokenId}=${secret}` } });
    expect(res.status).toBe(200);
    t.stop();
    expect(await running).toBe(0);
  });
});
