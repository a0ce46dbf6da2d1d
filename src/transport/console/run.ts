/**
 * Runs a ConsoleSession on a terminal or on piped input.
 *
 * Interactive (input is a TTY): a readline prompt; what the app sends appears as it arrives, above the prompt,
 * and a message that changes while it is the last thing shown is redrawn in place.
 * Scripted (piped input, e.g. `echo '/pve list' | pve-chatops demo`): the lines run in order, each command
 * followed by a wait until its jobs are finished and shown (or nothing happened for a quiet period); the exit
 * code is 1 when a command was refused or failed, or a job failed, else 0.
 */
import { createInterface, clearLine, cursorTo, moveCursor, clearScreenDown } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ConsoleSession } from "./session.js";
import { stripAnsi } from "./style.js";

export interface ConsoleIo {
  input: Readable;
  output: Writable & { columns?: number };
  /** Prompt and in-place updates (a person at a terminal) rather than a script. */
  interactive: boolean;
}

/** A writer for ConsoleSession that keeps a readline prompt intact while output arrives. */
export function consoleWriter(output: ConsoleIo["output"], interactive: boolean) {
  let redrawPrompt: (() => void) | undefined;
  let last: string[] = [];
  /** Terminal rows the lines take (long lines wrap). */
  const rows = (lines: string[]) => {
    const cols = output.columns ?? 0;
    return lines.reduce((n, l) => n + (cols > 0 ? Math.max(1, Math.ceil(stripAnsi(l).length / cols)) : 1), 0);
  };
  const clearPrompt = () => {
    if (!interactive) return;
    clearLine(output, 0);
    cursorTo(output, 0);
  };
  return {
    setPrompt(fn: () => void) {
      redrawPrompt = fn;
    },
    write(lines: string[]) {
      if (lines.length === 0) return;
      clearPrompt();
      output.write(lines.join("\n") + "\n");
      last = lines;
      if (interactive) redrawPrompt?.();
    },
    /** Replaces the block written last (it is directly above the prompt). */
    rewrite(lines: string[]) {
      clearPrompt();
      moveCursor(output, 0, -rows(last));
      clearScreenDown(output);
      output.write(lines.join("\n") + "\n");
      last = lines;
      redrawPrompt?.();
    },
  };
}

export async function runConsole(session: ConsoleSession, io: ConsoleIo, writer?: { setPrompt(fn: () => void): void }): Promise<number> {
  const rl = createInterface({ input: io.input, output: io.interactive ? io.output : undefined, terminal: io.interactive });
  writer?.setPrompt(() => {
    rl.setPrompt(session.prompt());
    rl.prompt(true);
  });
  session.start();
  let failed = false;
  try {
    if (!io.interactive) {
      for await (const line of rl) {
        const prompt = session.prompt();
        io.output.write(`${prompt}${line}\n`);
        const result = await session.handleLine(line);
        failed ||= result.failed;
        if (result.quit) break;
        // Each step runs to its end before the next line: its jobs finished and shown, or a quiet period.
        const step = line.trim() !== "" && !line.trim().startsWith("#");
        if (step && !session.inForm) await session.settle();
      }
      await session.settle();
    } else {
      rl.setPrompt(session.prompt());
      rl.prompt();
      const queue: string[] = [];
      let busy = false;
      let quit = false;
      await new Promise<void>((resolve) => {
        const drain = async () => {
          if (busy) return;
          busy = true;
          while (queue.length && !quit) {
            const result = await session.handleLine(queue.shift()!);
            failed ||= result.failed;
            if (result.quit) quit = true;
          }
          busy = false;
          if (quit) rl.close();
          else {
            rl.setPrompt(session.prompt());
            rl.prompt();
          }
        };
        rl.on("line", (line) => {
          queue.push(line);
          void drain();
        });
        rl.on("close", () => resolve());
      });
    }
  } finally {
    rl.close();
    session.stop();
  }
  const failedJobs = await session.failedJobs();
  if (failedJobs.length) io.output.write(`${failedJobs.length} job(s) failed: ${failedJobs.join(", ")}\n`);
  return failed || failedJobs.length > 0 ? 1 : 0;
}
