/**
 * The VM request modal: `/pve provision` without a name, and App Home's "Request a VM" button.
 *
 * A trigger_id is valid for 3 seconds, so the modal opens first — a "loading" view, with no I/O before it — and is
 * then filled in with `views.update` (binding, permission, the profile's sizes and images, the online nodes fetched
 * with a short timeout; without them the node choice is "auto" only). Choosing "static" network shows the
 * IP/gateway/DNS inputs (`views.update` on the radio's block action, guarded by the view's hash). Submitting
 * validates with the provision command's own zod schema and DNS-label rules; problems show inline on their field
 * (`response_action: "errors"`). A valid request from a channel goes through the same dispatcher as the typed
 * command (binding, permission, audit, `ctx.startJob` → `runner.submit`), so it is the same job with its thread
 * in the channel the modal was opened from (kept in `private_metadata`). From App Home there is no channel: the
 * user picks the profile, the job is submitted without a thread, and its outcome is posted to the channels bound
 * to that profile (notifications.ts).
 */
import type { App, BlockAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import { schema as provisionSchema, provisionRequestFrom } from "../../../commands/provision.js";
import type { Profile, ImageSpec } from "../../config/schema.js";
import { dispatchCommand, resolveBinding, permissionDenied, unboundReply } from "../../commands/dispatch.js";
import { checkPermission } from "../../commands/permissions.js";
import { escapeMrkdwn, mrkdwnToPlain, type Reply } from "../../commands/message.js";
import type { CommandDeps, CommandModule } from "../../commands/types.js";
import type { RawArgs } from "../../commands/parse.js";
import { ChatOpsError } from "../../errors.js";
import { toJson } from "../../jobs/runner.js";
import type { JsonObject } from "../../adapters/store/types.js";
import { silentLogger, type Logger } from "../../log.js";
import { errorReply } from "../render-error.js";
import { renderMessage, truncate } from "./blocks.js";
import type { ExtendContext } from "./app.js";

export const PROVISION_CALLBACK = "provision-form";
export const NETWORK_ACTION = "network";
export const PROFILE_ACTION = "profile";
/** How long the form waits for the list of online nodes before it offers "auto" only. */
export const NODES_TIMEOUT_MS = 1500;

export interface ProvisionModalOptions {
  /** Names of the online nodes of a profile's cluster (src/main.ts reads /cluster/resources). */
  nodesFor?: (profile: Profile, signal: AbortSignal) => Promise<string[]>;
  nodesTimeoutMs?: number;
}

/** What the modal remembers between Slack round trips (Slack: at most 3000 characters). */
const metaSchema = z.object({
  origin: z.enum(["command", "home"]),
  channel: z.string().optional(),
  profile: z.string().optional(),
  nodes: z.array(z.string()).default([]),
  network: z.enum(["dhcp", "static"]).default("dhcp"),
});
type FormMeta = z.infer<typeof metaSchema>;

type StateValues = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null; selected_options?: Array<{ value: string }> }>>;

const FEATURES = [
  ["docker", "Docker (a VM with a nesting-capable CPU)"],
  ["live-migrate", "Live migrate (generic CPU type)"],
  ["windows", "Windows"],
  ["custom-kernel", "Custom kernel"],
  ["ha-live", "High availability (Proxmox HA)"],
  ["iso", "Install from an ISO"],
] as const;
const VM_FEATURES = new Set(["docker", "live-migrate", "windows", "custom-kernel", "ha-live", "iso"]);

/** Command argument → the block that shows its problem. */
const FIELD_BLOCK: Record<string, string> = {
  name: "name",
  docker: "features",
  "live-migrate": "features",
  windows: "features",
  "custom-kernel": "features",
  "ha-live": "features",
  iso: "iso",
  size: "size",
  os: "os",
  node: "node",
  ip: "ip",
  gateway: "gateway",
  dns: "dns",
  dhcp: "network",
  "ssh-key": "ssh_key",
};

function plain(text: string, max = 75) {
  return { type: "plain_text" as const, text: truncate(text, max), emoji: true };
}
function option(value: string, text: string) {
  return { text: plain(text), value };
}

function imageKind(spec: ImageSpec): "vm" | "ct" | "iso" {
  if ("ostemplate" in spec) return "ct";
  if ("iso" in spec) return "iso";
  return "vm";
}

const KIND_TEXT = { vm: "VM template", ct: "container template", iso: "ISO installer" } as const;

function modalShell(meta: FormMeta, blocks: unknown[], withSubmit: boolean) {
  return {
    type: "modal" as const,
    callback_id: PROVISION_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain("Request a VM", 24),
    close: plain("Cancel", 24),
    ...(withSubmit ? { submit: plain("Request", 24) } : {}),
    blocks,
  };
}

export function loadingView(meta: FormMeta) {
  return modalShell(meta, [{ type: "section", text: { type: "mrkdwn", text: ":hourglass_flowing_sand: Loading the form…" } }], false);
}

export function messageView(meta: FormMeta, reply: Reply) {
  const text = reply.blocks.map((b) => ("text" in b && typeof b.text === "string" ? b.text : "")).filter(Boolean).join("\n") || reply.text;
  return modalShell(meta, [{ type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } }], false);
}

/** The form for one profile. `profiles` (App Home only): the profiles the user may provision with. */
export function formView(meta: FormMeta, profile: Profile, profiles: readonly Profile[] = []) {
  const blocks: unknown[] = [];
  if (meta.origin === "home") {
    const opts = profiles.map((p) => option(p.name, `${p.name} — cluster ${p.cluster}, pool ${p.pool}`));
    blocks.push({
      type: "input",
      block_id: "profile",
      dispatch_action: true,
      label: plain("Profile"),
      element: { type: "static_select", action_id: PROFILE_ACTION, options: opts, initial_option: opts.find((o) => o.value === profile.name) ?? opts[0] },
    });
  } else {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `Profile *${escapeMrkdwn(profile.name)}* — cluster ${escapeMrkdwn(profile.cluster)}, pool ${escapeMrkdwn(profile.pool)}` }] });
  }
  const typeOptions = [option("ct", "Container"), option("vm", "VM")];
  const sizeNames = Object.keys(profile.sizes);
  const sizeOptions = sizeNames.map((n) => {
    const s = profile.sizes[n]!;
    return option(n, `${n} — ${s.cores} ${s.cores === 1 ? "core" : "cores"}, ${s.memoryMb} MB, ${s.diskGb} GB`);
  });
  const initialSize = sizeOptions.find((o) => o.value === "small") ?? sizeOptions[0];
  const osOptions = Object.entries(profile.images).map(([alias, spec]) => option(alias, `${alias} — ${KIND_TEXT[imageKind(spec)]}`));
  const nodeOptions = [option("auto", "Automatic (the profile's placement rule)"), ...meta.nodes.map((n) => option(n, n))];
  const networkOptions = [option("dhcp", "DHCP"), option("static", "Static address")];
  blocks.push(
    {
      type: "input",
      block_id: "name",
      label: plain("Name"),
      hint: plain("Letters, digits and hyphens (a DNS name), e.g. web-1", 150),
      element: { type: "plain_text_input", action_id: "name", max_length: 63, placeholder: plain("web-1", 150) },
    },
    {
      type: "input",
      block_id: "type",
      label: plain("Guest type"),
      element: { type: "radio_buttons", action_id: "type", options: typeOptions, initial_option: typeOptions[0] },
    },
    {
      type: "input",
      block_id: "features",
      optional: true,
      label: plain("Features (these need a VM)"),
      element: { type: "checkboxes", action_id: "features", options: FEATURES.map(([v, t]) => option(v, t)) },
    },
    {
      type: "input",
      block_id: "iso",
      optional: true,
      label: plain("ISO volid (with “Install from an ISO”)"),
      element: { type: "plain_text_input", action_id: "iso", placeholder: plain("local:iso/debian-12.iso", 150) },
    },
  );
  if (sizeOptions.length) {
    blocks.push({
      type: "input",
      block_id: "size",
      label: plain("Size"),
      element: { type: "static_select", action_id: "size", options: sizeOptions, ...(initialSize ? { initial_option: initialSize } : {}) },
    });
  }
  if (osOptions.length) {
    blocks.push({
      type: "input",
      block_id: "os",
      optional: true,
      label: plain("Operating system"),
      hint: plain("Empty: the profile's default image for the guest type", 150),
      element: { type: "static_select", action_id: "os", options: osOptions.slice(0, 100), placeholder: plain("profile default", 150) },
    });
  }
  blocks.push(
    {
      type: "input",
      block_id: "node",
      label: plain("Node"),
      ...(meta.nodes.length ? {} : { hint: plain("The list of online nodes was not available; the profile's placement rule picks one.", 150) }),
      element: { type: "static_select", action_id: "node", options: nodeOptions, initial_option: nodeOptions[0] },
    },
    {
      type: "input",
      block_id: "network",
      dispatch_action: true,
      label: plain("Network"),
      element: {
        type: "radio_buttons",
        action_id: NETWORK_ACTION,
        options: networkOptions,
        initial_option: networkOptions.find((o) => o.value === meta.network) ?? networkOptions[0],
      },
    },
  );
  if (meta.network === "static") {
    blocks.push(
      { type: "input", block_id: "ip", label: plain("IP address (CIDR)"), element: { type: "plain_text_input", action_id: "ip", placeholder: plain("10.0.0.5/24", 150) } },
      { type: "input", block_id: "gateway", label: plain("Gateway"), element: { type: "plain_text_input", action_id: "gateway", placeholder: plain("10.0.0.1", 150) } },
      { type: "input", block_id: "dns", optional: true, label: plain("DNS server"), element: { type: "plain_text_input", action_id: "dns", placeholder: plain("10.0.0.1", 150) } },
    );
  }
  blocks.push({
    type: "input",
    block_id: "ssh_key",
    optional: true,
    label: plain("SSH public key"),
    element: { type: "plain_text_input", action_id: "ssh_key", multiline: true, placeholder: plain("ssh-ed25519 AAAA… you@laptop", 150) },
  });
  return modalShell({ ...meta, profile: profile.name }, blocks, true);
}

// ------------------------------------------------------------------------------------------------ validation

export type FormResult = { ok: true; args: z.output<typeof provisionSchema> & { name: string } } | { ok: false; errors: Record<string, string> };

function text(values: StateValues, block: string): string | undefined {
  const v = values[block]?.[block === "network" ? NETWORK_ACTION : block === "profile" ? PROFILE_ACTION : block]?.value;
  const t = typeof v === "string" ? v.trim() : "";
  return t === "" ? undefined : t;
}
function selected(values: StateValues, block: string, action = block): string | undefined {
  return values[block]?.[action]?.selected_option?.value ?? undefined;
}
function checked(values: StateValues, block: string): string[] {
  return (values[block]?.[block]?.selected_options ?? []).map((o) => o.value);
}

/**
 * The submitted form → the provision command's arguments, checked by the command's own schema. Every problem is
 * returned by block id, for Slack to show under the field.
 */
export function validateForm(values: StateValues, profile: Profile): FormResult {
  const errors: Record<string, string> = {};
  const raw: RawArgs = {};
  const name = text(values, "name");
  if (name !== undefined) raw["name"] = name;
  else errors["name"] = "Give the guest a name.";
  const type = selected(values, "type") ?? "ct";
  const features = checked(values, "features");
  for (const f of features) if (f !== "iso") raw[f] = true;
  const isoVolid = text(values, "iso");
  const wantsIso = features.includes("iso") || isoVolid !== undefined;
  if (wantsIso) {
    if (isoVolid === undefined) errors["iso"] = "Give the ISO's volid, e.g. local:iso/debian-12.iso.";
    else raw["iso"] = isoVolid;
  }
  const vmFeatures = features.filter((f) => VM_FEATURES.has(f));
  if (type === "ct" && (vmFeatures.length || wantsIso)) {
    errors["type"] = `${vmFeatures.length ? vmFeatures.join(", ") : "iso"} need${vmFeatures.length === 1 ? "s" : ""} a VM: choose VM, or untick ${vmFeatures.length === 1 ? "it" : "them"}.`;
  }
  const size = selected(values, "size");
  if (size !== undefined) raw["size"] = size;
  const os = selected(values, "os");
  if (os !== undefined) {
    const spec = profile.images[os];
    const kind = spec ? imageKind(spec) : undefined;
    if (!spec) errors["os"] = `Profile ${profile.name} has no image "${os}".`;
    else if (type === "ct" && kind !== "ct") errors["os"] = `${os} is a ${KIND_TEXT[kind!]}; a container needs a container template.`;
    else if (type === "vm" && kind === "ct") errors["os"] = `${os} is a container template; a VM needs a VM template or an ISO.`;
    else raw["os"] = os;
  } else if (type === "vm" && vmFeatures.length === 0 && !wantsIso) {
    // A plain VM: the profile's default VM image makes the engine choose a VM.
    const vmDefault = profile.defaultImage.vm;
    if (vmDefault) raw["os"] = vmDefault;
    else errors["os"] = `Profile ${profile.name} has no default VM image: choose one.`;
  }
  const node = selected(values, "node");
  if (node !== undefined && node !== "auto") raw["node"] = node;
  const network = selected(values, "network", NETWORK_ACTION) ?? "dhcp";
  if (network === "static") {
    const ip = text(values, "ip");
    const gateway = text(values, "gateway");
    const dns = text(values, "dns");
    if (ip === undefined) errors["ip"] = "Give the address in CIDR form, e.g. 10.0.0.5/24.";
    else raw["ip"] = ip;
    if (gateway === undefined) errors["gateway"] = "Give the default gateway, e.g. 10.0.0.1.";
    else raw["gateway"] = gateway;
    if (dns !== undefined) raw["dns"] = dns;
  } else {
    raw["dhcp"] = true;
  }
  const sshKey = text(values, "ssh_key");
  if (sshKey !== undefined) raw["ssh-key"] = sshKey;

  const parsed = provisionSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      const block = typeof key === "string" ? (FIELD_BLOCK[key] ?? "name") : "name";
      errors[block] ??= issue.message.charAt(0).toUpperCase() + issue.message.slice(1) + ".";
    }
  }
  if (Object.keys(errors).length || !parsed.success || parsed.data.name === undefined) return { ok: false, errors };
  if (parsed.data.size !== undefined && !(parsed.data.size in profile.sizes)) return { ok: false, errors: { size: `Profile ${profile.name} has sizes ${Object.keys(profile.sizes).join(", ")}.` } };
  return { ok: true, args: { ...parsed.data, name: parsed.data.name } };
}

// ------------------------------------------------------------------------------------------------ the modal

export interface ProvisionModalDeps extends ProvisionModalOptions {
  client: WebClient;
  deps: CommandDeps;
  logger?: Logger;
}

export class ProvisionModal {
  readonly #client: WebClient;
  readonly #deps: CommandDeps;
  readonly #log: Logger;
  readonly #nodesFor: ProvisionModalOptions["nodesFor"];
  readonly #nodesTimeoutMs: number;
  /** Called after a request from App Home was submitted (App Home refreshes itself). */
  onHomeSubmit: ((user: string) => void) | undefined;

  constructor(opts: ProvisionModalDeps) {
    this.#client = opts.client;
    this.#deps = opts.deps;
    this.#log = (opts.logger ?? silentLogger).child({ component: "slack-modal" });
    this.#nodesFor = opts.nodesFor;
    this.#nodesTimeoutMs = opts.nodesTimeoutMs ?? NODES_TIMEOUT_MS;
  }

  #provisionModule(): CommandModule | undefined {
    return this.#deps.commands.find((c) => c.name === "provision");
  }

  register(app: App, ctx: Pick<ExtendContext, "interceptCommand">): void {
    ctx.interceptCommand(async ({ command, prepared }) => {
      if (prepared.module.name !== "provision" || (prepared.args as { name?: string }).name !== undefined) return false;
      await this.open(command.trigger_id, command.user_id, { origin: "command", channel: command.channel_id });
      return true;
    });

    app.action({ action_id: NETWORK_ACTION }, async ({ ack, body }) => {
      await ack();
      const b = body as BlockAction;
      const view = b.view;
      const action = b.actions[0] as { selected_option?: { value: string }; value?: string } | undefined;
      const meta = parseMeta(view?.private_metadata);
      if (!view || !meta || view.callback_id !== PROVISION_CALLBACK) return;
      const network = action?.selected_option?.value === "static" || action?.value === "static" ? "static" : "dhcp";
      if (network === meta.network) return;
      const profile = meta.profile ? this.#deps.profiles.get(meta.profile) : undefined;
      if (!profile) return;
      await this.#update(view.id, view.hash, formView({ ...meta, network }, profile, await this.#homeProfiles(b.user.id, meta)));
    });

    app.action({ action_id: PROFILE_ACTION }, async ({ ack, body }) => {
      await ack();
      const b = body as BlockAction;
      const view = b.view;
      const action = b.actions[0] as { selected_option?: { value: string }; value?: string } | undefined;
      const meta = parseMeta(view?.private_metadata);
      const chosen = action?.selected_option?.value ?? action?.value;
      if (!view || !meta || meta.origin !== "home" || !chosen || chosen === meta.profile) return;
      const profiles = await this.#homeProfiles(b.user.id, meta);
      const profile = profiles.find((p) => p.name === chosen);
      if (!profile) return;
      const nodes = await this.#nodes(profile);
      await this.#update(view.id, view.hash, formView({ ...meta, profile: profile.name, nodes }, profile, profiles));
    });

    app.view(PROVISION_CALLBACK, async ({ ack, body, view }) => {
      const meta = parseMeta(view.private_metadata);
      const user = body.user.id;
      const values = view.state.values as StateValues;
      const profileName = meta?.origin === "home" ? (selected(values, "profile", PROFILE_ACTION) ?? meta.profile) : meta?.profile;
      const profile = profileName ? this.#deps.profiles.get(profileName) : undefined;
      if (!meta || !profile) {
        await ack();
        return;
      }
      const result = validateForm(values, profile);
      if (!result.ok) {
        await ack({ response_action: "errors", errors: result.errors } as never);
        return;
      }
      await ack();
      try {
        if (meta.origin === "command" && meta.channel) await this.#submitFromChannel(user, meta.channel, view.id, body.team?.id ?? "T", result.args);
        else await this.#submitFromHome(user, profile, view.id, body.team?.id ?? "T", result.args);
      } catch (err) {
        this.#log.error({ err }, "submitting the request from the modal failed");
      }
    });
  }

  /** Opens the modal at once (the trigger_id lives 3 s), then fills it in. */
  async open(triggerId: string, user: string, where: { origin: "command"; channel: string } | { origin: "home" }): Promise<void> {
    const meta: FormMeta = { origin: where.origin, ...(where.origin === "command" ? { channel: where.channel } : {}), nodes: [], network: "dhcp" };
    const opened = await this.#client.views.open({ trigger_id: triggerId, view: loadingView(meta) as never });
    const viewId = opened.view?.id;
    const hash = opened.view?.hash;
    if (!viewId) return;
    try {
      const next = await this.#initialView(user, meta);
      await this.#update(viewId, hash, next);
    } catch (err) {
      this.#log.error({ err }, "building the request form failed");
      await this.#update(viewId, undefined, messageView(meta, errorReply(err)));
    }
  }

  async #initialView(user: string, meta: FormMeta) {
    if (meta.origin === "command") {
      const binding = await resolveBinding(meta.channel!, this.#deps);
      const isAdmin = this.#deps.slack.admins.includes(user);
      if (!binding) return messageView(meta, unboundReply(isAdmin, this.#deps.profiles));
      const module = this.#provisionModule();
      if (!module) return messageView(meta, errorReply(new Error("no provision command")));
      const decision = await checkPermission({ rule: module.permission, user, admins: this.#deps.slack.admins, profile: binding.profile, resolver: this.#deps.principals });
      if (!decision.allowed) return messageView(meta, errorReply(permissionDenied(module, decision, binding.profile)));
      const nodes = await this.#nodes(binding.profile);
      return formView({ ...meta, profile: binding.profile.name, nodes }, binding.profile);
    }
    const profiles = await this.#homeProfiles(user, meta);
    const first = profiles[0];
    if (!first) return messageView(meta, { visibility: "ephemeral", text: "", blocks: [{ type: "text", text: ":no_entry: No profile lets you provision. Ask a bot admin which group you need." }] });
    const nodes = await this.#nodes(first);
    return formView({ ...meta, profile: first.name, nodes }, first, profiles);
  }

  /** Profiles whose `provision` permission includes the user (App Home only). */
  async #homeProfiles(user: string, meta: FormMeta): Promise<Profile[]> {
    if (meta.origin !== "home") return [];
    const module = this.#provisionModule();
    if (!module) return [];
    const out: Profile[] = [];
    for (const p of this.#deps.profiles.values()) {
      const d = await checkPermission({ rule: module.permission, user, admins: this.#deps.slack.admins, profile: p, resolver: this.#deps.principals });
      if (d.allowed) out.push(p);
    }
    return out;
  }

  async #nodes(profile: Profile): Promise<string[]> {
    if (!this.#nodesFor) return [];
    const signal = AbortSignal.timeout(this.#nodesTimeoutMs);
    try {
      const nodes = await Promise.race([
        this.#nodesFor(profile, signal),
        new Promise<string[]>((_, reject) => signal.addEventListener("abort", () => reject(new Error("timed out")), { once: true })),
      ]);
      return nodes.slice(0, 99);
    } catch (err) {
      this.#log.info({ profile: profile.name, err: (err as Error).message }, "online nodes not available; the form offers auto only");
      return [];
    }
  }

  async #update(viewId: string, hash: string | undefined, view: object): Promise<void> {
    try {
      await this.#client.views.update({ view_id: viewId, ...(hash ? { hash } : {}), view: view as never });
    } catch (err) {
      // hash_conflict: the user changed the view meanwhile; their newer state wins.
      this.#log.info({ viewId, err: (err as Error).message }, "views.update failed");
    }
  }

  /** Same path as `/pve provision <name> …` typed in the channel: binding, permission, audit, job, thread. */
  async #submitFromChannel(user: string, channel: string, viewId: string, team: string, args: z.output<typeof provisionSchema> & { name: string }): Promise<void> {
    const module = this.#provisionModule();
    if (!module) return;
    const reply = await dispatchCommand(
      { user, channel, text: `provision ${args.name} (request form)`, requestKey: `slack:${team}:view:${viewId}`, command: "/pve" },
      this.#deps,
      { module, args },
    );
    if (reply) await this.#tell(channel, user, reply);
  }

  /** From App Home: no channel, so no thread; the outcome is posted to the profile's channels when it ends. */
  async #submitFromHome(user: string, profile: Profile, viewId: string, team: string, args: z.output<typeof provisionSchema> & { name: string }): Promise<void> {
    const module = this.#provisionModule();
    if (!module) return;
    const decision = await checkPermission({ rule: module.permission, user, admins: this.#deps.slack.admins, profile, resolver: this.#deps.principals });
    const audit = (result: string, jobId: string | null) =>
      this.#deps.store.appendAudit({ actor: user, action: "provision", target: args.name, cluster: profile.cluster, result, jobId, details: { origin: "app-home", profile: profile.name } });
    if (!decision.allowed) {
      await audit("denied", null);
      return;
    }
    try {
      const request = provisionRequestFrom(args, profile, user);
      const { job, created } = await this.#deps.runner.submit({
        kind: "provision",
        request: toJson({ profile: profile.name, request }) as JsonObject,
        requester: user,
        cluster: profile.cluster,
        profile: profile.name,
        channel: null,
        idempotencyKey: `slack:${team}:view:${viewId}:provision`,
      });
      if (created) await audit("submitted", job.id);
    } catch (err) {
      if (!(err instanceof ChatOpsError)) throw err;
      await audit(`refused: ${err.code}`, null);
    } finally {
      this.onHomeSubmit?.(user);
    }
  }

  async #tell(channel: string, user: string, reply: Reply): Promise<void> {
    const msg = renderMessage(reply);
    try {
      await this.#client.chat.postEphemeral({ channel, user, text: mrkdwnToPlain(msg.text), blocks: msg.blocks as never });
    } catch (err) {
      this.#log.warn({ channel, err: (err as Error).message }, "ephemeral answer to the form failed");
    }
  }
}

export function parseMeta(text: string | undefined): FormMeta | undefined {
  if (!text) return undefined;
  try {
    const parsed = metaSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
