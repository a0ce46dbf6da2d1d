#!/usr/bin/env node
/**
 * `pve-chatops <subcommand>`: the one CLI entry point. Each subcommand lives in src/cli/<name>.ts and exports
 * `run(argv, io): Promise<number>` (the exit code). Errors become text in one place (src/errors.ts).
 */
import { userFacingMessage, ChatOpsError } from "./errors.js";
import type { CliIo } from "./cli/io.js";
import { processIo } from "./cli/io.js";

type SubcommandModule = { run(argv: string[], io: CliIo): Promise<number>; summary: string };

const SUBCOMMANDS: Record<string, () => Promise<SubcommandModule>> = {
  check: () => import("./cli/check.js"),
  sim: () => import("./cli/sim.js"),
  serve: () => import("./cli/serve.js"),
  demo: () => import("./cli/demo.js"),
  console: () => import("./cli/console.js"),
};

async function usage(): Promise<string> {
  const summaries = await Promise.all(Object.entries(SUBCOMMANDS).map(async ([name, load]) => `  ${name.padEnd(9)} ${(await load()).summary}`));
  return [
    "Usage: pve-chatops <command> [options]",
    "",
    "Commands:",
    ...summaries,
    "",
    "Run `pve-chatops <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(await usage());
    return cmd ? 0 : 2;
  }
  const load = SUBCOMMANDS[cmd];
  if (!load) {
    io.err(`pve-chatops: unknown command "${cmd}"\n\n${await usage()}`);
    return 2;
  }
  try {
    const mod = await load();
    return await mod.run(rest, io);
  } catch (err) {
    io.err(`pve-chatops ${cmd}: ${userFacingMessage(err)}`);
    if (!(err instanceof ChatOpsError) || !err.userSafe) io.err(String((err as Error)?.stack ?? err));
    return 1;
  }
}

// Run when executed directly (not when imported by tests).
const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith("/pve-chatops")) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Long-running subcommands (sim, serve) resolve only when they are done.
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
