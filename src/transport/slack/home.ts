/**
 * App Home (`app_home_opened` → `views.publish`): each user sees their own things, from the store only (no
 * Proxmox call, so the tab opens fast whatever the cluster does):
 *   - their guests: guests created by provision jobs they requested, minus those torn down since;
 *   - their jobs: running and waiting ones first, then the most recent finished ones;
 *   - approvals waiting for them: pending requests they may approve (approvers, minus their own requests unless
 *     the profile allows self-approval);
 *   - a "Request a VM" button that opens the request modal.
 */
import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { Job, JsonValue } from "../../adapters/store/types.js";
import { escapeMrkdwn, mention, type MessageBlock } from "../../commands/message.js";
import type { CommandDeps } from "../../commands/types.js";
import { silentLogger, type Logger } from "../../log.js";
import { describeJob, formatDuration } from "../job-messages.js";
import { decisionRight, slackTime } from "./approvals.js";
import { renderBlocks } from "./blocks.js";
import type { ProvisionModal } from "./modal.js";

export const REQUEST_VM_ACTION = "home-request-vm";
/** Slack: a Home tab holds at most 100 blocks. */
const HOME_BLOCKS = 100;

export interface AppHomeOptions {
  client: WebClient;
  deps: CommandDeps;
  modal: ProvisionModal;
  logger?: Logger;
  now?: () => Date;
}

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? v : {});

export interface HomeGuest {
  vmid: number;
  name: string;
  node: string;
  ip?: string;
  cluster: string;
  profile: string;
  jobId: string;
}

const ACTIVE = new Set<Job["state"]>(["queued", "running", "awaiting-approval"]);

export class AppHome {
  readonly #client: WebClient;
  readonly #deps: CommandDeps;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(opts: AppHomeOptions) {
    this.#client = opts.client;
    this.#deps = opts.deps;
    this.#log = (opts.logger ?? silentLogger).child({ component: "slack-home" });
    this.#now = opts.now ?? (() => new Date());
    opts.modal.onHomeSubmit = (user) => void this.publish(user);
    this.#modal = opts.modal;
  }

  readonly #modal: ProvisionModal;

  register(app: App): void {
    app.event("app_home_opened", async ({ event }) => {
      if (event.tab !== "home") return;
      await this.publish(event.user);
    });
    app.action(REQUEST_VM_ACTION, async ({ ack, body }) => {
      await ack();
      const b = body as { trigger_id: string; user: { id: string } };
      try {
        await this.#modal.open(b.trigger_id, b.user.id, { origin: "home" });
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, "opening the request modal from App Home failed");
      }
    });
  }

  /** The user's guests: created by their succeeded provision jobs, not destroyed by a later teardown. */
  async guestsOf(user: string): Promise<HomeGuest[]> {
    const store = this.#deps.store;
    const created = await store.listJobs({ requester: user, kind: "provision", states: ["succeeded"], limit: 200 });
    const teardowns = await store.listJobs({ kind: "teardown", states: ["succeeded", "failed"], limit: 500 });
    // cluster:vmid → when it was last destroyed (VMIDs are reused, so only a later teardown hides a guest).
    const destroyed = new Map<string, number>();
    for (const t of teardowns) {
      const list = obj(t.result)["destroyed"];
      const at = (t.finishedAt ?? t.updatedAt).getTime();
      if (Array.isArray(list)) for (const g of list) {
        const key = `${t.cluster}:${String(obj(g)["vmid"])}`;
        destroyed.set(key, Math.max(destroyed.get(key) ?? 0, at));
      }
    }
    const guests: HomeGuest[] = [];
    for (const j of created) {
      const r = obj(j.result);
      const vmid = Number(r["vmid"]);
      if (!Number.isInteger(vmid)) continue;
      if ((destroyed.get(`${j.cluster}:${vmid}`) ?? 0) >= (j.finishedAt ?? j.updatedAt).getTime()) continue;
      guests.push({
        vmid,
        name: String(r["name"] ?? "?"),
        node: String(r["node"] ?? "?"),
        ...(typeof r["ip"] === "string" ? { ip: r["ip"] } : {}),
        cluster: j.cluster,
        profile: j.profile ?? "?",
        jobId: j.id,
      });
    }
    return guests;
  }

  /** The Home tab of `user`, as neutral blocks (rendered by blocks.ts). */
  async contentFor(user: string): Promise<MessageBlock[]> {
    const store = this.#deps.store;
    const now = this.#now();
    const ago = (d: Date) => `${formatDuration(Math.max(0, now.getTime() - d.getTime()))} ago`;
    const blocks: MessageBlock[] = [
      { type: "header", text: "pve-chatops" },
      { type: "text", text: `Hello ${mention(user)}. Your guests, your jobs and what waits for your approval.` },
      { type: "buttons", buttons: [{ actionId: REQUEST_VM_ACTION, text: "Request a VM", style: "primary", value: "home" }] },
      { type: "divider" },
    ];

    const guests = await this.guestsOf(user);
    blocks.push({ type: "header", text: `Your guests (${guests.length})` });
    if (guests.length) {
      blocks.push({ type: "table", columns: ["NAME", "VMID", "NODE", "IP", "PROFILE"], rows: guests.slice(0, 50).map((g) => [g.name, String(g.vmid), g.node, g.ip ?? "—", g.profile]) });
    } else {
      blocks.push({ type: "context", text: "No guests yet. *Request a VM* above, or `/pve provision <name>` in a bound channel." });
    }

    const jobs = await store.listJobs({ requester: user, limit: 30 });
    const active = jobs.filter((j) => ACTIVE.has(j.state));
    const recent = jobs.filter((j) => !ACTIVE.has(j.state)).slice(0, 8);
    blocks.push({ type: "header", text: `Your jobs (${active.length} running or waiting)` });
    const rows = [...active, ...recent].map((j) => [j.id, describeJob(j), j.state, ago(j.finishedAt ?? j.createdAt)]);
    if (rows.length) blocks.push({ type: "table", columns: ["JOB", "WHAT", "STATE", "WHEN"], rows });
    else blocks.push({ type: "context", text: "No jobs yet." });

    const pending = await store.listApprovals({ decision: "pending", limit: 100 });
    const mine: string[] = [];
    for (const a of pending) {
      if (a.expiresAt <= now) continue;
      if (!(await decisionRight(a, user, "approved", this.#deps.principals)).allowed) continue;
      const job = a.jobId ? await store.getJob(a.jobId) : undefined;
      const plan = obj(job?.plan ?? null);
      const guests = Array.isArray(plan["guests"]) ? plan["guests"].map((g) => `${String(obj(g)["name"])} (${String(obj(g)["vmid"])})`) : [];
      const shown = guests.length > 6 ? `${guests.slice(0, 6).join(", ")} and ${guests.length - 6} more` : guests.join(", ");
      mine.push(
        `• *${escapeMrkdwn(a.action)}* of ${escapeMrkdwn(shown || String(plan["target"] ?? "?"))} — requested by ${mention(a.requestedBy)}` +
          `${a.channel ? ` in <#${a.channel}>` : ""}, expires ${slackTime(a.expiresAt)}`,
      );
    }
    blocks.push({ type: "header", text: `Waiting for your approval (${mine.length})` });
    blocks.push(mine.length ? { type: "text", text: `${mine.join("\n")}\nApprove or reject on the request in its channel.` } : { type: "context", text: "Nothing waits for you." });
    return blocks;
  }

  async publish(user: string): Promise<void> {
    try {
      const blocks = renderBlocks(await this.contentFor(user)).slice(0, HOME_BLOCKS);
      await this.#client.views.publish({ user_id: user, view: { type: "home", blocks: blocks as never } });
    } catch (err) {
      this.#log.warn({ user, err: (err as Error).message }, "publishing App Home failed");
    }
  }
}
