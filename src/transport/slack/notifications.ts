/**
 * Channel notifications, quiet by design.
 *
 * Jobs: a job with a channel already has its thread (progress.ts). A job without one — submitted from App Home's
 * request modal, or by the CLI in another process — gets ONE message in each channel bound to its profile when it
 * succeeds or fails. The store remembers that it was told (`advanceReportedSeq`, the cursor the thread reporter uses
 * for jobs with a channel), so a restart or a second replica's scan does not repeat it. The store is scanned on a
 * timer (jobs finished by other processes) and at once on this runner's events.
 *
 * Cluster events (src/engine/watcher.ts) become incidents: one message per incident in each channel bound to a
 * profile of that cluster, later news about it as replies in its thread, and a "resolved" reply when it clears
 * (node back online; a later run of the same task succeeding; the HA state back where it was). An incident that
 * comes back within the cooldown after it was resolved reopens in its old thread instead of posting a new message
 * (flapping stays in one thread). Nothing happens, nothing is posted.
 *
 * Incident state is durable in the audit log (actor `system`, actions `incident-open`, `incident-reopen`,
 * `incident-resolved`, with the thread of each channel in `details`): on start the notifier folds the last week of
 * those entries, so after a restart a node coming back is answered in the thread opened before the restart. The
 * audit log is append-only and already shared by replicas, so no schema change was needed.
 */
import type { WebClient } from "@slack/web-api";
import type { Job, JsonValue, Store } from "../../adapters/store/types.js";
import { FINAL_JOB_STATES } from "../../adapters/store/types.js";
import type { Profile } from "../../config/schema.js";
import type { CommandDeps } from "../../commands/types.js";
import { escapeMrkdwn, mention, type MessageBlock, type Reply } from "../../commands/message.js";
import type { ClusterEvent, ClusterWatcher } from "../../engine/watcher.js";
import type { JobRunner } from "../../jobs/runner.js";
import { silentLogger, type Logger } from "../../log.js";
import { describeJob, formatDuration } from "../job-messages.js";
import { renderMessage } from "./blocks.js";
import { slackTime } from "./approvals.js";

/** An incident that clears and comes back within this time reopens in its thread (no new message). */
export const INCIDENT_COOLDOWN_MS = 15 * 60_000;
/** Store scan for finished jobs without a channel (e.g. from the CLI in another process). */
export const JOB_SCAN_MS = 10_000;
/** Older finished jobs are not announced (a first start on an old database stays quiet). */
export const JOB_MAX_AGE_MS = 60 * 60_000;
/** How far back the incident state is read on start. */
const INCIDENT_HISTORY_MS = 7 * 24 * 3_600_000;

export interface SlackNotifierOptions {
  client: WebClient;
  deps: Pick<CommandDeps, "store" | "runner" | "slack" | "profiles">;
  watchers?: readonly ClusterWatcher[];
  cooldownMs?: number;
  jobScanMs?: number;
  jobMaxAgeMs?: number;
  logger?: Logger;
  now?: () => Date;
}

type IncidentKind = "node" | "task" | "ha";

interface Incident {
  /** `<cluster>/<kind>:<subject>`, e.g. `sim/node:pve2`. */
  key: string;
  kind: IncidentKind;
  cluster: string;
  title: string;
  /** channel → ts of the incident's message. */
  threads: Record<string, string>;
  open: boolean;
  openedAt: number;
  resolvedAt: number | undefined;
  /** HA: the state before the incident; it is resolved when the guest is back in it. */
  baseline: string | undefined;
  reopenCount: number;
}

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? v : {});

export class SlackNotifier {
  readonly #client: WebClient;
  readonly #store: Store;
  readonly #runner: JobRunner;
  readonly #deps: SlackNotifierOptions["deps"];
  readonly #watchers: readonly ClusterWatcher[];
  readonly #cooldownMs: number;
  readonly #jobScanMs: number;
  readonly #jobMaxAgeMs: number;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #incidents = new Map<string, Incident>();
  #queue: Promise<unknown> = Promise.resolve();
  #detach: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #loaded = false;

  constructor(opts: SlackNotifierOptions) {
    this.#client = opts.client;
    this.#deps = opts.deps;
    this.#store = opts.deps.store;
    this.#runner = opts.deps.runner;
    this.#watchers = opts.watchers ?? [];
    this.#cooldownMs = opts.cooldownMs ?? INCIDENT_COOLDOWN_MS;
    this.#jobScanMs = opts.jobScanMs ?? JOB_SCAN_MS;
    this.#jobMaxAgeMs = opts.jobMaxAgeMs ?? JOB_MAX_AGE_MS;
    this.#log = (opts.logger ?? silentLogger).child({ component: "slack-notify" });
    this.#now = opts.now ?? (() => new Date());
  }

  /** Runs `work` after everything queued before it: one notification at a time keeps incident state simple. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work);
    this.#queue = next.catch((err: unknown) => this.#log.error({ err }, "notification failed"));
    return next;
  }

  /** Resolves when every queued notification is done (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.#queue;
      await q;
      if (q === this.#queue) return;
    }
  }

  async start(): Promise<void> {
    await this.#enqueue(() => this.#loadIncidents());
    this.#detach.push(
      this.#runner.onEvent((job, event) => {
        if (!job.channel && FINAL_JOB_STATES.includes(event.type as Job["state"])) void this.#enqueue(() => this.#announceJob(job.id));
      }),
    );
    for (const w of this.#watchers) {
      this.#detach.push(w.onEvent((e) => this.handle(e)));
      w.start();
    }
    void this.scanJobs().catch(() => undefined);
    this.#timer = setInterval(() => void this.scanJobs().catch(() => undefined), this.#jobScanMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const d of this.#detach) d();
    this.#detach = [];
    await Promise.all(this.#watchers.map((w) => w.stop()));
    await this.idle();
  }

  // -------------------------------------------------------------------------------------------- channels

  /** Bound channels whose profile matches (a binding made with /pve bind wins over one from the config). */
  async #channels(match: (p: Profile) => boolean): Promise<string[]> {
    const byChannel = new Map<string, string>(Object.entries(this.#deps.slack.bindings));
    for (const b of await this.#store.listBindings()) byChannel.set(b.channel, b.profile);
    return [...byChannel.entries()]
      .filter(([, name]) => {
        const p = this.#deps.profiles.get(name);
        return p !== undefined && match(p);
      })
      .map(([channel]) => channel)
      .sort();
  }

  async #post(channel: string, reply: Reply, threadTs?: string): Promise<string | undefined> {
    const msg = renderMessage(reply);
    try {
      const res = await this.#client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return res.ts;
    } catch (err) {
      this.#log.warn({ channel, err: (err as Error).message }, "posting a notification failed");
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------- jobs

  /** Announces finished jobs without a channel that were not announced yet. Returns how many were announced. */
  scanJobs(): Promise<number> {
    return this.#enqueue(async () => {
      const jobs = await this.#store.listJobs({ states: ["succeeded", "failed"], limit: 100 });
      let n = 0;
      for (const j of jobs) if (!j.channel && j.reportedSeq === 0 && (await this.#announceJob(j.id))) n++;
      return n;
    });
  }

  async #announceJob(jobId: string): Promise<boolean> {
    const job = await this.#store.getJob(jobId);
    if (!job || job.channel || job.reportedSeq > 0 || !FINAL_JOB_STATES.includes(job.state)) return false;
    const [last] = (await this.#store.listEvents(job.id)).slice(-1);
    const markTold = () => (last ? this.#store.advanceReportedSeq(job.id, last.seq) : Promise.resolve());
    const finished = (job.finishedAt ?? job.updatedAt).getTime();
    if (job.state === "cancelled" || !job.profile || this.#now().getTime() - finished > this.#jobMaxAgeMs) {
      await markTold();
      return false;
    }
    const channels = await this.#channels((p) => p.name === job.profile);
    const reply = jobNotification(job);
    for (const channel of channels) await this.#post(channel, reply);
    await markTold();
    return channels.length > 0;
  }

  // -------------------------------------------------------------------------------------------- incidents

  async #loadIncidents(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    const since = new Date(this.#now().getTime() - INCIDENT_HISTORY_MS);
    const entries = await this.#store.listAudit({ actor: "system", since, order: "oldest-first", limit: 5000 });
    for (const e of entries) {
      if (!e.action.startsWith("incident-") || !e.target) continue;
      const d = obj(e.details);
      const at = e.at.getTime();
      if (e.action === "incident-open") {
        const threads: Record<string, string> = {};
        for (const [c, ts] of Object.entries(obj(d["threads"]))) if (typeof ts === "string") threads[c] = ts;
        this.#incidents.set(e.target, {
          key: e.target,
          kind: (typeof d["kind"] === "string" ? d["kind"] : "node") as IncidentKind,
          cluster: e.cluster ?? "",
          title: typeof d["title"] === "string" ? d["title"] : e.target,
          threads,
          open: true,
          openedAt: at,
          resolvedAt: undefined,
          baseline: typeof d["baseline"] === "string" ? d["baseline"] : undefined,
          reopenCount: 0,
        });
      } else {
        const inc = this.#incidents.get(e.target);
        if (!inc) continue;
        if (e.action === "incident-resolved") {
          inc.open = false;
          inc.resolvedAt = at;
        } else if (e.action === "incident-reopen") {
          inc.open = true;
          inc.resolvedAt = undefined;
          inc.reopenCount++;
        }
      }
    }
  }

  /** One cluster event (the watcher's listener). Serialised with everything else. */
  handle(event: ClusterEvent): Promise<void> {
    return this.#enqueue(async () => {
      await this.#loadIncidents();
      await this.#handle(event);
    });
  }

  /** Open incidents (tests and diagnostics). */
  openIncidents(): string[] {
    return [...this.#incidents.values()].filter((i) => i.open).map((i) => i.key);
  }

  async #handle(e: ClusterEvent): Promise<void> {
    switch (e.type) {
      case "node-offline":
        await this.#open(`${e.cluster}/node:${e.node}`, "node", e.cluster, {
          title: `Node ${e.node} is offline`,
          text: `:red_circle: *Node ${escapeMrkdwn(e.node)} is offline* (cluster ${escapeMrkdwn(e.cluster)}). Its guests cannot be reached or changed until it is back.`,
          again: `:red_circle: ${escapeMrkdwn(e.node)} is offline again.`,
        });
        return;
      case "node-online":
        await this.#resolve(`${e.cluster}/node:${e.node}`, (since) => `:large_green_circle: Resolved: node ${escapeMrkdwn(e.node)} is back online${since}.`);
        return;
      case "task-failed": {
        const what = `${e.taskType}${e.id ? ` ${e.id}` : ""}`;
        await this.#open(`${e.cluster}/task:${e.taskType}:${e.id || e.node}`, "task", e.cluster, {
          title: `Proxmox task ${what} failed`,
          text:
            `:warning: *Proxmox task failed:* \`${escapeMrkdwn(what)}\` on ${escapeMrkdwn(e.node)}, started by ${escapeMrkdwn(e.user)} (not by this bot)\n` +
            `> ${escapeMrkdwn(e.status)}\ntask \`${escapeMrkdwn(e.upid)}\``,
          again: `:warning: Failed again: \`${escapeMrkdwn(what)}\` on ${escapeMrkdwn(e.node)}: ${escapeMrkdwn(e.status)} (task \`${escapeMrkdwn(e.upid)}\`)`,
          repeatWhileOpen: true,
        });
        return;
      }
      case "task-ok": {
        const what = `${e.taskType}${e.id ? ` ${e.id}` : ""}`;
        await this.#resolve(`${e.cluster}/task:${e.taskType}:${e.id || e.node}`, (since) => `:white_check_mark: Resolved: \`${escapeMrkdwn(what)}\` succeeded on ${escapeMrkdwn(e.node)}${since} (task \`${escapeMrkdwn(e.upid)}\`).`);
        return;
      }
      case "ha-state": {
        const key = `${e.cluster}/ha:${e.vmid}`;
        const inc = this.#incidents.get(key);
        const guest = `${escapeMrkdwn(e.name)} (${e.vmid})`;
        if (inc?.open && e.to === inc.baseline) {
          await this.#resolve(key, (since) => `:white_check_mark: Resolved: HA state of ${guest} is ${escapeMrkdwn(e.to)} again${since}.`);
          return;
        }
        if (e.initial || e.from === undefined) return;
        if (inc?.open) {
          await this.#reply(inc, `:information_source: HA state of ${guest} is now *${escapeMrkdwn(e.to)}* (was ${escapeMrkdwn(e.from)}).`);
          return;
        }
        await this.#open(key, "ha", e.cluster, {
          title: `HA state of ${e.name} (${e.vmid}) changed`,
          text: `:warning: *HA state of ${guest} changed:* ${escapeMrkdwn(e.from)} → *${escapeMrkdwn(e.to)}* (node ${escapeMrkdwn(e.node)}, cluster ${escapeMrkdwn(e.cluster)}).`,
          again: `:warning: HA state of ${guest} changed again: ${escapeMrkdwn(e.from)} → *${escapeMrkdwn(e.to)}*.`,
          baseline: e.from,
        });
        return;
      }
    }
  }

  async #reply(inc: Incident, text: string): Promise<void> {
    for (const [channel, ts] of Object.entries(inc.threads)) {
      await this.#post(channel, { visibility: "in_channel", text, blocks: [{ type: "text", text }] }, ts);
    }
  }

  async #open(
    key: string,
    kind: IncidentKind,
    cluster: string,
    m: { title: string; text: string; again: string; baseline?: string; repeatWhileOpen?: boolean },
  ): Promise<void> {
    const now = this.#now().getTime();
    const inc = this.#incidents.get(key);
    if (inc?.open) {
      if (m.repeatWhileOpen) await this.#reply(inc, m.again);
      return;
    }
    if (inc && inc.resolvedAt !== undefined && now - inc.resolvedAt < this.#cooldownMs && Object.keys(inc.threads).length) {
      // Flapping: back within the cooldown — same thread, no new message in the channel.
      inc.open = true;
      inc.resolvedAt = undefined;
      inc.reopenCount++;
      if (m.baseline !== undefined) inc.baseline = m.baseline;
      await this.#reply(inc, `${m.again.replace(/\.$/, "")} (${inc.reopenCount + 1}${ordinal(inc.reopenCount + 1)} time since ${slackTime(new Date(inc.openedAt))}).`);
      await this.#store.appendAudit({ actor: "system", action: "incident-reopen", target: key, cluster, result: "open", details: { kind, title: m.title } });
      return;
    }
    const channels = await this.#channels((p) => p.cluster === cluster);
    const blocks: MessageBlock[] = [{ type: "text", text: m.text }, { type: "context", text: `since ${slackTime(new Date(now))} · updates in the thread` }];
    const threads: Record<string, string> = {};
    for (const channel of channels) {
      const ts = await this.#post(channel, { visibility: "in_channel", text: m.title, blocks });
      if (ts) threads[channel] = ts;
    }
    this.#incidents.set(key, { key, kind, cluster, title: m.title, threads, open: true, openedAt: now, resolvedAt: undefined, baseline: m.baseline, reopenCount: 0 });
    await this.#store.appendAudit({
      actor: "system",
      action: "incident-open",
      target: key,
      cluster,
      result: "open",
      details: { kind, title: m.title, threads, ...(m.baseline !== undefined ? { baseline: m.baseline } : {}) },
    });
  }

  async #resolve(key: string, text: (since: string) => string): Promise<void> {
    const inc = this.#incidents.get(key);
    if (!inc?.open) return;
    const now = this.#now().getTime();
    inc.open = false;
    inc.resolvedAt = now;
    const line = text(` after ${formatDuration(now - inc.openedAt)}`);
    await this.#reply(inc, line);
    for (const [channel, ts] of Object.entries(inc.threads)) {
      try {
        const msg = renderMessage({
          text: `Resolved: ${inc.title}`,
          blocks: [
            { type: "text", text: `:white_check_mark: ~${escapeMrkdwn(inc.title)}~ — *resolved* ${slackTime(new Date(now))}` },
            { type: "context", text: `opened ${slackTime(new Date(inc.openedAt))} · details in the thread` },
          ],
        });
        await this.#client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks as never });
      } catch (err) {
        this.#log.warn({ channel, err: (err as Error).message }, "marking an incident resolved failed");
      }
    }
    await this.#store.appendAudit({ actor: "system", action: "incident-resolved", target: key, cluster: inc.cluster, result: "resolved", details: { kind: inc.kind, title: inc.title } });
  }
}

/**
 * UPIDs of Proxmox tasks the bot's recent jobs started (recorded in their steps): the watcher leaves them out even
 * when they ran under another identity.
 */
export async function recordedUpids(store: Store, limit = 500): Promise<ReadonlySet<string>> {
  const out = new Set<string>();
  for (const job of await store.listJobs({ limit })) for (const step of job.steps) for (const u of step.upids) out.add(u);
  return out;
}

function ordinal(n: number): string {
  const s = n % 100;
  if (s >= 11 && s <= 13) return "th";
  return n % 10 === 1 ? "st" : n % 10 === 2 ? "nd" : n % 10 === 3 ? "rd" : "th";
}

/** The one message for a finished job that had no thread. */
export function jobNotification(job: Job): Reply {
  const what = describeJob(job);
  const origin = job.idempotencyKey?.includes(":view:") ? "requested from App Home" : "started outside Slack";
  const r = obj(job.result);
  const lines: string[] = [];
  if (job.state === "succeeded") {
    lines.push(`:white_check_mark: *${escapeMrkdwn(what)}* for ${mention(job.requester)} finished (${origin}).`);
    if (job.kind === "provision" && r["vmid"] !== undefined) {
      lines.push(`*${escapeMrkdwn(String(r["name"] ?? ""))}* (${String(r["vmid"])}) on ${escapeMrkdwn(String(r["node"] ?? "?"))}${typeof r["ip"] === "string" ? ` at \`${escapeMrkdwn(r["ip"])}\`` : ""}`);
      if (typeof r["ssh"] === "string") lines.push(`\`${escapeMrkdwn(r["ssh"])}\``);
    }
  } else {
    const reason = job.error?.userSafe ? job.error.message : job.error ? `internal error (${job.error.code})` : "unknown error";
    lines.push(`:x: *${escapeMrkdwn(what)}* for ${mention(job.requester)} failed (${origin}): ${escapeMrkdwn(reason)}`);
  }
  return {
    visibility: "in_channel",
    text: `${what}: ${job.state}`,
    blocks: [{ type: "text", text: lines.join("\n") }, { type: "context", text: `job \`${job.id}\` · profile ${escapeMrkdwn(job.profile ?? "?")} · cluster ${escapeMrkdwn(job.cluster)}` }],
  };
}
