/**
 * The simulator answers in the shapes real Proxmox VE servers use: for each recorded response in
 * test/fixtures/pve-api/fixtures that maps to an endpoint the simulator serves, the simulator's answer has the
 * same keys and value types. Documented version differences (BEHAVIOUR.md §14-15) are listed per case.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness, type SimHarness } from "./sim-helpers.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/pve-api/fixtures");

/** The whole wire body of a fixture. */
function body(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as unknown;
}

/** The `data` of a fixture (`.data.json` files hold only `data`). */
function fixture(name: string): unknown {
  return name.endsWith(".data.json") ? body(name) : (body(name) as { data: unknown }).data;
}

const jsonType = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

interface ShapeRules {
  /** Keys the simulator may add (newer versions, or fields the captured guest did not have). */
  extra?: readonly string[];
  /** Keys of the fixture the simulator may leave out (optional fields, version differences). */
  missing?: readonly string[];
  /** key → the type the simulator sends where the fixture's version differs (documented quirks). */
  types?: Readonly<Record<string, string>>;
}

/** Differences between `real` and `sim` objects, recursively; empty when the shapes agree. */
function shapeDiff(real: unknown, sim: unknown, rules: ShapeRules = {}, at = ""): string[] {
  const out: string[] = [];
  if (jsonType(real) !== "object" || jsonType(sim) !== "object") {
    if (jsonType(real) !== jsonType(sim)) out.push(`${at || "."}: ${jsonType(real)} vs ${jsonType(sim)}`);
    return out;
  }
  const r = real as Record<string, unknown>;
  const s = sim as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    const path = at ? `${at}.${k}` : k;
    if (!(k in s)) {
      if (!rules.missing?.includes(k)) out.push(`${path}: missing`);
      continue;
    }
    const want = rules.types?.[k] ?? jsonType(r[k]);
    if (want !== jsonType(s[k])) out.push(`${path}: ${want} vs ${jsonType(s[k])}`);
    else if (want === "object" && !["blockstat", "nics", "lxc"].includes(k)) out.push(...shapeDiff(r[k], s[k], {}, path));
  }
  for (const k of Object.keys(s)) if (!(k in r) && !rules.extra?.includes(k)) out.push(`${at ? `${at}.` : ""}${k}: extra`);
  return out;
}

let h: SimHarness;
beforeAll(async () => {
  // An all-powerful token here: the HA resource below needs Sys.Console, which the bot's default token lacks.
  h = await startHarness({
    speed: 200,
    durations: { agentBoot: 2000, statsLag: 1000 },
    tokens: [{ tokenId: "root@pam!shapes", acl: [{ path: "/", privs: ["Administrator"] }] }],
  });
  // A running VM with the agent and a container like the fixtures' guests.
  await h.waitTask(await h.data("POST", "/nodes/pve1/qemu/9000/clone", { newid: 600, name: "shape-vm", pool: "chatops" }));
  await h.waitTask(await h.data("POST", "/nodes/pve1/qemu/600/status/start"));
  await h.waitTask(
    await h.data("POST", "/nodes/pve1/lxc", {
      vmid: 601,
      hostname: "shape-ct",
      ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      rootfs: "local-lvm:8",
      cores: 2,
      memory: 4096,
      swap: 512,
      features: "nesting=1",
      onboot: 1,
      tags: "tag1;tag2",
      net0: "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp",
    }),
  );
  await h.waitTask(await h.data("POST", "/nodes/pve1/lxc/601/status/start"));
  await eventually(async () => {
    const r = await h.api("POST", "/nodes/pve1/qemu/600/agent/ping");
    const rows = await h.data("GET", "/cluster/resources", { type: "vm" });
    const fresh = rows.every((x: { status: string }) => x.status !== "unknown");
    return r.status === 200 && fresh ? true : undefined;
  });
});
afterAll(async () => {
  await h?.close();
});

describe("shapes match recorded Proxmox responses", () => {
  it("GET /nodes (gp-pve7-nodes)", async () => {
    const real = fixture("gp-pve7-nodes.json") as unknown[];
    for (const row of await h.data("GET", "/nodes")) expect(shapeDiff(real[0], row)).toEqual([]);
  });

  it("GET /nodes/{node}/status (gp-pve7-node-status)", async () => {
    expect(shapeDiff(fixture("gp-pve7-node-status.json"), await h.data("GET", "/nodes/pve1/status"), { extra: ["current-kernel", "boot-info"] })).toEqual([]);
  });

  it("GET /cluster/resources (gp-pve8-cluster-resources, pk-pve8.1-cluster-resources-vm)", async () => {
    const real = fixture("gp-pve8-cluster-resources.json") as { type: string; tags?: string }[];
    const sim = (await h.data("GET", "/cluster/resources")) as { type: string; vmid?: number }[];
    for (const type of ["qemu", "node", "storage"]) {
      const r = real.find((x) => x.type === type && !x.tags)!;
      const rows = sim.filter((x) => x.type === type);
      expect(rows.length).toBeGreaterThan(0);
      // Guest rows carry `pool`, `tags`, `lock`, `hastate` when they apply.
      for (const row of rows) expect(shapeDiff(r, row, { extra: ["pool", "tags", "lock", "hastate"] })).toEqual([]);
    }
    const vmOnly = fixture("pk-pve8.1-cluster-resources-vm.json") as unknown[];
    for (const row of await h.data("GET", "/cluster/resources", { type: "vm" }))
      expect(shapeDiff(vmOnly[0], row, { extra: ["pool", "tags", "lock", "hastate", "type"] })).toEqual([]);
  });

  it("GET /cluster/status (gp-pve8-cluster-status)", async () => {
    const real = fixture("gp-pve8-cluster-status.json") as { type: string }[];
    const sim = (await h.data("GET", "/cluster/status")) as { type: string }[];
    for (const row of sim) expect(shapeDiff(real.find((x) => x.type === row.type), row)).toEqual([]);
  });

  it("GET …/qemu/{vmid}/status/current of a running VM with agent (gp-pve8-qemu-status-current-running)", async () => {
    const sim = await h.data("GET", "/nodes/pve1/qemu/600/status/current");
    // `ha` of an unmanaged guest is {managed: 0}; `tags` since the clone copied none.
    expect(shapeDiff(fixture("gp-pve8-qemu-status-current-running.json"), sim)).toEqual([]);
  });

  it("GET /pools/{poolid} (gp-pve8-pool-get)", async () => {
    const real = fixture("gp-pve8-pool-get.json") as { comment: string; members: { type: string }[] };
    const sim = await h.data("GET", "/pools/chatops");
    expect(shapeDiff({ comment: real.comment, members: [] }, { ...sim, members: [] })).toEqual([]);
    const qemu = real.members.find((m) => m.type === "qemu")!;
    for (const m of sim.members) expect(shapeDiff(qemu, m, { extra: ["pool", "tags", "lock", "hastate"] })).toEqual([]);
  });

  it("GET …/lxc (gp-pve7-lxc-list): vmid is a number since PVE 8", async () => {
    const real = fixture("gp-pve7-lxc-list.json") as { status: string }[];
    const sim = (await h.data("GET", "/nodes/pve1/lxc")) as { status: string }[];
    const running = sim.find((x) => x.status === "running")!;
    expect(shapeDiff(real.find((x) => x.status === "running"), running, { types: { vmid: "number" }, extra: ["tags"] })).toEqual([]);
  });

  it("GET …/lxc/{vmid}/config (gp-pve7-lxc-config)", async () => {
    const sim = await h.data("GET", "/nodes/pve1/lxc/601/config");
    // The fixture's container has raw `lxc` lines and a bind mount; ours has `unprivileged` (API default 1).
    expect(shapeDiff(fixture("gp-pve7-lxc-config.json"), sim, { missing: ["lxc", "mp0"], extra: ["unprivileged"] })).toEqual([]);
  });

  it("GET …/lxc/{vmid}/status/current (cp-pve6.2-lxc-status-current): cpus is a number on current servers", async () => {
    // The recorded container is HA-managed: make ours so too.
    expect(await h.data("POST", "/cluster/ha/resources", { sid: "ct:601" })).toBeNull();
    const sim = await h.data("GET", "/nodes/pve1/lxc/601/status/current");
    expect(shapeDiff(fixture("cp-pve6.2-lxc-status-current.data.json"), sim, { types: { cpus: "number" }, extra: ["tags"] })).toEqual([]);
  });

  it("GET …/lxc/{vmid}/interfaces (gp-pve8-lxc-interfaces): 9.1 adds hardware-address and ip-addresses", async () => {
    const real = fixture("gp-pve8-lxc-interfaces.json") as unknown[];
    for (const row of await h.data("GET", "/nodes/pve1/lxc/601/interfaces"))
      expect(shapeDiff(real[1], row, { extra: ["hardware-address", "ip-addresses"] })).toEqual([]);
  });

  it("GET …/qemu/{vmid}/config (pk-pve8.1-qemu-config-100, -102-template, cp-pve6.2-qemu-config-103)", async () => {
    const vm = await h.data("GET", "/nodes/pve1/qemu/600/config");
    const tmpl = await h.data("GET", "/nodes/pve1/qemu/9000/config");
    const real100 = fixture("pk-pve8.1-qemu-config-100.json") as Record<string, unknown>;
    const real102 = fixture("pk-pve8.1-qemu-config-102-template.json") as Record<string, unknown>;
    const real103 = fixture("cp-pve6.2-qemu-config-103.data.json") as Record<string, unknown>;
    const typesOf = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, jsonType(o[k])]));
    const common100 = Object.keys(real100).filter((k) => k in vm);
    expect(common100.length).toBeGreaterThan(10);
    expect(typesOf(vm, common100)).toEqual(typesOf(real100, common100));
    const common102 = Object.keys(real102).filter((k) => k in tmpl);
    expect(typesOf(tmpl, common102)).toEqual(typesOf(real102, common102));
    expect(tmpl.scsi0).toMatch(/^local-lvm:base-9000-disk-0,/);
    // PVE 6.2 sent memory as a number; 8.1+ sends a string (BEHAVIOUR.md §8.3).
    const common103 = Object.keys(real103).filter((k) => k in vm && k !== "memory");
    expect(typesOf(vm, common103)).toEqual(typesOf(real103, common103));
    expect(typeof real103.memory).toBe("number");
    expect(typeof vm.memory).toBe("string");
  });

  it("GET …/agent/network-get-interfaces (cp-pve6.2-…-101)", async () => {
    const real = fixture("cp-pve6.2-qemu-agent-network-get-interfaces-101.data.json") as { result: Record<string, unknown>[] };
    const sim = (await h.data("GET", "/nodes/pve1/qemu/600/agent/network-get-interfaces")) as { result: Record<string, unknown>[] };
    expect(Object.keys(sim)).toEqual(["result"]);
    for (const iface of sim.result) {
      expect(shapeDiff(real.result[1], iface, { missing: ["ip-addresses"] })).toEqual([]);
      for (const a of iface["ip-addresses"] as unknown[])
        expect(shapeDiff((real.result[1]!["ip-addresses"] as unknown[])[0], a)).toEqual([]);
    }
  });

  it("task status, log and node task list (px-task-status-*, gp-task-log-imgcopy, cp-pve6.4-node-tasks)", async () => {
    const upid = await h.data("POST", "/nodes/pve1/qemu/600/status/reboot");
    const running = await h.data("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    // A token's task splits `user` into user and tokenid (pve-manager API2/Tasks.pm).
    if (running.status === "running") expect(shapeDiff(fixture("px-task-status-running.json"), running, { extra: ["tokenid"] })).toEqual([]);
    await h.waitTask(upid);
    const stopped = await h.data("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    expect(shapeDiff(fixture("px-task-status-stopped-ok.json"), stopped, { extra: ["tokenid"] })).toEqual([]);
    const log = await h.api("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`);
    const realLog = fixture("gp-task-log-imgcopy.data.json") as unknown[];
    for (const line of log.body.data) expect(shapeDiff(realLog[0], line)).toEqual([]);
    expect(typeof log.body.total).toBe("number");
    const list = await h.data("GET", "/nodes/pve1/tasks");
    const realList = fixture("cp-pve6.4-node-tasks.data.json") as unknown[];
    for (const row of list) expect(shapeDiff(realList[0], row, { extra: ["tokenid"] })).toEqual([]);
  });

  it("error bodies (bpg-pve8.3plus-error-500-body)", async () => {
    const r = await h.api("GET", "/nodes/pve1/qemu/4242/config");
    expect(r.status).toBe(500);
    expect(shapeDiff(body("bpg-pve8.3plus-error-500-body.json"), r.body)).toEqual([]);
    expect(r.body.message.endsWith("\n")).toBe(true);
    expect(r.reason).toBe(r.body.message.trimEnd());
  });
});
