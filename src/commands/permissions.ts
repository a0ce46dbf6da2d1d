/**
 * Who may run what. Principals in a profile's `permissions` are Slack user IDs (U…/W…), user-group IDs (S…) or
 * "*". Group membership comes from a PrincipalResolver (Slack: usergroups.users.list, cached briefly).
 */
import type { Profile } from "../config/schema.js";
import type { PermissionRule } from "./types.js";

export interface PrincipalResolver {
  /** Member user IDs of a user group. */
  groupMembers(groupId: string): Promise<ReadonlySet<string>>;
}

/** True when `user` is one of `principals` (directly, through "*", or as a member of a listed group). */
export async function userMatches(user: string, principals: readonly string[], resolver: PrincipalResolver): Promise<boolean> {
  if (principals.includes("*") || principals.includes(user)) return true;
  for (const p of principals) {
    if (/^S[A-Z0-9]+$/.test(p) && (await resolver.groupMembers(p)).has(user)) return true;
  }
  return false;
}

export type PermissionDecision =
  | { allowed: true; key?: string }
  /** `needed`: the principals that would be allowed (empty: nobody is); `key`: the permissions key that decided. */
  | { allowed: false; reason: "admin-only" | "not-listed" | "no-rule"; key?: string; needed: readonly string[] };

/** The key of `rule` that the profile defines (first match), if any. */
export function decidingKey(rule: readonly string[], profile: Profile): string | undefined {
  return rule.find((k) => profile.permissions[k] !== undefined);
}

export async function checkPermission(opts: {
  rule: PermissionRule;
  user: string;
  admins: readonly string[];
  profile: Profile | undefined;
  resolver: PrincipalResolver;
}): Promise<PermissionDecision> {
  const { rule, user, admins, profile, resolver } = opts;
  if (rule === "anyone") return { allowed: true };
  if (rule === "admin") return admins.includes(user) ? { allowed: true } : { allowed: false, reason: "admin-only", needed: admins };
  if (!profile) return { allowed: false, reason: "no-rule", needed: [] };
  const key = decidingKey(rule, profile);
  if (key === undefined) return { allowed: false, reason: "no-rule", needed: [] };
  const principals = profile.permissions[key] ?? [];
  return (await userMatches(user, principals, resolver)) ? { allowed: true, key } : { allowed: false, reason: "not-listed", key, needed: principals };
}
