import { describe, expect, it } from "vitest";
import { checkQuota } from "../../../src/engine/quota.js";
import { QuotaExceeded } from "../../../src/errors.js";

describe("checkQuota", () => {
  const limit = { cores: 8, memoryMb: 16384, diskGb: 100 };
  it("passes within the limit and reports the numbers", () => {
    const q = checkQuota("chatops", limit, { cores: 4, memoryMb: 8192, diskGb: 40 }, { cores: 4, memoryMb: 8192, diskGb: 60 });
    expect(q.cores).toEqual({ used: 4, requested: 4, limit: 8 });
    expect(q.diskGb.used + q.diskGb.requested).toBe(100);
  });
  it("refuses with every exceeded resource and its numbers", () => {
    try {
      checkQuota("chatops", limit, { cores: 6, memoryMb: 8192, diskGb: 90 }, { cores: 4, memoryMb: 1024, diskGb: 20 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(QuotaExceeded);
      const q = err as QuotaExceeded;
      expect(q.code).toBe("QUOTA_EXCEEDED");
      expect(q.over.map((o) => o.resource)).toEqual(["cores", "diskGb"]);
      expect(q.message).toContain("cores 6 used + 4 requested = 10 > 8");
    }
  });
});
