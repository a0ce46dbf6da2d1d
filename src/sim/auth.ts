/**
 * API tokens and ACLs. A token with privsep=1 (the default) has the intersection of its own ACL and its
 * user's; with privsep=0 it has its user's rights (pve-docs pveum.adoc "API Tokens"). ACL entries propagate
 * to sub-paths unless `propagate: false` (pve-access-control `permissions`).
 */
import { randomUUID, timingSafeEqual } from "node:crypto";

export interface AclEntry {
  path: string;
  /** Privilege names, or role names from ROLES (e.g. "PVEVMAdmin"). */
  privs: readonly string[];
  propagate?: boolean;
}

export interface SimTokenSpec {
  /** `user@realm!name`. */
  tokenId: string;
  /** Generated when absent. */
  secret?: string;
  privsep?: boolean;
  /** The token's own ACL (default: what the bot needs, on `/`). */
  acl?: readonly AclEntry[];
  /** The user's ACL (default: Administrator on `/`). */
  userAcl?: readonly AclEntry[];
}

/** Built-in roles (pve-access-control `AccessControl.pm` `$privgroups` / `create_roles`), the parts we use. */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  PVEVMAdmin: [
    "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit",
    "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options",
    "VM.Console", "VM.Migrate", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback", "VM.GuestAgent.Audit",
    "VM.GuestAgent.FileRead", "VM.GuestAgent.FileWrite", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.Unrestricted",
    "VM.Replicate",
  ],
  PVEDatastoreUser: ["Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"],
  PVEPoolUser: ["Pool.Audit"],
  PVEPoolAdmin: ["Pool.Allocate", "Pool.Audit"],
  PVESDNUser: ["SDN.Audit", "SDN.Use"],
  PVEAuditor: ["Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"],
};

/** Every privilege the roles above know, plus the Sys.* ones: what Administrator has. */
export const ALL_PRIVS: readonly string[] = [
  ...new Set([
    ...Object.values(ROLES).flat(),
    "VM.Monitor", "Sys.Audit", "Sys.Modify", "Sys.Console", "Sys.PowerMgmt", "Sys.Syslog", "Sys.Incoming",
    "Datastore.Allocate", "Permissions.Modify", "User.Modify", "Realm.Allocate", "Realm.AllocateUser",
    "Group.Allocate", "SDN.Allocate", "Mapping.Use", "Mapping.Modify", "Mapping.Audit",
  ]),
];
export const ADMINISTRATOR: readonly string[] = ALL_PRIVS;

/** What the bot needs on `/`: guest admin, datastore use, pools, bridges, node audit (its default token). */
export const BOT_ACL: readonly AclEntry[] = [
  // Everything the bot uses, including the optional Sys.Console on / that --ha-live needs.
  { path: "/", privs: ["PVEVMAdmin", "PVEDatastoreUser", "PVEPoolAdmin", "PVESDNUser", "Sys.Audit", "Sys.Console", "VM.Monitor"] },
];

function expand(privs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of privs) {
    if (p === "Administrator") for (const x of ADMINISTRATOR) out.add(x);
    else if (ROLES[p]) for (const x of ROLES[p]!) out.add(x);
    else out.add(p);
  }
  return out;
}

/** Effective privileges on one path: the most specific ACL entry on the path or a parent wins. */
function privsAt(acl: readonly AclEntry[], path: string): Set<string> {
  const norm = path === "/" ? "/" : path.replace(/\/+$/, "");
  let best: { depth: number; privs: Set<string> } | undefined;
  for (const e of acl) {
    const p = e.path === "/" ? "/" : e.path.replace(/\/+$/, "");
    const exact = p === norm;
    const parent = p === "/" || norm.startsWith(p + "/");
    if (!exact && !(parent && e.propagate !== false)) continue;
    const depth = p === "/" ? 0 : p.split("/").length;
    if (!best || depth > best.depth) best = { depth, privs: expand(e.privs) };
    else if (depth === best.depth) for (const x of expand(e.privs)) best.privs.add(x);
  }
  return best?.privs ?? new Set();
}

export class SimToken {
  readonly tokenId: string;
  readonly userid: string;
  readonly secret: string;
  readonly privsep: boolean;
  readonly acl: readonly AclEntry[];
  readonly userAcl: readonly AclEntry[];
  expired = false;

  constructor(spec: SimTokenSpec) {
    if (!/^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$/.test(spec.tokenId)) throw new Error(`bad token id ${spec.tokenId}`);
    this.tokenId = spec.tokenId;
    this.userid = spec.tokenId.slice(0, spec.tokenId.indexOf("!"));
    this.secret = spec.secret ?? randomUUID();
    this.privsep = spec.privsep ?? true;
    this.acl = spec.acl ?? BOT_ACL;
    this.userAcl = spec.userAcl ?? [{ path: "/", privs: ["Administrator"] }];
  }

  secretMatches(secret: string): boolean {
    const a = Buffer.from(secret);
    const b = Buffer.from(this.secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * The pool a guest path belongs to (set by the simulator core). Pool ACLs are inherited by the pool's
   * members: "set permissions on pools (/pool/{poolid}), which are inherited to all pool members" (pveum.adoc,
   * "Pools"); pve-access-control adds the member's `/pool/<pool>` roles when it computes `/vms/<vmid>`.
   */
  poolOf: (path: string) => string | undefined = () => undefined;

  /** Effective privileges of the token on a path (privsep intersection), pool membership included. */
  privileges(path: string): Set<string> {
    const pool = this.poolOf(path);
    const at = (acl: readonly AclEntry[]) => {
      const direct = privsAt(acl, path);
      if (pool !== undefined) for (const p of privsAt(acl, `/pool/${pool}`)) direct.add(p);
      return direct;
    };
    const user = at(this.userAcl);
    if (!this.privsep) return user;
    const own = at(this.acl);
    return new Set([...own].filter((p) => user.has(p)));
  }

  has(path: string, priv: string): boolean {
    return this.privileges(path).has(priv);
  }

  /** `/access/permissions`: every ACL path (plus `/`) with the privileges there, `1` = propagates. */
  permissionMap(onlyPath?: string): Record<string, Record<string, number>> {
    const paths = onlyPath !== undefined ? [onlyPath] : [...new Set(["/", ...this.acl.map((e) => e.path), ...this.userAcl.map((e) => e.path)])];
    const out: Record<string, Record<string, number>> = {};
    for (const p of paths) {
      const privs = [...this.privileges(p)].sort();
      if (privs.length === 0 && onlyPath === undefined) continue;
      out[p] = Object.fromEntries(privs.map((x) => [x, 1]));
    }
    return out;
  }
}

/**
 * Reads `Authorization: PVEAPIToken=user@realm!id=secret` (also `PVEAPIToken user…`): the value runs to `;`,
 * is URI-unescaped, and splits on its last `=` (pve-http-server Formatter.pm `extract_auth_value`,
 * pve-access-control AccessControl.pm `verify_token`).
 */
export function parseTokenHeader(header: string | undefined): { tokenId: string; secret: string } | "none" | "malformed" {
  if (!header) return "none";
  const m = /PVEAPIToken[= ]([^;]*)/.exec(header);
  if (!m) return "none";
  let value: string;
  try {
    value = decodeURIComponent(m[1]!.trim());
  } catch {
    return "malformed";
  }
  const eq = value.lastIndexOf("=");
  if (eq <= 0) return "malformed";
  return { tokenId: value.slice(0, eq), secret: value.slice(eq + 1) };
}
