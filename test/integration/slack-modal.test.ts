/**
 * The request modal through the stand-in: `/pve provision` without a name opens it with the command's trigger_id
 * before anything slow, fills it in (sizes and images of the bound profile, online nodes, or "auto" only when the
 * node list does not come in time), shows the static-network fields via views.update with the view's hash, reports
 * invalid input inline, and a valid submission starts the same job as the typed command, threaded in the channel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredView } from "../../src/devkit/slack/index.js";
import { readOnlineNodes } from "../../src/engine/watcher.js";
import { NETWORK_ACTION } from "../../src/transport/slack/modal.js";
import { settle, startAppEnv, threadTexts, type AppEnv } from "./slack-app-helpers.js";

type ViewBlock = { block_id?: string; element?: { options?: Array<{ value: string }>; action_id?: string } };

function blockIds(v: StoredView): string[] {
  return ((v.view["blocks"] as ViewBlock[]) ?? []).map((b) => b.block_id ?? "");
}
function optionsOf(v: StoredView, block: string): string[] {
  const b = ((v.view["blocks"] as ViewBlock[]) ?? []).find((x) => x.block_id === block);
  return (b?.element?.options ?? []).map((o) => o.value);
}

describe("the VM request modal", () => {
  let env: AppEnv;
  let nodesHang = false;

  beforeAll(async () => {
    env = await startAppEnv({
      app: ({ pve }) => ({
        modal: {
          nodesTimeoutMs: 400,
          nodesFor: (_profile, signal) => (nodesHang ? new Promise<string[]>(() => undefined) : readOnlineNodes(pve.client, signal)),
        },
      }),
    });
  });
  afterAll(async () => env?.close());

  /** `/pve provision` by `user` in C0OPS; resolves with the modal once it has its form (or message). */
  async function openForm(user = "U0ALICE"): Promise<StoredView> {
    const before = env.standIn.views().length;
    const callsBefore = env.standIn.calls().length;
    const res = await env.driver.postCommand({ user, channel: "C0OPS", text: "provision" });
    expect(res.status).toBe(200);
    expect(res.ackBody).toBeUndefined(); // a plain ack: the answer is the modal
    const modal = await env.standIn.waitFor(
      () => env.standIn.views().slice(before).find((v) => v.user === user && v.history.length > 0),
      10_000,
      "the filled-in modal",
    );
    // views.open is the first Web API call the command makes: before the binding, permission and node lookups.
    const calls = env.standIn.calls().slice(callsBefore).map((c) => c.method).filter((m) => m !== "auth.test"); // Bolt's authorize
    expect(calls[0]).toBe("views.open");
    expect(env.standIn.calls("views.open").at(-1)!.args["trigger_id"]).toBe(res.triggerId);
    return env.standIn.view(modal.id)!;
  }

  it("opens at once and offers the bound profile's sizes, images and online nodes", async () => {
    env.pve.sim.faults.setNodeOnline("pve3", false);
    try {
      const v = await openForm();
      expect(JSON.stringify(v.history[0])).toContain("Loading the form");
      expect(blockIds(v)).toEqual(expect.arrayContaining(["name", "type", "features", "iso", "size", "os", "node", "network", "ssh_key"]));
      expect(blockIds(v)).not.toContain("ip");
      expect(optionsOf(v, "size")).toEqual(Object.keys(env.pve.profile.sizes));
      expect(optionsOf(v, "os")).toEqual(Object.keys(env.pve.profile.images));
      expect(optionsOf(v, "node")).toEqual(["auto", "pve1", "pve2"]);
      expect(optionsOf(v, "features")).toEqual(["docker", "live-migrate", "windows", "custom-kernel", "ha-live", "iso"]);
      expect(JSON.parse(v.privateMetadata)).toMatchObject({ origin: "command", channel: "C0OPS", profile: "lab" });
    } finally {
      env.pve.sim.faults.setNodeOnline("pve3", true);
    }
  });

  it("falls back to automatic placement when the node list does not come in time", async () => {
    nodesHang = true;
    try {
      const v = await openForm();
      expect(optionsOf(v, "node")).toEqual(["auto"]);
      expect(JSON.stringify(v.view)).toContain("placement rule picks one");
    } finally {
      nodesHang = false;
    }
  });

  it("says why instead of a form when the user may not provision", async () => {
    const v = await openForm("U0CAROL");
    expect(blockIds(v)).not.toContain("name");
    expect(JSON.stringify(v.view)).toContain("You may not run /pve provision");
    expect(v.view["submit"]).toBeNull();
  });

  it("shows IP, gateway and DNS only for a static network, via views.update with the view's hash", async () => {
    const v = await openForm();
    const hashBefore = v.hash;
    await env.driver.clickButton({ user: "U0ALICE", viewId: v.id, actionId: NETWORK_ACTION, value: "static" });
    const updated = await env.standIn.waitFor(() => (blockIds(env.standIn.view(v.id)!).includes("ip") ? env.standIn.view(v.id) : undefined), 5000, "the static fields");
    expect(blockIds(updated)).toEqual(expect.arrayContaining(["ip", "gateway", "dns"]));
    const update = env.standIn.calls("views.update").filter((c) => c.args["view_id"] === v.id).at(-1)!;
    expect(update.args["hash"]).toBe(hashBefore);
    expect(update.result["ok"]).toBe(true);
    await env.driver.clickButton({ user: "U0ALICE", viewId: v.id, actionId: NETWORK_ACTION, value: "dhcp" });
    await env.standIn.waitFor(() => !blockIds(env.standIn.view(v.id)!).includes("ip"), 5000, "the static fields to go");
  });

  it("reports invalid input inline, on the field, with the command's rules", async () => {
    const v = await openForm();
    await env.driver.clickButton({ user: "U0ALICE", viewId: v.id, actionId: NETWORK_ACTION, value: "static" });
    await env.standIn.waitFor(() => blockIds(env.standIn.view(v.id)!).includes("ip"), 5000, "the static fields");
    const jobsBefore = (await env.store.listJobs({ kind: "provision" })).length;
    const bad = await env.driver.submitView({
      user: "U0ALICE",
      viewId: v.id,
      values: {
        name: { name: "web_1!" },
        type: { type: "ct" },
        features: { features: ["docker"] },
        network: { network: "static" },
        ip: { ip: "10.0.0.999/24" },
        gateway: { gateway: "10.0.0.1" },
        ssh_key: { ssh_key: "not a key" },
      },
    });
    expect(bad.responseAction).toBe("errors");
    expect(bad.errors?.["name"]).toContain("1-63 letters, digits and hyphens");
    expect(bad.errors?.["type"]).toContain("docker needs a VM");
    expect(bad.errors?.["ip"]).toMatch(/IPv4 CIDR/);
    expect(bad.errors?.["ssh_key"]).toContain("OpenSSH public key");
    expect(bad.errors?.["gateway"]).toBeUndefined();
    expect(env.standIn.view(v.id)!.closed).toBe(false);
    expect((await env.store.listJobs({ kind: "provision" })).length).toBe(jobsBefore);
  });

  it("starts the same job as the typed command, with its thread in the channel the modal came from", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbcdefghijklmnopqrstuvwxyz0123456789ABCDEF alice@laptop";
    const v = await openForm();
    const ok = await env.driver.submitView({
      user: "U0ALICE",
      viewId: v.id,
      values: {
        name: { name: "Form-CT1" },
        type: { type: "ct" },
        size: { size: "small" },
        os: { os: "alpine320" },
        node: { node: "pve2" },
        network: { network: "dhcp" },
        ssh_key: { ssh_key: key },
      },
    });
    expect(ok.responseAction).toBeUndefined();
    expect(env.standIn.view(v.id)!.closed).toBe(true);
    const fromForm = await waitForJob("form-ct1");
    const done = await settle(env, env.slack, fromForm.id);
    expect(done.state, done.error?.message).toBe("succeeded");
    expect(done.channel).toBe("C0OPS");
    expect(done.requester).toBe("U0ALICE");
    expect(threadTexts(env.standIn, done).join("\n")).toContain(":rocket: *form-ct1* is ready");
    expect(await env.driver.waitForEphemeral("C0OPS", "U0ALICE", (e) => e.text.includes(`Job \`${done.id}\` started`) || JSON.stringify(e.blocks).includes(done.id))).toBeTruthy();

    // The typed command with the same choices produces the same request (only the name differs).
    await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: `provision form-ct2 --size small --os alpine320 --node pve2 --dhcp --ssh-key "${key}"` });
    const typed = await waitForJob("form-ct2");
    const strip = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/form-ct[12]/g, "NAME")) as unknown;
    expect(strip(typed.request)).toEqual(strip(done.request));
    expect((done.request["request"] as { sshKeys: string[] }).sshKeys).toEqual([key]);
    const audit = await env.store.listAudit({ jobId: done.id, order: "oldest-first" });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["U0ALICE", "provision", "submitted"],
      ["U0ALICE", "provision", "succeeded"],
    ]);
    await settle(env, env.slack, typed.id);
  });

  async function waitForJob(name: string) {
    for (let i = 0; i < 500; i++) {
      const job = (await env.store.listJobs({ kind: "provision", limit: 50 })).find((j) => (j.request["request"] as { name?: string }).name === name);
      if (job) return job;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no job for ${name}`);
  }

  it("keeps the typed command's path for `/pve provision <name>` (no modal)", async () => {
    const before = env.standIn.views().length;
    await env.driver.postCommand({ user: "U0ALICE", channel: "C0OPS", text: "provision typed1 --size small --os alpine320" });
    const job = await waitForJob("typed1");
    expect(env.standIn.views().length).toBe(before);
    await settle(env, env.slack, job.id);
  });
});
