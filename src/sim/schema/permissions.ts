/**
 * Permission evaluation, a port of pve-access-control `src/PVE/RPCEnvironment.pm` (`check_api2_permissions`,
 * `exec_api2_perm_check`, `check`, `check_any`) at commit 5ccd07d9, plus the API-token gate of pve-manager
 * `PVE/HTTPServer.pm` `rest_handler` (l.170). Real PVE runs these BEFORE parameter validation, on the raw
 * request parameters merged with the path parameters.
 */
import type { EndpointDef, PermCheck } from "./types.js";

/**
 * Why a call is refused. `text` is always the exact 403 message (the HTTP reason phrase and the body's
 * `message` without its trailing newline):
 * - `{path, privilege}`: a missing privilege, `Permission check failed (/vms/100, VM.Allocate)`;
 *   for an "any of" check `privilege` lists them all joined by `|`, as PVE prints it.
 * - `{message}`: another reason, `Permission check failed (URI '/x' not available with API token, …)`.
 * - `{text}` alone: an `or` where no branch passed (and `require_param` missing) gives a bare
 *   `Permission check failed` in real PVE; there is nothing more to say.
 */
export type PermissionDenial =
  | { readonly path: string; readonly privilege: string; readonly text: string }
  | { readonly message: string; readonly text: string }
  | { readonly text: string };

export interface PermissionContext {
  /** `user@realm`, or `user@realm!tokenid` for an API token. */
  readonly userid: string;
  readonly isToken: boolean;
  /** Does the caller hold `privilege` on `aclPath` (after ACL propagation and privsep intersection)? */
  has(aclPath: string, privilege: string): boolean;
}

const PREFIX = "Permission check failed";

class Denied {
  constructor(readonly denial: PermissionDenial) {}
}

function deny(what?: { path: string; privilege: string } | { message: string }): never {
  if (!what) throw new Denied({ text: PREFIX });
  const detail = "path" in what ? `${what.path}, ${what.privilege}` : what.message;
  throw new Denied({ ...what, text: `${PREFIX} (${detail})` });
}

/** pve-common `PVE::Tools::template_replace`: `{name}` → the parameter, or `-` when unset/false. */
export function templateReplace(template: string, params: Readonly<Record<string, unknown>>): string | undefined {
  let broken = false;
  const out = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined || v === null || v === "" || v === "0" || v === 0 || v === false) return "-";
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v === true ? 1 : v);
    broken = true; // Perl would interpolate ARRAY(0x…)/HASH(0x…), which normalize_path rejects
    return "";
  });
  return broken ? undefined : out;
}

/** pve-access-control `PVE::AccessControl::normalize_path`. */
export function normalizePath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  let p = path.replace(/\/+/g, "/").replace(/\/$/, "");
  if (!p) p = "/";
  if (!p.startsWith("/")) p = `/${p}`;
  if (!/^[\p{L}\p{N}.\-_/]+$/u.test(p)) return undefined;
  return p;
}

function checkPrivs(ctx: PermissionContext, path: string | undefined, privs: readonly string[], any: boolean, noerr: boolean): boolean {
  const has = (priv: string): boolean => path !== undefined && ctx.has(path, priv);
  if (any) {
    if (privs.some(has)) return true;
    if (noerr) return false;
    return deny({ path: path ?? "", privilege: privs.join("|") });
  }
  for (const priv of privs) {
    if (!has(priv)) {
      if (noerr) return false;
      return deny({ path: path ?? "", privilege: priv });
    }
  }
  return true;
}

function options(rest: readonly (string | number)[]): Record<string, string | number> {
  const o: Record<string, string | number> = {};
  for (let i = 0; i + 1 < rest.length; i += 2) o[String(rest[i])] = rest[i + 1]!;
  return o;
}

function exec(check: PermCheck, ctx: PermissionContext, params: Readonly<Record<string, unknown>>, noerr: boolean): boolean {
  switch (check[0]) {
    case "and":
      for (const sub of check.slice(1) as PermCheck[]) exec(sub, ctx, params, false);
      return true;
    case "or":
      for (const sub of check.slice(1) as PermCheck[]) if (exec(sub, ctx, params, true)) return true;
      if (noerr) return false;
      return deny();
    case "perm": {
      const [, template, privs, ...rest] = check;
      const opts = options(rest);
      const requireParam = opts["require_param"];
      if (requireParam !== undefined && (params[String(requireParam)] === undefined || params[String(requireParam)] === null)) {
        if (noerr) return false;
        return deny();
      }
      const path = normalizePath(templateReplace(template, params));
      return checkPrivs(ctx, path, privs, !!opts["any"], noerr);
    }
    case "userid-param": {
      const userid = params["userid"];
      const m = typeof userid === "string" ? /^[^\s:/]+@([A-Za-z][A-Za-z0-9.\-_]+)$/.exec(userid) : null;
      if (!m) return noerr ? false : deny({ message: "invalid user name" });
      if (check[1] === "self") {
        if (ctx.userid === userid) return true;
        return noerr ? false : deny();
      }
      if (check[1] === "Realm.AllocateUser") {
        return checkPrivs(ctx, `/access/realm/${m[1]}`, ["Realm.AllocateUser"], false, noerr);
      }
      throw new Error(`unknown userid-param test '${check[1]}'`);
    }
    case "userid-group":
    case "perm-modify":
      // Need user/group/ACL state the permission context does not expose; no simulated endpoint uses them.
      throw new Error(`permission test '${check[0]}' is not supported by the simulator`);
  }
}

/**
 * Evaluate an endpoint's permissions for a caller. `requestPath` is the request's path (for the token
 * message); `params` are the merged path + query + body parameters (raw strings are fine).
 * Returns undefined when allowed.
 */
export function evaluatePermissions(
  def: EndpointDef,
  requestPath: string,
  params: Readonly<Record<string, unknown>>,
  ctx: PermissionContext,
): PermissionDenial | undefined {
  try {
    if (ctx.isToken && !def.allowtoken) {
      deny({ message: `URI '${requestPath}' not available with API token, need proper ticket.` });
    }
    // A token's userid is `user@realm!name`, so even root@pam's tokens go through the checks.
    if (ctx.userid === "root@pam" && !ctx.isToken) return undefined;
    const perms = def.permissions;
    if ("user" in perms) return undefined; // `all` (any authenticated user) or `world`
    exec(perms.check, ctx, params, false);
    return undefined;
  } catch (e) {
    if (e instanceof Denied) return e.denial;
    throw e;
  }
}
