/** Who may decide an approval, and what the approval card shows in each state (pure functions of approvals.ts). */
import { describe, expect, it } from "vitest";
import type { Approval } from "../../src/adapters/store/types.js";
import type { TeardownPlan } from "../../src/engine/types.js";
import { APPROVE_ACTION, APPROVE_BULK_ACTION, APPROVE_SNAPSHOT_ACTION, REJECT_ACTION, approvalCard, decisionRight, isBulk } from "../../src/transport/slack/approvals.js";
import { renderBlocks } from "../../src/transport/slack/blocks.js";

const groups = { async groupMembers(id: string) {
  return new Set(id === "S0LEADS" ? ["U0LEAD"] : []);
} };

const approval = (over: Partial<Approval> = {}): Approval => ({
  id: "a-test01",
  jobId: "j-test01",
  action: "teardown",
  requestedBy: "U0REQ",
  approvers: ["S0LEADS", "U0BOB"],
  selfApprove: false,
  expiresAt: new Date("2030-01-01T10:30:00Z"),
  decision: "pending",
  decidedBy: null,
  decidedAt: null,
  channel: "C0OPS",
  messageTs: "1.000001",
  createdAt: new Date("2030-01-01T10:00:00Z"),
  ...over,
});

function plan(n: number): TeardownPlan {
  return {
    kind: "teardown",
    cluster: "sim",
    profile: "lab",
    target: n === 1 ? "web1" : "tag web",
    shutdownTimeoutSec: 60,
    guests: Array.from({ length: n }, (_, i) => ({ vmid: 500 + i, name: `web${i + 1}`, node: "pve2", type: "lxc" as const, status: "running", template: false, tags: ["web"], ...(i === 0 ? { ip: "127.20.0.5" } : {}) })),
  };
}

describe("decisionRight", () => {
  it("lets approvers (directly or through a group) approve, but not the requester unless selfApprove", async () => {
    expect(await decisionRight(approval(), "U0BOB", "approved", groups)).toEqual({ allowed: true });
    expect(await decisionRight(approval(), "U0LEAD", "approved", groups)).toEqual({ allowed: true });
    const other = await decisionRight(approval(), "U0CAROL", "approved", groups);
    expect(other.allowed).toBe(false);
    const self = await decisionRight(approval({ approvers: ["U0REQ", "U0BOB"] }), "U0REQ", "approved", groups);
    expect(self).toMatchObject({ allowed: false });
    expect(!self.allowed && self.reason).toContain("someone else");
    expect(await decisionRight(approval({ approvers: ["U0REQ"], selfApprove: true }), "U0REQ", "approved", groups)).toEqual({ allowed: true });
    // selfApprove alone does not make the requester an approver.
    expect((await decisionRight(approval({ selfApprove: true }), "U0REQ", "approved", groups)).allowed).toBe(false);
    expect((await decisionRight(approval({ approvers: ["*"] }), "U0ANY", "approved", groups)).allowed).toBe(true);
  });

  it("lets approvers and the requester reject, nobody else", async () => {
    expect((await decisionRight(approval(), "U0REQ", "rejected", groups)).allowed).toBe(true);
    expect((await decisionRight(approval(), "U0LEAD", "rejected", groups)).allowed).toBe(true);
    expect((await decisionRight(approval(), "U0CAROL", "rejected", groups)).allowed).toBe(false);
  });
});

describe("approvalCard", () => {
  const actions = (blocks: ReturnType<typeof renderBlocks>) =>
    blocks.flatMap((b) => ((b["elements"] as Array<{ action_id?: string }> | undefined) ?? []).map((e) => e.action_id)).filter(Boolean);

  it("shows the exact guests and, while pending, Approve (danger, confirm) and Reject carrying the approval id", () => {
    const card = approvalCard({ plan: plan(1), requester: "U0REQ", jobId: "j-test01", approval: approval(), bulkThreshold: 5 });
    const blocks = renderBlocks(card.blocks);
    const text = JSON.stringify(blocks);
    expect(text).toMatch(/500\s+web1\s+ct\s+pve2\s+running\s+127\.20\.0\.5/);
    expect(actions(blocks)).toEqual([APPROVE_ACTION, REJECT_ACTION]);
    const approve = blocks.flatMap((b) => (b["elements"] as Array<Record<string, unknown>> | undefined) ?? []).find((e) => e["action_id"] === APPROVE_ACTION)!;
    expect(approve).toMatchObject({ style: "danger", value: "a-test01", confirm: { style: "danger" } });
    expect(text).toContain("<!date^1893493800^");
  });

  it("offers the typed-count path and snapshot-first above the bulk threshold", () => {
    expect(isBulk(plan(6), 5)).toBe(true);
    expect(isBulk(plan(5), 5)).toBe(false);
    const blocks = renderBlocks(approvalCard({ plan: plan(6), requester: "U0REQ", jobId: "j", approval: approval(), bulkThreshold: 5 }).blocks);
    expect(actions(blocks)).toEqual([APPROVE_BULK_ACTION, APPROVE_SNAPSHOT_ACTION, REJECT_ACTION]);
  });

  it("says who decided and drops the buttons once decided or expired", () => {
    const decidedAt = new Date("2030-01-01T10:05:00Z");
    const approved = renderBlocks(approvalCard({ plan: plan(1), requester: "U0REQ", jobId: "j", approval: approval({ decision: "approved", decidedBy: "U0BOB", decidedAt }), bulkThreshold: 5 }).blocks);
    expect(actions(approved)).toEqual([]);
    expect(JSON.stringify(approved)).toContain("*Approved* by <@U0BOB> <!date^1893492300^");
    const rejected = JSON.stringify(renderBlocks(approvalCard({ plan: plan(1), requester: "U0REQ", jobId: "j", approval: approval({ decision: "rejected", decidedBy: "U0LEAD", decidedAt }), bulkThreshold: 5 }).blocks));
    expect(rejected).toContain("*Rejected* by <@U0LEAD>");
    expect(rejected).toContain("Nothing was destroyed");
    const expired = JSON.stringify(renderBlocks(approvalCard({ plan: plan(1), requester: "U0REQ", jobId: "j", approval: approval({ decision: "expired" }), bulkThreshold: 5 }).blocks));
    expect(expired).toContain("*Expired*");
  });
});
