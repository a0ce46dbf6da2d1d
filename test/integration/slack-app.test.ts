/**
 * The Slack app end to end: signed requests from the stand-in's driver → Bolt → commands → engine/jobs against the
 * Proxmox simulator → Web API calls back into the stand-in. Every /pve command, bindings, permissions, the
 * progress thread (success and failure), a redelivered command and forged/stale requests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEphemeral } from "../../src/devkit/slack/index.js";
import { blockText, latestJob, postSigned, settle, startAppEnv, threadTexts, type AppEnv } from "./slack-app-helpers.js";

describe("Slack app (HTTP receiver) against the stand-in and the simulator", () => {
  let env: AppEnv;
  beforeAll(async () => {
    env = await startAppEnv();
  });
  afterAll(async () => env?.close());

  /** Runs a command and returns the reply the user saw (ack or response_url), ephemeral or in channel. */
  async function run(user: string, channel: string, text: string): Promise<string> {
    const beforeEphemerals = env.standIn.ephemerals(channel, user).length;
    const beforeMessages = env.standIn.messages(channel).length;
    const res = await env.driver.postCommand({ user, channel, text });
    expect(res.status).toBe(200);
    const reply = await env.standIn.waitFor(() => {
      const e = env.standIn.ephemerals(channel, user).slice(beforeEphemerals)[0];
      if (e) return blockText(e);
      const m = env.standIn.messages(channel).slice(beforeMessages).find((x) => x.via !== "chat.postMessage");
      return m ? blockText(m) : undefined;
    }, 10_000, `a reply to "${text}"`);
    return reply;
  }

  async function jobCount(channel: string): Promise<number> {
    return (await env.store.listJobs({ channel })).length;
  }

  describe("help, parsing and refusals", () => {
    it("answers a usage error in the ack itself, with the usage line and a did-you-mean", async () => {
      const res = await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision web9 --dokcer" });
      expect(res.status).toBe(200);
      expect(res.ackBody).toMatchObject({ response_type: "ephemeral" });
      const text = JSON.stringify(res.ackBody);
      expect(text).toContain("Unknown flag --dokcer. Did you mean --docker?");
      expect(text).toContain("/pve provision &lt;name&gt;");
      const bad = await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision web9 --cores lots" });
      expect(JSON.stringify(bad.ackBody)).toContain('--cores \\"lots\\": expected a whole number from 1 to 512');
      const unknown = await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provison web9" });
      expect(JSON.stringify(unknown.ackBody)).toContain("Did you mean `provision`?");
    });

    it("lists in /pve help only what the caller may run in the channel, one example each", async () => {
      const carol = await run("U0CAROL", "C0OPS", "help");
      expect(carol).toContain("*list*");
      expect(carol).toContain("`/pve list`");
      expect(carol).toContain("*status*");
      expect(carol).not.toContain("*provision*");
      expect(carol).not.toContain("*bind*");
      const alice = await run("U0ALICE", "C0OPS", "help");
      expect(alice).toContain("*provision*");
      expect(alice).toContain("`/pve provision docker1 --docker`");
      expect(alice).toContain("*start*"); // power falls back to the provision permission
      expect(alice).not.toContain("*bind*");
      const admin = await run("U0ADMIN", "C0OPS", "help");
      expect(admin).toContain("*bind*");
      expect(admin).not.toContain("*provision*");
    });

    it("gives the full usage with /pve help <command>", async () => {
      const text = await run("U0CAROL", "C0OPS", "help provision");
      expect(text).toContain("/pve provision &lt;name&gt; [--docker]");
      expect(text).toContain("`--memory &lt;MB&gt;` — memory in MB");
      expect(text).toContain("<!subteam^S0INFRA>");
    });

    it("refuses a command the caller may not run, naming the group, audits it and starts nothing", async () => {
      const before = await jobCount("C0OPS");
      const text = await run("U0CAROL", "C0OPS", "provision sneaky");
      expect(text).toContain(":no_entry:");
      expect(text).toContain("<!subteam^S0INFRA>");
      expect(await jobCount("C0OPS")).toBe(before);
      const audit = await env.store.listAudit({ actor: "U0CAROL", action: "provision" });
      expect(audit[0]).toMatchObject({ result: "denied" });
    });

    it("hints at /pve bind in an unbound channel, listing profiles only for admins", async () => {
      const user = await run("U0CAROL", "C0GENERAL", "list");
      expect(user).toContain("not bound");
      expect(user).toContain("Ask a bot admin");
      expect(user).not.toContain("`lab`");
      const admin = await run("U0ADMIN", "C0GENERAL", "list");
      expect(admin).toContain("/pve bind &lt;profile&gt;");
      expect(admin).toContain("`lab` — cluster sim, pool chatops");
    });

    it("lets only admins bind and unbind; the binding takes effect and is audited", async () => {
      const refused = await run("U0ALICE", "C0GENERAL", "bind lab");
      expect(refused).toContain("Only bot admins");
      expect(refused).toContain("<@U0ADMIN>");
      expect(await env.store.getBinding("C0GENERAL")).toBeUndefined();

      const typo = await run("U0ADMIN", "C0GENERAL", "bind lba");
      expect(typo).toContain("Did you mean lab?");

      const bound = await run("U0ADMIN", "C0GENERAL", "bind lab");
      expect(bound).toContain("bound this channel to profile *lab*");
      const inChannel = env.standIn.messages("C0GENERAL").find((m) => m.text.includes("now bound"));
      expect(inChannel).toBeDefined(); // in_channel: everyone sees it
      expect((await env.store.getBinding("C0GENERAL"))?.profile).toBe("lab");
      expect(await run("U0CAROL", "C0GENERAL", "list")).not.toContain("not bound");

      expect(await run("U0CAROL", "C0GENERAL", "unbind")).toContain("Only bot admins");
      expect(await run("U0ADMIN", "C0GENERAL", "unbind")).toContain("unbound this channel");
      expect(await run("U0CAROL", "C0GENERAL", "list")).toContain("not bound");
      const audit = await env.store.listAudit({ target: "C0GENERAL", order: "oldest-first" });
      expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
        ["U0ADMIN", "bind-channel", "failed: unknown profile"],
        ["U0ADMIN", "bind-channel", "ok"],
        ["U0ADMIN", "unbind-channel", "ok"],
      ]);
    });

    it("lists profiles", async () => {
      const text = await run("U0CAROL", "C0OPS", "profiles");
      expect(text).toMatch(/lab \*\s+sim\s+chatops\s+small,medium,large/);
    });
  });

  describe("jobs and their threads", () => {
    let web1Thread: string[];

    it("provisions with a parent message, a status line updated in place and one reply per step", async () => {
      const reply = await run("U0ALICE", "C0OPS", "provision web1 --docker --size small --tag web");
      const job = await latestJob(env.store, "C0OPS");
      expect(reply).toContain(`Job \`${job.id}\` started`);
      const done = await settle(env, env.slack, job.id);
      expect(done.state).toBe("succeeded");

      const parent = env.standIn.message("C0OPS", done.threadTs!)!;
      expect(parent.via).toBe("chat.postMessage");
      const parentText = blockText(parent);
      expect(parentText).toContain("*Provision web1* · requested by <@U0ALICE>");
      expect(parentText).toMatch(/:white_check_mark: ready: \*web1\* \(\d+\) on pve\d at `127\./);
      expect(parent.edits.length).toBeGreaterThan(0); // chat.update, not new messages
      expect(parent.edits.some((e) => JSON.stringify(e.blocks).includes("running"))).toBe(true);

      // The thread, in order: plan, one reply per finished step (with its Proxmox task), waiting, ready.
      web1Thread = threadTexts(env.standIn, done);
      const events = await env.store.listEvents(done.id);
      const steps = events.filter((e) => e.type === "step-finished").map((e) => (e.data as { title: string; upid?: string }));
      expect(web1Thread[0]).toContain(":clipboard: *Plan*");
      expect(web1Thread[0]).toContain("VM — ");
      expect(web1Thread[0]).toContain("--docker");
      const stepReplies = web1Thread.filter((t) => t.startsWith(":white_check_mark:"));
      expect(stepReplies).toHaveLength(steps.length);
      steps.forEach((s, i) => {
        expect(stepReplies[i]).toContain(s.title);
        if (s.upid) expect(stepReplies[i]).toContain(`Proxmox task \`${s.upid}\``);
      });
      expect(steps.some((s) => s.upid?.includes(":qmclone:"))).toBe(true);
      expect(web1Thread.at(-1)).toMatch(/:rocket: \*web1\* is ready — VMID \d+ on pve\d, IP `127\.[\d.]+`\n`ssh \S+@127\.[\d.]+/);
      // No reply twice.
      expect(new Set(web1Thread).size).toBe(web1Thread.length);

      const audit = await env.store.listAudit({ jobId: job.id, order: "oldest-first" });
      expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
        ["U0ALICE", "provision", "submitted"],
        ["U0ALICE", "provision", "succeeded"],
      ]);
    });

    it("lists guests as a table and shows one guest's status", async () => {
      const list = await run("U0CAROL", "C0OPS", "list");
      expect(list).toMatch(/```\nVMID\s+NAME\s+TYPE\s+NODE\s+STATUS\s+TAGS\n/);
      expect(list).toMatch(/\d+\s+web1\s+vm\s+pve\d\s+running\s+.*web/);
      const filtered = await run("U0CAROL", "C0OPS", "list nomatch");
      expect(filtered).toContain('No guests matching "nomatch"');
      const status = await run("U0CAROL", "C0OPS", "status web1");
      expect(status).toContain("web1 (");
      expect(status).toContain(":large_green_circle: running");
      expect(status).toMatch(/\*IP\*\n`127\./);
      const missing = await run("U0CAROL", "C0OPS", "status nosuch");
      expect(missing).toContain("No guest matches nosuch");
    });

    it("runs power, snapshot, migrate and evacuate as jobs with their own threads", async () => {
      const node = (await env.pve.engine.status("lab", { name: "web1" })).node;
      const other = ["pve1", "pve2", "pve3"].find((n) => n !== node)!;
      const cases: Array<[string, RegExp]> = [
        ["stop web1", /web1 \(\d+\) is stopped/],
        ["start web1", /web1 \(\d+\) is running/],
        ["reboot web1", /web1 \(\d+\) is running/],
        ["snapshot web1 before-upgrade", /web1: snapshot `before-upgrade`/],
        [`migrate web1 ${other}`, new RegExp(`web1 \\(\\d+\\) is running on ${other}`)],
        [`evacuate ${other}`, /Moved: .*web1/],
        ["shutdown web1", /web1 \(\d+\) is stopped/],
      ];
      for (const [text, expected] of cases) {
        expect(await run("U0ALICE", "C0POWER", text), text).toContain("started");
        const job = await settle(env, env.slack, (await latestJob(env.store, "C0POWER")).id);
        expect(job.state, `${text}: ${job.error?.message}`).toBe("succeeded");
        const thread = threadTexts(env.standIn, job);
        expect(thread.join("\n"), text).toMatch(expected);
        expect(blockText(env.standIn.message("C0POWER", job.threadTs!)!)).toContain(":white_check_mark: done");
      }
      const g = await env.pve.engine.status("lab", { name: "web1" });
      const snaps = await env.pve.client.get(`/nodes/${g.node}/qemu/${g.vmid}/snapshot`);
      expect(JSON.stringify(snaps)).toContain("before-upgrade");
    });

    it("refuses teardown while the profile has no approval policy, says how to add one, and destroys nothing", async () => {
      const text = await run("U0ALICE", "C0OPS", "teardown web1");
      expect(text).toContain(":lock:");
      expect(text).toContain("needs an approval");
      expect(text).toContain("names no approvers");
      expect(text).toContain("teardown: { approvers:");
      expect((await env.pve.engine.list("lab", { text: "web1" })).map((g) => g.name)).toEqual(["web1"]);
      const denied = await run("U0CAROL", "C0OPS", "teardown web1");
      expect(denied).toContain("<!subteam^S0INFRA>");
      const usage = await run("U0ALICE", "C0OPS", "teardown");
      expect(usage).toContain("Name a guest");
    });

    it("shows the thread of a failed job: Proxmox's error, the task log tail and what was rolled back", async () => {
      env.pve.sim.faults.failNextTask({ type: "qmclone", vmid: 9000 }, "simulated disk failure");
      await run("U0ALICE", "C0OPS", "provision broken1 --docker");
      const job = await settle(env, env.slack, (await latestJob(env.store, "C0OPS")).id);
      expect(job.state).toBe("failed");
      const thread = threadTexts(env.standIn, job).join("\n");
      expect(thread).toContain("failed:*");
      expect(thread).toContain("simulated disk failure");
      expect(thread).toMatch(/task `UPID:[^`]+:qmclone:9000:/);
      expect(thread).toContain("Task log (last lines):\n```");
      expect(thread).toContain("*Rolled back:*");
      expect(blockText(env.standIn.message("C0OPS", job.threadTs!)!)).toContain(":x: failed");
    });

    it("lists jobs and cancels only what has not finished", async () => {
      const jobs = await run("U0CAROL", "C0OPS", "jobs");
      const latest = await latestJob(env.store, "C0OPS");
      expect(jobs).toMatch(/JOB\s+WHAT\s+STATE/);
      expect(jobs).toContain(latest.id);
      expect(jobs).toContain("provision web1");
      expect(await run("U0ALICE", "C0OPS", `cancel ${latest.id}`)).toContain("had already ended");
      expect(await run("U0ALICE", "C0OPS", "cancel j-zzzzzz")).toContain("No job j-zzzzzz");
      expect(await run("U0ALICE", "C0OPS", "cancel 42")).toContain("expected a job id");
    });
  });

  describe("delivery", () => {
    it("never starts a second job for a redelivered command (X-Slack-Retry-Num)", async () => {
      const before = await jobCount("C0OPS");
      const body = new URLSearchParams({
        token: env.standIn.verificationToken,
        team_id: env.standIn.teamId,
        channel_id: "C0OPS",
        channel_name: "ops",
        user_id: "U0ALICE",
        user_name: "alice",
        command: "/pve",
        text: "start web1",
        api_app_id: env.standIn.appId,
        response_url: env.standIn.issueResponseUrl({ channel: "C0OPS", user: "U0ALICE" }),
        trigger_id: env.standIn.issueTriggerId("U0ALICE"),
      }).toString();
      expect(await postSigned(env.appUrl, body)).toBe(200);
      expect(await postSigned(env.appUrl, body, 1)).toBe(200);
      expect(await postSigned(env.appUrl, body, 2)).toBe(200);
      const said = await env.standIn.waitFor(() => {
        const e = env.standIn.ephemerals("C0OPS", "U0ALICE").filter((x: StoredEphemeral) => x.text.includes("delivered it twice"));
        return e.length >= 2 ? e : undefined;
      });
      expect(said).toHaveLength(2);
      expect(await jobCount("C0OPS")).toBe(before + 1);
      await settle(env, env.slack, (await latestJob(env.store, "C0OPS")).id);
    });

    it("rejects forged and stale requests before any listener runs", async () => {
      const before = env.standIn.ephemerals("C0OPS", "U0ALICE").length;
      const forged = await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision forged1", badSignature: true });
      expect(forged.status).toBe(401);
      const stale = await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision stale1", staleTimestamp: true });
      expect(stale.status).toBe(401);
      await new Promise((r) => setTimeout(r, 100));
      expect(env.standIn.ephemerals("C0OPS", "U0ALICE")).toHaveLength(before);
      const names = (await env.store.listJobs()).map((j) => JSON.stringify(j.request));
      expect(names.some((n) => n.includes("forged1") || n.includes("stale1"))).toBe(false);
    });
  });
});
