/**
 * From `/pve <text>` to a reply, independent of Slack: tokenize and parse (synchronous, so a transport can answer
 * usage errors in its ack), resolve the channel's binding, check permissions, run the command. Every failure
 * becomes an ephemeral error reply through the one error renderer.
 */
import { ChatOpsError, PermissionDenied, UsageError } from "../errors.js";
import type { Profile } from "../config/schema.js";
import { errorReply } from "../transport/render-error.js";
import { toJson } from "../jobs/runner.js";
import type { JsonObject } from "../adapters/store/types.js";
import { closest, parseArgs, tokenize, validateArgs } from "./parse.js";
import { checkPermission, type PermissionDecision } from "./permissions.js";
import { ephemeral, escapeMrkdwn, principalText, type Reply } from "./message.js";
import type { ChannelBindingInfo, CommandContext, CommandDeps, CommandModule, Invocation, StartJobInput } from "./types.js";
import type { JobKindName } from "../jobs/kinds.js";

export interface PreparedCommand {
  module: CommandModule;
  args: unknown;
}

/** Finds the command and parses its arguments. Throws UsageError only. No I/O. */
export function prepareCommand(text: string, commands: readonly CommandModule[]): PreparedCommand {
  const tokens = tokenize(text);
  const help = commands.find((c) => c.name === "help");
  const [first, ...rest] = tokens;
  if (first === undefined) {
    if (!help) throw new UsageError("No command given.");
    return { module: help, args: validateArgs(help.schema, {}, help.args, help.usage) };
  }
  const name = first.toLowerCase();
  const module = commands.find((c) => c.name === name);
  if (!module) {
    const guess = closest(name, commands.map((c) => c.name));
    const shown = first.length > 40 ? `${first.slice(0, 40)}…` : first;
    throw new UsageError(`Unknown command "${shown}".${guess ? ` Did you mean \`${guess}\`?` : ""} \`/pve help\` lists the commands.`);
  }
  if (help && module !== help && rest.some((t) => t === "--help" || t === "-h")) {
    return { module: help, args: validateArgs(help.schema, { command: module.name }, help.args, help.usage) };
  }
  const raw = parseArgs(rest, module.args, module.usage);
  return { module, args: validateArgs(module.schema, raw, module.args, module.usage) };
}

/** The channel's profile: a binding made with `/pve bind` (the store) wins over one from the config file. */
export async function resolveBinding(channel: string, deps: Pick<CommandDeps, "store" | "slack" | "profiles">): Promise<ChannelBindingInfo | undefined> {
  const stored = await deps.store.getBinding(channel);
  const fromStore = stored && deps.profiles.get(stored.profile);
  if (fromStore) return { profile: fromStore, source: "store" };
  const configured = deps.slack.bindings[channel];
  const fromConfig = configured !== undefined ? deps.profiles.get(configured) : undefined;
  if (fromConfig) return { profile: fromConfig, source: "config" };
  return undefined;
}

export function unboundReply(isAdmin: boolean, profiles: ReadonlyMap<string, Profile>): Reply {
  const lines = [":information_source: This channel is not bound to a profile yet, so `/pve` does not know which cluster to act on."];
  if (isAdmin) {
    const list = [...profiles.values()].map((p) => `• \`${p.name}\` — cluster ${escapeMrkdwn(p.cluster)}, pool ${escapeMrkdwn(p.pool)}`);
    lines.push(`Bind it with \`/pve bind &lt;profile&gt;\`. Profiles:`, ...(list.length ? list : ["(none configured)"]));
  } else {
    lines.push("Ask a bot admin to run `/pve bind &lt;profile&gt;` here.");
  }
  return ephemeral(lines.join("\n"));
}

/** A refusal that says who may run the command. */
export function permissionDenied(module: CommandModule, decision: Extract<PermissionDecision, { allowed: false }>, profile: Profile | undefined): PermissionDenied {
  const cmd = `/pve ${module.name}`;
  switch (decision.reason) {
    case "admin-only":
      return new PermissionDenied(
        `Only bot admins may run ${cmd}${decision.needed.length ? ` (${decision.needed.map(principalText).join(", ")})` : " (no admins are configured in slack.admins)"}.`,
      );
    case "no-rule":
      return new PermissionDenied(
        `Profile ${profile?.name ?? "?"} lets nobody run ${cmd}: it has no permissions entry for ${Array.isArray(module.permission) ? module.permission.join(" or ") : module.name}.`,
      );
    case "not-listed":
      return new PermissionDenied(
        `You may not run ${cmd} in this channel (profile ${profile?.name ?? "?"}). It needs membership in ${decision.needed.map(principalText).join(" or ") || "nobody"}.`,
      );
  }
}

export async function dispatchCommand(inv: Invocation, deps: CommandDeps, prepared?: PreparedCommand): Promise<Reply | undefined> {
  const log = deps.logger.child({ requestId: inv.requestKey, user: inv.user, channel: inv.channel });
  let module: CommandModule | undefined;
  try {
    const p = prepared ?? prepareCommand(inv.text, deps.commands);
    module = p.module;
    const isAdmin = deps.slack.admins.includes(inv.user);
    const binding = await resolveBinding(inv.channel, deps);
    if (module.needsBinding && !binding) return unboundReply(isAdmin, deps.profiles);
    const decision = await checkPermission({
      rule: module.permission,
      user: inv.user,
      admins: deps.slack.admins,
      profile: binding?.profile,
      resolver: deps.principals,
    });
    const ctx = makeContext(inv, deps, p.args, binding, isAdmin);
    if (!decision.allowed) {
      if (module.mutates) await ctx.audit({ action: module.name, target: inv.text.slice(0, 200), result: "denied" });
      throw permissionDenied(module, decision, binding?.profile);
    }
    return await module.run(ctx);
  } catch (err) {
    if (!(err instanceof ChatOpsError)) log.error({ err, command: module?.name }, "command failed with an internal error");
    else log.info({ code: err.code, command: module?.name }, "command refused");
    return errorReply(err);
  }
}

function makeContext(inv: Invocation, deps: CommandDeps, args: unknown, binding: ChannelBindingInfo | undefined, isAdmin: boolean): CommandContext<never> {
  const audit: CommandContext<never>["audit"] = async (entry) => {
    await deps.store.appendAudit({
      actor: inv.user,
      action: entry.action,
      target: entry.target ?? null,
      cluster: binding?.profile.cluster ?? null,
      result: entry.result,
      jobId: entry.jobId ?? null,
      details: { channel: inv.channel, ...(binding ? { profile: binding.profile.name } : {}), ...(entry.details ?? {}) },
    });
  };
  const profile = (): Profile => {
    if (!binding) throw new UsageError("This channel is not bound to a profile: `/pve bind <profile>` first.");
    return binding.profile;
  };
  return {
    args: args as never,
    invocation: inv,
    user: inv.user,
    channel: inv.channel,
    binding,
    isAdmin,
    deps,
    profile,
    audit,
    async startJob<K extends JobKindName>(input: StartJobInput<K>) {
      const p = profile();
      const { job, created } = await deps.runner.submit({
        kind: input.kind,
        request: toJson(input.request) as JsonObject,
        requester: inv.user,
        cluster: p.cluster,
        profile: p.name,
        channel: inv.channel,
        idempotencyKey: `${inv.requestKey}:${input.kind}`,
      });
      if (!created) {
        return { job, created, reply: ephemeral(`This request is already job \`${job.id}\` (${job.state}); Slack delivered it twice.`) };
      }
      await audit({ action: input.kind, target: input.target, result: "submitted", jobId: job.id });
      return {
        job,
        created,
        reply: ephemeral(`Job \`${job.id}\` started: ${input.kind} ${escapeMrkdwn(input.target)}. Progress follows in its thread in this channel.`),
      };
    },
  };
}
