/**
 * Choosing a node. Rules (profile `placement`):
 * - least-loaded: the node with the most free memory (memory is what runs out first on virtualisation hosts;
 *   guest counts ignore guest size). Ties go to the node with fewer guests.
 * - spread: round-robin over online nodes, in name order, continuing where the last placement left off.
 * - pack: the node that already runs the most guests and still fits the request (fewest nodes in use).
 * Offline nodes are never chosen; nodes without room for the requested memory are skipped.
 */
import { CapacityExceeded, PlanError } from "../errors.js";
import type { NodeInfo } from "./cluster.js";
import { GiB, MiB } from "./cluster.js";

export type PlacementRule = "least-loaded" | "spread" | "pack";

export interface PlacementInput {
  rule: PlacementRule;
  nodes: readonly NodeInfo[];
  /** Guests per node (from the cluster view). */
  guestCount: ReadonlyMap<string, number>;
  /** Memory promised to in-flight provisions per node, in bytes (not yet visible in node stats). */
  claimedMemBytes: ReadonlyMap<string, number>;
  requestMemMb: number;
  /** Nodes allowed by the image (e.g. a linked clone must stay on its template's node). */
  allowed?: readonly string[];
  allowedReason?: string;
  pinned?: string;
  /** For spread: the last node chosen for this profile. */
  lastSpreadNode?: string;
}

export interface Placement {
  node: string;
  reason: string;
}

const gib = (bytes: number) => (bytes / GiB).toFixed(1);

export function freeMemBytes(n: NodeInfo, claimed: ReadonlyMap<string, number>): number {
  return n.maxmem - n.mem - (claimed.get(n.name) ?? 0);
}

export function choosePlacement(input: PlacementInput): Placement {
  const need = input.requestMemMb * MiB;
  const known = new Set(input.nodes.map((n) => n.name));
  if (input.pinned !== undefined) {
    const n = input.nodes.find((x) => x.name === input.pinned);
    if (!n) throw new PlanError(`Node "${input.pinned}" is not in the cluster (nodes: ${[...known].join(", ")}).`);
    if (!n.online) throw new PlanError(`Node "${n.name}" is offline; choose another node or leave --node out.`);
    if (input.allowed && !input.allowed.includes(n.name)) {
      throw new PlanError(`Node "${n.name}" cannot be used: ${input.allowedReason ?? "not allowed for this image"}.`);
    }
    const free = freeMemBytes(n, input.claimedMemBytes);
    if (free < need) {
      throw new CapacityExceeded(
        `Node ${n.name} has ${gib(free)} GiB memory free, the guest needs ${gib(need)} GiB.`,
      );
    }
    return { node: n.name, reason: `pinned to ${n.name} by request` };
  }
  const online = input.nodes.filter((n) => n.online);
  if (online.length === 0) throw new PlanError("No node of the cluster is online.");
  const allowed = input.allowed ? online.filter((n) => input.allowed!.includes(n.name)) : online;
  if (allowed.length === 0) {
    throw new PlanError(`No online node can take this guest: ${input.allowedReason ?? "no allowed node is online"}.`);
  }
  const fitting = allowed.filter((n) => freeMemBytes(n, input.claimedMemBytes) >= need);
  if (fitting.length === 0) {
    const best = Math.max(...allowed.map((n) => freeMemBytes(n, input.claimedMemBytes)));
    throw new CapacityExceeded(
      `No online node has ${gib(need)} GiB memory free (the most any has is ${gib(best)} GiB).`,
    );
  }
  const count = (n: NodeInfo) => input.guestCount.get(n.name) ?? 0;
  const restricted = input.allowed ? ` (${input.allowedReason ?? "restricted by image"})` : "";
  switch (input.rule) {
    case "least-loaded": {
      const chosen = [...fitting].sort(
        (a, b) =>
          freeMemBytes(b, input.claimedMemBytes) - freeMemBytes(a, input.claimedMemBytes) ||
          count(a) - count(b) ||
          a.name.localeCompare(b.name),
      )[0]!;
      return {
        node: chosen.name,
        reason: `least-loaded by free memory: ${chosen.name} has ${gib(freeMemBytes(chosen, input.claimedMemBytes))} GiB of ${gib(chosen.maxmem)} GiB free${restricted}`,
      };
    }
    case "spread": {
      const sorted = [...fitting].sort((a, b) => a.name.localeCompare(b.name));
      const next = input.lastSpreadNode ? sorted.find((n) => n.name > input.lastSpreadNode!) : undefined;
      const chosen = next ?? sorted[0]!;
      return { node: chosen.name, reason: `spread: round-robin over ${sorted.length} online node(s)${restricted}` };
    }
    case "pack": {
      const chosen = [...fitting].sort((a, b) => count(b) - count(a) || a.name.localeCompare(b.name))[0]!;
      return { node: chosen.name, reason: `pack: ${chosen.name} already runs ${count(chosen)} guest(s) and has room${restricted}` };
    }
  }
}
