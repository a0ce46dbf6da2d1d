/**
 * No secret in any log line or CLI error: a real flow — config loaded from files and ${ENV} (Slack bot token,
 * app token, signing secret, a Proxmox token secret, an SSH private key), the real Slack app against the
 * stand-in, a provision on the simulator, a cluster with a wrong token (401), a forged Slack request and a broken
 * config file — with ALL log output captured at debug level, then searched for every secret.
 */
import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { CliIo } from "../../src/cli/io.js";
import { freePort } from "../../src/cli/demo.js";
import { loadConfig } from "../../src/config/load.js";
import { LAB_PROFILE_YAML } from "../../src/config/defaults.js";
import { createLogger } from "../../src/log.js";
import { buildRuntime, type Runtime } from "../../src/main.js";
import { checkHealth } from "../../src/ops/index.js";
import { startSimulator, type PveSimulator } from "../../src/sim/index.js";
import { DEMO_DIRECTORY, startChatStack, type ChatStack } from "../../src/transport/console/index.js";
import { FAST_TIMING } from "../support/pve-env.js";

/** Every secret (or a long enough piece of one) that occurs in `text`. */
function leakedSecrets(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    // The whole value, and for multi-line secrets (keys) each substantial line of it.
    const pieces = [secret, ...secret.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"))];
    if (pieces.some((p) => text.includes(p))) found.push(name);
  }
  return found;
}

describe("secrets never reach the logs", () => {
  const lines: string[] = [];
  const cliOutput: string[] = [];
  let dir: string;
  let sim: PveSimulator;
  let runtime: Runtime;
  let stack: ChatStack;
  const secrets: Record<string, string> = {
    slackBotToken: `xoxb-${randomBytes(12).toString("hex")}`,
    slackAppToken: `xapp-1-A0TEST-${randomBytes(12).toString("hex")}`,
    slackSigningSecret: randomBytes(16).toString("hex"),
    wrongProxmoxTokenSecret: "6f1d4f0e-2b7c-4b5e-9a7d-1c2e3f405162",
  };
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pve-chatops-secrets-"));
    const sshPort = await freePort();
    sim = await startSimulator({ speed: 100, authFailureDelayMs: 10, guestSshPort: sshPort, seed: 3, logger });
    secrets["proxmoxTokenSecret"] = sim.tokenSecret;
    const key = generateEd25519KeyPair();
    secrets["sshPrivateKey"] = key.private.trim();
    writeFileSync(join(dir, "id_ed25519"), key.private, { mode: 0o600 });
    writeFileSync(join(dir, "known_hosts"), `127.0.0.1 ${sim.guestHostKey}\n`);
    mkdirSync(join(dir, "profiles"));
    const profile = (cluster: string) =>
      LAB_PROFILE_YAML.replace(/^cluster: lab$/m, `cluster: ${cluster}`).replace(
        /^readiness: .*$/m,
        `readiness: { agentTimeoutSec: 60, ipTimeoutSec: 60, sshTimeoutSec: 30, sshHandshake: false, sshPort: ${sshPort} }`,
      );
    writeFileSync(join(dir, "profiles/lab.yaml"), profile("sim"));
    writeFileSync(join(dir, "profiles/wrong.yaml"), profile("wrong").replace('auto: "500-8999"', 'auto: "10000-19999"'));
    const api = (secretVar: string) => `    api: { url: "\${SIM_URL}", tokenId: "\${SIM_TOKEN_ID}", tokenSecret: "\${${secretVar}}", fingerprint: "\${SIM_FP}" }`;
    writeFileSync(
      join(dir, "pve-chatops.yaml"),
      [
        'store: { url: "sqlite::memory:" }',
        "clusters:",
        "  sim:",
        api("SIM_TOKEN_SECRET"),
        "    ssh: { user: root, privateKeyFile: ./id_ed25519, knownHostsFile: ./known_hosts }",
        "  wrong:",
        api("WRONG_TOKEN_SECRET"),
        "profilesDir: ./profiles",
        "slack:",
        '  admins: ["U0ADMIN"]',
        '  botToken: "${SLACK_BOT_TOKEN}"',
        '  appToken: "${SLACK_APP_TOKEN}"',
        '  signingSecret: "${SLACK_SIGNING_SECRET}"',
        "log: { level: debug }",
        "",
      ].join("\n"),
    );
    const env: NodeJS.ProcessEnv = {
      SIM_URL: sim.url,
      SIM_TOKEN_ID: sim.tokenId,
      SIM_TOKEN_SECRET: sim.tokenSecret,
      SIM_FP: sim.fingerprint,
      WRONG_TOKEN_SECRET: secrets["wrongProxmoxTokenSecret"],
      SLACK_BOT_TOKEN: secrets["slackBotToken"],
      SLACK_APP_TOKEN: secrets["slackAppToken"],
      SLACK_SIGNING_SECRET: secrets["slackSigningSecret"],
    };
    const loaded = await loadConfig({ path: join(dir, "pve-chatops.yaml"), env, cwd: dir });
    logger.debug({ config: loaded.config }, "config loaded"); // Secret objects print as [redacted]
    runtime = await buildRuntime(loaded, { logger, engineTiming: FAST_TIMING, runner: { pollMs: 20 } });
    runtime.runner.start();
    stack = await startChatStack({
      runtime,
      profile: "lab",
      users: DEMO_DIRECTORY.users,
      usergroups: DEMO_DIRECTORY.usergroups,
      admins: DEMO_DIRECTORY.admins,
      rateScale: 0.01,
      logger,
      standIn: { botToken: loaded.config.slack.botToken!.reveal(), appToken: loaded.config.slack.appToken!.reveal() },
      signingSecret: loaded.config.slack.signingSecret!.reveal(),
      app: { retryConfig: { retries: 20, factor: 1, minTimeout: 10, maxTimeout: 50 } },
    });

    // 1. A provision through the Slack app, with a Slack 429 on the way.
    stack.standIn.forceRateLimit("chat.postMessage", 1, 0);
    await stack.driver.postCommand({ user: "U0ALICE", channel: stack.channel.id, text: "provision secret1" });
    for (let i = 0; i < 500; i++) {
      const [j] = await runtime.store.listJobs({ limit: 1 });
      if (j) {
        await runtime.runner.waitForJob(j.id, 60_000);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await stack.slack.reporter.idle();
    // 2. A forged Slack request (bad signature) and a usage error.
    await stack.driver.postCommand({ user: "U0ALICE", channel: stack.channel.id, text: "list", badSignature: true });
    await stack.driver.postCommand({ user: "U0ALICE", channel: stack.channel.id, text: "provision x --dokcer" });
    // 3. A cluster with a wrong token: 401 (engine call and health check).
    await (async () => runtime.engine.list("wrong", {}))().catch((err: unknown) => logger.warn({ err }, "listing on the wrong cluster failed"));
    await checkHealth({ store: runtime.store, clients: runtime.clients });
    // 4. A broken config through the real CLI (unknown keys next to secrets, a wrong type).
    writeFileSync(
      join(dir, "broken.yaml"),
      [
        "clusters:",
        "  sim:",
        '    api: { url: "${SIM_URL}", tokenId: "${SIM_TOKEN_ID}", tokenSecrett: "${SIM_TOKEN_SECRET}", fingerprint: 42 }',
        "slack:",
        '  botTokn: "${SLACK_BOT_TOKEN}"',
        '  signingSecret: ["${SLACK_SIGNING_SECRET}"]',
        "",
      ].join("\n"),
    );
    const io: CliIo = { out: (l) => void cliOutput.push(l), err: (l) => void cliOutput.push(l), env, cwd: dir, stopSignal: Promise.resolve() };
    expect(await main(["serve", "--config", join(dir, "broken.yaml")], io)).not.toBe(0);
    expect(await main(["check", "--config", join(dir, "broken.yaml")], io)).not.toBe(0);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await runtime?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("captured a real flow at debug level (requests, jobs, the 401, the config error)", () => {
    const all = lines.join("");
    expect(lines.length).toBeGreaterThan(50);
    expect(all).toContain('"level":20'); // debug lines are there
    expect(all).toMatch(/"status":401/);
    expect(all).toMatch(/"msg":"job succeeded"/);
    // Job lines carry their job id (child loggers).
    const jobLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r["msg"] === "job succeeded");
    expect(jobLines.every((r) => typeof r["jobId"] === "string")).toBe(true);
    expect(cliOutput.join("\n")).toMatch(/tokenSecrett|botTokn/);
  });

  it("finds no secret in any log line or CLI output", () => {
    const corpus = lines.join("") + cliOutput.join("\n");
    expect(Object.keys(secrets)).toHaveLength(6);
    expect(leakedSecrets(corpus, secrets)).toEqual([]);
  });

  it("would find a secret that was logged (the search itself works)", () => {
    const canary: string[] = [];
    const leaky = createLogger({ level: "debug", destination: { write: (line: string) => void canary.push(line) } });
    leaky.info({ note: secrets["slackBotToken"] }, "a careless line");
    leaky.info({ detail: `key follows\n${secrets["sshPrivateKey"]!.split("\n")[1]}` }, "half a key");
    // …while the redact paths catch the usual field names.
    leaky.info({ token: secrets["slackSigningSecret"], headers: { authorization: `PVEAPIToken=x=${secrets["proxmoxTokenSecret"]}` } }, "redacted");
    expect(leakedSecrets(canary.join(""), secrets).sort()).toEqual(["slackBotToken", "sshPrivateKey"]);
  });
});
