import type { SimToken } from "../auth.js";
import type { HttpMethod, SimCore } from "../core.js";
import { fail, paramError } from "../errors.js";
import type { SimNode } from "../world.js";

export interface RequestContext {
  core: SimCore;
  /** Validated (coerced) parameters: path + body + query. */
  params: Record<string, unknown>;
  token: SimToken;
  method: HttpMethod;
  template: string;
}

export type Handler = (rc: RequestContext) => unknown;

/** A result with a top-level `total` beside `data` (task logs). */
export class WithTotal {
  constructor(
    readonly data: unknown,
    readonly total: number,
  ) {}
}

export function str(p: Record<string, unknown>, key: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

export function reqStr(p: Record<string, unknown>, key: string): string {
  const v = str(p, key);
  if (v === undefined) throw paramError({ [key]: "property is missing and it is not optional" });
  return v;
}

export function int(p: Record<string, unknown>, key: string): number | undefined {
  const v = str(p, key);
  return v === undefined ? undefined : Number(v);
}

export function reqInt(p: Record<string, unknown>, key: string): number {
  const v = int(p, key);
  if (v === undefined || !Number.isFinite(v)) throw paramError({ [key]: "property is missing and it is not optional" });
  return v;
}

/** Booleans arrive coerced (`true`/`false`) from the validator, or as `1`/`0`. */
export function bool(p: Record<string, unknown>, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  return v === true || v === 1 || v === "1" || v === "true";
}

/** The `{node}` of the path, which must be a cluster member. */
export function nodeOf(rc: RequestContext): SimNode {
  const name = reqStr(rc.params, "node");
  const n = rc.core.world.node(name);
  // Proxmox resolves the node's address before proxying (PVE::Cluster::remote_node_ip).
  if (!n) throw fail(`hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
  return n;
}

/** Splits a `delete`/list parameter on commas, semicolons and spaces (`pve-configid-list`). */
export function splitList(v: string | undefined): string[] {
  return (v ?? "").split(/[,;\s]+/).filter(Boolean);
}
