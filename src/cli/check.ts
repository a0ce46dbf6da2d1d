/**
 * `pve-chatops check [cluster] [--config path]`: can the bot reach each cluster's API, is the token accepted,
 * and does it hold every privilege the bot needs (src/adapters/pve/privileges.ts)? Plain lines, no secrets.
 * Exit 0 only when every checked cluster is OK.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import type { CliIo } from "./io.js";
import { loadConfig } from "../config/load.js";
import type { ClusterConfig, Profile } from "../config/schema.js";
import { PveError, UsageError } from "../errors.js";
import { createPveClient } from "../adapters/pve/client.js";
import { AllEndpointsFailed, FingerprintMismatchError } from "../adapters/pve/errors.js";
import { privilegesFor, pveumAclCommand, pveumRoleCommands, type PrivilegeScope } from "../adapters/pve/privileges.js";
import type { Logger } from "../log.js";

export const summary = "check API reachability, the token and its privileges for each cluster";

const USAGE = "pve-chatops check [cluster] [--config path]";

const versionSchema = z.looseObject({ version: z.string(), release: z.string().optional(), repoid: z.string().optional() });
/** GET /access/permissions: `{ "<path>": { "<privilege>": 0|1 (propagate) } }`. */
const permissionsSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

/** Only one check attempt per request: a diagnosis should be quick, not retried. */
const NO_RETRY = { attempts: 1, baseMs: 0, maxMs: 0 };

export interface ClusterCheckResult {
  ok: boolean;
  lines: string[];
}

/** Why a request failed, in one line for a person. Never contains the secret (PveError texts do not). */
export function describeFailure(err: unknown): string {
  if (err instanceof PveError) {
    const fp = findCause(err, FingerprintMismatchError);
    if (fp) {
      return `TLS refused: certificate fingerprint mismatch (expected ${fp.expected}, got ${fp.actual ?? "no certificate"}) — the server is not the one pinned in "fingerprint"`;
    }
    switch (err.kind) {
      case "unauthorized":
        return `bad credentials: Proxmox answered 401 ${err.pveMessage} — check tokenId/tokenSecret`;
      case "forbidden":
        return `forbidden: Proxmox answered 403 ${err.pveMessage}${err.privilege ? ` — the token lacks ${err.privilege}` : ""}`;
      case "network": {
        const failures = err.cause instanceof AllEndpointsFailed ? err.cause.failures : [];
        return `unreachable: ${failures.length === 1 ? failures[0]!.message : err.pveMessage}`;
      }
      case "timeout":
        return `no answer: ${err.pveMessage}`;
      default:
        return `error: ${err.message}`;
    }
  }
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

function findCause<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e; depth++) {
    if (e instanceof type) return e;
    if (e instanceof AllEndpointsFailed) {
      for (const f of e.failures) {
        const found = findCause(f.cause, type);
        if (found) return found;
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Pools, storages and bridges the profiles of `cluster` use. */
export function scopeFromProfiles(cluster: string, profiles: Iterable<Profile>): Omit<PrivilegeScope, "pveMajor"> {
  const pools = new Set<string>();
  const storages = new Set<string>();
  const bridges = new Set<string>();
  for (const p of profiles) {
    if (p.cluster !== cluster) continue;
    pools.add(p.pool);
    storages.add(p.storage);
    bridges.add(p.bridge);
    for (const image of Object.values(p.images)) {
      const volid = "ostemplate" in image ? image.ostemplate : "iso" in image ? image.iso : undefined;
      if (volid) storages.add(volid.slice(0, volid.indexOf(":")));
    }
  }
  return { pools: [...pools], storages: [...storages], bridges: [...bridges] };
}

export interface CheckDeps {
  logger?: Logger;
}

export async function checkCluster(
  name: string,
  cluster: ClusterConfig,
  profiles: Iterable<Profile>,
  deps: CheckDeps = {},
): Promise<ClusterCheckResult> {
  const api = cluster.api;
  const lines: string[] = [`cluster ${name} (token ${api.tokenId}):`];
  const log = deps.logger ? { logger: deps.logger } : {};

  // 1. Every endpoint on its own, so the report says which ones fail and why.
  let version: z.infer<typeof versionSchema> | undefined;
  let authFailed = false;
  for (const endpoint of api.endpoints) {
    let client;
    try {
      client = createPveClient({ cluster: name, api: { ...api, endpoints: [endpoint] }, readRetry: NO_RETRY, ...log });
    } catch (err) {
      lines.push(`  ${endpoint}: cannot set up the client: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    try {
      const v = await client.get("/version", undefined, { schema: versionSchema });
      version ??= v;
      lines.push(`  ${endpoint}: OK (Proxmox VE ${v.version}${v.release ? `, release ${v.release}` : ""})`);
    } catch (err) {
      if (err instanceof PveError && err.kind === "unauthorized") authFailed = true;
      lines.push(`  ${endpoint}: ${describeFailure(err)}`);
    } finally {
      await client.close();
    }
  }
  if (!version) {
    lines.push(authFailed ? "  FAILED: the token was rejected" : "  FAILED: no endpoint answered");
    return { ok: false, lines };
  }
  const reachable = lines.filter((l) => l.includes(": OK (")).length;
  if (reachable < api.endpoints.length) {
    lines.push(`  warning: ${api.endpoints.length - reachable} of ${api.endpoints.length} endpoints failed; the bot fails over to the others`);
  }

  // 2. Privileges, asked per ACL path (`path=` gives the token's effective privileges there, with propagation).
  const pveMajor = Number.parseInt(version.version, 10);
  const scope: PrivilegeScope = {
    ...scopeFromProfiles(name, profiles),
    ...(Number.isFinite(pveMajor) ? { pveMajor } : {}),
  };
  if (scope.pools.length === 0) {
    lines.push(`  note: no profile uses cluster ${name}; pool, storage and bridge privileges are not checked`);
  }
  const required = privilegesFor(scope);
  const client = createPveClient({ cluster: name, api, ...log });
  const missing: typeof required = [];
  try {
    const byPath = new Map<string, Set<string>>();
    for (const path of new Set(required.map((r) => r.path))) {
      const perms = await client.get("/access/permissions", { path }, { schema: permissionsSchema });
      byPath.set(path, new Set(Object.keys(perms[path] ?? {})));
    }
    for (const r of required) if (!byPath.get(r.path)?.has(r.privilege)) missing.push(r);
  } catch (err) {
    lines.push(`  cannot read the token's permissions: ${describeFailure(err)}`);
    return { ok: false, lines };
  } finally {
    await client.close();
  }

  const missingOptional = missing.filter((m) => m.optional);
  for (const m of missingOptional) {
    lines.push(`  note: ${m.privilege} on ${m.path} is not granted: ${m.optional} will not work (needed to ${m.why})`);
    lines.push(`        grant it for ${m.optional}: ${pveumAclCommand(m.path, m.role, api.tokenId)}`);
  }
  missing.splice(0, missing.length, ...missing.filter((m) => !m.optional));
  if (missing.length === 0) {
    lines.push(`  privileges: OK (${required.length} checked)`);
    return { ok: true, lines };
  }
  lines.push(`  missing privileges (${missing.length} of ${required.length}):`);
  for (const m of missing) {
    lines.push(`    - ${m.privilege} on ${m.path}: needed to ${m.why}`);
    lines.push(`      fix: ${pveumAclCommand(m.path, m.role, api.tokenId)}`);
  }
  const roles = new Set(missing.map((m) => m.role));
  lines.push("  the fixes use these roles; create any that do not exist yet:");
  for (const cmd of pveumRoleCommands(scope.pveMajor)) {
    if ([...roles].some((r) => cmd.includes(` ${r} `))) lines.push(`    ${cmd}`);
  }
  lines.push("  FAILED: the token lacks privileges");
  return { ok: false, lines };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), USAGE);
  }
  if (parsed.values.help) {
    io.out(`Usage: ${USAGE}\n\n${summary}.`);
    return 0;
  }
  if (parsed.positionals.length > 1) throw new UsageError("give at most one cluster name", USAGE);

  const loaded = await loadConfig({
    ...(parsed.values.config !== undefined ? { path: parsed.values.config } : {}),
    env: io.env,
    cwd: io.cwd,
  });
  const wanted = parsed.positionals[0];
  const names = wanted ? [wanted] : Object.keys(loaded.config.clusters);
  if (wanted && !loaded.config.clusters[wanted]) {
    throw new UsageError(`no cluster "${wanted}" in ${loaded.file} (have: ${Object.keys(loaded.config.clusters).join(", ") || "none"})`, USAGE);
  }
  if (names.length === 0) {
    io.err(`no clusters configured in ${loaded.file}`);
    return 1;
  }

  let allOk = true;
  for (const name of names) {
    const result = await checkCluster(name, loaded.config.clusters[name]!, loaded.profiles.values());
    for (const line of result.lines) io.out(line);
    allOk &&= result.ok;
  }
  io.out(allOk ? "check: OK" : "check: FAILED");
  return allOk ? 0 : 1;
}
