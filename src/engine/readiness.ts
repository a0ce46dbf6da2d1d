/**
 * "Really ready": a VM's guest agent answers, reports an IPv4 address on the NIC whose MAC is net0's, and the
 * guest accepts TCP (optionally an SSH handshake) on its SSH port. A container is ready when it runs and its
 * eth0 has an address (containers have no guest agent; BEHAVIOUR §10).
 */
import { connect } from "node:net";
import { z } from "zod";
import { Client as SshClient } from "ssh2";
import { PveError } from "../errors.js";
import { guestPath } from "./cluster.js";
import type { RunContext } from "./runtime.js";
import { waitUntil } from "./runtime.js";

const qgaInterfacesSchema = z.object({
  result: z.array(
    z.looseObject({
      name: z.string(),
      "hardware-address": z.string().optional(),
      "ip-addresses": z
        .array(z.looseObject({ "ip-address": z.string(), "ip-address-type": z.string(), prefix: z.coerce.number().optional() }))
        .optional(),
    }),
  ),
});

const lxcInterfacesSchema = z
  .array(
    z.looseObject({
      name: z.string(),
      hwaddr: z.string().optional(),
      "hardware-address": z.string().optional(),
      inet: z.string().optional(),
      "ip-addresses": z
        .array(z.looseObject({ "ip-address": z.string(), "ip-address-type": z.string() }))
        .optional(),
    }),
  )
  .nullable();

/** Agent calls block ~3 s while the agent is down; a few overlapping probes notice it coming up sooner. */
const AGENT_PROBES_IN_FLIGHT = 3;

/** The agent is not up yet: keep waiting. Anything else (no agent configured, VM stopped) is a failure. */
function agentNotYet(err: unknown): boolean {
  return err instanceof PveError && /guest agent is not running|not running|got timeout/i.test(err.pveMessage) && !/No QEMU guest agent configured/.test(err.pveMessage);
}

/** The MAC in a net0 value like `virtio=BC:24:11:2A:3B:4C,bridge=vmbr0`. */
export function macOfNet(net0: string | undefined): string | undefined {
  const m = net0 ? /(?:^|,)(?:[a-z0-9]+=)?([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?:,|$)/.exec(net0) : null;
  return m?.[1]?.toLowerCase();
}

/**
 * Picks the guest's address: the interface whose MAC matches net0 (case-insensitive), else the first non-loopback,
 * non-bridge interface; its first IPv4. Chosen by interface, not by address class (simulated guests use 127.x).
 */
export function pickIpv4(result: z.infer<typeof qgaInterfacesSchema>["result"], mac: string | undefined): string | undefined {
  const usable = result.filter(
    (i) => i.name !== "lo" && i["hardware-address"] !== "00:00:00:00:00:00" && !/^(docker|br-|veth|virbr|cni|flannel|cali|weave)/.test(i.name),
  );
  const byMac = mac ? usable.find((i) => i["hardware-address"]?.toLowerCase() === mac) : undefined;
  const iface = byMac ?? (mac ? undefined : usable[0]);
  return iface?.["ip-addresses"]?.find((a) => a["ip-address-type"] === "ipv4")?.["ip-address"];
}

export async function waitForAgent(ctx: RunContext, g: { node: string; vmid: number }, timeoutSec: number): Promise<void> {
  await waitUntil(ctx, { step: "wait-agent", what: "the QEMU guest agent", timeoutMs: timeoutSec * 1000, guest: g.vmid, hedge: AGENT_PROBES_IN_FLIGHT }, async () => {
    try {
      await ctx.client.post(`${guestPath({ ...g, type: "qemu" })}/agent/ping`, {}, ctx.signal ? { signal: ctx.signal } : {});
      return true;
    } catch (err) {
      if (agentNotYet(err)) return undefined;
      throw err;
    }
  });
}

export async function waitForVmIp(
  ctx: RunContext,
  g: { node: string; vmid: number },
  mac: string | undefined,
  timeoutSec: number,
): Promise<string> {
  return waitUntil(ctx, { step: "wait-ip", what: "an IPv4 address from the guest agent", timeoutMs: timeoutSec * 1000, guest: g.vmid, hedge: AGENT_PROBES_IN_FLIGHT }, async () => {
    try {
      const r = await ctx.client.get(`${guestPath({ ...g, type: "qemu" })}/agent/network-get-interfaces`, {}, {
        schema: qgaInterfacesSchema,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return pickIpv4(r.result, mac);
    } catch (err) {
      if (agentNotYet(err)) return undefined;
      throw err;
    }
  });
}

export async function waitForContainerIp(ctx: RunContext, g: { node: string; vmid: number }, timeoutSec: number): Promise<string> {
  return waitUntil(ctx, { step: "wait-ip", what: "the container's eth0 address", timeoutMs: timeoutSec * 1000, guest: g.vmid }, async () => {
    const ifaces = await ctx.client.get(`${guestPath({ ...g, type: "lxc" })}/interfaces`, {}, {
      schema: lxcInterfacesSchema,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (!ifaces) return undefined; // a stopped (or still starting) container answers null
    const eth = ifaces.find((i) => i.name === "eth0") ?? ifaces.find((i) => i.name !== "lo");
    if (!eth) return undefined;
    const fromList = eth["ip-addresses"]?.find((a) => a["ip-address-type"] === "inet")?.["ip-address"];
    return fromList ?? eth.inet?.split("/")[0];
  });
}

/** One TCP connect attempt; resolves true on connect, false on refusal or timeout. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** One SSH key-exchange attempt (no authentication): proves an SSH server is really answering. */
export function sshHandshakeProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new SshClient();
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      client.end();
      resolve(ok);
    };
    client.once("handshake", () => done(true));
    client.once("error", () => done(false));
    client.once("close", () => done(false));
    client.connect({
      host,
      port,
      username: "pve-chatops-probe",
      readyTimeout: timeoutMs,
      // Readiness only: we do not log in, so the host key is not trusted for anything.
      hostVerifier: () => true,
      authHandler: () => false,
    });
  });
}

export async function waitForSsh(
  ctx: RunContext,
  ip: string,
  opts: { port: number; timeoutSec: number; handshake: boolean; guest: number },
): Promise<void> {
  await waitUntil(ctx, { step: "wait-ssh", what: `SSH on ${ip}:${opts.port}`, timeoutMs: opts.timeoutSec * 1000, guest: opts.guest }, async () => {
    const ok = opts.handshake ? await sshHandshakeProbe(ip, opts.port, 3000) : await tcpProbe(ip, opts.port, 3000);
    return ok ? true : undefined;
  });
}
