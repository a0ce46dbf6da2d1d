/**
 * Loads the main config file and the profile files: YAML (with source positions) → `${ENV}` substitution and
 * `*File` secrets → zod → cross-checks → deep freeze. Every problem is collected, never only the first, and each
 * names the file, the line and the dotted path of the key. Secret values never appear in a problem.
 */
import { readFileSync, statSync, accessSync, constants as fsConstants } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, extname, basename, resolve, join } from "node:path";
import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Document } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigProblem, type ConfigProblemCode } from "../errors.js";
import {
  configSchema,
  profileSchema,
  SECRET_KEYS,
  FILE_CONTENT_KEYS,
  type Config,
  type Profile,
  type VmidRange,
} from "./schema.js";
import { knownKeysAt, closestKey } from "./keys.js";
import { LAB_PROFILE_YAML } from "./defaults.js";

export interface LoadedConfig {
  file: string;
  config: Config;
  profiles: ReadonlyMap<string, Profile>;
}

export const DEFAULT_CONFIG_PATH = "./pve-chatops.yaml";

/** Profile names are typed in Slack (`/pve new --profile lab`) and used in logs: keep them simple. */
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Secret and content files are small; refusing big ones also stops `tokenSecretFile: /dev/zero`. */
const MAX_FILE_BYTES = 1024 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type PathSegment = string | number;

/** Collects problems of one load and the secret values seen, to scrub them from every message at the end. */
class Problems {
  readonly list: ConfigProblem[] = [];
  readonly secrets = new Set<string>();

  add(p: ConfigProblem): void {
    this.list.push(p);
  }

  /** Never let a secret value through, whatever a message says (defence in depth behind careful messages). */
  scrubbed(): ConfigProblem[] {
    const secrets = [...this.secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
    // Files in the order they were first mentioned, each file's problems by line.
    const fileOrder = [...new Set(this.list.map((p) => p.file))];
    const sorted = this.list
      .map((p, i) => ({ p, i }))
      .sort((a, b) => fileOrder.indexOf(a.p.file) - fileOrder.indexOf(b.p.file) || (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
      .map(({ p }) => p);
    return sorted.map((p) => {
      let message = p.message;
      for (const s of secrets) message = message.split(s).join("[hidden]");
      return { ...p, message };
    });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.scrubbed());
  }
}

// ------------------------------------------------------------------------------------------- YAML source

/** A parsed YAML file and a way to find the line of a dotted path in it. */
class Source {
  private constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * `raw` is the best-effort value even when the YAML has errors (to find profilesDir and cluster names and go on
   * checking other files); `ok` says whether it may be validated.
   */
  static parse(text: string, file: string, problems: Problems): { source: Source; raw: unknown; ok: boolean } {
    const lines = new LineCounter();
    // prettyErrors: false keeps the source excerpt (which may hold a secret) out of the messages.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: "1.2" });
    const source = new Source(file, doc, lines);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const duplicate = e.code === "DUPLICATE_KEY";
        problems.add({
          file,
          line: lines.linePos(e.pos[0]).line,
          path: duplicate ? source.pathAt(e.pos[0]) : "",
          message: duplicate ? "duplicate key (each key may appear once)" : `YAML syntax error: ${yamlMessage(e.code, e.message)}`,
          code: duplicate ? "duplicate-key" : "yaml-syntax",
        });
      }
    }
    let raw: unknown;
    try {
      // A small alias budget: configs do not need anchors much, and "billion laughs" documents must not expand.
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.add({ file, line: 1, path: "", message: `YAML error: ${firstLine((err as Error).message)}`, code: "yaml-syntax" });
      return { source, raw: undefined, ok: false };
    }
    if (raw === null || raw === undefined) raw = {};
    if (typeof raw !== "object" || Array.isArray(raw)) {
      problems.add({ file, line: 1, path: "", message: "expected a mapping of keys to values at the top level", code: "invalid" });
      return { source, raw: undefined, ok: false };
    }
    return { source, raw, ok: doc.errors.length === 0 };
  }

  /** Line of the key at `path`, or of the closest ancestor that exists (for a missing key: its parent). */
  lineOf(path: readonly PathSegment[]): number | undefined {
    let node: unknown = this.doc.contents;
    let offset: number | undefined = (this.doc.contents as { range?: [number] } | null)?.range?.[0];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair =
          node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg)) ??
          // `tokenSecret` checked after the loader filled it from `tokenSecretFile`: point at the latter.
          (i === path.length - 1 ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === `${seg}File`) : undefined);
        if (!pair) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as { range?: [number] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  /** Dotted path of the key whose node starts at `offset` (for duplicate-key errors). */
  private pathAt(offset: number): string {
    const found: PathSegment[] = [];
    const walk = (node: unknown, path: PathSegment[]): boolean => {
      if (isMap(node)) {
        for (const p of node.items) {
          const key = isScalar(p.key) ? String(p.key.value) : "?";
          const keyRange = (p.key as { range?: [number, number] } | null)?.range;
          if (keyRange && keyRange[0] === offset) {
            found.push(...path, key);
            return true;
          }
          if (walk(p.value, [...path, key])) return true;
        }
      } else if (isSeq(node)) {
        for (let i = 0; i < node.items.length; i++) if (walk(node.items[i], [...path, i])) return true;
      }
      return false;
    };
    walk(this.doc.contents, []);
    return found.join(".");
  }
}

/**
 * The yaml package quotes source text in some messages (`Unexpected scalar token in YAML stream: "<value>"`,
 * `Invalid escape sequence \u12ab`), which may be part of a secret: keep only the fixed wording.
 */
function yamlMessage(code: string, message: string): string {
  if (code === "MISSING_CHAR") return firstLine(message); // 'Missing closing "quote': fixed text
  if (code === "BAD_DQ_ESCAPE") return "invalid escape sequence in a double-quoted string";
  return `${firstLine(message).split(/:\s/)[0]!} (${code})`;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.slice(0, 200);
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

// ----------------------------------------------------------------------------- ${ENV} and *File handling

interface PrepareContext {
  source: Source;
  env: NodeJS.ProcessEnv;
  /** Directory that relative paths in this file are resolved against (the config file's directory). */
  baseDir: string;
  problems: Problems;
  /** Keys whose string value is a path to resolve against baseDir (only these, only in the main config). */
  pathKeys: ReadonlySet<string>;
  /** Paths (dotted) the loader already reported: zod issues at or under them are not reported again. */
  reported: Set<string>;
}

function problemAt(ctx: PrepareContext, path: readonly PathSegment[], code: ConfigProblemCode, message: string): void {
  const line = ctx.source.lineOf(path);
  ctx.problems.add({ file: ctx.source.file, ...(line !== undefined ? { line } : {}), path: dotted(path), message, code });
  ctx.reported.add(dotted(path));
}

/**
 * `${NAME}` → env.NAME anywhere in the string, `$${` → a literal `${`. The value is substituted after YAML
 * parsing, so a variable's content can never add keys or change the structure ("YAML injection").
 */
function substituteEnv(value: string, path: readonly PathSegment[], ctx: PrepareContext): string | undefined {
  if (!value.includes("${")) return value;
  let out = "";
  let ok = true;
  for (let i = 0; i < value.length; ) {
    if (value.startsWith("$${", i)) {
      out += "${";
      i += 3;
    } else if (value.startsWith("${", i)) {
      const end = value.indexOf("}", i + 2);
      const name = end < 0 ? undefined : value.slice(i + 2, end);
      if (name === undefined || !ENV_NAME.test(name)) {
        // Do not echo the text: it may be (part of) an inline secret.
        problemAt(ctx, path, "bad-reference", "malformed ${…} reference: expected ${NAME} with a name of letters, digits and _ (write $${ for a literal ${)");
        return undefined;
      }
      const v = ctx.env[name];
      if (v === undefined) {
        problemAt(ctx, path, "missing-env", `environment variable ${name} is not set`);
        ok = false;
      } else out += v;
      i = end + 1;
    } else {
      out += value[i];
      i++;
    }
  }
  return ok ? out : undefined;
}

const FILE_KEYS = new Set([...SECRET_KEYS, ...FILE_CONTENT_KEYS]);
const SECRETS = new Set(SECRET_KEYS);

function readSmallFile(file: string): string {
  const st = statSync(file);
  if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "not a regular file" });
  if (st.size > MAX_FILE_BYTES) throw Object.assign(new Error("too large"), { code: `larger than ${MAX_FILE_BYTES} bytes` });
  return readFileSync(file, "utf8").replace(/[\r\n]+$/, "");
}

/** Deep copy of the YAML value with env references substituted, `*File` keys read and path keys resolved. */
function prepare(value: unknown, path: PathSegment[], ctx: PrepareContext): unknown {
  const key = path[path.length - 1];
  if (typeof value === "string") {
    const v = substituteEnv(value, path, ctx);
    if (v !== undefined && typeof key === "string" && SECRETS.has(key)) ctx.problems.secrets.add(v);
    if (typeof key === "string" && SECRETS.has(key)) ctx.problems.secrets.add(value);
    return v;
  }
  if (Array.isArray(value)) return value.map((item, i) => prepare(item, [...path, i], ctx));
  if (value === null || typeof value !== "object") return value;

  const obj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const prepared = prepare(v, [...path, k], ctx);
    if (prepared !== undefined) obj[k] = prepared;
  }
  for (const [k, v] of Object.entries(obj)) {
    if (ctx.pathKeys.has(k) && typeof v === "string") obj[k] = resolve(ctx.baseDir, v);
    if (!k.endsWith("File")) continue;
    const base = k.slice(0, -"File".length);
    if (!FILE_KEYS.has(base)) continue;
    if (base in (value as Record<string, unknown>)) {
      problemAt(ctx, [...path, k], "secret-conflict", `give either ${base} or ${k}, not both`);
      ctx.reported.add(dotted([...path, base]));
      delete obj[base];
      continue;
    }
    if (typeof v !== "string") {
      ctx.reported.add(dotted([...path, base])); // zod reports the bad `${k}`; the missing `${base}` follows from it
      continue;
    }
    const file = resolve(ctx.baseDir, v);
    obj[k] = file;
    try {
      const content = readSmallFile(file);
      if (SECRETS.has(base)) ctx.problems.secrets.add(content);
      obj[base] = content;
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
      problemAt(ctx, [...path, k], "file-unreadable", `cannot read ${file} (${reason}) for ${base}`);
      ctx.reported.add(dotted([...path, base]));
    }
  }
  return obj;
}

// --------------------------------------------------------------------------------------- zod → problems

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

function isUnder(path: string, reported: ReadonlySet<string>): boolean {
  for (const r of reported) if (path === r || path.startsWith(`${r}.`) || r === "") return true;
  return false;
}

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  schema: z.ZodType,
  input: unknown,
  ctx: PrepareContext,
): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path] as PathSegment[];
    const key = path[path.length - 1];
    const secret = typeof key === "string" && SECRETS.has(key);
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      for (const k of issue.keys) {
        const hint = closestKey(k, known);
        problemAt(
          ctx,
          [...path, k],
          "unknown-key",
          `unknown key "${k}"${hint ? ` — did you mean "${hint}"?` : ""}${known.length ? ` (known here: ${known.join(", ")})` : ""}`,
        );
      }
      continue;
    }
    if (isUnder(dotted(path), ctx.reported)) continue;
    if (issue.code === "invalid_union") {
      unionToProblems(issue, path, schema, input, ctx);
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_key") message = `invalid key: ${issue.issues.map((i) => i.message).join("; ")}`;
    else if (issue.code === "invalid_type" && valueAt(input, path) === undefined) message = `is required (expected ${issue.expected})`;
    if (secret) message = `${key} is invalid (value hidden): ${message}`;
    problemAt(ctx, path, "invalid", message);
  }
}

/**
 * An image is "exactly one of" several shapes. Report the branch that came closest; when all are equally far
 * (e.g. a typo in the only key) report unknown keys with a hint and what is expected.
 */
function unionToProblems(
  issue: z.core.$ZodIssueInvalidUnion,
  path: PathSegment[],
  schema: z.ZodType,
  input: unknown,
  ctx: PrepareContext,
): void {
  const counts = issue.errors.map((branch) => branch.length);
  const best = Math.min(...counts);
  const bestBranches = issue.errors.filter((b) => b.length === best);
  if (bestBranches.length === 1 && !bestBranches[0]!.some((i) => i.code === "unrecognized_keys")) {
    issuesToProblems(bestBranches[0]!, path, schema, input, ctx);
    return;
  }
  const known = knownKeysAt(schema, path);
  const value = valueAt(input, path);
  const keys = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
  let reportedUnknown = false;
  for (const k of keys.filter((k) => !known.includes(k))) {
    const hint = closestKey(k, known);
    problemAt(ctx, [...path, k], "unknown-key", `unknown key "${k}"${hint ? ` — did you mean "${hint}"?` : ""}`);
    reportedUnknown = true;
  }
  if (!reportedUnknown) problemAt(ctx, path, "invalid", `expected exactly one of: ${known.join(", ")}`);
}

function parseWith<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  pathKeys: ReadonlySet<string>,
  problems: Problems,
): { value?: z.output<S>; raw?: Record<string, unknown>; source?: Source; yamlFailed?: boolean } {
  const parsed = Source.parse(text, file, problems);
  if (!parsed.ok) {
    const raw = parsed.raw as Record<string, unknown> | undefined;
    return { ...(raw ? { raw } : {}), source: parsed.source, yamlFailed: true };
  }
  const ctx: PrepareContext = { source: parsed.source, env, baseDir: dirname(file), problems, pathKeys, reported: new Set() };
  const input = prepare(parsed.raw, [], ctx);
  const result = schema.safeParse(input);
  if (!result.success) issuesToProblems(result.error.issues, [], schema, input, ctx);
  return {
    ...(result.success && ctx.reported.size === 0 ? { value: result.data } : {}),
    raw: parsed.raw as Record<string, unknown>,
    source: parsed.source,
  };
}

const CONFIG_PATH_KEYS = new Set(["ca"]);
const NO_PATH_KEYS = new Set<string>();

/** After parsing: `ca` must be readable now rather than at the first API call. */
function checkConfigFiles(config: Config, source: Source, problems: Problems): void {
  for (const [name, cluster] of Object.entries(config.clusters)) {
    if (cluster.api.ca === undefined) continue;
    try {
      accessSync(cluster.api.ca, fsConstants.R_OK);
    } catch (err) {
      const path = ["clusters", name, "api", "ca"];
      const line = source.lineOf(path);
      problems.add({
        file: source.file,
        ...(line !== undefined ? { line } : {}),
        path: dotted(path),
        message: `cannot read ${cluster.api.ca} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
        code: "file-unreadable",
      });
    }
  }
}

// ------------------------------------------------------------------------------------------ public API

/** Parse and validate a main config document (no profiles). `file` names it in problems and anchors relative paths. */
export function parseConfigDocument(text: string, file: string, env: NodeJS.ProcessEnv, cwd: string): Config {
  const problems = new Problems();
  const abs = resolve(cwd, file);
  const { value, source } = parseWith(configSchema, text, abs, env, CONFIG_PATH_KEYS, problems);
  if (value && source) checkConfigFiles(value, source, problems);
  if (value) value.profilesDir = resolve(dirname(abs), value.profilesDir);
  problems.throwIfAny();
  return deepFreeze(value!);
}

/** Parse and validate one profile document. Cross-checks against the config (cluster names) are loadConfig's. */
export function parseProfileDocument(name: string, text: string, file: string, env: NodeJS.ProcessEnv, cwd: string): Profile {
  const problems = new Problems();
  const abs = resolve(cwd, file);
  checkProfileName(name, abs, problems);
  const { value } = parseWith(profileSchema, text, abs, env, NO_PATH_KEYS, problems);
  problems.throwIfAny();
  return deepFreeze({ ...value!, name });
}

function checkProfileName(name: string, file: string, problems: Problems): void {
  if (!PROFILE_NAME.test(name)) {
    problems.add({
      file,
      path: "",
      message: `profile name "${name}" (the file name) must be lower-case letters, digits, - and _, starting with a letter or digit`,
      code: "bad-profile-name",
    });
  }
}

export async function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = resolve(cwd, opts.path ?? env.PVE_CHATOPS_CONFIG ?? DEFAULT_CONFIG_PATH);
  const problems = new Problems();

  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError([{ file, path: "", message: `cannot read the config file (${reason})`, code: "file-unreadable" }]);
  }
  const main = parseWith(configSchema, text, file, env, CONFIG_PATH_KEYS, problems);
  if (main.value && main.source) checkConfigFiles(main.value, main.source, problems);
  if (main.value) main.value.profilesDir = resolve(dirname(file), main.value.profilesDir);

  // Go on with the profiles even when the main file has problems, so that one run lists everything.
  const rawDir = main.raw?.profilesDir;
  const profilesDir = main.value?.profilesDir ?? resolve(dirname(file), typeof rawDir === "string" ? rawDir : "./profiles");
  const rawClusters = main.raw?.clusters;
  const clusterNames =
    rawClusters !== null && typeof rawClusters === "object" ? Object.keys(rawClusters as object) : [];

  const profiles = new Map<string, Profile>();
  const profileSources = new Map<string, Source>();
  const profileNames = new Set<string>();
  let entries: string[] = [];
  try {
    entries = (await readdir(profilesDir, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const line = main.source?.lineOf(["profilesDir"]);
    // With a broken main file the directory may just be the wrong guess: the YAML error is the problem to fix.
    if (main.yamlFailed && typeof main.raw?.profilesDir !== "string") entries = [];
    else problems.add({
      file,
      ...(line !== undefined ? { line } : {}),
      path: "profilesDir",
      message: `cannot read the profiles directory ${profilesDir} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
      code: "file-unreadable",
    });
  }

  for (const entry of entries) {
    const name = basename(entry, extname(entry));
    const profileFile = join(profilesDir, entry);
    if (profileNames.has(name)) {
      problems.add({ file: profileFile, path: "", message: `another file already defines profile "${name}"`, code: "bad-profile-name" });
      continue;
    }
    profileNames.add(name);
    checkProfileName(name, profileFile, problems);
    let profileText: string;
    try {
      profileText = await readFile(profileFile, "utf8");
    } catch (err) {
      problems.add({ file: profileFile, path: "", message: `cannot read (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`, code: "file-unreadable" });
      continue;
    }
    const parsed = parseWith(profileSchema, profileText, profileFile, env, NO_PATH_KEYS, problems);
    if (parsed.source) profileSources.set(name, parsed.source);
    const cluster = parsed.raw?.cluster;
    if (parsed.source && typeof cluster === "string" && main.raw && !clusterNames.includes(cluster)) {
      const line = parsed.source.lineOf(["cluster"]);
      problems.add({
        file: profileFile,
        ...(line !== undefined ? { line } : {}),
        path: "cluster",
        message: `unknown cluster "${cluster}" (clusters in ${basename(file)}: ${clusterNames.join(", ") || "none"})`,
        code: "unknown-cluster",
      });
    }
    if (parsed.value) profiles.set(name, { ...parsed.value, name });
  }

  // slack.bindings must name profiles that exist (a file name, whether or not the file itself is valid).
  const bindings = main.raw?.slack as { bindings?: unknown } | undefined;
  if (main.source && bindings?.bindings && typeof bindings.bindings === "object") {
    for (const [channel, profile] of Object.entries(bindings.bindings as Record<string, unknown>)) {
      if (typeof profile === "string" && !profileNames.has(profile)) {
        const path = ["slack", "bindings", channel];
        const line = main.source.lineOf(path);
        problems.add({
          file,
          ...(line !== undefined ? { line } : {}),
          path: dotted(path),
          message: `unknown profile "${profile}" (profiles in ${profilesDir}: ${[...profileNames].join(", ") || "none"})`,
          code: "unknown-profile",
        });
      }
    }
  }

  checkAutoRangeOverlaps(profiles, profileSources, problems);
  problems.throwIfAny();
  return deepFreeze({ file, config: main.value!, profiles: frozenMap(profiles) });
}

/**
 * Two bots (or two profiles of one bot) allocating VMIDs from overlapping `auto` ranges on one cluster would
 * race for the same IDs, so this is an error naming both profiles.
 */
function checkAutoRangeOverlaps(profiles: ReadonlyMap<string, Profile>, sources: ReadonlyMap<string, Source>, problems: Problems): void {
  const list = [...profiles.values()];
  const overlaps = (a: VmidRange, b: VmidRange) => a.min <= b.max && b.min <= a.max;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.cluster !== b.cluster || !overlaps(a.vmidRanges.auto, b.vmidRanges.auto)) continue;
      const source = sources.get(b.name)!;
      const line = source.lineOf(["vmidRanges", "auto"]);
      const r = (x: VmidRange) => `${x.min}-${x.max}`;
      problems.add({
        file: source.file,
        ...(line !== undefined ? { line } : {}),
        path: "vmidRanges.auto",
        message: `auto range ${r(b.vmidRanges.auto)} of profile "${b.name}" overlaps auto range ${r(a.vmidRanges.auto)} of profile "${a.name}" on cluster "${a.cluster}": both would allocate the same VMIDs`,
        code: "vmid-overlap",
      });
    }
  }
}

// --------------------------------------------------------------------------------------------- freezing

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return Object.freeze(value);
  }
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/** A Map whose mutators throw (Object.freeze alone does not stop Map.prototype.set). */
function frozenMap<K, V>(source: Map<K, V>): ReadonlyMap<K, V> {
  const map = new Map(source);
  const refuse = (): never => {
    throw new TypeError("the loaded configuration is read-only");
  };
  Object.defineProperties(map, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return map;
}

// ------------------------------------------------------------------------------------ built-in defaults

/**
 * The configuration the demo runs with: one cluster `sim` (the simulator) and one profile `lab` like
 * examples/profiles/lab.yaml. Values are passed as environment references so that nothing in them can change
 * the YAML's structure.
 */
export function embeddedDefaultConfig(sim: { url: string; fingerprint: string; tokenId: string; tokenSecret: string }): LoadedConfig {
  const file = "<embedded>";
  const env: NodeJS.ProcessEnv = {
    SIM_URL: sim.url,
    SIM_TOKEN_ID: sim.tokenId,
    SIM_TOKEN_SECRET: sim.tokenSecret,
    SIM_FINGERPRINT: sim.fingerprint,
  };
  const text = [
    'store: { url: "sqlite:./data/pve-chatops.db" }',
    "clusters:",
    "  sim:",
    "    api:",
    '      url: "${SIM_URL}"',
    '      tokenId: "${SIM_TOKEN_ID}"',
    '      tokenSecret: "${SIM_TOKEN_SECRET}"',
    ...(sim.fingerprint ? ['      fingerprint: "${SIM_FINGERPRINT}"'] : []),
    "slack:",
    "  bindings: {}",
    "",
  ].join("\n");
  const cwd = process.cwd();
  const config = parseConfigDocument(text, file, env, cwd);
  const lab = parseProfileDocument("lab", LAB_PROFILE_YAML.replace(/^cluster: lab$/m, "cluster: sim"), "<embedded>/profiles/lab.yaml", {}, cwd);
  return deepFreeze({ file, config, profiles: frozenMap(new Map([["lab", lab]])) });
}
