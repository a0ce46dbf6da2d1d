/**
 * User-group membership from Slack (`usergroups.users.list`, scope usergroups:read), cached briefly: a permission
 * check should not cost a Web API call per command (the method is Tier 2, 20+ per minute), and a membership change
 * should still take effect within a minute. Concurrent lookups of one group share one call.
 */
import type { WebClient } from "@slack/web-api";
import type { PrincipalResolver } from "../../commands/permissions.js";
import { silentLogger, type Logger } from "../../log.js";

export const GROUP_CACHE_MS = 60_000;

export class SlackUsergroupResolver implements PrincipalResolver {
  readonly #client: WebClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #cache = new Map<string, { members: ReadonlySet<string>; at: number }>();
  readonly #inflight = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(opts: { client: WebClient; ttlMs?: number; now?: () => number; logger?: Logger }) {
    this.#client = opts.client;
    this.#ttlMs = opts.ttlMs ?? GROUP_CACHE_MS;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.logger ?? silentLogger;
  }

  async groupMembers(groupId: string): Promise<ReadonlySet<string>> {
    const hit = this.#cache.get(groupId);
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.members;
    const pending = this.#inflight.get(groupId);
    if (pending) return pending;
    const lookup = (async () => {
      try {
        const res = await this.#client.usergroups.users.list({ usergroup: groupId });
        const members: ReadonlySet<string> = new Set(res.users ?? []);
        this.#cache.set(groupId, { members, at: this.#now() });
        return members;
      } catch (err) {
        // Deny rather than guess: an unknown or unreadable group has no members for us.
        this.#log.warn({ groupId, err: (err as Error).message }, "usergroups.users.list failed; treating the group as empty");
        return hit?.members ?? new Set<string>();
      } finally {
        this.#inflight.delete(groupId);
      }
    })();
    this.#inflight.set(groupId, lookup);
    return lookup;
  }

  /** Forget cached memberships (tests; an admin who just changed a group). */
  clear(): void {
    this.#cache.clear();
  }
}
