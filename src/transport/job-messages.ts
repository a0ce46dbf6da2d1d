/**
 * How a job looks in chat, as neutral messages (commands/message.ts): the parent message with its status line, and
 * one thread reply per meaningful event (plan, each step with its Proxmox task, waiting for the guest, ready with
 * IP and ssh line, failure with Proxmox's error, task log tail and rollback). Pure functions of the stored job and
 * its events, so Slack and the terminal console show the same, and a restarted bot rebuilds the status from the
 * store alone.
 */
import type { Job, JobEvent, JsonValue } from "../adapters/store/types.js";
import { escapeMrkdwn, mention, type MessageBlock, type Reply } from "../commands/message.js";

type Obj = { [key: string]: JsonValue };

function obj(v: JsonValue | undefined): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : {};
}
function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}
function strs(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
}
const e = escapeMrkdwn;

/** `provision docker1`, `power start web-1`, `migrate VMID 512 → pve2`, from a stored job request. */
export function describeJob(job: Pick<Job, "kind" | "request">): string {
  const r = job.request;
  const target = obj(r["target"]);
  const t = str(target["name"]) ?? (target["vmid"] !== undefined ? `VMID ${str(target["vmid"])}` : target["tag"] !== undefined ? `tag ${str(target["tag"])}` : "");
  const name = str(obj(r["request"])["name"]) ?? "";
  const op = obj(r["op"]);
  const action = str(r["action"]) ?? (str(op["action"]) ? `${str(op["action"])}${str(op["name"]) ? ` ${str(op["name"])}` : ""} of` : "");
  const node = str(r["node"]);
  if (job.kind === "evacuate") return `evacuate node ${node ?? "?"}`;
  return [job.kind, action, name || t].filter(Boolean).join(" ") + (node ? ` → ${node}` : "");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The status of a job as its events tell it; folded event by event (`applyEvent`). */
export interface JobStatusView {
  state: Job["state"];
  ahead?: number;
  stepTitle?: string;
  upid?: string;
  waiting?: string;
  stepsDone: number;
  stepsTotal?: number;
  ready?: { name: string; vmid: number; node: string; ip?: string; ssh?: string; note?: string };
  error?: string;
  /** The engine reported a failure with details (the final `failed` then needs no second reply). */
  engineFailed: boolean;
  /** Steps whose first `waiting` already got a reply (later ones only update the status line). */
  waitedSteps: string[];
  by?: string;
}

export function initialStatus(job: Pick<Job, "state">): JobStatusView {
  return { state: job.state === "running" ? "running" : job.state, stepsDone: 0, engineFailed: false, waitedSteps: [] };
}

export function applyEvent(view: JobStatusView, event: Pick<JobEvent, "type" | "data">): JobStatusView {
  const d = obj(event.data);
  const v: JobStatusView = { ...view, waitedSteps: [...view.waitedSteps] };
  switch (event.type) {
    case "submitted": {
      const state = str(d["state"]);
      if (state === "queued" || state === "awaiting-approval") v.state = state;
      if (typeof d["ahead"] === "number") v.ahead = d["ahead"];
      break;
    }
    case "started":
    case "resumed":
    case "approved":
      v.state = event.type === "approved" ? "queued" : "running";
      delete v.ahead;
      break;
    case "plan-ready": {
      const steps = obj(d["plan"])["steps"];
      if (Array.isArray(steps)) v.stepsTotal = steps.length;
      break;
    }
    case "step-started":
      v.stepTitle = str(d["title"]) ?? str(d["step"]);
      delete v.upid;
      delete v.waiting;
      break;
    case "task-started":
      v.upid = str(d["upid"]);
      break;
    case "step-finished":
      v.stepsDone += 1;
      delete v.waiting;
      break;
    case "waiting": {
      v.waiting = `${str(d["what"]) ?? "waiting"} (${formatDuration(Number(d["elapsedMs"] ?? 0))})`;
      const step = str(d["step"]) ?? "";
      if (!v.waitedSteps.includes(step)) v.waitedSteps.push(step);
      break;
    }
    case "ready":
      v.ready = {
        name: str(d["name"]) ?? "",
        vmid: Number(d["vmid"] ?? 0),
        node: str(d["node"]) ?? "",
        ...(str(d["ip"]) ? { ip: str(d["ip"])! } : {}),
        ...(str(d["ssh"]) ? { ssh: str(d["ssh"])! } : {}),
        ...(str(d["note"]) ? { note: str(d["note"])! } : {}),
      };
      break;
    case "failed":
      if (d["error"] !== undefined) {
        v.state = "failed";
        v.error = str(obj(d["error"])["message"]) ?? "failed";
      } else {
        v.engineFailed = true;
        v.error = str(d["message"]);
      }
      break;
    case "succeeded":
      v.state = "succeeded";
      break;
    case "cancelled":
      v.state = "cancelled";
      v.by = str(d["by"]);
      v.error = str(obj(d["error"])["message"]) ?? v.error;
      break;
    case "rejected":
      v.state = "cancelled";
      v.by = str(d["by"]);
      break;
  }
  return v;
}

const STATE_ICON: Record<Job["state"], string> = {
  queued: ":hourglass_flowing_sand:",
  running: ":arrows_counterclockwise:",
  succeeded: ":white_check_mark:",
  failed: ":x:",
  cancelled: ":no_entry_sign:",
  "awaiting-approval": ":lock:",
};

export function statusLine(view: JobStatusView): string {
  const icon = STATE_ICON[view.state];
  switch (view.state) {
    case "queued":
      return `${icon} queued${view.ahead ? ` — ${view.ahead} job${view.ahead === 1 ? "" : "s"} ahead` : ""}`;
    case "awaiting-approval":
      return `${icon} waiting for approval`;
    case "running": {
      const progress = view.stepsTotal ? ` (step ${Math.min(view.stepsDone + 1, view.stepsTotal)}/${view.stepsTotal})` : "";
      const now = view.waiting ? `waiting: ${e(view.waiting)}` : view.stepTitle ? e(view.stepTitle) : "starting";
      return `${icon} running — ${now}${progress}`;
    }
    case "succeeded":
      return view.ready
        ? `${icon} ready: *${e(view.ready.name)}* (${view.ready.vmid}) on ${e(view.ready.node)}${view.ready.ip ? ` at \`${e(view.ready.ip)}\`` : ""}`
        : `${icon} done`;
    case "failed":
      return `${icon} failed${view.error ? `: ${e(view.error)}` : ""}`;
    case "cancelled":
      return `${icon} cancelled${view.by ? ` by ${mention(view.by)}` : ""}${view.error && !view.by ? `: ${e(view.error)}` : ""}`;
  }
}

/** The parent message: what, who, and a status line that is updated in place. */
export function parentMessage(job: Pick<Job, "id" | "kind" | "request" | "requester" | "profile" | "cluster">, view: JobStatusView): Reply {
  const what = describeJob(job);
  const title = `${what.charAt(0).toUpperCase()}${what.slice(1)}`;
  const status = statusLine(view);
  return {
    visibility: "in_channel",
    text: `${title} (${job.id}): ${view.state}`,
    blocks: [
      { type: "text", text: `*${e(title)}* · requested by ${mention(job.requester)}` },
      { type: "text", text: status },
      { type: "context", text: `job \`${job.id}\` · profile ${e(job.profile ?? "?")} · cluster ${e(job.cluster)} · details in the thread` },
    ],
  };
}

function planReply(plan: Obj): Reply | undefined {
  const kind = str(plan["kind"]);
  if (kind === "provision") {
    const image = obj(plan["image"]);
    const net = obj(plan["network"]);
    const imageText =
      str(image["kind"]) === "vm-template"
        ? `template ${e(str(image["name"]) ?? "")} (${str(image["vmid"])}) via ${e(str(image["via"]) ?? "")}`
        : `${e(str(image["volid"]) ?? "?")} via ${e(str(image["via"]) ?? "")}`;
    const fields = [
      { label: "Type", value: `${str(plan["type"]) === "qemu" ? "VM" : "container"} — ${e(str(plan["typeReason"]) ?? "")}` },
      { label: "Node", value: `${e(str(plan["node"]) ?? "")} — ${e(str(plan["nodeReason"]) ?? "")}` },
      { label: "VMID", value: String(plan["vmid"] ?? "?") },
      { label: "Size", value: `${str(plan["cores"])} ${plan["cores"] === 1 ? "core" : "cores"} · ${str(plan["memoryMb"])} MB · ${str(plan["diskGb"])} GB${plan["diskNote"] ? ` (${e(str(plan["diskNote"])!)})` : ""}` },
      { label: "Image", value: imageText + (plan["cloneMode"] ? `, ${str(plan["cloneMode"])} clone` : "") },
      { label: "Network", value: str(net["mode"]) === "static" ? `static ${e(str(net["ip"]) ?? "")} via ${e(str(net["gateway"]) ?? "")}` : "DHCP" },
    ];
    const steps = strs(plan["steps"]);
    return {
      visibility: "in_channel",
      text: `Plan: ${str(plan["name"])} as ${str(plan["type"])} ${str(plan["vmid"])} on ${str(plan["node"])}`,
      blocks: [
        { type: "text", text: `:clipboard: *Plan* — ${steps.length} steps: ${steps.map((s) => `\`${e(s)}\``).join(" → ")}` },
        { type: "fields", fields },
      ],
    };
  }
  if (kind === "teardown") {
    const guests = Array.isArray(plan["guests"]) ? plan["guests"].map(obj) : [];
    const lines = guests.map((g) => `• ${e(str(g["name"]) ?? "")} (${str(g["vmid"])}) on ${e(str(g["node"]) ?? "")}, ${e(str(g["status"]) ?? "")}${g["ip"] ? `, ${e(str(g["ip"])!)}` : ""}`);
    return { visibility: "in_channel", text: `Plan: destroy ${guests.length} guests`, blocks: [{ type: "text", text: `:clipboard: *Plan* — destroy ${guests.length} guest${guests.length === 1 ? "" : "s"}:\n${lines.join("\n")}` }] };
  }
  if (kind === "evacuate") {
    const moves = Array.isArray(plan["moves"]) ? plan["moves"].map(obj) : [];
    const skipped = Array.isArray(plan["skipped"]) ? plan["skipped"].map(obj) : [];
    const lines = moves.map((m) => `• ${e(str(obj(m["guest"])["name"]) ?? "")} (${str(obj(m["guest"])["vmid"])}) → ${e(str(m["target"]) ?? "")}${m["online"] ? " (live)" : ""}`);
    const skip = skipped.map((s) => `• ${e(str(obj(s["guest"])["name"]) ?? "")}: ${e(str(s["reason"]) ?? "")}`);
    return {
      visibility: "in_channel",
      text: `Plan: move ${moves.length} guests off ${str(plan["node"])}`,
      blocks: [{ type: "text", text: `:clipboard: *Plan* — move ${moves.length} guest${moves.length === 1 ? "" : "s"} off ${e(str(plan["node"]) ?? "")}:\n${lines.join("\n") || "(nothing to move)"}${skip.length ? `\n*Staying:*\n${skip.join("\n")}` : ""}` }],
    };
  }
  return undefined;
}

function resultSummary(job: Pick<Job, "kind">, result: JsonValue | undefined): string | undefined {
  if (job.kind === "provision") return undefined; // the `ready` reply already says it
  const list = Array.isArray(result) ? result.map(obj) : [];
  if (job.kind === "power" || job.kind === "migrate") {
    return list.length ? list.map((g) => `${e(str(g["name"]) ?? "")} (${str(g["vmid"])}) is ${e(str(g["status"]) ?? "")} on ${e(str(g["node"]) ?? "")}`).join("\n") : undefined;
  }
  if (job.kind === "snapshot") {
    return list.length ? list.map((o) => `${e(str(obj(o["guest"])["name"]) ?? "")}: snapshot \`${e(str(o["name"]) ?? "")}\``).join("\n") : undefined;
  }
  const r = obj(result ?? null);
  if (job.kind === "teardown") return `Destroyed: ${(Array.isArray(r["destroyed"]) ? r["destroyed"].map((g) => e(str(obj(g)["name"]) ?? "")) : []).join(", ") || "nothing"}`;
  if (job.kind === "evacuate") return `Moved: ${(Array.isArray(r["moved"]) ? r["moved"].map((g) => e(str(obj(g)["name"]) ?? "")) : []).join(", ") || "nothing"}`;
  return undefined;
}

/** The thread reply for one event, or undefined when the event only changes the status line. */
export function threadReply(job: Pick<Job, "kind" | "id">, event: Pick<JobEvent, "type" | "data">, before: JobStatusView): Reply | undefined {
  const d = obj(event.data);
  const reply = (text: string, blocks?: MessageBlock[]): Reply => ({ visibility: "in_channel", text, blocks: blocks ?? [{ type: "text", text }] });
  switch (event.type) {
    case "resumed":
      return reply(`:repeat: Resumed after a restart (attempt ${str(d["attempt"]) ?? "?"}); steps already done are not repeated.`);
    case "plan-ready":
      return planReply(obj(d["plan"]));
    case "step-finished": {
      const title = e(str(d["title"]) ?? str(d["step"]) ?? "step");
      const upid = str(d["upid"]);
      const already = d["alreadyDone"] === true ? " (already done)" : "";
      return reply(`:white_check_mark: ${title}${already} — ${formatDuration(Number(d["durationMs"] ?? 0))}${upid ? `\nProxmox task \`${e(upid)}\`` : ""}`);
    }
    case "waiting": {
      const step = str(d["step"]) ?? "";
      if (before.waitedSteps.includes(step)) return undefined;
      return reply(`:hourglass_flowing_sand: Waiting for the guest: ${e(str(d["what"]) ?? step)}`);
    }
    case "ready": {
      const ip = str(d["ip"]);
      const ssh = str(d["ssh"]);
      const note = str(d["note"]);
      const text = `:rocket: *${e(str(d["name"]) ?? "")}* is ready — VMID ${str(d["vmid"])} on ${e(str(d["node"]) ?? "")}${ip ? `, IP \`${e(ip)}\`` : ""}`;
      const blocks: MessageBlock[] = [{ type: "text", text }];
      if (ssh) blocks.push({ type: "text", text: `\`${e(ssh)}\`` });
      if (note) blocks.push({ type: "context", text: e(note) });
      return reply(`${str(d["name"])} is ready${ip ? ` at ${ip}` : ""}`, blocks);
    }
    case "guest-done":
      return reply(`:white_check_mark: ${e(str(d["name"]) ?? "")} (${str(d["vmid"])}): ${e(str(d["action"]) ?? "")}${d["detail"] ? ` — ${e(str(d["detail"])!)}` : ""}`);
    case "rollback":
      return reply(`:leftwards_arrow_with_hook: Rolling back: ${e(str(d["message"]) ?? "")}`);
    case "failed": {
      if (d["error"] !== undefined) {
        if (before.engineFailed) return undefined;
        return reply(`:x: Failed: ${e(str(obj(d["error"])["message"]) ?? "unknown error")}`);
      }
      const blocks: MessageBlock[] = [{ type: "text", text: `:x: *${e(str(d["step"]) ?? "step")} failed:* ${e(str(d["message"]) ?? "")}` }];
      const pve = str(d["pveMessage"]);
      const upid = str(d["upid"]);
      if (pve || upid) blocks.push({ type: "text", text: [pve ? `Proxmox said: ${e(pve)}` : "", upid ? `task \`${e(upid)}\`` : ""].filter(Boolean).join(" · ") });
      const tail = strs(d["logTail"]);
      if (tail.length) blocks.push({ type: "text", text: "Task log (last lines):\n```\n" + e(tail.slice(-15).join("\n")) + "\n```" });
      const rolled = strs(d["rolledBack"]);
      const left = strs(d["leftBehind"]);
      blocks.push({ type: "text", text: `*Rolled back:* ${rolled.length ? rolled.map(e).join("; ") : "nothing to undo"}${left.length ? `\n*Left behind:* ${left.map(e).join("; ")}` : ""}` });
      return reply(`${str(d["step"])} failed: ${str(d["message"])}`, blocks);
    }
    case "succeeded": {
      const summary = resultSummary(job, obj(d)["result"]);
      return summary ? reply(`:white_check_mark: Done.\n${summary}`) : undefined;
    }
    case "cancel-requested":
      return reply(`:octagonal_sign: ${mention(str(d["by"]) ?? "?")} asked to cancel; stopping after the current step and rolling back.`);
    case "cancelled":
      return reply(`:no_entry_sign: Cancelled${str(d["by"]) ? ` by ${mention(str(d["by"])!)}` : ""}${d["error"] !== undefined && !d["by"] ? `: ${e(str(obj(d["error"])["message"]) ?? "")}` : ""}.`);
    case "approved":
      return reply(`:white_check_mark: Approved${str(d["by"]) ? ` by ${mention(str(d["by"])!)}` : ""}; queued.`);
    case "rejected":
      return reply(`:no_entry_sign: Rejected${str(d["by"]) ? ` by ${mention(str(d["by"])!)}` : ""}${str(d["reason"]) ? `: ${e(str(d["reason"])!)}` : ""}.`);
    default:
      return undefined;
  }
}
