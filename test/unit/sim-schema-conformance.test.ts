/**
 * The simulator's endpoint definitions (src/sim/schema/endpoints.ts) must never be LOOSER than the real
 * Proxmox VE 9.1 schema (test/fixtures/pve-api/apidata.json, see SOURCE.md there). This test compares
 * every defined endpoint, parameter and property-string key with the real one.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { INDEXED_PARAM_MAX, listEndpoints, type EndpointDef, type PropSchema } from "../../src/sim/schema/index.js";
import { isKnownFormat } from "../../src/sim/schema/formats.js";
import { compilePattern } from "../../src/sim/schema/validate.js";

interface RealInfo {
  allowtoken?: number;
  protected?: number;
  proxyto?: string;
  permissions?: { check?: unknown; user?: string; description?: string };
  parameters?: { additionalProperties?: number; properties?: Record<string, RealProp> };
}
type RealProp = Omit<PropSchema, "format"> & { format?: string | Record<string, RealProp>; description?: string };
interface RealNode {
  path: string;
  info?: Record<string, RealInfo>;
  children?: RealNode[];
}

function loadSchema(file: string): Map<string, Record<string, RealInfo>> {
  const tree = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/pve-api/${file}`, import.meta.url)), "utf8")) as RealNode[];
  const byPath = new Map<string, Record<string, RealInfo>>();
  const walk = (nodes: RealNode[]): void => {
    for (const n of nodes) {
      if (n.info) byPath.set(n.path, n.info);
      if (n.children) walk(n.children);
    }
  };
  walk(tree);
  return byPath;
}

const REAL = loadSchema("apidata.json");

/**
 * Deliberate differences from the real `permissions`, each with its reason. Empty: every endpoint uses
 * exactly the real check. (Handler-level checks that real PVE does inside the handler, such as
 * VM.Allocate on create or Sys.Modify for privileged containers, are the server's job, not the schema's.)
 */
const PERMISSION_SIMPLIFICATIONS: Readonly<Record<string, string>> = {};

const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));

/** Problems that make `mine` looser than `real` (an empty list = conformant). */
function compareProp(mine: PropSchema, real: RealProp | undefined, where: string): string[] {
  if (!real) return [`${where}: not in the real schema`];
  const problems: string[] = [];
  if (mine.alias !== undefined || real.alias !== undefined) {
    if (mine.alias !== real.alias || mine.keyAlias !== real.keyAlias) problems.push(`${where}: alias differs`);
    return problems;
  }
  if (mine.type !== real.type) problems.push(`${where}: type ${mine.type} != real ${real.type}`);
  if (mine.optional && !real.optional) problems.push(`${where}: optional here but required in the real schema`);
  if (real.enum) {
    if (!mine.enum) problems.push(`${where}: real enum missing`);
    else for (const v of mine.enum) if (!real.enum.includes(v)) problems.push(`${where}: enum value '${v}' not allowed by the real schema`);
  }
  if (real.pattern !== undefined) {
    const sameOrEnum = mine.pattern === real.pattern || (mine.enum?.every((v) => compilePattern(real.pattern!).test(v)) ?? false);
    if (!sameOrEnum) problems.push(`${where}: pattern differs from the real one`);
  }
  const real_ = { minimum: num(real.minimum), maximum: num(real.maximum), minLength: num(real.minLength), maxLength: num(real.maxLength) };
  const mine_ = { minimum: num(mine.minimum), maximum: num(mine.maximum), minLength: num(mine.minLength), maxLength: num(mine.maxLength) };
  if (real_.minimum !== undefined && !(mine_.minimum !== undefined && mine_.minimum >= real_.minimum)) problems.push(`${where}: minimum looser`);
  if (real_.maximum !== undefined && !(mine_.maximum !== undefined && mine_.maximum <= real_.maximum)) problems.push(`${where}: maximum looser`);
  if (real_.minLength !== undefined && !(mine_.minLength !== undefined && mine_.minLength >= real_.minLength)) problems.push(`${where}: minLength looser`);
  if (real_.maxLength !== undefined && !(mine_.maxLength !== undefined && mine_.maxLength <= real_.maxLength)) problems.push(`${where}: maxLength looser`);
  if (real.requires !== undefined && mine.requires !== real.requires) problems.push(`${where}: requires '${real.requires}' missing`);
  if (real.format !== undefined) {
    if (typeof real.format === "string") {
      if (mine.format !== real.format) problems.push(`${where}: format ${JSON.stringify(mine.format)} != real '${real.format}'`);
    } else if (typeof mine.format !== "object") {
      problems.push(`${where}: real property-string format missing`);
    } else {
      const realFormat = real.format;
      for (const [key, sub] of Object.entries(mine.format)) problems.push(...compareProp(sub, realFormat[key], `${where}.${key}`));
      for (const [key, sub] of Object.entries(realFormat)) {
        if (sub.alias === undefined && !sub.optional && !(key in mine.format)) problems.push(`${where}.${key}: required key missing`);
        if (!!sub.default_key !== !!mine.format[key]?.default_key && key in mine.format) problems.push(`${where}.${key}: default_key differs`);
      }
    }
  }
  return problems;
}

function compareEndpoint(template: string, method: string, def: EndpointDef, real: Map<string, Record<string, RealInfo>>): string[] {
  const where = `${method} ${template}`;
  const info = real.get(template)?.[method];
  if (!info) return [`${where}: not in the real schema`];
  const problems: string[] = [];
  if (def.allowtoken !== (info.allowtoken ?? 0)) problems.push(`${where}: allowtoken ${def.allowtoken} != real ${info.allowtoken}`);
  if ((def.proxyto ?? null) !== (info.proxyto ?? null)) problems.push(`${where}: proxyto differs`);
  if ((def.protected ?? 0) !== (info.protected ?? 0)) problems.push(`${where}: protected differs`);
  const { description: _ignored, ...realPerms } = info.permissions ?? {};
  const { description: _mine, ...myPerms } = def.permissions;
  if (JSON.stringify(myPerms) !== JSON.stringify(realPerms) && !PERMISSION_SIMPLIFICATIONS[where]) {
    problems.push(`${where}: permissions ${JSON.stringify(myPerms)} != real ${JSON.stringify(realPerms)}`);
  }
  if (def.parameters.additionalProperties !== 0) problems.push(`${where}: additionalProperties must be 0`);
  const realProps = info.parameters?.properties ?? {};
  for (const [key, prop] of Object.entries(def.parameters.properties)) problems.push(...compareProp(prop, realProps[key], `${where} ${key}`));
  for (const [key, prop] of Object.entries(realProps)) {
    if (!prop.optional && !(key in def.parameters.properties)) problems.push(`${where} ${key}: required real parameter missing`);
  }
  return problems;
}

function formatsUsed(props: Readonly<Record<string, PropSchema>>): string[] {
  return Object.values(props).flatMap((p) =>
    typeof p.format === "string" ? [p.format] : p.format ? formatsUsed(p.format) : [],
  );
}

describe("simulator endpoint definitions vs the real PVE 9.1 schema", () => {
  const endpoints = listEndpoints();

  it("defines exactly the endpoints the simulator serves", () => {
    const guest = (kind: "qemu" | "lxc"): string[] => {
      const base = `/nodes/{node}/${kind}`;
      return [
        `GET ${base}`, `POST ${base}`, `GET ${base}/{vmid}/config`, `PUT ${base}/{vmid}/config`,
        `GET ${base}/{vmid}/status/current`,
        ...["start", "stop", "shutdown", "reboot"].map((a) => `POST ${base}/{vmid}/status/${a}`),
        `POST ${base}/{vmid}/clone`, `PUT ${base}/{vmid}/resize`, `POST ${base}/{vmid}/migrate`,
        `GET ${base}/{vmid}/snapshot`, `POST ${base}/{vmid}/snapshot`, `DELETE ${base}/{vmid}/snapshot/{snapname}`,
        `POST ${base}/{vmid}/snapshot/{snapname}/rollback`, `DELETE ${base}/{vmid}`, `POST ${base}/{vmid}/template`,
      ];
    };
    const expected = [
      "GET /version", "GET /cluster/resources", "GET /cluster/nextid", "GET /cluster/tasks", "GET /cluster/status",
      "GET /cluster/ha/resources", "POST /cluster/ha/resources", "DELETE /cluster/ha/resources/{sid}",
      "GET /nodes", "GET /nodes/{node}/status",
      ...guest("qemu"), "POST /nodes/{node}/qemu/{vmid}/config",
      "POST /nodes/{node}/qemu/{vmid}/agent/ping", "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
      ...guest("lxc"), "GET /nodes/{node}/lxc/{vmid}/interfaces",
      "GET /nodes/{node}/storage", "GET /nodes/{node}/storage/{storage}/content",
      "GET /nodes/{node}/tasks", "GET /nodes/{node}/tasks/{upid}/status", "GET /nodes/{node}/tasks/{upid}/log",
      "DELETE /nodes/{node}/tasks/{upid}",
      "GET /pools", "POST /pools", "GET /pools/{poolid}", "GET /access/permissions",
    ];
    expect(endpoints.map((e) => `${e.method} ${e.template}`).sort()).toEqual(expected.sort());
  });

  it.each(endpoints.map((e) => [`${e.method} ${e.template}`, e] as const))("%s is not looser than the real one", (_name, e) => {
    expect(compareEndpoint(e.template, e.method, e.def, REAL)).toEqual([]);
  });

  it("only uses formats the validator implements", () => {
    const unknown = endpoints.flatMap((e) => formatsUsed(e.def.parameters.properties)).filter((f) => !isKnownFormat(f));
    expect(unknown).toEqual([]);
  });

  it("has only patterns that compile as JavaScript regexes", () => {
    const patterns = (props: Readonly<Record<string, PropSchema>>): string[] =>
      Object.values(props).flatMap((p) => [...(p.pattern !== undefined ? [p.pattern] : []), ...(typeof p.format === "object" ? patterns(p.format) : [])]);
    const all = endpoints.flatMap((e) => patterns(e.def.parameters.properties));
    expect(all.length).toBeGreaterThan(5);
    for (const p of all) expect(() => compilePattern(p), p).not.toThrow();
  });

  it("knows the index range of every [n] parameter, matching 'n is 0 to N' in the real descriptions", () => {
    for (const e of endpoints) {
      const realProps = REAL.get(e.template)?.[e.method]?.parameters?.properties ?? {};
      for (const key of Object.keys(e.def.parameters.properties).filter((k) => k.endsWith("[n]"))) {
        const base = key.slice(0, -3);
        expect(INDEXED_PARAM_MAX[base], key).toBeDefined();
        const stated = /n is 0 to (\d+)/.exec(realProps[key]?.description ?? "");
        if (stated) expect(INDEXED_PARAM_MAX[base], `${e.method} ${e.template} ${key}`).toBe(Number(stated[1]));
      }
    }
  });

  it("reports a deliberately loosened definition (the check can fail)", () => {
    const clone = endpoints.find((e) => e.method === "POST" && e.template === "/nodes/{node}/qemu/{vmid}/clone")!;
    const props = clone.def.parameters.properties;
    const loosened: EndpointDef = {
      ...clone.def,
      allowtoken: 0,
      permissions: { check: ["perm", "/vms/{vmid}", ["VM.Clone"]] },
      parameters: {
        additionalProperties: 0,
        properties: {
          ...props,
          newid: { ...props["newid"]!, optional: 1, maximum: 9_999_999_999 },
          name: { type: "string", optional: 1 },
          format: { type: "string", optional: 1, enum: ["raw", "qcow2", "vmdk", "vdi"] },
          bwlimit: { ...props["bwlimit"]!, type: "number" },
          madeup: { type: "string", optional: 1 },
        },
      },
    };
    const { node: _node, ...withoutNode } = loosened.parameters.properties;
    const problems = compareEndpoint(clone.template, "POST", { ...loosened, parameters: { additionalProperties: 0, properties: withoutNode } }, REAL);
    const text = problems.join("\n");
    expect(text).toContain("allowtoken 0 != real 1");
    expect(text).toContain("permissions");
    expect(text).toContain("newid: optional here but required");
    expect(text).toContain("newid: maximum looser");
    expect(text).toContain("name: format undefined != real 'dns-name'");
    expect(text).toContain("format: enum value 'vdi' not allowed");
    expect(text).toContain("bwlimit: type number != real integer");
    expect(text).toContain("madeup: not in the real schema");
    expect(text).toContain("node: required real parameter missing");
    // …and the unmodified definition is clean.
    expect(compareEndpoint(clone.template, "POST", clone.def, REAL)).toEqual([]);
  });

  it("reports a loosened property-string key", () => {
    const create = endpoints.find((e) => e.method === "POST" && e.template === "/nodes/{node}/qemu")!;
    const net = create.def.parameters.properties["net[n]"]!;
    const netFormat = net.format as Record<string, PropSchema>;
    const loosenedNet: PropSchema = { ...net, format: { ...netFormat, tag: { type: "integer", optional: 1, minimum: 0, maximum: 4094 }, model: { ...netFormat["model"]!, optional: 1 } } };
    const problems = compareProp(loosenedNet, REAL.get("/nodes/{node}/qemu")!["POST"]!.parameters!.properties!["net[n]"], "net[n]");
    expect(problems).toEqual(["net[n].model: optional here but required in the real schema", "net[n].tag: minimum looser"]);
  });

  it("follows 9.1 for guest-agent privileges (8.4 used VM.Monitor)", () => {
    const pve84 = loadSchema("apidata-pve8.4.json");
    const ping = endpoints.find((e) => e.template === "/nodes/{node}/qemu/{vmid}/agent/ping")!;
    expect(JSON.stringify(ping.def.permissions)).toContain("VM.GuestAgent.Audit");
    expect(JSON.stringify(pve84.get(ping.template)!["POST"]!.permissions!.check)).toContain("VM.Monitor");
  });
});
