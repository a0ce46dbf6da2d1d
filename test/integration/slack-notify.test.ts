/**
 * Channel notifications through the stand-in, from the Proxmox simulator: a node going offline and back (with a
 * flap inside the cooldown staying in one thread), a failed task started by someone else (and its resolution when
 * the same task succeeds), a guest's HA state change and its return, jobs without a channel (as the CLI or App
 * Home start them) — and silence when nothing happens, including the bot's own failed tasks. Incidents survive a
 * restart (state in the audit log).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PveClient } from "../../src/adapters/pve/types.js";
import type { StoredMessage } from "../../src/devkit/slack/index.js";
import { ClusterWatcher } from "../../src/engine/watcher.js";
import { recordedUpids, SlackNotifier } from "../../src/transport/slack/notifications.js";
import { simClient } from "../support/pve-env.js";
import { blockText, settle, startAppEnv, type AppEnv } from "./slack-app-helpers.js";

const OPS_TOKEN = { tokenId: "root@pam!ops", secret: "0f4c5d2e-6b1a-4c3d-9e8f-7a6b5c4d3e2f" };

describe("notifications to bound channels", () => {
  let env: AppEnv;
  let watcher: ClusterWatcher;
  let notifier: SlackNotifier;
  let ops: PveClient;

  beforeAll(async () => {
    env = await startAppEnv({
      bindings: { C0OPS: "lab" },
      sim: { tokens: [{ tokenId: "chatops@pve!bot" }, { ...OPS_TOKEN, acl: [{ path: "/", privs: ["Administrator"] }] }] },
      app: ({ pve, store }) => ({
        extend: [
          (_app, ctx) => {
            watcher = new ClusterWatcher({ client: pve.client, cluster: "sim", botTokenId: pve.sim.tokenId, knownUpids: () => recordedUpids(store), pollMs: 3_600_000 });
            notifier = new SlackNotifier({ client: ctx.client, deps: ctx.deps, watchers: [watcher], cooldownMs: 60_000, jobScanMs: 3_600_000 });
            return notifier;
          },
        ],
      }),
    });
    ops = simClient(env.pve.sim, { tokenId: OPS_TOKEN.tokenId, tokenSecret: OPS_TOKEN.secret });
    await watcher.poll(); // the baseline (start() began it)
    await notifier.idle();
  });
  afterAll(async () => {
    await ops?.close();
    await env?.close();
  });

  /** Top-level messages of C0OPS that are notifications (not job threads or approval cards). */
  const tops = (): StoredMessage[] => env.standIn.messages("C0OPS").filter((m) => m.via === "chat.postMessage");

  async function pollAndSettle(): Promise<void> {
    await watcher.poll();
    await notifier.idle();
  }

  async function opsTask(path: string, params: Record<string, string | number>): Promise<string> {
    const upid = await ops.post<string>(path, params);
    await ops.waitForTask(upid, { throwOnError: false });
    return upid;
  }

  it("posts nothing when nothing happens, not even for the bot's own failed tasks", async () => {
    const before = tops().length;
    await pollAndSettle();
    await pollAndSettle();
    expect(tops().length).toBe(before);

    // The bot's own job fails on Proxmox (its token started the task): the job's thread says so, no incident.
    env.pve.sim.faults.failNextTask({ type: "vzcreate" }, "simulated storage failure");
    const { job } = await env.runner.submit({ kind: "provision", request: { profile: "lab", request: { name: "quiet1", image: "alpine320" } }, requester: "U0ALICE", cluster: "sim", profile: "lab", channel: "C0OPS" });
    const done = await settle(env, env.slack, job.id);
    expect(done.state).toBe("failed");
    const afterJob = tops().length; // the job's own parent message
    await pollAndSettle();
    expect(tops().length).toBe(afterJob);
    expect(notifier.openIncidents()).toEqual([]);
  });

  it("a node going offline: one message, a flap in the same thread, resolved replies", async () => {
    const before = tops().length;
    env.pve.sim.faults.setNodeOnline("pve3", false);
    await pollAndSettle();
    await pollAndSettle(); // still offline: nothing new
    const added = tops().slice(before);
    expect(added).toHaveLength(1);
    const incident = added[0]!;
    expect(blockText(incident)).toContain(":red_circle: *Node pve3 is offline* (cluster sim)");

    env.pve.sim.faults.setNodeOnline("pve3", true);
    await pollAndSettle();
    let thread = env.standIn.thread("C0OPS", incident.ts).map(blockText);
    expect(thread).toHaveLength(1);
    expect(thread[0]).toMatch(/:large_green_circle: Resolved: node pve3 is back online after \d/);
    expect(blockText(env.standIn.message("C0OPS", incident.ts)!)).toContain("*resolved*");

    // Flapping within the cooldown: back in the same thread, no new channel message.
    env.pve.sim.faults.setNodeOnline("pve3", false);
    await pollAndSettle();
    env.pve.sim.faults.setNodeOnline("pve3", true);
    await pollAndSettle();
    expect(tops().length).toBe(before + 1);
    thread = env.standIn.thread("C0OPS", incident.ts).map(blockText);
    expect(thread).toHaveLength(3);
    expect(thread[1]).toContain("pve3 is offline again (2nd time since");
    expect(thread[2]).toContain("Resolved: node pve3 is back online");

    const audit = await env.store.listAudit({ actor: "system", target: "sim/node:pve3", order: "oldest-first" });
    expect(audit.map((a) => a.action)).toEqual(["incident-open", "incident-resolved", "incident-reopen", "incident-resolved"]);
  });

  it("a failed task started by someone else, resolved when the same task succeeds", async () => {
    const before = tops().length;
    const node = env.pve.sim.state.guest(100)!.node;
    env.pve.sim.faults.failNextTask({ type: "qmsnapshot", vmid: 100 }, "snapshot storage is full");
    const failed = await opsTask(`/nodes/${node}/qemu/100/snapshot`, { snapname: "nightly1" });
    await pollAndSettle();
    const added = tops().slice(before);
    expect(added).toHaveLength(1);
    const text = blockText(added[0]!);
    expect(text).toContain(":warning: *Proxmox task failed:* `qmsnapshot 100`");
    expect(text).toContain("started by root@pam!ops (not by this bot)");
    expect(text).toContain("snapshot storage is full");
    expect(text).toContain(failed);

    const ok = await opsTask(`/nodes/${node}/qemu/100/snapshot`, { snapname: "nightly2" });
    await pollAndSettle();
    expect(tops().length).toBe(before + 1);
    const thread = env.standIn.thread("C0OPS", added[0]!.ts).map(blockText);
    expect(thread).toEqual([expect.stringContaining(`Resolved: \`qmsnapshot 100\` succeeded on ${node}`)]);
    expect(thread[0]).toContain(ok);
  });

  it("a guest's HA state change, resolved when it is back in its state", async () => {
    const before = tops().length;
    await ops.post("/cluster/ha/resources", { sid: "vm:100", state: "started" });
    await pollAndSettle(); // joining HA is configuration: nothing
    expect(tops().length).toBe(before);
    await ops.delete("/cluster/ha/resources/vm:100");
    await ops.post("/cluster/ha/resources", { sid: "vm:100", state: "stopped" });
    await pollAndSettle();
    const added = tops().slice(before);
    expect(added).toHaveLength(1);
    expect(blockText(added[0]!)).toContain("*HA state of dns1 (100) changed:* started → *stopped*");
    await ops.delete("/cluster/ha/resources/vm:100");
    await ops.post("/cluster/ha/resources", { sid: "vm:100", state: "started" });
    await pollAndSettle();
    expect(env.standIn.thread("C0OPS", added[0]!.ts).map(blockText)).toEqual([expect.stringContaining("Resolved: HA state of dns1 (100) is started again")]);
    expect(tops().length).toBe(before + 1);
  });

  it("announces jobs that had no thread (CLI, App Home) once when they end", async () => {
    const before = tops().length;
    env.pve.sim.faults.failNextTask({ type: "vzcreate" }, "simulated create failure");
    const bad = await env.runner.submit({ kind: "provision", request: { profile: "lab", request: { name: "cli-ct2", image: "alpine320" } }, requester: "U0BOB", cluster: "sim", profile: "lab", channel: null });
    await env.runner.waitForJob(bad.job.id, 60_000);
    const ok = await env.runner.submit({ kind: "provision", request: { profile: "lab", request: { name: "cli-ct1", image: "alpine320" } }, requester: "cli", cluster: "sim", profile: "lab", channel: null });
    await env.runner.waitForJob(ok.job.id, 60_000);
    await notifier.idle();
    await notifier.scanJobs(); // a second look (as the timer does) repeats nothing
    const added = tops().slice(before).map(blockText);
    expect(added).toHaveLength(2);
    const okText = added.find((t) => t.includes("cli-ct1"))!;
    expect(okText).toMatch(/:white_check_mark: \*provision cli-ct1\* for cli finished \(started outside Slack\)\.\n\*cli-ct1\* \(\d+\) on pve\d at `127\./);
    const badText = added.find((t) => t.includes("cli-ct2"))!;
    expect(badText).toContain(":x: *provision cli-ct2* for <@U0BOB> failed (started outside Slack)");
    expect((await env.store.getJob(ok.job.id))!.reportedSeq).toBeGreaterThan(0);
  });

  it("keeps incidents across a restart: the old thread gets the resolved reply", async () => {
    env.pve.sim.faults.setNodeOnline("pve2", false);
    await pollAndSettle();
    const incident = tops().at(-1)!;
    expect(blockText(incident)).toContain("Node pve2 is offline");
    await env.slack.stop();
    env.pve.sim.faults.setNodeOnline("pve2", true);
    const before = tops().length;
    const restarted = await env.startApp(); // a new notifier and watcher: state from the audit log
    env.slack = restarted.slack;
    await watcher.poll();
    await notifier.idle();
    expect(env.standIn.thread("C0OPS", incident.ts).map(blockText)).toEqual([expect.stringContaining("Resolved: node pve2 is back online")]);
    expect(tops().length).toBe(before);
    // Jobs announced before the restart are not announced again.
    expect(await notifier.scanJobs()).toBe(0);
  });
});
