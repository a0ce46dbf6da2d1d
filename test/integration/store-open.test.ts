/** Opening the store: URL handling on a real filesystem, and errors that never leak the database password. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, StoreUnavailable, type Store } from "../../src/adapters/store/index.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("openStore", () => {
  it("creates the directory of a relative SQLite path and uses WAL", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pve-chatops-open-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cwd = process.cwd();
    process.chdir(dir);
    let store: Store;
    try {
      store = await openStore("sqlite:./data/deep/bot.db");
    } finally {
      process.chdir(cwd);
    }
    cleanups.push(() => store.close());
    await store.bindChannel("C1", "dev", "U1");
    expect(existsSync(path.join(dir, "data/deep/bot.db"))).toBe(true);
    // WAL mode leaves a -wal file next to the database while it is open.
    expect(existsSync(path.join(dir, "data/deep/bot.db-wal"))).toBe(true);
  });

  it("opens an in-memory SQLite store", async () => {
    const store = await openStore("sqlite::memory:");
    cleanups.push(() => store.close());
    const { job } = await store.submitJob({ kind: "power", request: { action: "start" }, requester: "U1", cluster: "c" });
    expect((await store.getJob(job.id))?.request).toEqual({ action: "start" });
  });

  it("reports an unreachable PostgreSQL server without the password", async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const err = await openStore("postgres://bot:hunter2@127.0.0.1:1/chatops").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailable);
    expect((err as StoreUnavailable).code).toBe("STORE_UNAVAILABLE");
    expect((err as Error).message).toContain("127.0.0.1:1");
    expect((err as Error).message).not.toContain("hunter2");
  });
});
