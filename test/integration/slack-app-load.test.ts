/**
 * The progress threads under pressure: 20 simultaneous provisions in one channel, a storm of 429s, and a bot
 * restart in the middle of a job. In every case each thread must be complete, in order and without duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/adapters/store/types.js";
import { blockText, settle, startAppEnv, submittedBy, threadTexts, type AppEnv } from "./slack-app-helpers.js";

describe("Slack app: threads under load, rate limits and restarts", () => {
  let env: AppEnv;
  beforeAll(async () => {
    env = await startAppEnv();
  });
  afterAll(async () => env?.close());

  /** The thread as one text must contain, in this order: the plan, every finished step once, the ready line. */
  async function expectCompleteThread(job: Job): Promise<string> {
    const texts = threadTexts(env.standIn, job);
    expect(new Set(texts).size, `duplicate replies in ${job.id}`).toBe(texts.length);
    const all = texts.join("\n");
    const events = await env.store.listEvents(job.id);
    const expected = [
      ":clipboard: *Plan*",
      ...events.filter((e) => e.type === "step-finished").map((e) => `:white_check_mark: ${(e.data as { title: string }).title}`),
      ":rocket: *",
    ];
    let at = -1;
    for (const piece of expected) {
      const idx = all.indexOf(piece, at + 1);
      expect(idx, `"${piece}" missing or out of order in the thread of ${job.id}`).toBeGreaterThan(at);
      expect(all.indexOf(piece, idx + 1), `"${piece}" twice in ${job.id}`).toBe(-1);
      at = idx;
    }
    return all;
  }

  it("keeps 20 simultaneous provisions in one channel complete and ordered, each in its own thread", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `par-${String(i + 1).padStart(2, "0")}`);
    const acks = await Promise.all(names.map((n) => env.driver.postCommand({ user: "U0ALICE", channel: "C0PAR", text: `provision ${n}` })));
    expect(acks.every((a) => a.status === 200 && !a.timedOut)).toBe(true);
    let submitted: Job[] = [];
    for (let i = 0; i < 200 && submitted.length < 20; i++) {
      submitted = await env.store.listJobs({ channel: "C0PAR" });
      if (submitted.length < 20) await new Promise((r) => setTimeout(r, 25));
    }
    expect(submitted).toHaveLength(20);
    const done = await Promise.all(submitted.map((j) => settle(env, env.slack, j.id)));
    expect(done.map((j) => j.state)).toEqual(done.map(() => "succeeded"));
    // One parent per job, every thread distinct.
    const parents = env.standIn.messages("C0PAR").filter((m) => m.threadTs === undefined || m.threadTs === m.ts).filter((m) => m.via === "chat.postMessage");
    expect(parents).toHaveLength(20);
    expect(new Set(done.map((j) => j.threadTs)).size).toBe(20);
    for (const job of done) {
      const all = await expectCompleteThread(job);
      const name = (job.request["request"] as { name: string }).name;
      expect(all).toContain(`*${name}* is ready`);
      for (const other of names.filter((n) => n !== name)) expect(all).not.toContain(`*${other}* is ready`);
      expect(blockText(env.standIn.message("C0PAR", job.threadTs!)!)).toContain(":white_check_mark: ready");
    }
  });

  it("waits out a storm of 429s without losing or reordering a message", async () => {
    const before429 = env.standIn.calls("chat.postMessage").filter((c) => c.httpStatus === 429).length;
    env.standIn.forceRateLimit("chat.postMessage", 3, 1);
    env.standIn.forceRateLimit("chat.update", 2, 1);
    const submitted = await submittedBy(env.store, "C0STORM", () => env.driver.postCommand({ user: "U0ALICE", channel: "C0STORM", text: "provision storm1 --docker" }));
    const job = await settle(env, env.slack, submitted.id);
    expect(job.state).toBe("succeeded");
    expect(env.standIn.calls("chat.postMessage").filter((c) => c.httpStatus === 429).length - before429).toBe(3);
    await expectCompleteThread(job);
    expect(blockText(env.standIn.message("C0STORM", job.threadTs!)!)).toContain(":white_check_mark: ready: *storm1*");
  });

  it("continues a thread after a restart where it stopped, without duplicates or gaps", async () => {
    env.pve.sim.faults.apiDelayMs = 40; // slow the job down so the bot can stop in the middle of it
    const job = await submittedBy(env.store, "C0REST", () => env.driver.postCommand({ user: "U0ALICE", channel: "C0REST", text: "provision phoenix --docker" }));
    let started: Job | undefined;
    for (let i = 0; i < 600 && !started; i++) {
      const j = (await env.store.getJob(job.id))!;
      if (j.threadTs && env.standIn.thread("C0REST", j.threadTs).length >= 2) started = j;
      else await new Promise((r) => setTimeout(r, 10));
    }
    if (!started) throw new Error("the thread never started");
    await env.slack.stop(); // the bot goes away; the job runs on
    env.pve.sim.faults.apiDelayMs = 0;
    await env.runner.waitForJob(job.id, 60_000);
    const seenBefore = threadTexts(env.standIn, started);
    expect(seenBefore.join("\n")).not.toContain(":rocket:");

    const restarted = await env.startApp();
    const done = await settle(env, restarted.slack, job.id);
    expect(done.threadTs).toBe(started.threadTs);
    const after = threadTexts(env.standIn, done);
    expect(after.slice(0, seenBefore.length)).toEqual(seenBefore);
    await expectCompleteThread(done);
    expect(blockText(env.standIn.message("C0REST", done.threadTs!)!)).toContain(":white_check_mark: ready: *phoenix*");
    // One parent only.
    expect(env.standIn.messages("C0REST").filter((m) => m.via === "chat.postMessage" && (m.threadTs === undefined || m.threadTs === m.ts))).toHaveLength(1);
  });
});
