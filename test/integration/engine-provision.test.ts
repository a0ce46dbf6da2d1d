import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, startPveEnv, type PveEnv } from "../support/pve-env.js";

describe("engine: provision through the simulator", () => {
  let env: PveEnv;
  beforeAll(async () => {
    env = await startPveEnv();
  });
  afterAll(async () => env?.close());

  it("provisions a docker VM end to end: clone, configure, start, agent, IP, SSH", async () => {
    const c = collect();
    const result = await env.engine.provision("lab", { name: "docker1", docker: true }, { onEvent: c.onEvent });
    expect(result.name).toBe("docker1");
    expect(result.ip).toMatch(/^127\./);
    expect(result.ssh).toContain(result.ip!);
    const guest = env.sim.state.guest(result.vmid)!;
    expect(guest.type).toBe("qemu");
    expect(guest.status).toBe("running");
    expect(guest.pool).toBe("chatops");
    expect(guest.config.cpu).toBe("host");
    expect(guest.sshListening).toBe(true);
    expect(c.types()).toEqual(expect.arrayContaining(["plan-ready", "step-started", "task-started", "step-finished", "ready"]));
    const plan = c.events.find((e) => e.type === "plan-ready");
    expect(plan && plan.type === "plan-ready" && plan.plan.kind === "provision" && plan.plan.typeReason).toMatch(/--docker/);
  });
});
