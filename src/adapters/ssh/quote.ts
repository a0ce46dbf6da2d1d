import { SshError } from "./errors.js";

/** Characters that never need quoting in a POSIX shell word (not even at its start, unlike ~ # or zsh's =). */
const SAFE_WORD = /^[A-Za-z0-9_\-+/.,:@]+$/;

/**
 * Quote one argument for a POSIX shell (sh, bash, dash): single quotes, each `'` written as `'\''`. Inside single
 * quotes nothing is special, so the remote shell passes the exact bytes as one argument. NUL cannot be in an
 * argument at all, so it is refused rather than silently truncated.
 */
export function quoteShellArg(arg: string): string {
  if (arg.includes("\0")) throw new SshError({ kind: "invalid-argument", message: "an argument contains a NUL byte" });
  if (arg !== "" && SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line whose words the remote shell splits back into exactly `argv`. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new SshError({ kind: "invalid-argument", message: "empty command" });
  return argv.map(quoteShellArg).join(" ");
}
