/**
 * The simulator's request validator and permission evaluator. Expected messages are the verbatim
 * pve-common JSONSchema.pm / pve-access-control RPCEnvironment.pm texts (see shared BEHAVIOUR.md §1.4, §2).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkPermissions,
  findUriParamConflicts,
  formatPropertyString,
  listEndpoints,
  matchEndpoint,
  paramSchema,
  parsePropertyString,
  PropertyStringError,
  validateParams,
  type HttpMethod,
  type MatchedEndpoint,
  type PropertyStringFormat,
  type ValidationResult,
} from "../../src/sim/schema/index.js";

function ep(method: HttpMethod, path: string): MatchedEndpoint {
  const m = matchEndpoint(method, path);
  if (!m) throw new Error(`no endpoint ${method} ${path}`);
  return m;
}

/** Validate like the server will: path params + request params. */
function validate(method: HttpMethod, path: string, params: Record<string, unknown>, encoding: "form" | "json" = "form"): ValidationResult {
  const m = ep(method, path);
  return validateParams(m, { ...params, ...m.pathParams }, encoding);
}

function errorsOf(r: ValidationResult): Record<string, string> {
  if (r.ok) throw new Error(`expected errors, got ok: ${JSON.stringify(r.params)}`);
  return r.errors;
}

function paramsOf(r: ValidationResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.params;
}

const CLONE = "/nodes/pve1/qemu/100/clone";
const CREATE = "/nodes/pve1/qemu";
const CONFIG = "/nodes/pve1/qemu/100/config";
const NET_MODELS =
  "e1000, e1000-82540em, e1000-82544gc, e1000-82545em, e1000e, i82551, i82557b, i82559er, ne2k_isa, ne2k_pci, pcnet, rtl8139, virtio, vmxnet3";

describe("matchEndpoint", () => {
  it("finds the template and the path parameters", () => {
    const m = ep("GET", "/nodes/pve1/qemu/100/config");
    expect(m.template).toBe("/nodes/{node}/qemu/{vmid}/config");
    expect(m.pathParams).toEqual({ node: "pve1", vmid: "100" });
    expect(ep("GET", "/nodes/pve1/tasks/UPID:pve1:00001234:00005678:65A1B2C3:qmclone:100:bot@pve!ci:/status").pathParams["upid"]).toBe(
      "UPID:pve1:00001234:00005678:65A1B2C3:qmclone:100:bot@pve!ci:",
    );
  });

  it("matches literal segments exactly and ignores repeated slashes", () => {
    expect(ep("POST", "/nodes/pve1/qemu/100/status/start").template).toBe("/nodes/{node}/qemu/{vmid}/status/start");
    expect(ep("GET", "//nodes//pve1/status").template).toBe("/nodes/{node}/status");
  });

  it("returns undefined for an unknown path or a method the path does not have", () => {
    expect(matchEndpoint("GET", "/foo")).toBeUndefined();
    expect(matchEndpoint("DELETE", "/nodes/pve1/status")).toBeUndefined();
    expect(matchEndpoint("GET", "/nodes/pve1/qemu/100/config/extra")).toBeUndefined();
  });
});

describe("validateParams: pve-common JSONSchema.pm behaviour and messages", () => {
  it("rejects an unknown parameter", () => {
    expect(errorsOf(validate("POST", CLONE, { newid: "101", foo: "1" }))).toEqual({
      foo: "property is not defined in schema and the schema does not allow additional properties",
    });
  });

  it("rejects keys that look like JavaScript internals like any other unknown key", () => {
    const raw = JSON.parse('{"newid":"101","__proto__":"x","constructor":"y"}') as Record<string, unknown>;
    expect(errorsOf(validate("POST", CLONE, raw))).toEqual(
      JSON.parse(
        '{"__proto__":"property is not defined in schema and the schema does not allow additional properties","constructor":"property is not defined in schema and the schema does not allow additional properties"}',
      ),
    );
    expect(errorsOf(validate("PUT", CONFIG, { net0: "virtio,bridge=vmbr0,__proto__=1" }))).toEqual({
      net0: "invalid format - invalid key in comma-separated list property: __proto__\n",
    });
  });

  it("reports a missing required parameter", () => {
    expect(errorsOf(validate("POST", CLONE, {}))).toEqual({ newid: "property is missing and it is not optional" });
    // A JSON null counts as absent.
    expect(errorsOf(validate("POST", CLONE, { newid: null }, "json"))).toEqual({ newid: "property is missing and it is not optional" });
  });

  it("takes booleans as exactly 1/0 in form data, true/false only in JSON", () => {
    expect(errorsOf(validate("POST", CLONE, { newid: "101", full: "true" }))).toEqual({ full: "type check ('boolean') failed - got 'true'" });
    expect(paramsOf(validate("POST", CLONE, { newid: "101", full: "1" }))["full"]).toBe(true);
    expect(paramsOf(validate("POST", CLONE, { newid: "101", full: "0" }))["full"]).toBe(false);
    expect(paramsOf(validate("POST", CLONE, { newid: 101, full: true }, "json"))["full"]).toBe(true);
    expect(paramsOf(validate("POST", CLONE, { newid: 101, full: 0 }, "json"))["full"]).toBe(false);
    // A JSON boolean where an integer or string is expected is a Perl reference:
    expect(errorsOf(validate("POST", CLONE, { newid: true }, "json"))).toEqual({ newid: "type check ('integer') failed - got JSON::PP::Boolean" });
  });

  it("accepts integers as digit strings and converts them", () => {
    const params = paramsOf(validate("POST", CLONE, { newid: "101", name: "web-1" }));
    expect(params).toEqual({ node: "pve1", vmid: 100, newid: 101, name: "web-1" });
    expect(errorsOf(validate("POST", CLONE, { newid: "abc" }))).toEqual({ newid: "type check ('integer') failed - got 'abc'" });
    expect(errorsOf(validate("POST", CLONE, { newid: "1.5" }))).toEqual({ newid: "type check ('integer') failed - got '1.5'" });
  });

  it("checks minimum and maximum (after the format, like Perl)", () => {
    expect(errorsOf(validate("GET", "/nodes/pve1/tasks", { limit: "-1" }))).toEqual({ limit: "value must have a minimum value of 0" });
    expect(errorsOf(validate("POST", CONFIG, { background_delay: "31" }))).toEqual({ background_delay: "value must have a maximum value of 30" });
    // pve-vmid runs before minimum, so a too-small VMID gets the format message:
    expect(errorsOf(validate("POST", CLONE, { newid: "99" }))).toEqual({ newid: "invalid format - value does not look like a valid VM ID\n" });
    expect(errorsOf(validate("POST", CREATE, { vmid: "200", cores: "0" }))).toEqual({ cores: "value must have a minimum value of 1" });
  });

  it("checks maxLength and minLength", () => {
    expect(errorsOf(validate("PUT", CONFIG, { digest: "a".repeat(41) }))).toEqual({ digest: "value may only be 40 characters long" });
    expect(errorsOf(validate("POST", "/nodes/pve1/lxc", { vmid: "200", ostemplate: "local:vztmpl/x.tar.zst", password: "abc" }))).toEqual({
      password: "value must be at least 5 characters long",
    });
  });

  it("checks enums with the Perl message", () => {
    expect(errorsOf(validate("GET", "/cluster/resources", { type: "foo" }))).toEqual({
      type: "value 'foo' does not have a value in the enumeration 'vm, storage, node, sdn'",
    });
    expect(paramsOf(validate("GET", "/cluster/resources", { type: "vm" }))).toEqual({ type: "vm" });
  });

  it("checks dns-name", () => {
    expect(errorsOf(validate("POST", CLONE, { newid: "101", name: "bad_name" }))).toEqual({
      name: "invalid format - value does not look like a valid DNS name\n",
    });
    expect(paramsOf(validate("POST", CLONE, { newid: "101", name: "web-01.example.org" }))["name"]).toBe("web-01.example.org");
  });

  it("checks tag lists (split on ; , and spaces)", () => {
    expect(paramsOf(validate("PUT", CONFIG, { tags: "team-a;env.prod;x+y" }))["tags"]).toBe("team-a;env.prod;x+y");
    expect(errorsOf(validate("PUT", CONFIG, { tags: "ok;bad!tag" }))).toEqual({ tags: "invalid format - invalid characters in tag\n" });
    expect(paramsOf(validate("PUT", CONFIG, { tags: "" })).tags).toBe("");
  });

  it("checks pool IDs, node names and config-id lists", () => {
    expect(errorsOf(validate("POST", "/pools", { poolid: "a/b/c/d" }))).toEqual({
      poolid: "invalid format - pool name 'a/b/c/d' nested too deeply (max levels = 3)\n",
    });
    expect(paramsOf(validate("POST", "/pools", { poolid: "team/dev" }))["poolid"]).toBe("team/dev");
    expect(errorsOf(validate("GET", "/nodes/-bad/status", {}))).toEqual({ node: "invalid format - value does not look like a valid node name\n" });
    expect(errorsOf(validate("PUT", CONFIG, { delete: "net1,9bad" }))).toEqual({ delete: "invalid format - invalid configuration ID '9bad'\n" });
  });

  it("checks address lists and CIDR networks", () => {
    expect(validate("PUT", CONFIG, { nameserver: "1.1.1.1 2001:db8::53;dns.example.org" }).ok).toBe(true);
    expect(errorsOf(validate("PUT", CONFIG, { nameserver: "1.1.1.1 bad_host" }))).toEqual({
      nameserver: "invalid format - value does not look like a valid address: bad_host\n",
    });
    const migrate = "/nodes/pve1/qemu/100/migrate";
    expect(validate("POST", migrate, { target: "pve2", migration_network: "10.10.0.0/24" }).ok).toBe(true);
    expect(errorsOf(validate("POST", migrate, { target: "pve2", migration_network: "10.10.0.0/33" }))).toEqual({
      migration_network: "invalid format - value does not look like a valid CIDR network\n",
    });
  });

  describe("property strings (net[n], ipconfig[n], disks, rootfs, features, mp[n])", () => {
    it("accepts a NIC written the way PVE writes it", () => {
      expect(paramsOf(validate("PUT", CONFIG, { net0: "virtio=BC:24:11:30:AD:93,bridge=vmbr0,firewall=1" }))["net0"]).toBe(
        "virtio=BC:24:11:30:AD:93,bridge=vmbr0,firewall=1",
      );
      expect(validate("PUT", CONFIG, { net0: "model=virtio,bridge=vmbr0,tag=20,firewall=yes" }).ok).toBe(true);
    });

    it("rejects an unknown key", () => {
      expect(errorsOf(validate("PUT", CONFIG, { net0: "virtio,bridge=vmbr0,foo=1" }))).toEqual({
        net0: "invalid format - invalid key in comma-separated list property: foo\n",
      });
    });

    it("rejects a model outside the enum, and a missing model", () => {
      expect(errorsOf(validate("PUT", CONFIG, { net0: "model=e1001,bridge=vmbr0" }))).toEqual({
        net0: `invalid format - format error\nnet0.model: value 'e1001' does not have a value in the enumeration '${NET_MODELS}'\n`,
      });
      expect(errorsOf(validate("PUT", CONFIG, { net0: "bridge=vmbr0" }))).toEqual({
        net0: "invalid format - format error\nnet0.model: property is missing and it is not optional\n",
      });
    });

    it("checks values of keys (VLAN tag range, MAC address)", () => {
      expect(errorsOf(validate("PUT", CONFIG, { net1: "virtio,bridge=vmbr0,tag=5000" }))).toEqual({
        net1: "invalid format - format error\nnet1.tag: value must have a maximum value of 4094\n",
      });
      expect(errorsOf(validate("PUT", CONFIG, { net1: "virtio=01:00:00:00:00:01,bridge=vmbr0" }))).toEqual({
        net1: "invalid format - format error\nnet1.macaddr: invalid format - value does not look like a valid unicast MAC address\n\n",
      });
    });

    it("maps indexed names onto [n] only within the range", () => {
      expect(validate("PUT", CONFIG, { net31: "virtio,bridge=vmbr0" }).ok).toBe(true);
      const unknown = "property is not defined in schema and the schema does not allow additional properties";
      expect(errorsOf(validate("PUT", CONFIG, { net40: "virtio,bridge=vmbr0" }))).toEqual({ net40: unknown });
      expect(errorsOf(validate("PUT", CONFIG, { net03: "virtio,bridge=vmbr0" }))).toEqual({ net03: unknown });
      expect(errorsOf(validate("PUT", CONFIG, { scsi31: "local-lvm:8" }))).toEqual({ scsi31: unknown });
      expect(validate("PUT", CONFIG, { scsi30: "local-lvm:8", virtio15: "local-lvm:8", ide3: "none,media=cdrom", sata5: "local-lvm:4" }).ok).toBe(true);
    });

    it("checks ipconfig (formats and `requires`)", () => {
      expect(validate("PUT", CONFIG, { ipconfig0: "ip=10.0.0.5/24,gw=10.0.0.1", ipconfig1: "ip=dhcp,ip6=auto" }).ok).toBe(true);
      expect(errorsOf(validate("PUT", CONFIG, { ipconfig0: "gw=10.0.0.1" }))).toEqual({
        ipconfig0: "invalid format - format error\nipconfig0.ip: missing property required by 'ipconfig0.gw'\n",
      });
      expect(errorsOf(validate("PUT", CONFIG, { ipconfig0: "ip=10.0.0.5" }))).toEqual({
        ipconfig0: "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n",
      });
    });

    it("checks disks, cpu, boot order and LXC rootfs/features/mp", () => {
      expect(validate("POST", CREATE, { vmid: "200", scsi0: "local-lvm:32,iothread=1,discard=on,ssd=1", cpu: "x86-64-v2-AES", boot: "order=scsi0;ide2;net0" }).ok).toBe(true);
      expect(errorsOf(validate("POST", CREATE, { vmid: "200", scsi0: "local-lvm:32,cache=fast" }))["scsi0"]).toMatch(
        /^invalid format - format error\nscsi0\.cache: value 'fast' does not have a value in the enumeration/,
      );
      expect(errorsOf(validate("POST", CREATE, { vmid: "200", cpu: "nonsense" }))).toEqual({
        cpu: "invalid format - Built-in cputype 'nonsense' is not defined (missing 'custom-' prefix?)\n",
      });
      expect(errorsOf(validate("POST", CREATE, { vmid: "200", boot: "order=scsi0;floppy" }))).toEqual({
        boot: "invalid format - format error\nboot.order: invalid format - invalid boot device 'floppy'\n\n",
      });
      const lxc = { vmid: "200", ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" };
      expect(validate("POST", "/nodes/pve1/lxc", { ...lxc, rootfs: "local-lvm:8", features: "nesting=1", mp0: "local-lvm:16,mp=/data", net0: "name=eth0,bridge=vmbr0,ip=dhcp" }).ok).toBe(true);
      expect(errorsOf(validate("POST", "/nodes/pve1/lxc", { ...lxc, features: "nesting=1,bogus=1" }))).toEqual({
        features: "invalid format - invalid key in comma-separated list property: bogus\n",
      });
      expect(errorsOf(validate("POST", "/nodes/pve1/lxc", { ...lxc, mp0: "local-lvm:16" }))).toEqual({
        mp0: "invalid format - format error\nmp0.mp: property is missing and it is not optional\n",
      });
    });
  });

  it("requires sshkeys to be percent-encoded inside the value", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDXV8r1tWzY0k5HkWc bot@example";
    expect(errorsOf(validate("PUT", CONFIG, { sshkeys: key }))).toEqual({ sshkeys: `invalid format - invalid urlencoded string: ${key}\n` });
    expect(paramsOf(validate("PUT", CONFIG, { sshkeys: encodeURIComponent(key) }))["sshkeys"]).toBe(encodeURIComponent(key));
    // LXC ssh-public-keys is plain text.
    expect(validate("POST", "/nodes/pve1/lxc", { vmid: "200", ostemplate: "local:vztmpl/x.tar.zst", "ssh-public-keys": key }).ok).toBe(true);
  });

  it("treats a repeated form key (an array) as a Perl ARRAY reference", () => {
    expect(errorsOf(validate("POST", CLONE, { newid: "101", name: ["a", "b"] }))).toEqual({ name: "type check ('string') failed - got ARRAY" });
  });

  it("accepts a real PVE 8.1 config (fixture) for the keys it defines, and reports the others as unknown", () => {
    const file = fileURLToPath(new URL("../fixtures/pve-api/fixtures/pk-pve8.1-qemu-config-100.json", import.meta.url));
    const config = (JSON.parse(readFileSync(file, "utf8")) as { data: Record<string, unknown> }).data;
    const errors = errorsOf(validate("PUT", CONFIG, config, "json"));
    expect(Object.keys(errors).sort()).toEqual(["meta", "smbios1", "vmgenid"]);
    const { meta: _m, smbios1: _s, vmgenid: _v, ...known } = config;
    const params = paramsOf(validate("PUT", CONFIG, known, "json"));
    expect(params).toMatchObject({ cores: 1, numa: false, memory: "2048", scsi0: "local-lvm:vm-100-disk-0,iothread=1,size=32G" });
  });

  it("never throws, whatever strings arrive (property-based)", () => {
    const endpoints = listEndpoints();
    const keys = ["__proto__", "constructor", "vmid", "node", "newid", "name", "net0", "net40", "ipconfig0", "scsi0", "memory", "cpu", "boot", "tags", "sshkeys", "rootfs", "mp0", "features", "full", "limit", "type", "poolid", "digest", "delete"];
    const value = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constantFrom("1", "0", "virtio,bridge=vmbr0", "a=b=c,=,,", "ip=dhcp,gw=1.2.3.4"));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: endpoints.length - 1 }), fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string()), value), (i, raw) => {
        const e = endpoints[i]!;
        const matched: MatchedEndpoint = { template: e.template, method: e.method, path: e.template, pathParams: {}, def: e.def };
        const r = validateParams(matched, raw, "form");
        if (!r.ok) for (const msg of Object.values(r.errors)) expect(typeof msg).toBe("string");
      }),
      { numRuns: 500 },
    );
  });
});

describe("checkPermissions: pve-access-control RPCEnvironment.pm", () => {
  const grants = (list: readonly string[]) => ({
    userid: "bot@pve!ci",
    isToken: true,
    has: (path: string, priv: string) => list.includes(`${path} ${priv}`),
  });

  it("names the missing privilege and path", () => {
    const del = ep("DELETE", "/nodes/pve1/qemu/100");
    expect(checkPermissions(del, {}, grants([]))).toEqual({ path: "/vms/100", privilege: "VM.Allocate", text: "Permission check failed (/vms/100, VM.Allocate)" });
    expect(checkPermissions(del, {}, grants(["/vms/100 VM.Allocate"]))).toBeUndefined();
  });

  it("evaluates and/or/require_param of the clone check", () => {
    const clone = ep("POST", CLONE);
    expect(checkPermissions(clone, { newid: "101" }, grants([]))).toEqual({ path: "/vms/100", privilege: "VM.Clone", text: "Permission check failed (/vms/100, VM.Clone)" });
    // VM.Clone present, but no VM.Allocate on /vms/101 nor a pool: the `or` fails bare.
    expect(checkPermissions(clone, { newid: "101" }, grants(["/vms/100 VM.Clone"]))).toEqual({ text: "Permission check failed" });
    expect(checkPermissions(clone, { newid: "101" }, grants(["/vms/100 VM.Clone", "/vms/101 VM.Allocate"]))).toBeUndefined();
    expect(checkPermissions(clone, { newid: "101", pool: "team" }, grants(["/vms/100 VM.Clone", "/pool/team VM.Allocate"]))).toBeUndefined();
  });

  it("prints every privilege of an any-of check, joined by |", () => {
    const denial = checkPermissions(ep("PUT", CONFIG), {}, grants([]));
    expect(denial?.text).toBe(
      "Permission check failed (/vms/100, VM.Config.Disk|VM.Config.CDROM|VM.Config.CPU|VM.Config.Memory|VM.Config.Network|VM.Config.HWType|VM.Config.Options|VM.Config.Cloudinit)",
    );
    expect(checkPermissions(ep("PUT", CONFIG), {}, grants(["/vms/100 VM.Config.Cloudinit"]))).toBeUndefined();
  });

  it("uses the 9.1 guest-agent privileges", () => {
    const ping = ep("POST", "/nodes/pve1/qemu/100/agent/ping");
    expect(checkPermissions(ping, {}, grants(["/vms/100 VM.Monitor"]))?.text).toBe(
      "Permission check failed (/vms/100, VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted)",
    );
    expect(checkPermissions(ping, {}, grants(["/vms/100 VM.GuestAgent.Audit"]))).toBeUndefined();
  });

  it("lets root@pam (ticket) through, but not a token of root", () => {
    const del = ep("DELETE", "/nodes/pve1/qemu/100");
    expect(checkPermissions(del, {}, { userid: "root@pam", isToken: false, has: () => false })).toBeUndefined();
    expect(checkPermissions(del, {}, { userid: "root@pam!t", isToken: true, has: () => false })).toMatchObject({ privilege: "VM.Allocate" });
  });

  it("allows {user: all} endpoints for any authenticated caller", () => {
    expect(checkPermissions(ep("GET", "/cluster/resources"), {}, grants([]))).toBeUndefined();
  });

  it("refuses API tokens on allowtoken: 0 endpoints", () => {
    // None of the simulated endpoints is closed to tokens (they all have allowtoken 1 in the real schema),
    // so take a real definition and close it, as PUT /access/password is in PVE.
    const base = ep("GET", "/version");
    const closed: MatchedEndpoint = { ...base, path: "/access/password", def: { ...base.def, allowtoken: 0 } };
    expect(checkPermissions(closed, {}, grants([]))).toEqual({
      message: "URI '/access/password' not available with API token, need proper ticket.",
      text: "Permission check failed (URI '/access/password' not available with API token, need proper ticket.)",
    });
    expect(checkPermissions(closed, {}, { userid: "alice@pve", isToken: false, has: () => false })).toBeUndefined();
  });

  it("reports a request parameter that contradicts the path", () => {
    expect(findUriParamConflicts({ vmid: "100" }, { vmid: "101" })).toEqual({ vmid: "duplicate parameter (already defined in URI) with conflicting values!" });
    expect(findUriParamConflicts({ vmid: "100" }, { vmid: "100", name: "x" })).toBeUndefined();
  });
});

describe("parsePropertyString / formatPropertyString", () => {
  const create = ep("POST", CREATE).def;
  const netFormat = paramSchema(create, "net0")!.format as PropertyStringFormat;
  const scsiFormat = paramSchema(create, "scsi0")!.format as PropertyStringFormat;

  it("parses NICs and disks", () => {
    expect(parsePropertyString("virtio=BC:24:11:00:00:01,bridge=vmbr0", netFormat)).toEqual({ model: "virtio", macaddr: "BC:24:11:00:00:01", bridge: "vmbr0" });
    expect(parsePropertyString("local-lvm:vm-100-disk-0,size=32G", scsiFormat)).toEqual({ file: "local-lvm:vm-100-disk-0", size: "32G" });
    expect(parsePropertyString("volume=local-lvm:vm-100-disk-0,ssd=on", scsiFormat)).toEqual({ file: "local-lvm:vm-100-disk-0", ssd: "1" });
  });

  it("throws a typed error with per-key errors", () => {
    let caught: unknown;
    try {
      parsePropertyString("model=nope", netFormat);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PropertyStringError);
    expect((caught as PropertyStringError).errors).toEqual({ model: `value 'nope' does not have a value in the enumeration '${NET_MODELS}'` });
    expect(() => parsePropertyString("a=1", { a: { type: "string" } }, undefined)).not.toThrow();
    expect(parsePropertyString("x,b=2", { a: { type: "string" }, b: { type: "string", optional: 1 } }, "a")).toEqual({ a: "x", b: "2" });
  });

  it("prints them back the way PVE does", () => {
    expect(formatPropertyString({ model: "virtio", macaddr: "BC:24:11:00:00:01", bridge: "vmbr0", firewall: 1 }, netFormat)).toBe(
      "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
    );
    expect(formatPropertyString({ file: "local-lvm:vm-100-disk-0", size: 34359738368, iothread: 1 }, scsiFormat)).toBe(
      "local-lvm:vm-100-disk-0,iothread=1,size=32G",
    );
  });
});
