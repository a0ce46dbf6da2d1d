/**
 * The Proxmox client over real sockets against a scripted pveproxy stand-in (./pve-client-fake-server.ts).
 * The simulator-backed tests are in pve-client-sim.test.ts.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { Writable } from "node:stream";
import { Agent } from "undici";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { apiConfigSchema } from "../../src/config/schema.js";
import { Cancelled, PveError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { createPveClient, type CreatePveClientOptions } from "../../src/adapters/pve/client.js";
import type { PveClient } from "../../src/adapters/pve/types.js";
import { closedPort, sharedCertificate, startFakePve, type FakeServer } from "./pve-client-fake-server.js";

const TOKEN_ID = "chatops@pve!bot";
const SECRET = "5f3c1e2a-9b7d-4c8e-a1f0-3d2b6c9e8f71";
const FAST = { attempts: 3, baseMs: 1, maxMs: 2 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function server(opts?: Parameters<typeof startFakePve>[0]): Promise<FakeServer> {
  const s = await startFakePve(opts);
  cleanups.push(() => s.close());
  s.route("GET", "/version", () => ({ body: { data: { version: "9.1.2", release: "9.1", repoid: "abcdef12" } } }));
  return s;
}

function client(api: Record<string, unknown>, extra: Partial<CreatePveClientOptions> = {}): PveClient {
  const c = createPveClient({
    cluster: "lab",
    api: apiConfigSchema.parse({ tokenId: TOKEN_ID, tokenSecret: SECRET, ...api }),
    readRetry: FAST,
    lockRetry: FAST,
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

function captureLog() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: "trace", destination }), text: () => chunks.join("") };
}

beforeAll(async () => {
  await sharedCertificate();
});

describe("requests", () => {
  it("GET /version: token header, data unwrapped, fingerprint pinned", async () => {
    const s = await server();
    const c = client({ url: s.url, fingerprint: s.fingerprint });
    await expect(c.get("/version")).resolves.toEqual({ version: "9.1.2", release: "9.1", repoid: "abcdef12" });
    expect(s.requests[0]!.headers.authorization).toBe(`PVEAPIToken=${TOKEN_ID}=${SECRET}`);
    expect(s.requests[0]!.headers["x-csrf-token"]).toBeUndefined();
  });

  it("GET and DELETE put parameters in the query; POST/PUT send a urlencoded form with 1/0 booleans", async () => {
    const s = await server({ tls: false });
    s.route("GET", "/cluster/resources", () => ({ body: { data: [] } }));
    s.route("DELETE", "/nodes/pve1/qemu/100", () => ({ body: { data: "UPID:pve1:00000001:00000002:00000003:qmdestroy:100:chatops@pve!bot:" } }));
    s.route("POST", "/nodes/pve1/qemu/9000/clone", () => ({ body: { data: "UPID:pve1:00000001:00000002:00000003:qmclone:9000:chatops@pve!bot:" } }));
    s.route("PUT", "/nodes/pve1/qemu/120/config", () => ({ body: { data: null } }));
    const c = client({ url: s.url });
    await c.get("/cluster/resources", { type: "vm" });
    await c.delete("/nodes/pve1/qemu/100", { purge: true, "destroy-unreferenced-disks": true });
    await c.post("/nodes/pve1/qemu/9000/clone", { newid: 120, full: false, pool: undefined, name: "web-1" });
    await expect(c.put("/nodes/pve1/qemu/120/config", { tags: "chatops;owner-u1", description: "a+b c" })).resolves.toBeNull();
    const [get, del, post, put] = s.requests;
    expect(get!.query.get("type")).toBe("vm");
    expect(del!.query.toString()).toBe("purge=1&destroy-unreferenced-disks=1");
    expect(del!.body).toBe("");
    expect(post!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(post!.body).toBe("newid=120&full=0&name=web-1");
    expect(put!.body).toBe("tags=chatops%3Bowner-u1&description=a%2Bb+c");
  });

  it("parses with a schema and names the path when the shape is wrong", async () => {
    const s = await server({ tls: false });
    s.route("GET", "/cluster/nextid", () => ({ body: { data: "104" } }));
    const c = client({ url: s.url });
    await expect(c.get("/cluster/nextid", undefined, { schema: z.coerce.number() })).resolves.toBe(104);
    const err = await c.get("/version", undefined, { schema: z.object({ version: z.number() }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PveError);
    expect((err as PveError).message).toContain("GET /version");
    expect((err as PveError).message).toContain("version");
  });

  it("reports metrics per attempt with a path template", async () => {
    const s = await server({ tls: false });
    s.route("GET", /^\/nodes\/pve1\/qemu\/100\/status\/current$/, () => ({ body: { data: { status: "running" } } }));
    const seen: [string, string, number][] = [];
    const c = client({ url: s.url }, { metrics: { onRequest: (m, p, st) => seen.push([m, p, st]) } });
    await c.get("/nodes/pve1/qemu/100/status/current");
    expect(seen).toEqual([["GET", "/nodes/{node}/qemu/{vmid}/status/current", 200]]);
  });
});

describe("errors", () => {
  it("reads the reason phrase when the body is only {data:null} (old Proxmox)", async () => {
    const s = await server({ tls: false });
    s.route("PUT", "/nodes/pve1/qemu/203/config", () => ({
      status: 500,
      reason: "can't lock file '/var/lock/qemu-server/lock-203.conf' - got timeout",
      body: { data: null },
    }));
    const c = client({ url: s.url }, { lockRetry: { attempts: 1, baseMs: 0, maxMs: 0 } });
    const err = (await c.put("/nodes/pve1/qemu/203/config", { cores: 2 }).catch((e: unknown) => e)) as PveError;
    expect(err).toBeInstanceOf(PveError);
    expect(err).toMatchObject({ kind: "locked", status: 500, lock: "/var/lock/qemu-server/lock-203.conf", cluster: "lab" });
    expect(err.pveMessage).toBe("can't lock file '/var/lock/qemu-server/lock-203.conf' - got timeout");
  });

  it("reads 400 errors per parameter", async () => {
    const s = await server({ tls: false });
    s.route("POST", "/nodes/pve1/qemu", () => ({
      status: 400,
      reason: "Parameter verification failed.",
      body: { data: null, errors: { name: "invalid format - value does not look like a valid DNS name" } },
    }));
    const err = (await client({ url: s.url }).post("/nodes/pve1/qemu", { vmid: 100, name: "a b" }).catch((e: unknown) => e)) as PveError;
    expect(err).toMatchObject({ kind: "bad-request", status: 400, paramErrors: { name: "invalid format - value does not look like a valid DNS name" } });
  });

  it("595 from an offline node: node-unreachable, retried for GET, endpoint not abandoned", async () => {
    const s = await server({ tls: false });
    const other = await server({ tls: false });
    s.route("GET", "/nodes/pve3/status", () => ({ status: 595, reason: "Errors during connection establishment, proxy handshake: Connection refused", body: "" }));
    const c = client({ endpoints: [s.url, other.url] });
    const err = (await c.get("/nodes/pve3/status").catch((e: unknown) => e)) as PveError;
    expect(err).toMatchObject({ kind: "node-unreachable", status: 595 });
    expect(err.pveMessage).toBe("Errors during connection establishment, proxy handshake: Connection refused");
    expect(s.requests.length).toBe(FAST.attempts);
    expect(other.requests.length).toBe(0);
  });

  it("a 401 never leaks the secret into errors or logs", async () => {
    const s = await server({ tls: false });
    s.route("GET", "/version", () => ({ status: 401, reason: "Authentication failed!", body: "" }));
    const log = captureLog();
    const c = client({ url: s.url }, { logger: log.logger });
    const err = (await c.get("/version").catch((e: unknown) => e)) as PveError;
    expect(err).toMatchObject({ kind: "unauthorized", status: 401, pveMessage: "Authentication failed!" });
    expect(s.requests.length).toBe(1); // not retried
    const refused = createPveClient({
      cluster: "lab",
      api: apiConfigSchema.parse({ url: `http://127.0.0.1:${await closedPort()}`, tokenId: TOKEN_ID, tokenSecret: SECRET }),
      logger: log.logger,
      readRetry: FAST,
    });
    cleanups.push(() => refused.close());
    const netErr = await refused.get("/version").catch((e: unknown) => e);
    expect(log.text()).toContain("pve request"); // the log did capture the requests
    for (const text of [log.text(), err.message, err.userMessage(), inspect(err, { depth: 10 }), JSON.stringify(err), inspect(netErr, { depth: 10 }), String(netErr)]) {
      expect(text).not.toContain(SECRET);
    }
  });
});

describe("retries", () => {
  it("retries a GET after a 5xx and succeeds", async () => {
    const s = await server({ tls: false });
    let n = 0;
    s.route("GET", "/cluster/resources", () => (++n === 1 ? { status: 500, reason: "Internal Server Error" } : { body: { data: [{ id: "qemu/100" }] } }));
    await expect(client({ url: s.url }).get("/cluster/resources")).resolves.toEqual([{ id: "qemu/100" }]);
    expect(n).toBe(2);
  });

  it("never resends a POST that failed with a 5xx or a dropped connection", async () => {
    const s = await server({ tls: false });
    s.route("POST", "/nodes/pve1/qemu/9000/clone", () => ({ status: 500, reason: "VM 9000 qga command 'guest-ping' failed - got timeout" }));
    s.route("POST", "/nodes/pve1/qemu/100/status/start", () => ({ destroy: true }));
    const c = client({ url: s.url });
    await expect(c.post("/nodes/pve1/qemu/9000/clone", { newid: 101 })).rejects.toMatchObject({ kind: "server" });
    await expect(c.post("/nodes/pve1/qemu/100/status/start")).rejects.toMatchObject({ kind: "network" });
    expect(s.requests.map((r) => r.path)).toEqual(["/nodes/pve1/qemu/9000/clone", "/nodes/pve1/qemu/100/status/start"]);
  });

  it("resends a POST after a storage lock timeout (the call did not happen)", async () => {
    const s = await server({ tls: false });
    let n = 0;
    s.route("POST", "/nodes/pve1/qemu", () =>
      ++n === 1
        ? { status: 500, reason: "cfs-lock 'storage-ceph' error: got lock request timeout" }
        : { body: { data: "UPID:pve1:00000001:00000002:00000003:qmcreate:130:chatops@pve!bot:" } },
    );
    await expect(client({ url: s.url }).post("/nodes/pve1/qemu", { vmid: 130 })).resolves.toMatch(/^UPID:/);
    expect(n).toBe(2);
  });

  it("times out a request that gets no answer", async () => {
    const s = await server({ tls: false });
    s.route("POST", "/nodes/pve1/qemu/100/status/stop", () => ({ hang: true }));
    const err = await client({ url: s.url, timeoutMs: 200 }).post("/nodes/pve1/qemu/100/status/stop").catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout" });
    expect(s.requests.length).toBe(1);
  });

  it("respects an abort signal", async () => {
    const s = await server({ tls: false });
    s.route("GET", "/cluster/resources", () => ({ hang: true }));
    const ac = new AbortController();
    const p = client({ url: s.url }).get("/cluster/resources", undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toBeInstanceOf(Cancelled);
  });
});

describe("endpoints", () => {
  it("fails over from a closed port to the next endpoint and then stays on the healthy one", async () => {
    const s = await server({ tls: false });
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const attempts: [string, number][] = [];
    const c = client({ endpoints: [dead, s.url] }, { metrics: { onRequest: (_m, p, st) => attempts.push([p, st]) } });
    await expect(c.get("/version")).resolves.toMatchObject({ version: "9.1.2" });
    await expect(c.post("/version")).rejects.toMatchObject({ status: 501 }); // straight to the healthy one
    expect(attempts).toEqual([
      ["/version", 0],
      ["/version", 200],
      ["/version", 501],
    ]);
  });

  it("a POST also fails over when the connection was refused (nothing was sent)", async () => {
    const s = await server({ tls: false });
    s.route("POST", "/nodes/pve1/qemu/100/status/start", () => ({ body: { data: "UPID:pve1:00000001:00000002:00000003:qmstart:100:chatops@pve!bot:" } }));
    const c = client({ endpoints: [`http://127.0.0.1:${await closedPort()}`, s.url] });
    await expect(c.post("/nodes/pve1/qemu/100/status/start")).resolves.toMatch(/qmstart/);
  });

  it("all endpoints down: one network error naming each", async () => {
    const a = `http://127.0.0.1:${await closedPort()}`;
    const b = `http://127.0.0.1:${await closedPort()}`;
    const err = (await client({ endpoints: [a, b] }).get("/version").catch((e: unknown) => e)) as PveError;
    expect(err.kind).toBe("network");
    expect(err.pveMessage).toContain(a);
    expect(err.pveMessage).toContain(b);
    expect(err.pveMessage).toContain("ECONNREFUSED");
  });
});

describe("TLS", () => {
  it("refuses a certificate whose fingerprint does not match, before sending anything", async () => {
    const s = await server();
    const wrong = s.fingerprint.replace(/^../, s.fingerprint.startsWith("00") ? "11" : "00");
    const err = (await client({ url: s.url, fingerprint: wrong }).get("/version").catch((e: unknown) => e)) as PveError;
    expect(err).toBeInstanceOf(PveError);
    expect(err.kind).toBe("network");
    expect(err.pveMessage).toContain("TLS certificate fingerprint mismatch");
    expect(err.pveMessage).toContain(`expected ${wrong}`);
    expect(err.pveMessage).toContain(`got ${s.fingerprint}`);
    expect(s.requests.length).toBe(0);
  });

  it("pins on every connection: no TLS session is resumed (a resumed session shows no certificate)", async () => {
    const s = await server();
    s.route("GET", "/version", () => ({ body: { data: { version: "9.1.2" } }, close: true }));
    const c = client({ url: s.url, fingerprint: s.fingerprint });
    for (let i = 0; i < 3; i++) await c.get("/version");
    expect(s.tls.handshakes).toBe(3);
    expect(s.tls.resumed).toBe(0);

    // Control: undici's default connector does resume sessions against this server, so the check above can fail.
    const plain = new Agent({ connect: { rejectUnauthorized: false } });
    cleanups.push(() => plain.close());
    for (let i = 0; i < 3; i++) {
      const res = await plain.request({ origin: s.url, path: "/api2/json/version", method: "GET" });
      await res.body.text();
    }
    expect(s.tls.resumed).toBeGreaterThan(0);
  });

  it("verifies against a CA file", async () => {
    const s = await server();
    const dir = mkdtempSync(join(tmpdir(), "pve-ca-"));
    const caFile = join(dir, "pve-root-ca.pem");
    writeFileSync(caFile, s.certPem);
    await expect(client({ url: s.url, ca: caFile }).get("/version")).resolves.toMatchObject({ version: "9.1.2" });
  });

  it("refuses an untrusted certificate by default", async () => {
    const s = await server();
    const err = (await client({ url: s.url }).get("/version").catch((e: unknown) => e)) as PveError;
    expect(err.kind).toBe("network");
    expect(err.pveMessage).toMatch(/TLS certificate not trusted/);
  });

  it("insecure: works and warns once", async () => {
    const s = await server();
    const log = captureLog();
    const c = client({ url: s.url, insecure: true }, { logger: log.logger });
    await c.get("/version");
    await c.get("/version");
    expect(log.text().match(/TLS verification is OFF/g)?.length).toBe(1);
  });
});

describe("limiter", () => {
  it("keeps at most maxConcurrent requests in flight", async () => {
    const s = await server({ tls: false });
    s.route("GET", "/cluster/resources", () => ({ body: { data: [] }, delayMs: 30 }));
    const c = client({ url: s.url, maxConcurrent: 2, ratePerSecond: 1000 });
    await Promise.all(Array.from({ length: 8 }, () => c.get("/cluster/resources")));
    expect(s.requests.length).toBe(8);
    expect(s.inFlight.max).toBe(2);
  });
});

describe("waitForTask over HTTP", () => {
  it("polls status and log on the UPID's node, lines in order, resolves on OK", async () => {
    const s = await server({ tls: false });
    const upid = "UPID:pve2:0000AB12:0012CD34:679A423B:qmclone:9000:chatops@pve!bot:";
    const log = ["create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)", "  Logical volume \"vm-120-disk-0\" created.", "TASK OK"];
    let polls = 0;
    s.route("GET", `/nodes/pve2/tasks/${upid}/status`, () => {
      polls++;
      return { body: { data: polls < 3 ? { status: "running", upid, node: "pve2" } : { status: "stopped", exitstatus: "OK", upid, node: "pve2" } } };
    });
    s.route("GET", `/nodes/pve2/tasks/${upid}/log`, (r) => {
      const start = Number(r.query.get("start"));
      const upTo = Math.min(log.length, polls);
      return { body: { data: log.slice(start, upTo).map((t, i) => ({ n: start + i + 1, t })), total: upTo } };
    });
    const c = client({ url: s.url }, { taskPollSchedule: () => 5 });
    const lines: string[] = [];
    const r = await c.waitForTask(upid, { onLog: (l) => lines.push(l) });
    expect(r).toMatchObject({ upid, ok: true, exitstatus: "OK", logTail: log });
    expect(lines).toEqual(log);
    expect(s.requests.every((q) => q.path.startsWith("/nodes/pve2/tasks/"))).toBe(true);
    expect(s.requests.filter((q) => q.path.endsWith("/log")).map((q) => q.query.get("limit"))).toContain("500");
  });
});
