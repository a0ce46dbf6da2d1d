/**
 * The cluster watcher against scripted Proxmox answers (test/fixtures/watcher/polls.json): the first poll is a
 * baseline, later polls report exactly what changed — nodes going offline and back, finished tasks not started by
 * the bot (its token, or UPIDs its jobs recorded), HA state changes — and nothing when nothing changed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { PveClient } from "../../src/adapters/pve/types.js";
import { ClusterWatcher, taskOwner, taskSucceeded, type ClusterEvent } from "../../src/engine/watcher.js";

interface Poll {
  status: unknown[];
  tasks: unknown[];
  resources: unknown[];
}
const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/watcher/polls.json"), "utf8")) as { botTokenId: string; polls: Poll[] };

/** A PveClient whose GETs answer from the current scripted poll; `fail` makes one path throw. */
function scriptedClient(): { client: PveClient; use(p: Poll): void; fail: Set<string>; calls: string[] } {
  let current: Poll = fixture.polls[0]!;
  const fail = new Set<string>();
  const calls: string[] = [];
  const answers: Record<string, (p: Poll) => unknown> = {
    "/cluster/status": (p) => p.status,
    "/cluster/tasks": (p) => p.tasks,
    "/cluster/resources": (p) => p.resources,
  };
  const client = {
    cluster: "lab",
    async get(p: string, _params?: unknown, opts?: { schema?: z.ZodType }) {
      calls.push(p);
      if (fail.has(p)) throw new Error(`595 no route to ${p}`);
      const answer = answers[p];
      if (!answer) throw new Error(`unexpected GET ${p}`);
      const data = structuredClone(answer(current));
      return opts?.schema ? opts.schema.parse(data) : data;
    },
  } as unknown as PveClient;
  return { client, use: (p) => (current = p), fail, calls };
}

const brief = (e: ClusterEvent): string => {
  switch (e.type) {
    case "node-offline":
    case "node-online":
      return `${e.type} ${e.node}${e.initial ? " (initial)" : ""}`;
    case "task-failed":
    case "task-ok":
      return `${e.type} ${e.taskType} ${e.id} by ${e.user}: ${e.status}`;
    case "ha-state":
      return `ha ${e.vmid} ${e.from ?? "-"}→${e.to}${e.initial ? " (initial)" : ""}`;
  }
};

describe("ClusterWatcher", () => {
  it("reports a baseline first, then only what changed, skipping the bot's own tasks", async () => {
    const s = scriptedClient();
    const known = "UPID:pve2:00001A3D:0000C3FD:66A000D0:vzcreate:512:ops@pve!ci:";
    const watcher = new ClusterWatcher({ client: s.client, cluster: "lab", botTokenId: fixture.botTokenId, knownUpids: () => new Set([known]) });
    const delivered: ClusterEvent[] = [];
    watcher.onEvent((e) => void delivered.push(e));

    const first = await watcher.poll();
    expect(first.map(brief)).toEqual(["node-online pve1 (initial)", "node-online pve2 (initial)", "node-offline pve3 (initial)", "ha 100 -→started (initial)"]);

    s.use(fixture.polls[1]!);
    const second = await watcher.poll();
    expect(second.map(brief)).toEqual([
      "node-offline pve2",
      "node-online pve3",
      // oldest first; the bot's qmclone (its token) and the recorded vzcreate are left out; the running qmstart waits
      "task-ok qmsnapshot 101 by root@pam: WARNINGS: 2",
      "task-failed vzdump 100 by root@pam: ERROR: backup storage full",
      // 101 joined HA: configuration, not an event
      "ha 100 started→error",
    ]);
    expect(second.find((e) => e.type === "task-failed")).toMatchObject({ node: "pve1", upid: "UPID:pve1:00001A3F:0000C3FF:66A000F0:vzdump:100:root@pam:", cluster: "lab" });
    expect(delivered).toEqual([...first, ...second]);

    // Nothing changed: nothing reported.
    expect(await watcher.poll()).toEqual([]);
  });

  it("reports a running task once it has finished, and survives a list that cannot be read", async () => {
    const s = scriptedClient();
    const watcher = new ClusterWatcher({ client: s.client, cluster: "lab", botTokenId: fixture.botTokenId });
    s.use(fixture.polls[1]!);
    await watcher.poll();
    const finished = structuredClone(fixture.polls[1]!);
    const qmstart = finished.tasks[0] as Record<string, unknown>;
    Object.assign(qmstart, { status: "start failed: QEMU exited with code 1", endtime: 1721762060 });
    s.use(finished);
    s.fail.add("/cluster/status");
    const events = await watcher.poll();
    expect(events.map(brief)).toEqual(["task-failed qmstart 100 by root@pam: start failed: QEMU exited with code 1"]);
    // The unreadable status list did not turn into "every node went away", and comes back without noise.
    s.fail.clear();
    expect(await watcher.poll()).toEqual([]);
  });

  it("shares one poll between concurrent callers", async () => {
    const s = scriptedClient();
    const watcher = new ClusterWatcher({ client: s.client, cluster: "lab" });
    const [a, b] = await Promise.all([watcher.poll(), watcher.poll()]);
    expect(a).toBe(b);
    expect(s.calls.filter((c) => c === "/cluster/status")).toHaveLength(1);
  });

  it("knows task owners and exit statuses as Proxmox writes them", () => {
    expect(taskOwner({ user: "chatops@pve", tokenid: "bot" })).toBe("chatops@pve!bot");
    expect(taskOwner({ user: "root@pam" })).toBe("root@pam");
    expect(taskSucceeded("OK")).toBe(true);
    expect(taskSucceeded("WARNINGS: 3")).toBe(true);
    expect(taskSucceeded("unexpected status")).toBe(false);
    expect(taskSucceeded("WARNINGS: x")).toBe(false);
  });
});
