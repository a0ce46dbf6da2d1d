import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { quoteShellArg, shellJoin } from "../../src/adapters/ssh/quote.js";
import { SshError } from "../../src/adapters/ssh/errors.js";

/** Let a real local POSIX shell parse the joined command line and print each word NUL-terminated. */
function shellSplit(commandLine: string): string[] {
  const r = spawnSync("sh", ["-c", `printf '%s\\0' ${commandLine}`], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" } });
  expect(r.status).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

const SHELL_SPECIALS = [..."'\"\\$`!*?[]{}()~#&;|<> \t\n=%^,:@-+/.", "$(", "${", "''", "'\\''", "\r", "\u00e9", "\u{1F600}", "\u202e"];
/** Arguments rich in shell metacharacters, plus arbitrary Unicode (no NUL, no lone surrogates: not valid in argv). */
const argArb = fc.oneof(
  fc.array(fc.constantFrom(...SHELL_SPECIALS), { maxLength: 12 }).map((parts) => parts.join("")),
  fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("\0")),
);

describe("quoteShellArg / shellJoin", () => {
  it("round-trips any arguments through a real sh unchanged (property)", () => {
    fc.assert(
      fc.property(fc.array(argArb, { minLength: 1, maxLength: 6 }), (argv) => {
        expect(shellSplit(shellJoin(argv))).toEqual(argv);
      }),
      { numRuns: 150 },
    );
  });

  it("leaves plain words readable and single-quotes everything else", () => {
    expect(shellJoin(["qm", "importdisk", "9000", "/var/lib/vz/template/x.qcow2", "local-lvm"])).toBe(
      "qm importdisk 9000 /var/lib/vz/template/x.qcow2 local-lvm",
    );
    expect(quoteShellArg("")).toBe("''");
    expect(quoteShellArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellArg("$(reboot)")).toBe("'$(reboot)'");
    expect(quoteShellArg("~root")).toBe("'~root'");
    expect(quoteShellArg("=cmd")).toBe("'=cmd'");
  });

  it("refuses NUL bytes and empty commands with a typed error", () => {
    expect(() => quoteShellArg("a\0b")).toThrow(SshError);
    expect(() => shellJoin([])).toThrow(SshError);
  });
});
