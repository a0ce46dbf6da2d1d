import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTokenHeader, SimToken } from "../../src/sim/auth.js";
import { makeRandom } from "../../src/sim/clock.js";
import { decodeForm } from "../../src/sim/http.js";
import { formatSize, parseProp, formatProp, parseSize } from "../../src/sim/props.js";
import { seedWorld } from "../../src/sim/seed.js";
import { World } from "../../src/sim/world.js";

const world = (nodes = 3, seed = 1) => {
  const w = new World({ nodes, random: makeRandom(seed) });
  seedWorld(w, { workloads: false });
  return w;
};

describe("guest addresses", () => {
  it("are in 127.0.0.0/8, never .0 or .255, and distinct per VMID", () => {
    const w = world();
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 999_999_999 }), fc.integer({ min: 100, max: 999_999_999 }), (a, b) => {
        const ip = w.guestIp(a);
        const octets = ip.split(".").map(Number);
        expect(octets[0]).toBe(127);
        expect(octets.every((o) => o >= 0 && o <= 255)).toBe(true);
        expect([0, 255]).not.toContain(octets[3]);
        if (a !== b && Math.floor(a / 65536) % 100 === Math.floor(b / 65536) % 100) expect(w.guestIp(b)).not.toBe(ip);
      }),
    );
  });
});

describe("seeded world", () => {
  it("has the templates, storages and ISO/vztmpl content the demo relies on", () => {
    const w = world(3);
    expect([...w.guests.values()].map((g) => [g.vmid, g.config.name, g.node])).toEqual([
      [9000, "ubuntu24-template", "pve1"],
      [9001, "debian12-template", "pve2"],
      [9002, "rocky9-template", "pve3"],
    ]);
    expect(w.guests.get(9000)!.config.scsi0).toBe("local-lvm:base-9000-disk-0,discard=on,iothread=1,size=3584M");
    expect(w.storages.get("cephpool")!.shared).toBe(true);
    for (const node of ["pve1", "pve2", "pve3"])
      expect(w.findVolume(node, "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz")?.content).toBe("vztmpl");
    expect(w.nextFreeVmid()).toBe(100);
  });

  it("is deterministic for a seed (MACs)", () => {
    expect(world(3, 7).guests.get(9000)!.config.net0).toBe(world(3, 7).guests.get(9000)!.config.net0);
    expect(world(3, 7).guests.get(9000)!.config.net0).not.toBe(world(3, 8).guests.get(9000)!.config.net0);
  });

  it("puts every template on pve1 when there is one node", () => {
    expect(new Set([...world(1).guests.values()].map((g) => g.node))).toEqual(new Set(["pve1"]));
  });
});

describe("sizes and property strings", () => {
  it("formats sizes like PVE (largest unit that divides)", () => {
    expect(formatSize(3584 * 1024 ** 2)).toBe("3584M");
    expect(formatSize(32 * 1024 ** 3)).toBe("32G");
    expect(parseSize("3.5G")).toBe(3584 * 1024 ** 2);
    expect(parseSize("8")).toBe(8 * 1024 ** 3);
    expect(parseSize("+1G")).toBeUndefined();
  });

  it("round-trips a property string", () => {
    const v = "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1";
    expect(formatProp(parseProp(v))).toBe(v);
    expect(parseProp("local-lvm:vm-100-disk-0,size=8G").head).toBe("local-lvm:vm-100-disk-0");
  });
});

describe("form decoding (pve-http-server decode_urlencoded)", () => {
  it("splits on & and ;, turns + into a space, collects repeated keys", () => {
    expect(decodeForm("a=1;b=x+y&c=%2B%3B&a=2")).toEqual({ a: ["1", "2"], b: "x y", c: "+;" });
    expect(decodeForm("tags=a;b")).toEqual({ tags: "a", b: "" });
  });
});

describe("tokens", () => {
  it("parses the PVEAPIToken header, splitting on the last =", () => {
    expect(parseTokenHeader("PVEAPIToken=chatops@pve!bot=abc=def")).toEqual({ tokenId: "chatops@pve!bot=abc", secret: "def" });
    expect(parseTokenHeader("PVEAPIToken=chatops@pve!bot=s3cret")).toEqual({ tokenId: "chatops@pve!bot", secret: "s3cret" });
    expect(parseTokenHeader(undefined)).toBe("none");
    expect(parseTokenHeader("PVEAPIToken=nosecret")).toBe("malformed");
  });

  it("privsep=1 intersects the token's ACL with its user's; privsep=0 takes the user's", () => {
    const userAcl = [{ path: "/vms", privs: ["VM.Audit", "VM.Allocate"] }];
    const sep = new SimToken({ tokenId: "u@pve!a", acl: [{ path: "/", privs: ["VM.Audit", "Sys.Audit"] }], userAcl });
    expect(sep.has("/vms/100", "VM.Audit")).toBe(true);
    expect(sep.has("/vms/100", "VM.Allocate")).toBe(false);
    expect(sep.has("/", "Sys.Audit")).toBe(false);
    const full = new SimToken({ tokenId: "u@pve!b", privsep: false, acl: [], userAcl });
    expect(full.has("/vms/100", "VM.Allocate")).toBe(true);
  });

  it("an ACL entry without propagation covers only its own path; the most specific entry wins", () => {
    const t = new SimToken({
      tokenId: "u@pve!c",
      acl: [
        { path: "/", privs: ["PVEAuditor"] },
        { path: "/pool/chatops", privs: ["Pool.Allocate"], propagate: false },
        { path: "/vms/100", privs: ["VM.PowerMgmt"] },
      ],
    });
    expect(t.has("/pool/chatops", "Pool.Allocate")).toBe(true);
    expect(t.has("/pool/chatops/sub", "Pool.Allocate")).toBe(false);
    expect(t.has("/vms/100", "VM.PowerMgmt")).toBe(true);
    expect(t.has("/vms/100", "VM.Audit")).toBe(false);
    expect(t.has("/vms/101", "VM.Audit")).toBe(true);
    expect(t.secretMatches(t.secret)).toBe(true);
    expect(t.secretMatches("nope")).toBe(false);
  });
});
