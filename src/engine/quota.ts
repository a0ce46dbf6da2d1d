/**
 * Pool quota pre-flight. Proxmox has no pool quotas (BEHAVIOUR §11), so the limit is the profile's and the usage
 * is summed by the engine: cores, memory and disk of every guest in the pool (from their configs, since
 * `/cluster/resources` reports only the boot disk and lags ~10 s behind new guests), plus what in-flight
 * provisions have been promised but Proxmox does not show yet.
 */
import { QuotaExceeded, type QuotaUsage } from "../errors.js";
import type { QuotaSummary } from "./types.js";

export interface Usage {
  cores: number;
  memoryMb: number;
  diskGb: number;
}

export function checkQuota(
  pool: string,
  limit: Usage,
  used: Usage,
  requested: Usage,
): QuotaSummary {
  const over: QuotaUsage[] = [];
  for (const resource of ["cores", "memoryMb", "diskGb"] as const) {
    if (used[resource] + requested[resource] > limit[resource]) {
      over.push({ resource, used: round(used[resource]), requested: requested[resource], limit: limit[resource] });
    }
  }
  if (over.length) throw new QuotaExceeded(pool, over);
  return {
    pool,
    cores: { used: round(used.cores), requested: requested.cores, limit: limit.cores },
    memoryMb: { used: round(used.memoryMb), requested: requested.memoryMb, limit: limit.memoryMb },
    diskGb: { used: round(used.diskGb), requested: requested.diskGb, limit: limit.diskGb },
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
