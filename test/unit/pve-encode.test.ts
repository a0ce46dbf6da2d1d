import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  PVE_URLENCODED_FORMAT,
  decodeSshKeysFromQemu,
  encodeForm,
  encodeSshKeysForQemu,
  formatDiskSize,
  formatPropertyString,
  formatTags,
  parsePropertyString,
  parseSizeToBytes,
  parseTags,
  toInt,
} from "../../src/adapters/pve/encode.js";

/** What the Proxmox form decoder does (pve-http-server AnyEvent.pm decode_urlencoded): split on & and ;, + → space. */
function proxmoxDecodeForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of body.split(/[&;]/)) {
    if (!pair) continue;
    const [k, v = ""] = pair.split("=", 2) as [string, string?];
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    out[dec(k)] = dec(v);
  }
  return out;
}

const KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop",
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC+x/y+z== bob:work (2024)",
];

describe("encodeForm", () => {
  it("booleans become 1/0, numbers decimal, undefined dropped", () => {
    const f = encodeForm({ full: true, start: false, cores: 4, pool: undefined, name: "web-1" });
    expect(f.toString()).toBe("full=1&start=0&cores=4&name=web-1");
  });
  it("percent-encodes ; and + so the Proxmox decoder sees one value", () => {
    const body = encodeForm({ tags: "a;b+c", description: "x y" }).toString();
    expect(body).not.toMatch(/;/);
    expect(proxmoxDecodeForm(body)).toEqual({ tags: "a;b+c", description: "x y" });
  });
});

describe("sshkeys double encoding (QEMU cloud-init)", () => {
  it("the value fits pve-common's urlencoded format and survives the form layer", () => {
    const value = encodeSshKeysForQemu(KEYS);
    expect(value).toMatch(PVE_URLENCODED_FORMAT);
    expect(value).toContain("%2B"); // '+' in base64
    expect(value).toContain("%3A"); // ':' in the comment
    expect(value).toContain("%0A"); // the newline between keys
    const body = encodeForm({ sshkeys: value }).toString();
    expect(body).toContain("ssh-ed25519%2520AAAA"); // encoded twice on the wire (MrKampf/proxmoxVE#28)
    const received = proxmoxDecodeForm(body).sshkeys!;
    expect(received).toBe(value); // the server sees (and stores) the once-encoded value
    expect(decodeURIComponent(received)).toBe(KEYS.join("\n"));
    expect(decodeSshKeysFromQemu(received)).toEqual(KEYS);
  });
  it("encodeURIComponent output always matches the urlencoded format", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", minLength: 1 }), { minLength: 1, maxLength: 4 }), (keys) => {
        expect(encodeSshKeysForQemu(keys)).toMatch(PVE_URLENCODED_FORMAT);
      }),
    );
  });
});

describe("tags", () => {
  it("joins with ; and rejects invalid tags", () => {
    expect(formatTags(["chatops", "owner-u123", "chatops"])).toBe("chatops;owner-u123");
    expect(() => formatTags(["bad tag"])).toThrow(/not a valid Proxmox tag/);
    expect(() => formatTags(["-lead"])).toThrow();
    expect(parseTags("a;b,c d")).toEqual(["a", "b", "c", "d"]);
    expect(parseTags(undefined)).toEqual([]);
  });
});

describe("property strings", () => {
  it("formats net0 in key order, booleans 1/0, undefined skipped", () => {
    expect(formatPropertyString({ virtio: "BC:24:11:00:00:01", bridge: "vmbr0", tag: 20, firewall: true, rate: undefined })).toBe(
      "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=20,firewall=1",
    );
    expect(() => formatPropertyString({ bridge: "vmbr0,tag=5" })).toThrow();
  });
  it("parses, with the default key for a bare value", () => {
    expect(parsePropertyString("local-lvm:vm-100-disk-0,iothread=1,size=32G", "file")).toEqual({
      file: "local-lvm:vm-100-disk-0",
      iothread: "1",
      size: "32G",
    });
    expect(parsePropertyString("virtio=BC:24:11:2E:D5:37,bridge=vmbr0")).toEqual({ virtio: "BC:24:11:2E:D5:37", bridge: "vmbr0" });
  });
  it("round-trips", () => {
    const p = { name: "eth0", bridge: "vmbr0", ip: "dhcp", tag: "7" };
    expect(parsePropertyString(formatPropertyString(p))).toEqual(p);
  });
});

describe("sizes", () => {
  it("parses Proxmox sizes as binary units", () => {
    expect(parseSizeToBytes("32G")).toBe(32 * 1024 ** 3);
    expect(parseSizeToBytes("512M")).toBe(512 * 1024 ** 2);
    expect(parseSizeToBytes("1.5T")).toBe(1.5 * 1024 ** 4);
    expect(parseSizeToBytes("4096")).toBe(4096);
    expect(() => parseSizeToBytes("lots")).toThrow();
  });
  it("formats with the largest exact unit and round-trips", () => {
    expect(formatDiskSize(32 * 1024 ** 3)).toBe("32G");
    expect(formatDiskSize(1536 * 1024 ** 2)).toBe("1536M");
    expect(formatDiskSize(1000)).toBe("1000");
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 45 }), (n) => {
        expect(parseSizeToBytes(formatDiskSize(n))).toBe(n);
      }),
    );
  });
});

describe("toInt (numbers served as strings)", () => {
  it("accepts both", () => {
    expect(toInt("100")).toBe(100);
    expect(toInt(100)).toBe(100);
    expect(toInt("abc")).toBeUndefined();
  });
});
