/**
 * Prometheus metrics (prom-client), scraped at GET /metrics:
 *   pve_chatops_jobs{state}                                   jobs in the store by state (read at scrape time)
 *   pve_chatops_job_duration_seconds{kind,outcome}            submission → end of every job this process saw end
 *   pve_chatops_pve_request_duration_seconds{cluster,method,path}   Proxmox API latency per attempt
 *   pve_chatops_pve_request_errors_total{cluster,method,path,status} attempts without an answer (status 0) or ≥ 400
 *   pve_chatops_slack_api_calls_total{method,status}          Slack Web API HTTP attempts
 *   pve_chatops_slack_api_rate_limited_total{method}          of those, 429s (each is waited out and retried)
 *   pve_chatops_approvals_pending                             approvals waiting for a decision
 * plus Node's process metrics (prom-client's defaults). Label values are templates (`/nodes/{node}/qemu/{vmid}`)
 * and API method names only, never user input, so the series stay few.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FetchFunction } from "@slack/web-api";
import type { PveClientMetrics } from "../adapters/pve/client.js";
import { JOB_STATES, type Store } from "../adapters/store/types.js";
import type { JobRunner } from "../jobs/runner.js";

/** Whole-second buckets for jobs: a start takes seconds, a provision minutes, a full clone or evacuation longer. */
const JOB_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600];
/** Proxmox API calls: most answer in milliseconds; clone/destroy dispatch and slow storage take longer. */
const PVE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Counting all jobs of a state at each scrape is bounded by this. */
const MAX_COUNTED_JOBS = 100_000;

export class OpsMetrics {
  readonly registry = new Registry();
  readonly #jobDuration: Histogram<"kind" | "outcome">;
  readonly #pveLatency: Histogram<"cluster" | "method" | "path">;
  readonly #pveErrors: Counter<"cluster" | "method" | "path" | "status">;
  readonly #slackCalls: Counter<"method" | "status">;
  readonly #slackRateLimited: Counter<"method">;
  #store: Store | undefined;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "pve_chatops_" });
    const self = this;
    new Gauge({
      name: "pve_chatops_jobs",
      help: "Jobs in the store by state.",
      labelNames: ["state"] as const,
      registers,
      async collect() {
        const store = self.#store;
        if (!store) return;
        this.reset();
        for (const state of JOB_STATES) {
          const jobs = await store.listJobs({ states: [state], limit: MAX_COUNTED_JOBS });
          this.set({ state }, jobs.length);
        }
      },
    });
    new Gauge({
      name: "pve_chatops_approvals_pending",
      help: "Approval requests waiting for a decision.",
      registers,
      async collect() {
        const store = self.#store;
        if (!store) return;
        this.set((await store.listApprovals({ decision: "pending", limit: MAX_COUNTED_JOBS })).length);
      },
    });
    this.#jobDuration = new Histogram({
      name: "pve_chatops_job_duration_seconds",
      help: "Time from a job's submission to its end, by kind and outcome.",
      labelNames: ["kind", "outcome"] as const,
      buckets: JOB_BUCKETS,
      registers,
    });
    this.#pveLatency = new Histogram({
      name: "pve_chatops_pve_request_duration_seconds",
      help: "Proxmox VE API request latency per HTTP attempt.",
      labelNames: ["cluster", "method", "path"] as const,
      buckets: PVE_BUCKETS,
      registers,
    });
    this.#pveErrors = new Counter({
      name: "pve_chatops_pve_request_errors_total",
      help: "Proxmox VE API attempts that failed: no answer (status 0) or an HTTP status of 400 and above.",
      labelNames: ["cluster", "method", "path", "status"] as const,
      registers,
    });
    this.#slackCalls = new Counter({
      name: "pve_chatops_slack_api_calls_total",
      help: "Slack Web API HTTP attempts by method and HTTP status.",
      labelNames: ["method", "status"] as const,
      registers,
    });
    this.#slackRateLimited = new Counter({
      name: "pve_chatops_slack_api_rate_limited_total",
      help: "Slack Web API attempts answered with 429 (waited out for Retry-After, then retried).",
      labelNames: ["method"] as const,
      registers,
    });
  }

  /** Jobs-by-state and pending approvals are read from this store at each scrape. */
  attachStore(store: Store): this {
    this.#store = store;
    return this;
  }

  /** Observes every job that ends while this runner runs. Returns the unsubscribe function. */
  observeRunner(runner: Pick<JobRunner, "onEvent">): () => void {
    return runner.onEvent((job, event) => {
      if (event.type !== "succeeded" && event.type !== "failed" && event.type !== "cancelled") return;
      const end = job.finishedAt ?? event.at;
      this.#jobDuration.observe({ kind: job.kind, outcome: event.type }, Math.max(0, (end.getTime() - job.createdAt.getTime()) / 1000));
    });
  }

  /** The Proxmox client's metrics hook for one cluster (createPveClient's `metrics`). */
  pveClientMetrics(cluster: string): PveClientMetrics {
    return {
      onRequest: (method, path, status, ms) => {
        this.#pveLatency.observe({ cluster, method, path }, ms / 1000);
        if (status === 0 || status >= 400) this.#pveErrors.inc({ cluster, method, path, status: String(status) });
      },
    };
  }

  /**
   * A `fetch` for WebClient's `fetch` option that counts every Web API attempt by method and status, 429s apart.
   * Counting at the fetch level (rather than with `client.on(WebClientEvent.RATE_LIMITED)`) also sees the
   * clients Bolt builds per workspace from the same clientOptions, and every retry.
   */
  slackFetch(base: FetchFunction = globalThis.fetch as unknown as FetchFunction): FetchFunction {
    return async (url, init) => {
      const method = new URL(String(url)).pathname.split("/").filter(Boolean).pop() ?? "unknown";
      try {
        const res = await base(url, init);
        this.#slackCalls.inc({ method, status: String(res.status) });
        if (res.status === 429) this.#slackRateLimited.inc({ method });
        return res;
      } catch (err) {
        this.#slackCalls.inc({ method, status: "0" });
        throw err;
      }
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
