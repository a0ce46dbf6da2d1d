import { describe, expect, it } from "vitest";
import { VmidAllocator, VmidRangeExhausted } from "../../../src/engine/vmid.js";

describe("VmidAllocator", () => {
  it("never hands out the same VMID to concurrent callers", async () => {
    const a = new VmidAllocator();
    const taken = new Set([500, 502]);
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        a.allocate("c", { min: 500, max: 999 }, taken, `h${i}`, async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return true;
        }),
      ),
    );
    expect(new Set(ids).size).toBe(50);
    expect(ids).not.toContain(500);
    expect(ids).not.toContain(502);
    expect(Math.min(...ids)).toBe(501);
  });

  it("skips IDs Proxmox says are taken and IDs the store holds elsewhere", async () => {
    const held = new Set([501]);
    const a = new VmidAllocator({
      reserveVmid: async (_c, vmid) => !held.has(vmid),
      releaseVmid: async () => undefined,
    });
    const id = await a.allocate("c", { min: 500, max: 510 }, new Set(), "h", async (v) => v !== 500);
    expect(id).toBe(502);
  });

  it("releases and reuses", async () => {
    const a = new VmidAllocator();
    const id = await a.allocate("c", { min: 100, max: 100 }, new Set(), "h", async () => true);
    await expect(a.allocate("c", { min: 100, max: 100 }, new Set(), "h2", async () => true)).rejects.toBeInstanceOf(VmidRangeExhausted);
    await a.release("c", id, "h");
    expect(await a.allocate("c", { min: 100, max: 100 }, new Set(), "h3", async () => true)).toBe(100);
  });
});
