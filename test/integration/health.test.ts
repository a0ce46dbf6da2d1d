/**
 * GET /healthz: ready (200) only when the store answers and at least one cluster answers GET /version; otherwise
 * 503 with a report that names what failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/adapters/store/index.js";
import { checkHealth, startOpsServer } from "../../src/ops/index.js";
import { startOpsEnv, wrongTokenClient, type OpsEnv } from "./health-env.js";

describe("GET /healthz", () => {
  let env: OpsEnv;
  beforeAll(async () => {
    env = await startOpsEnv();
  });
  afterAll(async () => env?.close());

  it("is 200 with each part's result when the store and the cluster answer", async () => {
    const res = await fetch(`${env.ops.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { ok: boolean; store: { ok: boolean }; clusters: Record<string, { ok: boolean }>; failed: string[] };
    expect(body).toMatchObject({ ok: true, store: { ok: true }, clusters: { sim: { ok: true } }, failed: [] });
  });

  it("is 503 naming the clusters when no cluster answers (a wrong token: 401)", async () => {
    const client = wrongTokenClient(env.sim);
    const ops = await startOpsServer({ port: 0, host: "127.0.0.1", health: () => checkHealth({ store: env.runtime.store, clients: new Map([["sim", client]]) }) });
    try {
      const res = await fetch(`${ops.url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; store: { ok: boolean }; clusters: Record<string, { ok: boolean; error?: string }>; failed: string[] };
      expect(body.ok).toBe(false);
      expect(body.store.ok).toBe(true);
      expect(body.failed).toEqual(["clusters: all of sim failed"]);
      expect(body.clusters["sim"]!.ok).toBe(false);
      expect(body.clusters["sim"]!.error).toMatch(/401|authentication|token/i);
      expect(JSON.stringify(body)).not.toContain("00000000-0000-4000-8000-000000000000");
    } finally {
      await ops.close();
      await client.close();
    }
  });

  it("is 503 naming the store when the store does not answer", async () => {
    const store = await openStore("sqlite::memory:");
    await store.close();
    const ops = await startOpsServer({ port: 0, host: "127.0.0.1", health: () => checkHealth({ store, clients: env.runtime.clients }) });
    try {
      const res = await fetch(`${ops.url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { failed: string[]; store: { ok: boolean; error?: string }; clusters: Record<string, { ok: boolean }> };
      expect(body.failed).toEqual(["store"]);
      expect(body.store.ok).toBe(false);
      expect(body.store.error).toBeTruthy();
      expect(body.clusters["sim"]!.ok).toBe(true);
    } finally {
      await ops.close();
    }
  });

  it("stays ready while one of two clusters answers, and reports the other", async () => {
    const bad = wrongTokenClient(env.sim);
    try {
      const report = await checkHealth({ store: env.runtime.store, clients: new Map([["good", env.runtime.clientFor("sim")], ["bad", bad]]) });
      expect(report.ok).toBe(true);
      expect(report.clusters["good"]!.ok).toBe(true);
      expect(report.clusters["bad"]!.ok).toBe(false);
      expect((await checkHealth({ store: env.runtime.store, clients: new Map() })).failed).toEqual(["clusters: none configured"]);
    } finally {
      await bad.close();
    }
  });

  it("answers 404 elsewhere and 405 to other methods", async () => {
    expect((await fetch(`${env.ops.url}/nope`)).status).toBe(404);
    const post = await fetch(`${env.ops.url}/healthz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
