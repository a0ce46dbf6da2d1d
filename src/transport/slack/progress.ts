/**
 * Threaded progress in Slack: one parent message per job (what, who, a status line edited in place with
 * chat.update) and a thread with one reply per meaningful event (job-messages.ts decides what is meaningful).
 *
 * Correctness comes from the store, not from memory: a job's events are read back from the store in `seq` order
 * after the last one shown (`Job.reportedSeq`), and the cursor advances only after Slack accepted the reply. So a
 * thread has no gaps and no duplicates, and a restarted bot continues each thread where it stopped
 * (`resumePending`). Each job has one pump at a time, so its replies are posted strictly in order.
 *
 * Rate limits, by design rather than by accident (docs.slack.dev/apis/web-api/rate-limits):
 * - chat.postMessage allows about 1 message per second per channel (short bursts tolerated): every channel has a
 *   `bottleneck` limiter with one call in flight and 1000 ms between calls. When a channel has a backlog, a
 *   job's consecutive replies are merged into one message (within 50 blocks) instead of queueing many.
 * - chat.update is Tier 3 (50+ per minute per workspace): one limiter for all updates, 1200 ms apart. Status
 *   updates are coalesced per job: only the latest status is sent; intermediate ones are skipped.
 * - A 429 is waited out: WebClient sleeps for `Retry-After` and retries (rejectRateLimitedCalls stays false);
 *   should even that give up, the pump retries later from the stored cursor, so nothing is dropped.
 * `rateScale` shrinks these intervals in tests, as the Slack stand-in's `rateLimitScale` shrinks Slack's windows.
 */
import Bottleneck from "bottleneck";
import type { WebClient } from "@slack/web-api";
import type { Job, JobEvent, Store } from "../../adapters/store/types.js";
import { FINAL_JOB_STATES } from "../../adapters/store/types.js";
import type { JobRunner } from "../../jobs/runner.js";
import { silentLogger, type Logger } from "../../log.js";
import type { Reply } from "../../commands/message.js";
import { applyEvent, describeJob, initialStatus, parentMessage, statusLine, threadReply, type JobStatusView } from "../job-messages.js";
import { renderBlocks, renderMessage, SLACK_LIMITS } from "./blocks.js";

/** Slack: "about one message per second per channel" for chat.postMessage. */
const POST_INTERVAL_MS = 1000;
/** Tier 3 = 50+ calls per minute: 60 000 / 50 = 1200 ms between chat.update calls keeps us under it. */
const UPDATE_INTERVAL_MS = 1200;
/** After a failed post the pump tries again from the stored cursor. */
const RETRY_DELAY_MS = 2000;

export interface ProgressReporterOptions {
  client: WebClient;
  store: Store;
  logger?: Logger;
  /** Real time per Slack time for the pacing above (0.01 in tests, like the stand-in). Default 1. */
  rateScale?: number;
  /** Merge a job's pending replies into one message while its channel has a backlog. Default true. */
  coalesceReplies?: boolean;
}

interface Track {
  jobId: string;
  pumping: boolean;
  dirty: boolean;
  view: JobStatusView | undefined;
  cursor: number;
  lastStatus: string | undefined;
  pendingStatus: { channel: string; ts: string; key: string; text: string; blocks: ReturnType<typeof renderBlocks> } | undefined;
  updating: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  /** Slack refused the thread for good (e.g. the bot is not in the channel): stop trying. */
  broken: boolean;
}

interface Item {
  seq: number;
  event: JobEvent;
  reply: Reply | undefined;
}

export class ProgressReporter {
  readonly #client: WebClient;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #scale: number;
  readonly #coalesce: boolean;
  readonly #channels = new Map<string, Bottleneck>();
  readonly #updates: Bottleneck;
  readonly #tracks = new Map<string, Track>();
  readonly #idleWaiters = new Set<() => void>();
  #closed = false;

  constructor(opts: ProgressReporterOptions) {
    this.#client = opts.client;
    this.#store = opts.store;
    this.#log = (opts.logger ?? silentLogger).child({ component: "slack-progress" });
    this.#scale = opts.rateScale ?? 1;
    this.#coalesce = opts.coalesceReplies ?? true;
    this.#updates = new Bottleneck({ maxConcurrent: 1, minTime: Math.round(UPDATE_INTERVAL_MS * this.#scale) });
  }

  /** Follows every job event the runner records (jobs with a channel only). Returns the unsubscribe function. */
  attach(runner: JobRunner): () => void {
    return runner.onEvent((job) => {
      if (job.channel) this.notify(job.id);
    });
  }

  /** Something happened to a job: show it (soon, in order). */
  notify(jobId: string): void {
    if (this.#closed) return;
    let t = this.#tracks.get(jobId);
    if (!t) {
      t = { jobId, pumping: false, dirty: false, view: undefined, cursor: 0, lastStatus: undefined, pendingStatus: undefined, updating: false, retryTimer: undefined, broken: false };
      this.#tracks.set(jobId, t);
    }
    if (t.broken) return;
    t.dirty = true;
    if (!t.pumping) void this.#pump(t);
  }

  /**
   * After a restart: continue the threads of jobs whose events were not all shown — finished jobs and jobs whose
   * runner died (a live runner reports its own jobs through `attach`). Returns how many were resumed.
   */
  async resumePending(now = new Date()): Promise<number> {
    const jobs = await this.#store.listJobs({ limit: 500 });
    let n = 0;
    for (const job of jobs) {
      if (!job.channel) continue;
      const leaseLive = job.state === "running" && job.leaseExpiresAt !== null && job.leaseExpiresAt > now;
      if (leaseLive) continue;
      const unseen = await this.#store.listEvents(job.id, job.reportedSeq, 1);
      if (unseen.length === 0 && job.threadTs) continue;
      this.notify(job.id);
      n++;
    }
    return n;
  }

  /** Resolves when every known job's thread and status are up to date (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.add(resolve));
  }

  /** Stops taking work; waits up to `timeoutMs` for what is in flight. */
  async close(timeoutMs = 10_000): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.#closed = true;
    for (const t of this.#tracks.values()) if (t.retryTimer) clearTimeout(t.retryTimer);
    for (const l of this.#channels.values()) await l.stop({ dropWaitingJobs: false }).catch(() => undefined);
    await this.#updates.stop({ dropWaitingJobs: false }).catch(() => undefined);
  }

  #isIdle(): boolean {
    for (const t of this.#tracks.values()) {
      if (t.broken) continue;
      if (t.pumping || t.dirty || t.updating || t.pendingStatus || t.retryTimer) return false;
    }
    return true;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    for (const w of this.#idleWaiters) w();
    this.#idleWaiters.clear();
  }

  #channel(channel: string): Bottleneck {
    let l = this.#channels.get(channel);
    if (!l) {
      l = new Bottleneck({ maxConcurrent: 1, minTime: Math.round(POST_INTERVAL_MS * this.#scale) });
      this.#channels.set(channel, l);
    }
    return l;
  }

  async #post(channel: string, message: { text: string; blocks: ReturnType<typeof renderBlocks> }, threadTs?: string): Promise<string> {
    const res = await this.#channel(channel).schedule(() =>
      this.#client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      }),
    );
    if (!res.ts) throw new Error("chat.postMessage returned no ts");
    return res.ts;
  }

  async #pump(t: Track): Promise<void> {
    t.pumping = true;
    try {
      while (t.dirty && !this.#closed) {
        t.dirty = false;
        await this.#catchUp(t);
      }
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      // Errors Slack will answer the same way forever: stop this thread instead of retrying without end.
      if (code && ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive", "msg_too_long", "invalid_blocks"].includes(code)) {
        this.#log.error({ jobId: t.jobId, code }, "Slack refused the job's thread; not retrying");
        t.broken = true;
      } else {
        this.#log.warn({ jobId: t.jobId, err: (err as Error).message }, "posting progress failed; retrying from the stored cursor");
        t.view = undefined; // rebuild from the store: the cursor there is the truth
        t.retryTimer = setTimeout(() => {
          t.retryTimer = undefined;
          this.notify(t.jobId);
        }, Math.max(10, RETRY_DELAY_MS * this.#scale));
      }
    } finally {
      t.pumping = false;
      this.#checkIdle();
    }
  }

  async #catchUp(t: Track): Promise<void> {
    let job = await this.#store.getJob(t.jobId);
    if (!job || !job.channel) return;
    const channel = job.channel;
    if (!t.view) {
      let view = initialStatus(job);
      if (job.reportedSeq > 0) for (const ev of await this.#store.listEvents(job.id, 0, job.reportedSeq)) view = applyEvent(view, ev);
      t.view = view;
      t.cursor = job.reportedSeq;
    }
    if (!job.threadTs) {
      const parent = renderMessage(parentMessage(job, t.view));
      const ts = await this.#post(channel, parent);
      if (!(await this.#store.attachJobThread(job.id, { threadTs: ts, parentTs: ts }))) {
        this.#log.warn({ jobId: job.id }, "another process attached this job's thread first");
      }
      job = (await this.#store.getJob(job.id))!;
      t.lastStatus = statusLine(t.view);
    }
    const threadTs = job.threadTs!;
    const parentTs = job.parentTs ?? threadTs;
    const events = await this.#store.listEvents(job.id, t.cursor);
    if (events.length === 0) return;

    // Render every new event against the status before it.
    const items: Item[] = [];
    let view = t.view;
    for (const ev of events) {
      items.push({ seq: ev.seq, event: ev, reply: threadReply(job, ev, view) });
      view = applyEvent(view, ev);
    }

    // Group consecutive items: one reply each, or (with a backlog in the channel) as many as fit one message.
    let group: Item[] = [];
    let groupBlocks = 0;
    const flush = async () => {
      if (group.length === 0) return;
      const replies = group.map((i) => i.reply).filter((r): r is Reply => r !== undefined);
      if (replies.length) {
        const merged: Reply = { visibility: "in_channel", text: replies.map((r) => r.text).join("\n"), blocks: replies.flatMap((r) => r.blocks) };
        await this.#post(channel, renderMessage(merged), threadTs);
      }
      const last = group[group.length - 1]!;
      await this.#store.advanceReportedSeq(job!.id, last.seq);
      for (const i of group) {
        t.view = applyEvent(t.view!, i.event);
        if (FINAL_JOB_STATES.includes(i.event.type as Job["state"])) await this.#auditOutcome(job!, i.event);
      }
      t.cursor = last.seq;
      group = [];
      groupBlocks = 0;
    };
    for (const item of items) {
      const size = item.reply ? renderBlocks(item.reply.blocks).length : 0;
      const backlog = this.#coalesce && this.#channel(channel).counts().QUEUED > 0;
      const hasReply = group.some((i) => i.reply);
      if (item.reply && hasReply && (!backlog || groupBlocks + size > SLACK_LIMITS.messageBlocks)) await flush();
      group.push(item);
      groupBlocks += size;
    }
    await flush();
    this.#queueStatus(t, channel, parentTs, job);
  }

  async #auditOutcome(job: Job, event: JobEvent): Promise<void> {
    try {
      await this.#store.appendAudit({
        actor: job.requester,
        action: job.kind,
        target: describeJob(job),
        cluster: job.cluster,
        result: event.type,
        jobId: job.id,
        details: { channel: job.channel, ...(job.profile ? { profile: job.profile } : {}) },
      });
    } catch (err) {
      this.#log.warn({ err, jobId: job.id }, "audit append failed");
    }
  }

  /** Coalesced: only the newest status of a job is sent; a status equal to the last one sent is skipped. */
  #queueStatus(t: Track, channel: string, ts: string, job: Job): void {
    const key = statusLine(t.view!);
    if (key === t.lastStatus && !t.pendingStatus) return;
    const msg = renderMessage(parentMessage(job, t.view!));
    t.pendingStatus = { channel, ts, key, text: msg.text, blocks: msg.blocks };
    if (!t.updating) void this.#runUpdates(t);
  }

  async #runUpdates(t: Track): Promise<void> {
    t.updating = true;
    try {
      while (t.pendingStatus && !this.#closed) {
        const next = t.pendingStatus;
        t.pendingStatus = undefined;
        if (next.key === t.lastStatus) continue;
        try {
          await this.#updates.schedule(() => this.#client.chat.update({ channel: next.channel, ts: next.ts, text: next.text, blocks: next.blocks }));
          t.lastStatus = next.key;
        } catch (err) {
          this.#log.warn({ jobId: t.jobId, err: (err as Error).message }, "status update failed");
        }
      }
    } finally {
      t.updating = false;
      this.#checkIdle();
    }
  }
}
