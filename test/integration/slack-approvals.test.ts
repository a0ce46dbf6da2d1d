/**
 * Teardown runs only through an approval: signed slash commands and button clicks from the stand-in's driver →
 * Bolt → the approval desk → the store's compare-and-set → the job runner → the Proxmox simulator. Approve, reject,
 * the requester and a non-approver refused, two simultaneous clicks, an expired request, a click after a restart,
 * and a bulk teardown with the typed-count modal and "snapshot first"; the audit log has every step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/adapters/store/types.js";
import type { SlackDriver, StoredMessage } from "../../src/devkit/slack/index.js";
import {
  APPROVE_ACTION,
  APPROVE_BULK_ACTION,
  APPROVE_SNAPSHOT_ACTION,
  REJECT_ACTION,
} from "../../src/transport/slack/approvals.js";
import { blockText, settle, startAppEnv, threadTexts, type AppEnv } from "./slack-app-helpers.js";

/** Element action ids of a message's buttons. */
function buttons(m: StoredMessage): string[] {
  return (m.blocks ?? []).flatMap((b) => ((b["elements"] as Array<{ action_id?: string }> | undefined) ?? []).map((e) => e.action_id ?? "")).filter(Boolean);
}

describe("teardown approvals through the Slack stand-in", () => {
  let env: AppEnv;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    env = await startAppEnv({
      storeNow: () => new Date(Date.now() + clockOffsetMs),
      profile: {
        approvals: { teardown: { approvers: ["S0LEADS", "U0ALICE", "U0ADMIN"], selfApprove: false, expiresMinutes: 30, bulkThreshold: 2 } },
      },
      app: () => ({ approvals: { expiryCheckMs: 3_600_000 } }), // tests expire explicitly
    });
    // Containers are quick to make; make them all at once, straight through the engine.
    const names = ["td-approve", "td-reject", "td-race", "td-expire", "td-restart", "bulk-1", "bulk-2", "bulk-3"];
    await Promise.all(
      names.map((name) => env.pve.engine.provision("lab", { name, image: "alpine320", tags: name.startsWith("bulk") ? ["bulk"] : [], requestedBy: "U0ALICE" })),
    );
  }, 120_000);
  afterAll(async () => env?.close());

  async function guestNames(): Promise<string[]> {
    return (await env.pve.engine.list("lab", {})).map((g) => g.name);
  }

  /** `/pve teardown <text>` by `user`; returns the approval card (once it has its buttons) and the held job. */
  async function request(user: string, text: string, driver: SlackDriver = env.driver): Promise<{ card: StoredMessage; job: Job }> {
    const before = new Set(env.standIn.messages("C0OPS").map((m) => m.ts));
    const res = await driver.postCommand({ user, channel: "C0OPS", text: `teardown ${text}` });
    expect(res.status).toBe(200);
    const card = await env.standIn.waitFor(
      () => env.standIn.messages("C0OPS").find((m) => !before.has(m.ts) && buttons(m).includes(REJECT_ACTION)),
      10_000,
      `the approval card for ${text}`,
    );
    const [job] = await env.store.listJobs({ channel: "C0OPS", kind: "teardown", threadTs: card.ts, limit: 1 });
    if (!job) throw new Error("no held job");
    expect(job.state).toBe("awaiting-approval");
    return { card, job };
  }

  async function ephemeralFor(user: string, match: (t: string) => boolean): Promise<string> {
    const e = await env.driver.waitForEphemeral("C0OPS", user, (x) => match(blockText(x)), 10_000);
    return blockText(e);
  }

  it("refuses the requester and a non-approver, then runs once on an approver's click; card, thread and audit say who", async () => {
    const { card, job } = await request("U0ALICE", "td-approve");
    const cardText = blockText(card);
    const guest = (await env.pve.engine.status("lab", { name: "td-approve" }));
    // The plan: exact guest, node, status, IP.
    expect(cardText).toContain("<@U0ALICE> asks to *destroy 1 guest* (td-approve)");
    expect(cardText).toMatch(new RegExp(`${guest.vmid}\\s+td-approve\\s+ct\\s+${guest.node}\\s+running\\s+127\\.`));
    expect(cardText).toContain("Approvers: <!subteam^S0LEADS>, <@U0ALICE>, <@U0ADMIN> · not the requester");
    const approve = (card.blocks ?? []).flatMap((b) => (b["elements"] as Array<Record<string, unknown>> | undefined) ?? []).find((e) => e["action_id"] === APPROVE_ACTION)!;
    expect(approve["style"]).toBe("danger");
    expect(approve["confirm"]).toMatchObject({ title: { text: "Destroy 1 guest?" }, confirm: { text: "Destroy" } });

    await env.driver.clickButton({ user: "U0ALICE", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION });
    expect(await ephemeralFor("U0ALICE", (t) => t.includes("someone else must approve"))).toContain("Nothing was changed");
    await env.driver.clickButton({ user: "U0CAROL", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION });
    expect(await ephemeralFor("U0CAROL", (t) => t.includes("not an approver"))).toContain("<!subteam^S0LEADS>");
    expect((await env.store.getJob(job.id))!.state).toBe("awaiting-approval");
    expect(await guestNames()).toContain("td-approve");

    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION });
    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("succeeded");
    expect(await guestNames()).not.toContain("td-approve");
    const after = env.standIn.message("C0OPS", card.ts)!;
    expect(blockText(after)).toMatch(/:white_check_mark: \*Approved\* by <@U0BOB> <!date\^\d+\^/);
    expect(buttons(after)).toEqual([]);
    const thread = threadTexts(env.standIn, done).join("\n");
    expect(thread).toContain("Approved; queued.");
    expect(thread).toContain(`Destroyed: td-approve`);
    // The status line lives in the thread's first reply, not on the card.
    expect(blockText(env.standIn.message("C0OPS", done.parentTs!)!)).toContain(":white_check_mark: done");

    const audit = await env.store.listAudit({ jobId: job.id, order: "oldest-first" });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["U0ALICE", "teardown", "approval requested"],
      ["U0ALICE", "approve", "denied"],
      ["U0CAROL", "approve", "denied"],
      ["U0BOB", "approve", "approved"],
      ["U0ALICE", "teardown", "executing"],
      ["U0ALICE", "teardown", "succeeded"],
    ]);
    expect(audit.every((a) => a.at instanceof Date)).toBe(true);
    expect(audit[4]!.details).toMatchObject({ approvedBy: "U0BOB", vmids: String(guest.vmid) });
  });

  it("rejects: the card says who, the job is cancelled, nothing is destroyed", async () => {
    const { card, job } = await request("U0ALICE", "td-reject");
    await env.driver.clickButton({ user: "U0CAROL", channel: "C0OPS", messageTs: card.ts, actionId: REJECT_ACTION });
    expect(await ephemeralFor("U0CAROL", (t) => t.includes("may reject"))).toContain("Nothing was changed");
    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: REJECT_ACTION });
    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("cancelled");
    expect(done.error?.code).toBe("REJECTED");
    expect(blockText(env.standIn.message("C0OPS", card.ts)!)).toMatch(/:no_entry_sign: \*Rejected\* by <@U0BOB> .*Nothing was destroyed/);
    expect(threadTexts(env.standIn, done).join("\n")).toContain("Rejected by <@U0BOB>");
    expect(await guestNames()).toContain("td-reject");
    const audit = await env.store.listAudit({ jobId: job.id, order: "oldest-first" });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["U0ALICE", "teardown", "approval requested"],
      ["U0CAROL", "reject", "denied"],
      ["U0BOB", "reject", "rejected"],
    ]);
  });

  it("decides and executes once when two approvers click at the same moment", async () => {
    const { card, job } = await request("U0ALICE", "td-race");
    await Promise.all([
      env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION }),
      env.driver.clickButton({ user: "U0ADMIN", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION }),
    ]);
    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("succeeded");
    const approvals = (await env.store.listAudit({ jobId: job.id, action: "approve" })).filter((a) => a.result === "approved");
    expect(approvals).toHaveLength(1);
    const loser = approvals[0]!.actor === "U0BOB" ? "U0ADMIN" : "U0BOB";
    expect(await ephemeralFor(loser, (t) => t.includes("already approved"))).toContain(`by <@${approvals[0]!.actor}>`);
    const events = (await env.store.listEvents(job.id)).map((e) => e.type);
    expect(events.filter((t) => t === "approved")).toHaveLength(1);
    expect(events.filter((t) => t === "started")).toHaveLength(1);
    expect(done.attempts).toBe(1);
  });

  it("expires an undecided request: card updated, job cancelled, a late click changes nothing", async () => {
    const { card, job } = await request("U0ALICE", "td-expire");
    clockOffsetMs += 31 * 60_000;
    expect(await env.slack.approvals.expireDue()).toBe(1);
    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("cancelled");
    expect(blockText(env.standIn.message("C0OPS", card.ts)!)).toContain(":hourglass: *Expired*");
    expect(buttons(env.standIn.message("C0OPS", card.ts)!)).toEqual([]);
    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION, blockId: "x", value: (await env.store.listApprovals({ jobId: job.id }))[0]!.id });
    expect(await ephemeralFor("U0BOB", (t) => t.includes("already expired"))).toContain("Nothing was changed");
    expect(await guestNames()).toContain("td-expire");
    const audit = await env.store.listAudit({ jobId: job.id, order: "oldest-first" });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["U0ALICE", "teardown", "approval requested"],
      ["system", "approval-expired", "expired"],
    ]);
  });

  it("a click on a request whose time ran out (before the timer noticed) expires it instead", async () => {
    const { card, job } = await request("U0ALICE", "td-expire");
    clockOffsetMs += 31 * 60_000;
    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION });
    expect(await ephemeralFor("U0BOB", (t) => t.includes("has expired"))).toContain("nothing was changed");
    expect((await settle(env, env.slack, job.id)).state).toBe("cancelled");
    expect(await guestNames()).toContain("td-expire");
  });

  it("keeps working after a restart: the state is in the store, not in memory", async () => {
    const { card, job } = await request("U0ALICE", "td-restart");
    await env.slack.stop();
    const restarted = await env.startApp();
    await restarted.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION });
    const done = await settle(env, restarted.slack, job.id);
    expect(done.state).toBe("succeeded");
    expect(await guestNames()).not.toContain("td-restart");
    expect(blockText(env.standIn.message("C0OPS", card.ts)!)).toContain("*Approved* by <@U0BOB>");
    env.slack = restarted.slack;
    env.driver = restarted.driver;
  });

  it("bulk: above the threshold the approver types the number of guests, and can snapshot first", async () => {
    const { card, job } = await request("U0ALICE", "--tag bulk");
    expect(buttons(card)).toEqual([APPROVE_BULK_ACTION, APPROVE_SNAPSHOT_ACTION, REJECT_ACTION]);
    expect(blockText(card)).toContain("*destroy 3 guests*");
    // A plain Approve (say, forged or from an old card) cannot skip the typed count.
    const approvalId = (await env.store.listApprovals({ jobId: job.id }))[0]!.id;
    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_ACTION, blockId: "x", value: approvalId });
    expect(await ephemeralFor("U0BOB", (t) => t.includes("type their number"))).toContain("Nothing was changed");

    const viewsBefore = env.standIn.views().length;
    await env.driver.clickButton({ user: "U0BOB", channel: "C0OPS", messageTs: card.ts, actionId: APPROVE_SNAPSHOT_ACTION });
    const modal = await env.standIn.waitFor(() => env.standIn.views().slice(viewsBefore).find((v) => v.type === "modal" && v.user === "U0BOB"), 5000, "the confirm modal");
    expect(JSON.stringify(modal.view)).toContain("Type 3 to confirm");
    const wrong = await env.driver.submitView({ user: "U0BOB", viewId: modal.id, values: { count: { count: "2" }, snapshot: { snapshot: ["snapshot"] } } });
    expect(wrong.responseAction).toBe("errors");
    expect(wrong.errors?.["count"]).toContain("Type 3");
    expect((await env.store.getJob(job.id))!.state).toBe("awaiting-approval");
    const right = await env.driver.submitView({ user: "U0BOB", viewId: modal.id, values: { count: { count: "3" }, snapshot: { snapshot: ["snapshot"] } } });
    expect(right.responseAction).toBeUndefined();

    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("succeeded");
    const [snap] = await env.store.listJobs({ kind: "snapshot", threadTs: card.ts, limit: 1 });
    expect(snap?.state).toBe("succeeded");
    expect(snap!.finishedAt!.getTime()).toBeLessThanOrEqual((await env.store.listEvents(job.id)).find((e) => e.type === "started")!.at.getTime());
    expect(JSON.stringify(snap!.result)).toContain(`pre-teardown-${job.id}`);
    expect(await guestNames()).not.toEqual(expect.arrayContaining(["bulk-1"]));
    expect(blockText(env.standIn.message("C0OPS", card.ts)!)).toContain("snapshot first, then teardown");
    const approve = (await env.store.listAudit({ jobId: job.id, action: "approve" })).find((a) => a.result === "approved")!;
    expect(approve.details).toMatchObject({ snapshotFirst: true, guests: 3, approvalId });
  });

  it("stays refused without an approval policy, saying how to configure one", async () => {
    const text = JSON.stringify(await (async () => {
      const other = await startAppEnv();
      try {
        await other.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "teardown anything" });
        return blockText(await other.driver.waitForEphemeral("C0OPS", "U0ALICE", () => true, 10_000));
      } finally {
        await other.close();
      }
    })());
    expect(text).toContain("names no approvers");
    expect(text).toContain("approvals:");
    expect(text).toContain("approvers:");
  });
});
