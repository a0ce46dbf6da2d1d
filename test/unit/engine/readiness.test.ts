import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { macOfNet, pickIpv4 } from "../../../src/engine/readiness.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/pve-api/fixtures/${name}`, import.meta.url), "utf8"));

describe("guest IP discovery", () => {
  it("reads net0's MAC in any model", () => {
    expect(macOfNet("virtio=BC:24:11:2A:3B:4C,bridge=vmbr0")).toBe("bc:24:11:2a:3b:4c");
    expect(macOfNet("e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr0,tag=20")).toBe("aa:bb:cc:dd:ee:ff");
    expect(macOfNet("bridge=vmbr0")).toBeUndefined();
  });

  it("picks the IPv4 of the NIC matching net0's MAC, skipping lo and docker0 (recorded PVE 6.2 agent output)", () => {
    const data = fixture("cp-pve6.2-qemu-agent-network-get-interfaces-103.data.json") as { result: Array<{ name: string; "hardware-address"?: string }> };
    const eth0 = data.result.find((i) => i.name === "eth0")!;
    const ip = pickIpv4(data.result as never, eth0["hardware-address"]?.toUpperCase().toLowerCase());
    expect(ip).toBeDefined();
    expect(ip).not.toBe("127.0.0.1");
    const docker = data.result.find((i) => i.name === "docker0") as { "ip-addresses"?: Array<{ "ip-address": string }> } | undefined;
    if (docker?.["ip-addresses"]?.length) expect(ip).not.toBe(docker["ip-addresses"][0]!["ip-address"]);
  });

  it("chooses by interface, not by address class: a 127.x address on eth0 is the guest's", () => {
    const result = [
      { name: "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{ "ip-address": "127.0.0.1", "ip-address-type": "ipv4", prefix: 8 }] },
      { name: "docker0", "hardware-address": "02:42:00:00:00:01", "ip-addresses": [{ "ip-address": "172.17.0.1", "ip-address-type": "ipv4", prefix: 16 }] },
      { name: "eth0", "hardware-address": "bc:24:11:00:00:05", "ip-addresses": [{ "ip-address": "fe80::1", "ip-address-type": "ipv6", prefix: 64 }, { "ip-address": "127.20.1.244", "ip-address-type": "ipv4", prefix: 8 }] },
    ];
    expect(pickIpv4(result, "bc:24:11:00:00:05")).toBe("127.20.1.244");
    expect(pickIpv4(result, "bc:24:11:00:00:99")).toBeUndefined();
  });
});
