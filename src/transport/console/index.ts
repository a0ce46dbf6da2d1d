/**
 * The terminal chat console: the real Slack app driven through the Slack stand-in, on a terminal or a script.
 *
 *   const code = await runChatConsole({ runtime, profile: "lab", directory: DEMO_DIRECTORY, user: "U0ALICE",
 *     io: { input: process.stdin, output: process.stdout, interactive: process.stdin.isTTY === true },
 *     color: process.stdout.isTTY === true });
 */
import type { Logger } from "../../log.js";
import { runConsole, consoleWriter, type ConsoleIo } from "./run.js";
import { ConsoleSession, type KnownUser } from "./session.js";
import { startChatStack, type ChatStack, type ChatStackOptions } from "./stack.js";
import { makeStyle } from "./style.js";

export { ConsoleSession, type KnownUser, type ConsoleSessionOptions, type LineResult } from "./session.js";
export { runConsole, consoleWriter, type ConsoleIo } from "./run.js";
export { startChatStack, operatorDirectory, CONSOLE_CHANNEL, type ChatStack, type ChatStackOptions } from "./stack.js";
export { renderBlockKit, type ChoiceSpec, type RenderContext } from "./render.js";
export { mrkdwnToTerminal } from "./mrkdwn.js";
export { makeStyle, stripAnsi, type Style } from "./style.js";

export interface Directory {
  users: KnownUser[];
  usergroups: Record<string, string[]>;
  admins: string[];
}

/** The embedded demo's people, matching the `lab` profile's permissions and approvals. */
export const DEMO_DIRECTORY: Directory = {
  users: [
    { id: "U0ALICE", name: "alice", realName: "Alice", note: "infra group: provisions and requests teardowns" },
    { id: "U0BOB", name: "bob", realName: "Bob", note: "leads group: approves teardowns" },
    { id: "U0CAROL", name: "carol", realName: "Carol", note: "no group: may list and look" },
    { id: "U0ADMIN", name: "admin", realName: "Bot Admin", note: "bot admin: binds channels" },
  ],
  usergroups: { S0INFRA: ["U0ALICE"], S0LEADS: ["U0BOB"] },
  admins: ["U0ADMIN"],
};

export interface ChatConsoleOptions {
  runtime: ChatStackOptions["runtime"];
  profile: string;
  directory: Directory;
  /** Who acts first. */
  user: string;
  io: ConsoleIo;
  color: boolean;
  rateScale?: number;
  quietMs?: number;
  logger?: Logger;
  app?: ChatStackOptions["app"];
  /** Lines shown before the first prompt. */
  banner?: (stack: ChatStack) => string[];
  /** Called once the stack runs (tests reach the stand-in through it). */
  onStarted?: (stack: ChatStack, session: ConsoleSession) => void;
}

/** Starts the stand-in and the app on `runtime`, runs the console until the input ends, stops them. Exit code. */
export async function runChatConsole(opts: ChatConsoleOptions): Promise<number> {
  const stack = await startChatStack({
    runtime: opts.runtime,
    profile: opts.profile,
    users: opts.directory.users,
    usergroups: opts.directory.usergroups,
    admins: opts.directory.admins,
    ...(opts.rateScale !== undefined ? { rateScale: opts.rateScale } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.app ? { app: opts.app } : {}),
  });
  try {
    const writer = consoleWriter(opts.io.output, opts.io.interactive);
    const session = new ConsoleSession({
      standIn: stack.standIn,
      driver: stack.driver,
      store: opts.runtime.store,
      reporterIdle: () => stack.slack.reporter.idle(),
      channel: stack.channel.id,
      user: opts.user,
      style: makeStyle(opts.color),
      write: (lines) => writer.write(lines),
      rewrite: (lines) => writer.rewrite(lines),
      redrawInPlace: opts.io.interactive && opts.color,
      knownUsers: opts.directory.users,
      ...(opts.quietMs !== undefined ? { quietMs: opts.quietMs } : {}),
    });
    if (opts.banner) writer.write(opts.banner(stack));
    opts.onStarted?.(stack, session);
    return await runConsole(session, opts.io, writer);
  } finally {
    await stack.close();
  }
}
