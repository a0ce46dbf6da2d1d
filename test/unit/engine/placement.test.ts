import { describe, expect, it } from "vitest";
import { choosePlacement, type PlacementInput } from "../../../src/engine/placement.js";
import { CapacityExceeded, PlanError } from "../../../src/errors.js";

const GiB = 1024 ** 3;
const nodes = [
  { name: "pve1", online: true, maxmem: 64 * GiB, mem: 40 * GiB, maxcpu: 16 },
  { name: "pve2", online: true, maxmem: 64 * GiB, mem: 10 * GiB, maxcpu: 16 },
  { name: "pve3", online: false, maxmem: 64 * GiB, mem: 0, maxcpu: 16 },
];
const base: PlacementInput = {
  rule: "least-loaded",
  nodes,
  guestCount: new Map([["pve1", 2], ["pve2", 5], ["pve3", 0]]),
  claimedMemBytes: new Map(),
  requestMemMb: 2048,
};

describe("choosePlacement", () => {
  it("least-loaded picks the node with the most free memory and says why", () => {
    const p = choosePlacement(base);
    expect(p.node).toBe("pve2");
    expect(p.reason).toMatch(/free memory/);
  });

  it("never chooses an offline node, even when it is the emptiest", () => {
    for (const rule of ["least-loaded", "spread", "pack"] as const) {
      for (let i = 0; i < 5; i++) {
        expect(choosePlacement({ ...base, rule, lastSpreadNode: ["pve1", "pve2", undefined][i % 3] }).node).not.toBe("pve3");
      }
    }
  });

  it("counts memory claimed by in-flight provisions", () => {
    const p = choosePlacement({ ...base, claimedMemBytes: new Map([["pve2", 40 * GiB]]) });
    expect(p.node).toBe("pve1");
  });

  it("spread goes round-robin in name order", () => {
    expect(choosePlacement({ ...base, rule: "spread" }).node).toBe("pve1");
    expect(choosePlacement({ ...base, rule: "spread", lastSpreadNode: "pve1" }).node).toBe("pve2");
    expect(choosePlacement({ ...base, rule: "spread", lastSpreadNode: "pve2" }).node).toBe("pve1");
  });

  it("pack chooses the busiest node that still fits", () => {
    expect(choosePlacement({ ...base, rule: "pack" }).node).toBe("pve2");
    const busyPve1 = new Map([["pve1", 9], ["pve2", 5]]);
    expect(choosePlacement({ ...base, rule: "pack", guestCount: busyPve1, requestMemMb: 20 * 1024 }).node).toBe("pve1");
    // pve1 is busier but has only 24 GiB free: a 30 GiB guest goes to pve2.
    expect(choosePlacement({ ...base, rule: "pack", guestCount: busyPve1, requestMemMb: 30 * 1024 }).node).toBe("pve2");
  });

  it("refuses with numbers when no node has the memory", () => {
    expect(() => choosePlacement({ ...base, requestMemMb: 100 * 1024 })).toThrow(CapacityExceeded);
    expect(() => choosePlacement({ ...base, requestMemMb: 100 * 1024 })).toThrow(/54\.0 GiB/);
  });

  it("a pinned node must exist, be online and fit", () => {
    expect(choosePlacement({ ...base, pinned: "pve1" }).node).toBe("pve1");
    expect(() => choosePlacement({ ...base, pinned: "pve3" })).toThrow(/offline/);
    expect(() => choosePlacement({ ...base, pinned: "nope" })).toThrow(PlanError);
    expect(() => choosePlacement({ ...base, pinned: "pve1", requestMemMb: 30 * 1024 })).toThrow(CapacityExceeded);
  });

  it("respects the nodes an image allows", () => {
    const p = choosePlacement({ ...base, allowed: ["pve1"], allowedReason: "template on local storage of pve1" });
    expect(p.node).toBe("pve1");
    expect(() => choosePlacement({ ...base, allowed: ["pve3"], allowedReason: "x" })).toThrow(/No online node/);
  });
});
