import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUpid } from "../../src/adapters/pve/upid.js";
import { startHarness, type SimHarness } from "./sim-helpers.js";

let h: SimHarness;
beforeAll(async () => {
  h = await startHarness({
    tokens: [
      { tokenId: "chatops@pve!bot" },
      // A token limited to auditing: the 403 tests.
      { tokenId: "viewer@pve!ro", secret: "viewer-secret", acl: [{ path: "/", privs: ["PVEAuditor"] }] },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

describe("envelope and headers", () => {
  it("answers {data} with the real headers", async () => {
    const r = await h.api("GET", "/version");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(r.headers.get("server")).toBe("pve-api-daemon/3.0");
    expect(Object.keys(r.body)).toEqual(["data"]);
    expect(r.body.data.version).toMatch(/^\d+\.\d+/);
  });

  it("serves HTTPS with the advertised certificate fingerprint", async () => {
    expect(h.sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(h.sim.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const nodes = await h.data("GET", "/nodes");
    expect(nodes.map((n: { ssl_fingerprint: string }) => n.ssl_fingerprint)).toContain(h.sim.fingerprint);
  });

  it("401 Authentication failed! with no body for a wrong secret", async () => {
    const r = await h.api("GET", "/version", {}, { auth: `PVEAPIToken=${h.sim.tokenId}=wrong` });
    expect(r.status).toBe(401);
    expect(r.reason).toBe("Authentication failed!");
    expect(r.text).toBe("");
  });

  it("401 No ticket without credentials", async () => {
    const r = await h.api("GET", "/version", {}, { auth: null });
    expect(r.status).toBe(401);
    expect(r.reason).toBe("No ticket");
  });

  it("501 for an unknown path, and for a body on DELETE", async () => {
    const r = await h.api("GET", "/foo");
    expect(r.status).toBe(501);
    expect(r.reason).toBe("Method 'GET /foo' not implemented");
    expect(r.body).toEqual({ data: null, message: "Method 'GET /foo' not implemented\n" });
    const d = await h.api("DELETE", "/nodes/pve1/qemu/100", {}, { rawBody: "purge=1" });
    expect(d.status).toBe(501);
    expect(d.reason).toBe("Unexpected content for method 'DELETE'");
  });

  it("400 with verbatim per-parameter errors", async () => {
    const r = await h.api("POST", "/nodes/pve1/qemu", { vmid: 150, bogus: "x", start: "true" });
    expect(r.status).toBe(400);
    expect(r.reason).toBe("Parameter verification failed.");
    expect(r.body.data).toBeNull();
    expect(r.body.message).toBe("Parameter verification failed.\n");
    expect(r.body.errors).toEqual({
      bogus: "property is not defined in schema and the schema does not allow additional properties",
      start: "type check ('boolean') failed - got 'true'",
    });
  });

  it("accepts JSON bodies with real booleans", async () => {
    const r = await h.api("POST", "/pools", { poolid: "json-pool", comment: "from json" }, { json: true });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: null });
    const pools = await h.data("GET", "/pools");
    expect(pools).toContainEqual({ poolid: "json-pool", comment: "from json" });
  });

  it("403 comes before any existence check", async () => {
    const auth = "PVEAPIToken=viewer@pve!ro=viewer-secret";
    const r = await h.api("POST", "/nodes/pve1/qemu/4242/clone", { newid: 4243 }, { auth });
    expect(r.status).toBe(403);
    expect(r.reason).toBe("Permission check failed (/vms/4242, VM.Clone)");
    expect(r.body.message).toBe("Permission check failed (/vms/4242, VM.Clone)\n");
    const d = await h.api("DELETE", "/nodes/pve1/qemu/4242", {}, { auth });
    expect(d.status).toBe(403);
    expect(d.reason).toBe("Permission check failed (/vms/4242, VM.Allocate)");
    // The same call with rights reaches the handler, which then finds nothing.
    const ok = await h.api("DELETE", "/nodes/pve1/qemu/4242");
    expect(ok.status).toBe(500);
    expect(ok.reason).toBe("Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
  });

  it("privsep: a token has at most its user's rights", async () => {
    const perms = await h.data("GET", "/access/permissions");
    expect(perms["/"]["VM.Allocate"]).toBe(1);
    expect(perms["/"]["Sys.Modify"]).toBeUndefined();
    const ro = await h.data("GET", "/access/permissions", {}, { auth: "PVEAPIToken=viewer@pve!ro=viewer-secret" });
    expect(ro["/"]["VM.Audit"]).toBe(1);
    expect(ro["/"]["VM.Allocate"]).toBeUndefined();
  });

  it("counts requests per endpoint template", async () => {
    const before = h.sim.stats.byEndpoint["GET /cluster/nextid"] ?? 0;
    await h.data("GET", "/cluster/nextid");
    expect(h.sim.stats.byEndpoint["GET /cluster/nextid"]).toBe(before + 1);
  });
});

describe("tasks", () => {
  it("a task runs, logs, ends TASK OK, and only its node knows it", async () => {
    const upid: string = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 300, name: "t-300" });
    const u = parseUpid(upid)!;
    expect(u).toMatchObject({ node: "pve1", type: "qmclone", id: "9000", user: "chatops@pve!bot" });
    const st = await h.data("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    expect(st).toMatchObject({ upid, node: "pve1", type: "qmclone", id: "9000", user: "chatops@pve", tokenid: "bot" });
    expect(["running", "stopped"]).toContain(st.status);
    const wrong = await h.api("GET", `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual({ upid: "no such task" });
    const done = await h.waitTask(upid);
    expect(done.exitstatus).toBe("OK");
    expect(done.log.at(-1)).toBe("TASK OK");
    expect(done.log[0]).toMatch(/create linked clone of drive scsi0/);
    const logAnswer = await h.api("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`, { start: 0, limit: 2 });
    expect(logAnswer.body.total).toBe(done.log.length);
    expect(logAnswer.body.data).toEqual([
      { n: 1, t: done.log[0] },
      { n: 2, t: done.log[1] },
    ]);
    const list = await h.data("GET", "/nodes/pve1/tasks", { vmid: 9000 });
    expect(list[0]).toMatchObject({ upid, status: "OK", type: "qmclone" });
    expect(typeof list[0].endtime).toBe("number");
  });

  it("nextid is the lowest free id as a string and reserves nothing", async () => {
    const a = await h.data("GET", "/cluster/nextid");
    const b = await h.data("GET", "/cluster/nextid");
    expect(typeof a).toBe("string");
    expect(a).toBe(b);
    expect(h.sim.state.guest(Number(a))).toBeUndefined();
    const taken = await h.api("GET", "/cluster/nextid", { vmid: 9000 });
    expect(taken.status).toBe(400);
    expect(taken.body.errors).toEqual({ vmid: "VM 9000 already exists" });
  });

  it("DELETE on a running task stops it: interrupted by signal, and the clone leaves nothing", async () => {
    const upid: string = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 310, full: 1 });
    expect(await h.data("DELETE", `/nodes/pve1/tasks/${encodeURIComponent(upid)}`)).toBeNull();
    const done = await h.waitTask(upid);
    expect(done.exitstatus).toBe("interrupted by signal");
    expect(done.log.at(-1)).toBe("TASK ERROR: interrupted by signal");
    expect(h.sim.state.guest(310)).toBeUndefined();
  });
});

describe("storage and pools", () => {
  it("lists storages by content and their volumes", async () => {
    const images = await h.data("GET", "/nodes/pve1/storage", { content: "images" });
    expect(images.map((s: { storage: string }) => s.storage).sort()).toEqual(["cephpool", "local-lvm"]);
    for (const s of images) expect(s.used + s.avail).toBe(s.total);
    const tmpl = await h.data("GET", "/nodes/pve2/storage/local/content", { content: "vztmpl" });
    expect(tmpl.map((v: { volid: string }) => v.volid)).toEqual([
      "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz",
      "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    ]);
    const base = await h.data("GET", "/nodes/pve1/storage/local-lvm/content", { vmid: 9000 });
    expect(base.map((v: { volid: string }) => v.volid)).toContain("local-lvm:base-9000-disk-0");
    const missing = await h.api("GET", "/nodes/pve1/storage/nope/content");
    expect(missing.reason).toBe("storage 'nope' does not exist");
  });

  it("GET /pools?poolid=X lists members with stats; unknown pools are 500", async () => {
    const upid = await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 320, pool: "chatops" });
    await h.waitTask(upid);
    const [pool] = await h.data("GET", "/pools", { poolid: "chatops" });
    expect(pool.poolid).toBe("chatops");
    expect(pool.members.map((m: { vmid: number }) => m.vmid)).toContain(320);
    const missing = await h.api("GET", "/pools/nope");
    expect(missing.status).toBe(500);
    expect(missing.reason).toBe("pool 'nope' does not exist");
  });
});
