/**
 * `pve-chatops demo`: the whole bot with no configuration. The built-in Proxmox simulator (3 nodes, VM templates
 * and container templates) at a pace a person can follow, a SQLite store, a local Slack stand-in and the REAL
 * Slack app bound to #demo with the embedded `lab` profile — driven from a chat console in the terminal.
 *
 *   npm run demo
 *   echo '/pve list' | pve-chatops demo            (scripted: runs the lines in order, exit code 1 on a failure)
 */
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CliIo } from "./io.js";
import { embeddedDefaultConfig, type LoadedConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import { buildRuntime } from "../main.js";
import { startSimulator, type PveSimulator } from "../sim/index.js";
import { DEMO_DIRECTORY, runChatConsole, type ConsoleIo } from "../transport/console/index.js";
import { slackAppExtras } from "./console.js";

export const summary = "try the bot with no configuration: simulated cluster + the Slack app in a terminal chat console";

const USAGE = "pve-chatops demo [--speed 10] [--store sqlite:./data/demo.db|sqlite::memory:] [--user U0ALICE] [--no-color]";

const HELP = `Usage: ${USAGE}

Starts a simulated Proxmox VE cluster (nodes pve1-pve3, VM and container templates), a SQLite store, a local
Slack stand-in and the real Slack app bound to #demo with the built-in "lab" profile, then a chat console:
type what you would type in Slack.

  /pve provision docker1 --docker    a VM with Docker; watch its message update and its thread fill
  /pve list · /pve status docker1    what runs
  /pve teardown docker1              needs a second person: /user U0BOB, then click Approve
  /help                              the console's own commands

Options:
  --speed X        simulated time runs X times faster than a real cluster (default 10)
  --store URL      where jobs and audit go (default sqlite:./data/demo.db, recreated each run)
  --user ID        who you are at first (default U0ALICE)
  --no-color       plain output even on a terminal
  --log-level L    bot logs on stderr (default warn)

With piped input the lines run in order, each waiting for its jobs; the exit code is 1 if something failed.`;

export const DEMO_STORE = "sqlite:./data/demo.db";

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** The demo store starts empty each run: the simulated cluster starts fresh too, and old jobs would not fit it. */
function freshSqliteFile(url: string, cwd: string): void {
  const m = /^sqlite:(?!:memory:)(.+)$/.exec(url);
  if (!m) return;
  const file = resolve(cwd, m[1]!);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
}

/** The embedded config (cluster `sim`, profile `lab`) for a running simulator whose guests listen on `guestSshPort`. */
export function demoConfig(sim: Pick<PveSimulator, "url" | "fingerprint" | "tokenId" | "tokenSecret">, guestSshPort: number): LoadedConfig {
  const embedded = embeddedDefaultConfig({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret });
  // Readiness probes must knock on the port the simulated guests really listen on (not 22: that needs root).
  const profiles = new Map([...embedded.profiles].map(([name, p]) => [name, Object.freeze({ ...p, readiness: { ...p.readiness, sshPort: guestSshPort } })]));
  return { ...embedded, profiles };
}

export async function run(argv: string[], io: CliIo, streams?: { console: ConsoleIo; color: boolean }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        speed: { type: "string" },
        store: { type: "string" },
        user: { type: "string" },
        "no-color": { type: "boolean", default: false },
        "log-level": { type: "string" },
        "quiet-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message, USAGE);
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const speed = values.speed === undefined ? 10 : Number(values.speed);
  if (!(speed > 0) || !Number.isFinite(speed)) throw new UsageError(`--speed must be a positive number, got "${values.speed}"`, USAGE);
  const quietMs = values["quiet-ms"] === undefined ? undefined : Number(values["quiet-ms"]);
  const user = values.user ?? "U0ALICE";
  if (!DEMO_DIRECTORY.users.some((u) => u.id === user)) {
    throw new UsageError(`--user must be one of ${DEMO_DIRECTORY.users.map((u) => u.id).join(", ")}`, USAGE);
  }
  const storeUrl = values.store ?? DEMO_STORE;
  const consoleIo: ConsoleIo = streams?.console ?? { input: process.stdin, output: process.stdout, interactive: process.stdin.isTTY === true };
  const color = !values["no-color"] && (streams?.color ?? process.stdout.isTTY === true);
  // Bot logs go to stderr as JSON lines, so they never mix into the conversation on stdout.
  const logger = createLogger({ level: values["log-level"] ?? io.env.LOG_LEVEL ?? "warn", destination: { write: (line: string) => io.err(line.trimEnd()) } });

  const guestSshPort = await freePort();
  const sim = await startSimulator({ speed, nodes: 3, guestSshPort, logger: logger.child({ component: "sim" }) });
  try {
    const loaded = demoConfig(sim, guestSshPort);
    freshSqliteFile(storeUrl, io.cwd);
    const runtime = await buildRuntime(loaded, { logger, storeUrl });
    try {
      runtime.runner.start();
      return await runChatConsole({
        runtime,
        profile: "lab",
        directory: DEMO_DIRECTORY,
        user,
        io: consoleIo,
        color,
        logger,
        app: slackAppExtras(runtime),
        ...(quietMs !== undefined && quietMs >= 0 ? { quietMs } : {}),
        banner: () => [
          `pve-chatops demo — simulated cluster ${sim.state.nodes().map((n) => n.name).join(", ")} (speed ${speed}), store ${storeUrl}`,
          `#demo is bound to profile "lab". You are ${DEMO_DIRECTORY.users.find((u) => u.id === user)?.name ?? user}. Others: ${DEMO_DIRECTORY.users
            .filter((u) => u.id !== user)
            .map((u) => `${u.id} (${u.note ?? u.name})`)
            .join(", ")}.`,
          "Try: /pve provision docker1 --docker · /pve list · /pve status docker1 · /pve teardown docker1 · /pve help · /help",
          "",
        ],
      });
    } finally {
      await runtime.close();
    }
  } finally {
    await sim.close();
  }
}
