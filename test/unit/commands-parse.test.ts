import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_COMMANDS } from "../../commands/index.js";
import { prepareCommand } from "../../src/commands/dispatch.js";
import { closest, parseArgs, tokenize } from "../../src/commands/parse.js";
import { UsageError } from "../../src/errors.js";

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error("expected a UsageError");
}

describe("tokenize", () => {
  it("splits on whitespace and groups quoted words, including Slack's smart quotes and entities", () => {
    expect(tokenize("  provision  web1   --tag a ")).toEqual(["provision", "web1", "--tag", "a"]);
    expect(tokenize('snapshot web1 "before upgrade"')).toEqual(["snapshot", "web1", "before upgrade"]);
    expect(tokenize("x \u201chello world\u201d y \u2018a b\u2019")).toEqual(["x", "hello world", "y", "a b"]);
    expect(tokenize('--os="local:iso/a b.iso"')).toEqual(["--os=local:iso/a b.iso"]);
    expect(tokenize("a &lt;b&gt; &amp;")).toEqual(["a", "<b>", "&"]);
    expect(tokenize('""')).toEqual([""]);
  });

  it("reports an unclosed quote", () => {
    expect(usageError(() => tokenize('list "web')).message).toMatch(/Unclosed quote at position 6/);
  });
});

describe("parseArgs", () => {
  const spec = {
    positionals: [{ name: "name", required: true }],
    flags: { docker: { kind: "boolean" as const }, cores: { kind: "value" as const, metavar: "N" }, tag: { kind: "value" as const, repeat: true } },
  };
  it("takes --flag value, --flag=value and repeated flags", () => {
    expect(parseArgs(["web1", "--cores", "4", "--tag=a", "--tag", "b", "--docker"], spec, "u")).toEqual({ name: "web1", cores: "4", tag: ["a", "b"], docker: true });
  });
  it("explains every mistake and carries the usage line", () => {
    const unknown = usageError(() => parseArgs(["web1", "--dokcer"], spec, "USAGE"));
    expect(unknown.message).toBe("Unknown flag --dokcer. Did you mean --docker?");
    expect(unknown.usage).toBe("USAGE");
    expect(usageError(() => parseArgs(["web1", "--zzzzzz"], spec, "u")).message).toBe("Unknown flag --zzzzzz.");
    expect(usageError(() => parseArgs(["web1", "--cores"], spec, "u")).message).toBe("--cores needs a value (N).");
    expect(usageError(() => parseArgs(["web1", "--docker=yes"], spec, "u")).message).toBe('--docker takes no value (got "yes").');
    expect(usageError(() => parseArgs(["web1", "--cores", "1", "--cores=2"], spec, "u")).message).toBe("--cores is given more than once.");
    expect(usageError(() => parseArgs([], spec, "u")).message).toBe("Missing <name>.");
    expect(usageError(() => parseArgs(["a", "b"], spec, "u")).message).toBe('Unexpected argument "b".');
    expect(usageError(() => parseArgs(["web1", "-d"], spec, "u")).message).toMatch(/^Unknown flag -d\./);
  });
  it("suggests close words only", () => {
    expect(closest("provison", ["provision", "list"])).toBe("provision");
    expect(closest("stat", ["status", "start"])).toBeDefined();
    expect(closest("xyzzy", ["provision", "list"])).toBeUndefined();
  });
});

describe("commands", () => {
  it("parse every example they show in help", () => {
    for (const cmd of ALL_COMMANDS) {
      for (const example of cmd.examples) {
        const prepared = prepareCommand(example, ALL_COMMANDS);
        expect(prepared.module.name, example).toBe(cmd.name);
      }
    }
  });

  it("name every flag in their usage line, and have unique names", () => {
    expect(new Set(ALL_COMMANDS.map((c) => c.name)).size).toBe(ALL_COMMANDS.length);
    for (const cmd of ALL_COMMANDS) {
      expect(cmd.usage.startsWith(`/pve ${cmd.name}`), cmd.name).toBe(true);
      for (const flag of Object.keys(cmd.args.flags)) expect(cmd.usage, `${cmd.name} --${flag}`).toContain(`--${flag}`);
    }
  });

  it("covers every subcommand of the issue", () => {
    expect(ALL_COMMANDS.map((c) => c.name).sort()).toEqual(
      ["help", "provision", "list", "status", "start", "stop", "shutdown", "reboot", "snapshot", "migrate", "evacuate", "teardown", "jobs", "cancel", "bind", "unbind", "profiles"].sort(),
    );
  });

  it("turns provision flags into an engine request shape and checks values", () => {
    const p = prepareCommand("provision Web1 --docker --size medium --cores 4 --memory=8192 --disk 50 --ip 10.1.2.3/24 --gateway 10.1.2.1 --tag a --tag b --full-clone", ALL_COMMANDS);
    expect(p.args).toMatchObject({ name: "web1", docker: true, size: "medium", cores: 4, memory: 8192, disk: 50, ip: "10.1.2.3/24", gateway: "10.1.2.1", tag: ["a", "b"], "full-clone": true });
    const bad = (text: string) => usageError(() => prepareCommand(text, ALL_COMMANDS)).message;
    expect(bad("provision web1 --cores 0")).toBe('--cores "0": must be at least 1');
    expect(bad("provision web1 --cores four")).toBe('--cores "four": expected a whole number from 1 to 512');
    expect(bad("provision web1 --ip 10.0.0.5/24")).toBe('--ip "10.0.0.5/24": needs --gateway <ip> too');
    expect(bad("provision web1 --dhcp --ip 10.0.0.5/24 --gateway 10.0.0.1")).toBe("--dhcp: cannot be combined with --ip/--gateway/--dns");
    expect(bad("provision web1 --ip 999.0.0.5/24 --gateway 10.0.0.1")).toBe('--ip "999.0.0.5/24": is not a valid IPv4 CIDR');
    expect(bad("provision -web")).toMatch(/^Unknown flag -web/);
    expect(bad("provision web_1")).toMatch(/^<name> "web_1": a guest name is 1-63 letters/);
    expect(bad("provision web1 --tag 'bad tag'")).toMatch(/^--tag: tags use letters/);
    expect(bad("provision web1 --iso debian.iso")).toMatch(/^--iso "debian.iso": expected an ISO volid/);
  });

  it("reads snapshot targets by name, VMID or --tag", () => {
    expect(prepareCommand("snapshot web1 nightly", ALL_COMMANDS).args).toEqual({ target: { name: "web1" }, snapname: "nightly" });
    expect(prepareCommand("snapshot 512", ALL_COMMANDS).args).toEqual({ target: { vmid: 512 } });
    expect(prepareCommand("snapshot --tag web nightly", ALL_COMMANDS).args).toEqual({ tag: "web", snapname: "nightly" });
    expect(usageError(() => prepareCommand("snapshot web1 9bad", ALL_COMMANDS)).message).toMatch(/^<snapname> "9bad": a snapshot name/);
  });

  it("routes --help to the command's usage", () => {
    const p = prepareCommand("migrate --help", ALL_COMMANDS);
    expect(p.module.name).toBe("help");
    expect(p.args).toEqual({ command: "migrate" });
    expect(prepareCommand("", ALL_COMMANDS).module.name).toBe("help");
  });

  it("never throws anything but a UsageError, whatever is typed (fuzzed)", () => {
    const words = [
      ...ALL_COMMANDS.map((c) => c.name),
      ...ALL_COMMANDS.flatMap((c) => Object.keys(c.args.flags).map((f) => `--${f}`)),
      "--", "-", "=", '"', "'", "\u201c", "web1", "512", "10.0.0.1/24", "--cores=", "--tag=x", "&lt;", "tag:web", "small",
    ];
    const token = fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), fc.constantFrom(" ", "  ", "\t", "\n"), (tokens, sep) => {
        try {
          prepareCommand(tokens.join(sep), ALL_COMMANDS);
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          expect(err.message.length).toBeGreaterThan(0);
          expect(err.message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          prepareCommand(text, ALL_COMMANDS);
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
