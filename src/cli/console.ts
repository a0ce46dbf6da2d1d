/**
 * `pve-chatops console --config <file>`: the chat console against a REAL configured cluster and store — the
 * engine, the job runner and the Slack app's commands, without a Slack workspace (the app talks to a local Slack
 * stand-in). For operators: you act as U0OPERATOR, who is in every user group the config names; a second
 * operator (U0OPERATOR2, `/user U0OPERATOR2`) approves what needs a second person.
 */
import { parseArgs } from "node:util";
import type { CliIo } from "./io.js";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import { buildRuntime, slackRuntimeOptions, type Runtime } from "../main.js";
import { operatorDirectory, runChatConsole, type ChatStackOptions, type ConsoleIo } from "../transport/console/index.js";

export const summary = "the chat console on a configured cluster and store (the bot's commands without Slack)";

const USAGE = "pve-chatops console --config <file> [--profile <name>] [--no-color]";

const HELP = `Usage: ${USAGE}

Runs the bot's commands from a terminal against the cluster and store of your config, through the same Slack
app code (talking to a local Slack stand-in, not to Slack). You are U0OPERATOR, a member of every user group the
config names; /user U0OPERATOR2 switches to a second operator to approve. /help lists the console's commands.

Options:
  --config FILE    the main config (default ./pve-chatops.yaml)
  --profile NAME   the profile the console's channel is bound to (default: the first)
  --no-color       plain output even on a terminal
  --log-level L    bot logs on stderr (default: the config's log.level)

With piped input the lines run in order, each waiting for its jobs; the exit code is 1 if something failed.`;

/** The same runtime-dependent Slack app parts `serve` adds (the modal's online nodes, notifications), for demo and console. */
export function slackAppExtras(runtime: Runtime): ChatStackOptions["app"] {
  return slackRuntimeOptions(runtime);
}

export async function run(argv: string[], io: CliIo, streams?: { console: ConsoleIo; color: boolean }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        profile: { type: "string" },
        "no-color": { type: "boolean", default: false },
        "log-level": { type: "string" },
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
  const loaded = await loadConfig({ ...(values.config ? { path: values.config } : {}), env: io.env, cwd: io.cwd });
  const names = [...loaded.profiles.keys()];
  const profile = values.profile ?? names[0];
  if (!profile || !loaded.profiles.has(profile)) {
    throw new UsageError(profile ? `No profile "${profile}" (profiles: ${names.join(", ") || "none"}).` : "The config defines no profile.", USAGE);
  }
  const logger = createLogger({ level: values["log-level"] ?? loaded.config.log.level, destination: { write: (line: string) => io.err(line.trimEnd()) } });
  const consoleIo: ConsoleIo = streams?.console ?? { input: process.stdin, output: process.stdout, interactive: process.stdin.isTTY === true };
  const color = !values["no-color"] && (streams?.color ?? process.stdout.isTTY === true);
  const directory = operatorDirectory(loaded.config, loaded.profiles.values());
  const runtime = await buildRuntime(loaded, { logger });
  try {
    runtime.runner.start();
    return await runChatConsole({
      runtime,
      profile,
      directory,
      user: directory.users[0]!.id,
      io: consoleIo,
      color,
      logger,
      rateScale: 0.1,
      app: slackAppExtras(runtime),
      banner: () => [
        `pve-chatops console — config ${loaded.file}, #demo bound to profile "${profile}" (cluster ${loaded.profiles.get(profile)!.cluster})`,
        "You are U0OPERATOR; /user U0OPERATOR2 approves as a second person. /pve help · /help",
        "",
      ],
    });
  } finally {
    await runtime.close();
  }
}
