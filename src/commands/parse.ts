/**
 * Command-line parsing for `/pve …`: a tokenizer (quotes, Slack's smart quotes and HTML entities) and a flag parser
 * driven by each command's ArgSpec, then the command's zod schema for values. Every problem is a UsageError that
 * names the flag or argument, says why, and carries the usage line; nothing else is ever thrown (fuzzed in tests).
 */
import { z } from "zod";
import { UsageError } from "../errors.js";

/** Slack HTML-escapes `&`, `<` and `>` in a slash command's text (docs: "Escaping text"). */
function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Opening quote → closing quote. Slack clients may turn "…" into “…” and '…' into ‘…’. */
const QUOTES: Record<string, string> = { '"': '"', "'": "'", "\u201c": "\u201d", "\u201d": "\u201d", "\u2018": "\u2019", "\u2019": "\u2019" };

/** Splits on whitespace; quotes group words (`--tag "a b"`), `--x="a b"` works too. */
export function tokenize(input: string): string[] {
  const text = decodeEntities(input);
  const tokens: string[] = [];
  let current = "";
  let inToken = false;
  let quote: string | undefined;
  let quoteStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === quote || (quote === "\u201d" && ch === "\u201c")) quote = undefined;
      else current += ch;
      continue;
    }
    if (QUOTES[ch] !== undefined) {
      quote = QUOTES[ch];
      quoteStart = i;
      inToken = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = "";
      inToken = false;
      continue;
    }
    current += ch;
    inToken = true;
  }
  if (quote !== undefined) throw new UsageError(`Unclosed quote at position ${quoteStart + 1}: add the closing ${quote}.`);
  if (inToken) tokens.push(current);
  return tokens;
}

// ----------------------------------------------------------------------------------------------- did you mean

/** Damerau-Levenshtein (optimal string alignment) distance: typos are mostly one edit or one swap. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a distance that grows with the word's length, or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = c.startsWith(w) && w.length >= 3 ? 0.5 : editDistance(w, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const allowed = Math.max(1, Math.floor(w.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

// ----------------------------------------------------------------------------------------------- arg specs

export interface FlagSpec {
  /** `boolean`: present or not (`--docker`); `value`: takes one value (`--cores 2`, `--cores=2`). */
  kind: "boolean" | "value";
  /** May be given several times (`--tag a --tag b`); the value is then an array. */
  repeat?: boolean;
  /** Placeholder for help, e.g. `N`, `MB`, `cidr`. */
  metavar?: string;
  help?: string;
}

export interface PositionalSpec {
  name: string;
  required?: boolean;
}

export interface ArgSpec {
  positionals: readonly PositionalSpec[];
  flags: Readonly<Record<string, FlagSpec>>;
}

/** What the flag parser hands the schema: positionals by name, flags by their name (`live-migrate`). */
export type RawArgs = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses tokens against a spec. `usage` goes into every error. Returns positionals and flags by name; the
 * command's zod schema then checks and converts values.
 */
export function parseArgs(tokens: readonly string[], spec: ArgSpec, usage: string): RawArgs {
  const out: RawArgs = {};
  const positionals: string[] = [];
  const names = Object.keys(spec.flags);
  let onlyPositionals = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (onlyPositionals || !token.startsWith("-") || token === "-" || /^-\d/.test(token)) {
      positionals.push(token);
      continue;
    }
    if (token === "--") {
      onlyPositionals = true;
      continue;
    }
    const body = token.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = (eq >= 0 ? body.slice(0, eq) : body).toLowerCase();
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const flag = spec.flags[name];
    if (!flag || !token.startsWith("--")) {
      const guess = closest(name, names);
      const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
      throw new UsageError(
        `Unknown flag ${shown}.${guess ? ` Did you mean --${guess}?` : names.length ? "" : " This command takes no flags."}`,
        usage,
      );
    }
    let value: string | boolean;
    if (flag.kind === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value (got "${inline}").`, usage);
      value = true;
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = tokens[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`--${name} needs a value${flag.metavar ? ` (${flag.metavar})` : ""}.`, usage);
      }
      value = next;
      i++;
    }
    if (flag.repeat) {
      const list = (out[name] as string[] | undefined) ?? [];
      list.push(String(value));
      out[name] = list;
    } else {
      if (out[name] !== undefined) throw new UsageError(`--${name} is given more than once.`, usage);
      out[name] = value;
    }
  }
  const max = spec.positionals.length;
  if (positionals.length > max) {
    const extra = positionals[max]!;
    const shown = extra.length > 40 ? `${extra.slice(0, 40)}…` : extra;
    throw new UsageError(max === 0 ? `This command takes no arguments (got "${shown}").` : `Unexpected argument "${shown}".`, usage);
  }
  spec.positionals.forEach((p, idx) => {
    const v = positionals[idx];
    if (v === undefined && p.required) throw new UsageError(`Missing <${p.name}>.`, usage);
    if (v !== undefined) {
      if (out[p.name] !== undefined) throw new UsageError(`<${p.name}> is given twice.`, usage);
      out[p.name] = v;
    }
  });
  return out;
}

/** Applies a command's zod schema; the first issue becomes a UsageError naming the flag or argument. */
export function validateArgs<S extends z.ZodType>(schema: S, raw: RawArgs, spec: ArgSpec, usage: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path[0];
  const name = typeof key === "string" ? (key in spec.flags ? `--${key}` : `<${key}>`) : undefined;
  const given = typeof key === "string" ? raw[key] : undefined;
  const shownValue = typeof given === "string" ? ` "${given.length > 60 ? `${given.slice(0, 60)}…` : given}"` : "";
  throw new UsageError(name ? `${name}${shownValue}: ${issue.message}` : issue.message, usage);
}

// ----------------------------------------------------------------------------------------------- value schemas

/** A whole number within a range, from text (`--cores 4`). */
export function intArg(min: number, max: number, what = "a whole number") {
  return z
    .string()
    .regex(/^\d+$/, `expected ${what} from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** RFC 1123 label, the only safe guest name. */
export const guestNameArg = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a guest name is 1-63 letters, digits and hyphens (no hyphen at either end)"));

/** A guest by name or VMID. */
export const guestRefArg = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.union([
      z.string().regex(/^\d{3,9}$/, "not a VMID").transform((s) => ({ vmid: Number(s) })),
      guestNameArg.transform((name) => ({ name })),
    ], { error: "expected a guest name (letters, digits, hyphens) or a VMID (100-999999999)" }),
  );

export const tagArg = z.string().regex(/^[a-z0-9_][a-z0-9_\-+.]*$/i, "tags use letters, digits and _ - + . (Proxmox tag format)").max(64, "is longer than 64 characters");

export const nodeArg = z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})$/, "expected a node name like pve1");
