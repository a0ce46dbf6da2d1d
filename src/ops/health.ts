/**
 * Readiness: the bot can work only when its store answers and at least one Proxmox cluster answers
 * `GET /version` (the cheapest authenticated call: it also proves the token works). The report names what failed,
 * with the user-facing error text (no secrets: errors.ts keeps tokens out of messages).
 */
import type { PveClient } from "../adapters/pve/types.js";
import type { Store } from "../adapters/store/types.js";
import { userFacingMessage } from "../errors.js";

export interface ComponentHealth {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface HealthReport {
  ok: boolean;
  store: ComponentHealth;
  clusters: Record<string, ComponentHealth>;
  /** What made it unready, e.g. ["store"] or ["clusters: all of sim, lab failed"]. */
  failed: string[];
}

export interface HealthSources {
  store: Pick<Store, "listJobs">;
  clients: ReadonlyMap<string, Pick<PveClient, "get">>;
  /** Per check; a check that takes longer counts as failed. Default 5 s (a Docker HEALTHCHECK waits 10 s). */
  timeoutMs?: number;
}

async function timed(timeoutMs: number, what: () => Promise<unknown>): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: userFacingMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(src: HealthSources): Promise<HealthReport> {
  const timeoutMs = src.timeoutMs ?? 5_000;
  const [store, ...clusters] = await Promise.all([
    timed(timeoutMs, () => src.store.listJobs({ limit: 1 })),
    ...[...src.clients].map(([, client]) => timed(timeoutMs, () => client.get("/version", undefined, { timeoutMs }))),
  ]);
  const byName = Object.fromEntries([...src.clients.keys()].map((name, i) => [name, clusters[i]!]));
  const failed: string[] = [];
  if (!store!.ok) failed.push("store");
  const names = Object.keys(byName);
  if (names.length === 0) failed.push("clusters: none configured");
  else if (!names.some((n) => byName[n]!.ok)) failed.push(`clusters: all of ${names.join(", ")} failed`);
  return { ok: failed.length === 0, store: store!, clusters: byName, failed };
}
