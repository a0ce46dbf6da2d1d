import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  REQUIRED_PRIVILEGES,
  privilegesFor,
  pveumAclCommand,
  pveumSetupCommands,
  type PrivilegePathTemplate,
} from "../../src/adapters/pve/privileges.js";

interface ApiNode {
  path: string;
  info?: Record<string, { permissions?: { check?: unknown[] } }>;
  children?: ApiNode[];
}

function loadSchema(file: string): Map<string, ApiNode> {
  const tree = JSON.parse(readFileSync(new URL(`../fixtures/pve-api/${file}`, import.meta.url), "utf8")) as ApiNode[];
  const index = new Map<string, ApiNode>();
  const walk = (nodes: ApiNode[]) => {
    for (const n of nodes) {
      index.set(n.path, n);
      if (n.children) walk(n.children);
    }
  };
  walk(tree);
  return index;
}

/** The endpoints the bot calls that carry a `perm` check (the others are `user: all`). */
const CALLS: [string, string][] = [
  ["POST", "/nodes/{node}/qemu"],
  ["POST", "/nodes/{node}/qemu/{vmid}/clone"],
  ["DELETE", "/nodes/{node}/qemu/{vmid}"],
  ["GET", "/nodes/{node}/qemu/{vmid}/config"],
  ["PUT", "/nodes/{node}/qemu/{vmid}/config"],
  ["POST", "/nodes/{node}/qemu/{vmid}/config"],
  ["GET", "/nodes/{node}/qemu/{vmid}/status/current"],
  ["POST", "/nodes/{node}/qemu/{vmid}/status/start"],
  ["POST", "/nodes/{node}/qemu/{vmid}/status/shutdown"],
  ["POST", "/nodes/{node}/qemu/{vmid}/status/stop"],
  ["POST", "/nodes/{node}/qemu/{vmid}/status/reboot"],
  ["PUT", "/nodes/{node}/qemu/{vmid}/resize"],
  ["POST", "/nodes/{node}/qemu/{vmid}/template"],
  ["POST", "/nodes/{node}/qemu/{vmid}/snapshot"],
  ["POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback"],
  ["POST", "/nodes/{node}/qemu/{vmid}/migrate"],
  ["POST", "/nodes/{node}/qemu/{vmid}/agent/ping"],
  ["GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"],
  ["POST", "/nodes/{node}/lxc"],
  ["DELETE", "/nodes/{node}/lxc/{vmid}"],
  ["GET", "/nodes/{node}/lxc/{vmid}/config"],
  ["PUT", "/nodes/{node}/lxc/{vmid}/config"],
  ["GET", "/nodes/{node}/lxc/{vmid}/interfaces"],
  ["POST", "/nodes/{node}/lxc/{vmid}/status/start"],
  ["GET", "/nodes/{node}/status"],
  ["GET", "/nodes/{node}/storage/{storage}/status"],
  ["GET", "/nodes/{node}/storage/{storage}/content"],
];

/** Which of our ACL paths grant privileges on a schema check path. Guests are in the pool; templates under /vms. */
function grantingPaths(checkPath: string): PrivilegePathTemplate[] {
  if (checkPath.startsWith("/vms/")) return ["/pool/{pool}", "/vms"];
  if (checkPath.startsWith("/pool/")) return ["/pool/{pool}"];
  if (checkPath.startsWith("/storage/")) return ["/storage/{storage}"];
  if (checkPath.startsWith("/nodes")) return ["/nodes"];
  if (checkPath.startsWith("/sdn/")) return ["/sdn/zones/localnetwork/{bridge}"];
  return ["/"];
}

function satisfied(check: unknown[], major: number): boolean {
  const [op, ...rest] = check as [string, ...unknown[]];
  if (op === "and") return (rest as unknown[][]).every((c) => satisfied(c, major));
  if (op === "or") return (rest as unknown[][]).some((c) => satisfied(c, major));
  if (op === "perm") {
    const [path, privs, ...flags] = rest as [string, string[], ...unknown[]];
    const any = flags.includes("any");
    const granted = new Set(
      REQUIRED_PRIVILEGES.filter((p) => grantingPaths(path).includes(p.path) && (!p.pveMajor || p.pveMajor.includes(major))).map(
        (p) => p.privilege,
      ),
    );
    return any ? privs.some((p) => granted.has(p)) : privs.every((p) => granted.has(p));
  }
  throw new Error(`unknown check op ${op}`);
}

describe.each([
  ["apidata.json", 9],
  ["apidata-pve8.4.json", 8],
] as const)("privileges cover every endpoint the bot calls (%s)", (file, major) => {
  const schema = loadSchema(file);
  it.each(CALLS)("%s %s", (method, path) => {
    const info = schema.get(path)?.info?.[method];
    expect(info, `${method} ${path} in ${file}`).toBeDefined();
    const check = info!.permissions?.check;
    if (check) expect(satisfied(check, major)).toBe(true);
  });
});

describe("privilege list", () => {
  it("has no duplicates and a reason for each", () => {
    const keys = REQUIRED_PRIVILEGES.map((p) => `${p.privilege}@${p.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of REQUIRED_PRIVILEGES) expect(p.why.length).toBeGreaterThan(10);
  });
  it("every privilege name appears in the schema of its versions", () => {
    const text9 = readFileSync(new URL("../fixtures/pve-api/apidata.json", import.meta.url), "utf8");
    const text8 = readFileSync(new URL("../fixtures/pve-api/apidata-pve8.4.json", import.meta.url), "utf8");
    for (const p of REQUIRED_PRIVILEGES) {
      const majors = p.pveMajor ?? [8, 9];
      if (majors.includes(9)) expect(text9, p.privilege).toContain(`"${p.privilege}"`);
      if (majors.includes(8)) expect(text8, p.privilege).toContain(`"${p.privilege}"`);
    }
  });
  it("fills in pools, storages and bridges and picks the guest-agent privilege by version", () => {
    const list = privilegesFor({ pools: ["dev"], storages: ["local-lvm", "local"], bridges: ["vmbr0"], pveMajor: 9 });
    const paths = new Set(list.map((p) => p.path));
    expect(paths).toEqual(new Set(["/pool/dev", "/vms", "/storage/local-lvm", "/storage/local", "/sdn/zones/localnetwork/vmbr0", "/nodes", "/"]));
    // HA is optional: Sys.Console on / only for --ha-live.
    expect(list.filter((p) => p.optional).map((p) => `${p.privilege} ${p.path}`)).toEqual(["Sys.Console /"]);
    expect(list.some((p) => p.privilege === "VM.GuestAgent.Audit")).toBe(true);
    expect(list.some((p) => p.privilege === "VM.Monitor")).toBe(false);
    const v8 = privilegesFor({ pools: ["dev"], storages: [], bridges: [], pveMajor: 8 });
    expect(v8.some((p) => p.privilege === "VM.Monitor")).toBe(true);
    expect(v8.some((p) => p.privilege === "VM.GuestAgent.Audit")).toBe(false);
  });
  it("pveum lines quote the token ID and grant both the user and the token", () => {
    expect(pveumAclCommand("/pool/dev", "PVEChatOpsGuests", "chatops@pve!bot")).toBe(
      "pveum acl modify /pool/dev --users chatops@pve --tokens 'chatops@pve!bot' --roles PVEChatOpsGuests",
    );
    const setup = pveumSetupCommands({ tokenId: "chatops@pve!bot", scope: { pools: ["dev"], storages: ["local-lvm"], bridges: ["vmbr0"], pveMajor: 9 } });
    expect(setup.some((l) => l.startsWith("pveum user token add chatops@pve bot --privsep 1"))).toBe(true);
    const guests = setup.find((l) => l.startsWith("pveum role add PVEChatOpsGuests"))!;
    expect(guests).toContain("VM.Clone");
    expect(guests).not.toContain("VM.Monitor");
  });
});
