import { connect } from "node:net";
import { createServer } from "node:net";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness, type SimHarness } from "./sim-helpers.js";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

let h: SimHarness;
let sshPort: number;
beforeAll(async () => {
  sshPort = await freePort();
  h = await startHarness({ guestSshPort: sshPort, durations: { agentBoot: 3000, agentTimeout: 300 } });
});
afterAll(async () => {
  await h?.close();
});

describe("fault injection", () => {
  it("setNodeOnline(false): 595 with empty body, offline everywhere, guests stop listening", async () => {
    // VM 100 (dns1) runs on pve1 in the seeded world and listens from the start.
    const ip = h.sim.state.guest(100)!.ip;
    expect(await tcpConnects(ip, sshPort)).toBe(true);
    h.sim.faults.setNodeOnline("pve1", false);
    try {
      const r = await h.api("GET", "/nodes/pve1/qemu");
      expect(r.status).toBe(595);
      expect(r.reason).toBe("Errors during connection establishment, proxy handshake: No route to host");
      expect(r.text).toBe("");
      const nodes = await h.data("GET", "/nodes");
      expect(nodes.find((n: { node: string }) => n.node === "pve1").status).toBe("offline");
      const status = await h.data("GET", "/cluster/status");
      expect(status.find((n: { name?: string }) => n.name === "pve1").online).toBe(0);
      const res = await h.data("GET", "/cluster/resources", { type: "node" });
      expect(res.find((n: { node: string }) => n.node === "pve1").status).toBe("offline");
      expect(await tcpConnects(ip, sshPort)).toBe(false);
    } finally {
      h.sim.faults.setNodeOnline("pve1", true);
    }
    expect(await tcpConnects(ip, sshPort)).toBe(true);
  });

  it("failNextTask: the matching task ends TASK ERROR: <message>", async () => {
    h.sim.faults.failNextTask({ type: "qmclone", vmid: 9000 }, "simulated disk failure");
    const upid = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 500 });
    const done = await h.waitTask(upid);
    expect(done.exitstatus).toBe("simulated disk failure");
    expect(done.log.at(-1)).toBe("TASK ERROR: simulated disk failure");
    expect(h.sim.state.guest(500)).toBeUndefined();
    // Only the next one: the same clone now works.
    expect((await h.waitTask(await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 500 }))).exitstatus).toBe("OK");
  });

  it("storageLockTimeout: the next volume operations on that storage fail in the task", async () => {
    h.sim.faults.storageLockTimeout("local-lvm", 1);
    const upid = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 501, full: 1 });
    const done = await h.waitTask(upid);
    expect(done.exitstatus).toBe("clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout");
    h.sim.faults.storageLockTimeout("cephpool", 1);
    const shared = await h.waitTask(await h.data("POST", "/nodes/pve3/qemu/9002/clone", { newid: 502 }));
    expect(shared.exitstatus).toBe("clone failed: cfs-lock 'storage-cephpool' error: got lock request timeout");
  });

  it("failRequests: the next N matching requests answer the injected error", async () => {
    h.sim.faults.failRequests({ method: "GET", pathTemplate: "/cluster/nextid" }, 500, "got timeout", 2);
    expect((await h.api("GET", "/cluster/nextid")).reason).toBe("got timeout");
    expect((await h.api("GET", "/cluster/nextid")).status).toBe(500);
    expect((await h.api("GET", "/cluster/nextid")).status).toBe(200);
  });

  it("apiDelayMs holds every response back", async () => {
    h.sim.faults.apiDelayMs = 300;
    const order: string[] = [];
    const before = h.sim.stats.total;
    const slow = h.api("GET", "/version").then(() => order.push("delayed"));
    // Once the first request has arrived, later ones are not delayed.
    await eventually(() => (h.sim.stats.total > before ? true : undefined));
    h.sim.faults.apiDelayMs = 0;
    await h.api("GET", "/cluster/nextid").then(() => order.push("undelayed"));
    await slow;
    // The request sent first is answered last: it waited for the injected delay.
    expect(order).toEqual(["undelayed", "delayed"]);
  });

  it("expireToken: 401 from then on", async () => {
    const extra = await startHarness({ tokens: [{ tokenId: "temp@pve!t1" }] });
    try {
      expect((await extra.api("GET", "/version")).status).toBe(200);
      extra.sim.faults.expireToken("temp@pve!t1");
      const r = await extra.api("GET", "/version");
      expect(r.status).toBe(401);
      expect(r.reason).toBe("Authentication failed!");
    } finally {
      await extra.close();
    }
  });

  it("migrate to an offline node fails in the task and the guest stays", async () => {
    h.sim.faults.setNodeOnline("pve3", false);
    try {
      const upid = await h.data("POST", "/nodes/pve1/qemu/500/migrate", { target: "pve3" });
      const done = await h.waitTask(upid);
      expect(done.exitstatus).toBe("migration aborted");
      expect(h.sim.state.guest(500)).toMatchObject({ node: "pve1", lock: undefined });
    } finally {
      h.sim.faults.setNodeOnline("pve3", true);
    }
  });
});

describe("guest SSH", () => {
  it("a booted guest listens on <127.x ip>:<guestSshPort> with a real SSH server, and stops when stopped", async () => {
    await h.waitTask(await h.data("POST", "/nodes/pve1/qemu/500/status/start"));
    const ip = h.sim.state.guest(500)!.ip;
    expect(ip).toMatch(/^127\./);
    await eventually(async () => ((await tcpConnects(ip, sshPort)) ? true : undefined));
    const banner = await new Promise<string>((resolve, reject) => {
      const client = new ssh2.Client();
      client.on("ready", () => {
        client.end();
        resolve("ready");
      });
      client.on("error", reject);
      client.connect({ host: ip, port: sshPort, username: "ubuntu", hostVerifier: () => true, readyTimeout: 5000 });
    });
    expect(banner).toBe("ready");
    await h.waitTask(await h.data("POST", "/nodes/pve1/qemu/500/status/stop"));
    expect(await tcpConnects(ip, sshPort)).toBe(false);
  });
});
