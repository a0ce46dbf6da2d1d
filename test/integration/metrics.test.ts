/**
 * GET /metrics after real work: a provision through the Slack app (stand-in) on the simulator, a forced Slack 429,
 * a failing Proxmox call and a teardown waiting for approval.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpsEnv, type OpsEnv } from "./health-env.js";

/** The value of one series in Prometheus text, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  let env: OpsEnv;
  let before: string;
  let text: string;
  beforeAll(async () => {
    env = await startOpsEnv();
    before = await (await fetch(`${env.ops.url}/metrics`)).text();
    // The next two chat.postMessage calls get 429 (Retry-After: 0): waited out and retried, never dropped.
    env.stack.standIn.forceRateLimit("chat.postMessage", 2, 0);
    const job = await env.command("provision metrics1");
    expect(job?.state).toBe("succeeded");
    await env.runtime.clientFor("sim").get("/nodes/nosuchnode/qemu").catch(() => undefined);
    await env.command("teardown metrics1");
    const res = await fetch(`${env.ops.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    text = await res.text();
  }, 90_000);
  afterAll(async () => env?.close());

  it("counts jobs by state and times them", () => {
    expect(sample(before, 'pve_chatops_jobs{state="succeeded"}')).toBe(0);
    expect(sample(text, 'pve_chatops_jobs{state="succeeded"}')).toBe(1);
    expect(sample(text, 'pve_chatops_job_duration_seconds_count{kind="provision",outcome="succeeded"}')).toBe(1);
    expect(sample(text, 'pve_chatops_job_duration_seconds_sum{kind="provision",outcome="succeeded"}')).toBeGreaterThan(0);
  });

  it("shows the teardown's approval as pending", () => {
    expect(sample(before, "pve_chatops_approvals_pending")).toBe(0);
    expect(sample(text, "pve_chatops_approvals_pending")).toBe(1);
    expect(sample(text, 'pve_chatops_jobs{state="awaiting-approval"}')).toBe(1);
  });

  it("times Proxmox API calls by cluster, method and path template, and counts errors", () => {
    expect(sample(text, 'pve_chatops_pve_request_duration_seconds_count{cluster="sim",method="POST",path="/nodes/{node}/lxc"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/pve_chatops_pve_request_duration_seconds_bucket\{le="0\.005",cluster="sim",method="GET",path="\/version"\}|pve_chatops_pve_request_duration_seconds_count\{cluster="sim",method="GET",path="\/cluster\/resources"\} [1-9]/);
    const errors = text.split("\n").filter((l) => l.startsWith('pve_chatops_pve_request_errors_total{cluster="sim",method="GET",path="/nodes/{node}/qemu"'));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.every((l) => /status="[45]\d\d"\} [1-9]/.test(l))).toBe(true);
  });

  it("counts Slack Web API calls by method and the 429s apart", () => {
    expect(sample(text, 'pve_chatops_slack_api_calls_total{method="chat.postMessage",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'pve_chatops_slack_api_calls_total{method="chat.postMessage",status="429"}')).toBe(2);
    expect(sample(text, 'pve_chatops_slack_api_rate_limited_total{method="chat.postMessage"}')).toBe(2);
    expect(sample(text, 'pve_chatops_slack_api_calls_total{method="chat.update",status="200"}')).toBeGreaterThanOrEqual(1);
  });
});
