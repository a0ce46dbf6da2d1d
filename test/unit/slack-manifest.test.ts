/**
 * manifest.yml: valid against Slack's manifest JSON schema, the cross-field rules the schema lacks, and least
 * privilege in both directions — every Web API method the app calls is covered by a scope in the manifest, and
 * every scope in the manifest is needed by something the app does.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const manifest = parse(readFileSync(path.join(root, "manifest.yml"), "utf8")) as {
  display_information: { name: string };
  features: {
    app_home?: { home_tab_enabled?: boolean; messages_tab_enabled?: boolean };
    bot_user?: { display_name: string };
    slash_commands?: Array<{ command: string; url?: string; usage_hint?: string }>;
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    socket_mode_enabled?: boolean;
    interactivity?: { is_enabled: boolean; request_url?: string };
    event_subscriptions?: { request_url?: string; bot_events?: string[] };
  };
};

/**
 * Web API method → bot scope it needs (null: none), from each method's page on docs.slack.dev ("Required scopes"):
 * chat.postMessage / chat.update / chat.postEphemeral → chat:write (the chat:write scope page lists these methods);
 * usergroups.users.list → usergroups:read; views.open / views.update / views.push / views.publish → none;
 * auth.test → none. apps.connections.open uses the app-level token (connections:write), not a bot scope.
 */
const METHOD_SCOPES: Record<string, string | null> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "chat.delete": "chat:write",
  "usergroups.users.list": "usergroups:read",
  "users.info": "users:read",
  "conversations.info": "channels:read",
  "views.open": null,
  "views.update": null,
  "views.push": null,
  "views.publish": null,
  "auth.test": null,
};

/** Scopes needed by features rather than by a method call. */
const FEATURE_SCOPES: Record<string, string> = { commands: "the /pve slash command" };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** `client.chat.postMessage(`, `this.#client.usergroups.users.list(` … anywhere in the app's sources. */
function calledMethods(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const pattern = /\bclient\.(chat|usergroups|views|users|conversations|auth|reactions|files|apps|pins|bookmarks|team|dnd|im|mpim)\.(\w+)(?:\.(\w+))?\s*\(/g;
  for (const file of [...sourceFiles(path.join(root, "src")), ...sourceFiles(path.join(root, "commands"))]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(pattern)) {
      const method = [m[1], m[2], m[3]].filter(Boolean).join(".");
      found.set(method, [...(found.get(method) ?? []), path.relative(root, file)]);
    }
  }
  return found;
}

describe("manifest.yml", () => {
  it("is valid against Slack's manifest schema 2.0.0", () => {
    const schema = JSON.parse(readFileSync(path.join(root, "test/fixtures/slack/manifest.schema.2.0.0.json"), "utf8")) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(manifest);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("keeps the cross-field rules the schema does not carry", () => {
    const s = manifest.settings;
    const commands = manifest.features.slash_commands ?? [];
    // Without Socket Mode every entry point needs a request URL.
    if (!s.socket_mode_enabled) {
      for (const c of commands) expect(c.url, `${c.command} needs a url`).toMatch(/^https:\/\//);
      if (s.interactivity?.is_enabled) expect(s.interactivity.request_url).toMatch(/^https:\/\//);
      if (s.event_subscriptions?.bot_events?.length) expect(s.event_subscriptions.request_url).toMatch(/^https:\/\//);
    } else {
      expect(s.interactivity?.request_url).toBeUndefined();
    }
    // App Home and bot events need a bot user; slash commands need the commands scope.
    if (manifest.features.app_home?.home_tab_enabled || manifest.features.app_home?.messages_tab_enabled) expect(manifest.features.bot_user).toBeDefined();
    if (commands.length) expect(manifest.oauth_config.scopes.bot).toContain("commands");
    expect(new Set(manifest.oauth_config.scopes.bot).size).toBe(manifest.oauth_config.scopes.bot.length);
  });

  it("declares the /pve command the app listens to, with a usage hint, Socket Mode, interactivity and App Home", () => {
    expect(manifest.features.slash_commands?.map((c) => c.command)).toEqual(["/pve"]);
    const appSource = readFileSync(path.join(root, "src/transport/slack/app.ts"), "utf8");
    expect(appSource).toContain('opts.command ?? "/pve"');
    expect(manifest.features.slash_commands?.[0]?.usage_hint).toMatch(/provision/);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
  });

  it("has a scope for every Web API method the app calls, and no scope nothing needs", () => {
    const methods = calledMethods();
    expect(methods.size).toBeGreaterThan(0);
    const granted = new Set(manifest.oauth_config.scopes.bot);
    const needed = new Set<string>(Object.keys(FEATURE_SCOPES));
    for (const [method, files] of methods) {
      expect(method in METHOD_SCOPES, `${method} (called in ${files.join(", ")}) is missing from METHOD_SCOPES`).toBe(true);
      const scope = METHOD_SCOPES[method];
      if (scope) {
        expect(granted.has(scope), `${method} needs ${scope}`).toBe(true);
        needed.add(scope);
      }
    }
    expect([...granted].filter((s) => !needed.has(s)), "scopes nothing uses").toEqual([]);
    // The scan sees what the progress reporter and the permission checks call.
    expect([...methods.keys()]).toEqual(expect.arrayContaining(["chat.postMessage", "chat.update", "usergroups.users.list"]));
  });
});
