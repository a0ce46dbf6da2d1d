/**
 * App Home for two users through the stand-in: each sees their own guests and jobs and the approvals waiting for
 * them (not their own requests), and "Request a VM" opens the request modal; a request from there runs without a
 * channel thread and shows up on the requester's Home.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredView } from "../../src/devkit/slack/index.js";
import { REQUEST_VM_ACTION } from "../../src/transport/slack/home.js";
import { PERMISSIONS, settle, startAppEnv, type AppEnv } from "./slack-app-helpers.js";

function homeText(v: StoredView): string {
  return JSON.stringify(v.view["blocks"]);
}

describe("App Home", () => {
  let env: AppEnv;

  beforeAll(async () => {
    env = await startAppEnv({
      profile: {
        permissions: { ...PERMISSIONS, provision: ["S0INFRA", "U0ALICE", "U0BOB"] },
        approvals: { teardown: { approvers: ["S0LEADS"], selfApprove: false, expiresMinutes: 30, bulkThreshold: 5 } },
      },
    });
  });
  afterAll(async () => env?.close());

  async function home(user: string): Promise<StoredView> {
    const before = env.standIn.homeView(user)?.history.length ?? -1;
    const res = await env.driver.openHome(user);
    expect(res.status).toBe(200);
    return env.standIn.waitFor(() => {
      const v = env.standIn.homeView(user);
      return v && v.history.length > before ? v : undefined;
    }, 10_000, `the Home tab of ${user}`);
  }

  async function jobNamed(name: string) {
    for (let i = 0; i < 500; i++) {
      const job = (await env.store.listJobs({ kind: "provision", limit: 100 })).find((j) => (j.request["request"] as { name?: string }).name === name);
      if (job) return job;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no job for ${name}`);
  }

  it("shows each user their own guests, jobs and the approvals waiting for them", async () => {
    await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision home-a1 --os alpine320" });
    const provisioned = await settle(env, env.slack, (await jobNamed("home-a1")).id);
    expect(provisioned.state).toBe("succeeded");
    const vmid = (provisioned.result as { vmid: number }).vmid;
    await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "teardown home-a1" });
    let teardown;
    for (let i = 0; i < 500 && !teardown; i++) {
      [teardown] = (await env.store.listJobs({ kind: "teardown", states: ["awaiting-approval"], limit: 1 }));
      if (!teardown || (await env.store.listApprovals({ jobId: teardown.id })).length === 0) {
        teardown = undefined;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect(teardown).toBeDefined();

    const alice = homeText(await home("U0ALICE"));
    expect(alice).toContain("Your guests (1)");
    expect(alice).toMatch(new RegExp(`home-a1\\s+${vmid}\\s+pve\\d\\s+127\\.`));
    expect(alice).toContain("Your jobs (1 running or waiting)");
    expect(alice).toMatch(new RegExp(`${teardown!.id}\\s+teardown home-a1\\s+awaiting-approval`));
    expect(alice).toMatch(new RegExp(`${provisioned.id}\\s+provision home-a1\\s+succeeded`));
    expect(alice).toContain("Waiting for your approval (0)"); // her own request: a second person must approve
    expect(alice).toContain(REQUEST_VM_ACTION);

    const bob = homeText(await home("U0BOB"));
    expect(bob).toContain("Your guests (0)");
    expect(bob).not.toMatch(/home-a1\s+\d+\s+pve/);
    expect(bob).toContain("Your jobs (0 running or waiting)");
    expect(bob).toContain("Waiting for your approval (1)");
    expect(bob).toContain(`*teardown* of home-a1 (${vmid}) — requested by <@U0ALICE> in <#C0OPS>`);

    const carol = homeText(await home("U0CAROL"));
    expect(carol).toContain("Your guests (0)");
    expect(carol).toContain("Waiting for your approval (0)");
  });

  it("opens the request modal from the button; the request runs without a thread and shows on the Home tab", async () => {
    const tab = await home("U0BOB");
    const before = env.standIn.views().filter((v) => v.type === "modal").length;
    await env.driver.clickButton({ user: "U0BOB", viewId: tab.id, actionId: REQUEST_VM_ACTION });
    const modal = await env.standIn.waitFor(
      () => env.standIn.views().filter((v) => v.type === "modal").slice(before).find((v) => v.user === "U0BOB" && v.history.length > 0),
      10_000,
      "the request modal",
    );
    expect(JSON.parse(modal.privateMetadata)).toMatchObject({ origin: "home", profile: "lab" });
    expect(JSON.stringify(modal.view["blocks"])).toContain('"block_id":"profile"');
    const res = await env.driver.submitView({
      user: "U0BOB",
      viewId: modal.id,
      values: { profile: { profile: "lab" }, name: { name: "home-b1" }, type: { type: "ct" }, os: { os: "alpine320" }, node: { node: "auto" }, network: { network: "dhcp" } },
    });
    expect(res.responseAction).toBeUndefined();
    const job = await jobNamed("home-b1");
    expect(job.channel).toBeNull();
    expect(job.requester).toBe("U0BOB");
    const done = await env.runner.waitForJob(job.id, 60_000);
    expect(done.state, done.error?.message).toBe("succeeded");
    const audit = await env.store.listAudit({ jobId: job.id });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([["U0BOB", "provision", "submitted"]]);

    const bob = homeText(await home("U0BOB"));
    expect(bob).toContain("Your guests (1)");
    expect(bob).toMatch(/home-b1\s+\d+\s+pve\d/);
    expect(bob).toMatch(new RegExp(`${job.id}\\s+provision home-b1\\s+succeeded`));
    expect(homeText(await home("U0ALICE"))).not.toContain("home-b1");
  });
});
