/**
 * Parameter validation, a port of pve-common `src/PVE/JSONSchema.pm` (`check_prop`, `check_type`,
 * `check_object`, `parse_property_string`, `print_property_string`) at commit f665029e (libpve-common-perl
 * 9.2.1). Messages are the Perl ones verbatim, including the trailing newline of `invalid format - …\n`
 * (a Perl `die "…\n"` interpolated into the error) and the literal backslash-n pve-common uses when one
 * parameter collects two errors (`join('\n', …)` in single quotes).
 *
 * Perl sees request values as: undef (missing / JSON null), a plain scalar (form string, JSON string or
 * number), or a reference (`ARRAY` for a repeated form key or a JSON array, `HASH` for a JSON object,
 * `JSON::PP::Boolean` for JSON true/false). The validator models exactly that.
 */
import { checkNamedFormat, parseSize, PerlDie } from "./formats.js";
import type { PropSchema, PropertyStringFormat } from "./types.js";

type PerlRef = "ARRAY" | "HASH" | "JSON::PP::Boolean";
type PerlValue = undefined | string | { readonly ref: PerlRef; readonly bool?: boolean };

type Errors = Record<string, string>;

/** Looks a key up in an object schema; lets the top level map `net3` onto `net[n]`. */
export interface ObjectSchema {
  /** Keys that are checked even when absent (to report missing required ones). */
  readonly fixedKeys: readonly string[];
  get(key: string): PropSchema | undefined;
}

export function recordSchema(format: PropertyStringFormat): ObjectSchema {
  return { fixedKeys: Object.keys(format), get: (k) => (Object.hasOwn(format, k) ? format[k] : undefined) };
}

/** Perl's default number stringification (`%.15g`). */
export function perlNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 15) {
    const [mant, e] = n.toExponential(14).split("e");
    const m = mant!.includes(".") ? mant!.replace(/0+$/, "").replace(/\.$/, "") : mant!;
    const ev = Number(e);
    return `${m}e${ev < 0 ? "-" : "+"}${String(Math.abs(ev)).padStart(2, "0")}`;
  }
  const fixed = n.toPrecision(15);
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

export function toPerlValue(v: unknown): PerlValue {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number") return perlNumber(v);
  if (typeof v === "boolean") return { ref: "JSON::PP::Boolean", bool: v };
  if (Array.isArray(v)) return { ref: "ARRAY" };
  if (typeof v === "object") return { ref: "HASH" };
  return String(v); // bigint, symbol …: not produced by a form or JSON decoder
}

function addError(errors: Errors, path: string, msg: string): void {
  const key = path || "_root";
  errors[key] = Object.hasOwn(errors, key) ? `${errors[key]}\\n${msg}` : msg;
}

const IS_NUMBER = /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/;
const IS_INTEGER = /^[+-]?\d+$/;
export const isPerlNumber = (s: string): boolean => IS_NUMBER.test(s);
export const isPerlInteger = (s: string): boolean => IS_INTEGER.test(s);

const regexCache = new Map<string, RegExp>();
/**
 * A schema pattern is a Perl regex, matched as `m/^$pattern$/`. Translate the two Perl-only spellings that
 * occur in the schema: `(?^:…)` (a stringified qr//) and `{,n}` (Perl ≥ 5.34 for `{0,n}`).
 */
export function compilePattern(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    const js = pattern.replaceAll("(?^:", "(?:").replace(/\{,(\d+)\}/g, "{0,$1}");
    re = new RegExp(`^(?:${js})$`);
    regexCache.set(pattern, re);
  }
  return re;
}

function checkType(path: string, type: PropSchema["type"], value: Exclude<PerlValue, undefined>, errors: Errors): boolean {
  if (!type) return true;
  if (type === "null") {
    addError(errors, path, `type check ('${type}') failed - value is not null`);
    return false;
  }
  const ref = typeof value === "string" ? undefined : value.ref;
  if (type === "array" || type === "object") {
    if (ref !== (type === "array" ? "ARRAY" : "HASH")) {
      addError(errors, path, `type check ('${type}') failed`);
      return false;
    }
    return true;
  }
  if (ref !== undefined) {
    if (type === "boolean" && ref === "JSON::PP::Boolean") return true;
    addError(errors, path, `type check ('${type}') failed - got ${ref}`);
    return false;
  }
  const s = value as string;
  const ok =
    type === "string" ||
    (type === "boolean" && (s === "1" || s === "0")) ||
    (type === "integer" && IS_INTEGER.test(s)) ||
    (type === "number" && IS_NUMBER.test(s));
  if (!ok) addError(errors, path, `type check ('${type}') failed - got '${s}'`);
  return ok;
}

/** pve-common `check_format` for a named or an inlined format. Throws PerlDie. */
function checkFormat(format: NonNullable<PropSchema["format"]>, value: string, path: string): void {
  if (typeof format === "object") {
    parsePropertyStringPerl(format, value, path);
    return;
  }
  if (format === "regex") return;
  checkNamedFormat(format, value, path, parsePropertyStringPerl);
}

/** pve-common `check_prop` for a scalar schema. */
export function checkProp(value: PerlValue, schema: PropSchema, path: string, errors: Errors): void {
  if (schema.alias) return;
  if (value === undefined) {
    if (schema.type === "null") return;
    if (!schema.optional) addError(errors, path, "property is missing and it is not optional");
    return;
  }
  if (!checkType(path, schema.type, value, errors)) return;
  if (typeof value !== "string") return; // arrays/objects: our schemas define no items/properties

  if (schema.format !== undefined) {
    try {
      checkFormat(schema.format, value, path);
    } catch (e) {
      if (!(e instanceof PerlDie)) throw e;
      addError(errors, path, `invalid format - ${e.perlString()}`);
      return;
    }
  }
  if (schema.pattern !== undefined && !compilePattern(schema.pattern).test(value)) {
    addError(errors, path, "value does not match the regex pattern");
    return;
  }
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    addError(errors, path, `value may only be ${schema.maxLength} characters long`);
    return;
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    addError(errors, path, `value must be at least ${schema.minLength} characters long`);
    return;
  }
  if (IS_NUMBER.test(value)) {
    const n = Number(value);
    if (schema.maximum !== undefined && n > Number(schema.maximum)) {
      addError(errors, path, `value must have a maximum value of ${schema.maximum}`);
      return;
    }
    if (schema.minimum !== undefined && n < Number(schema.minimum)) {
      addError(errors, path, `value must have a minimum value of ${schema.minimum}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    addError(errors, path, `value '${value}' does not have a value in the enumeration '${schema.enum.join(", ")}'`);
  }
}

/** pve-common `check_object` with `additionalProperties => 0`. Mutates `value` (alias remapping), like Perl. */
export function checkObject(path: string, schema: ObjectSchema, value: Record<string, PerlValue>, errors: Errors): void {
  const join = (k: string): string => (path ? `${path}.${k}` : k);
  for (const k of Object.keys(value)) {
    const alias = schema.get(k)?.alias;
    if (alias === undefined) continue;
    if (value[alias] !== undefined) addError(errors, join(k), `cannot set both '${k}' and its alias target '${alias}'`);
    else {
      value[alias] = value[k];
      delete value[k];
    }
  }
  const checked = new Set<string>();
  for (const k of schema.fixedKeys) {
    checked.add(k);
    checkProp(value[k], schema.get(k)!, join(k), errors);
  }
  for (const k of Object.keys(value)) {
    const sub = schema.get(k);
    if (sub) {
      if (!checked.has(k)) checkProp(value[k], sub, join(k), errors); // an indexed key such as net3
      if (sub.requires !== undefined && value[sub.requires] === undefined) {
        addError(errors, join(sub.requires), `missing property required by '${join(k)}'`);
      }
      continue;
    }
    addError(errors, join(k), "property is not defined in schema and the schema does not allow additional properties");
  }
}

function parseBoolean(v: string): string | undefined {
  if (/^(1|on|yes|true)$/i.test(v)) return "1";
  if (/^(0|off|no|false)$/i.test(v)) return "0";
  return undefined;
}

/**
 * pve-common `parse_property_string` (keys, aliases, default key, booleans) followed by its `check_object`.
 * Returns the parsed keys as strings. Throws PerlDie, with `errors` when a key's value is invalid.
 */
export function parsePropertyStringPerl(format: PropertyStringFormat, data: string, path: string): Record<string, string> {
  // Null-prototype objects: request text may contain keys like `__proto__`.
  const res: Record<string, string> = Object.create(null) as Record<string, string>;
  let defaultKey: string | undefined;
  for (const part of data.split(",")) {
    if (/^\s*$/.test(part)) continue;
    const kv = /^([^=]+)=(.+)$/.exec(part);
    if (kv) {
      let k = kv[1]!;
      let v = kv[2]!;
      if (res[k] !== undefined) throw new PerlDie(`duplicate key in comma-separated list property: ${k}\n`);
      let schema = Object.hasOwn(format, k) ? format[k] : undefined;
      if (schema?.alias) {
        if (schema.keyAlias) {
          if (res[schema.keyAlias] !== undefined) throw new PerlDie(`key alias '${schema.keyAlias}' is already defined\n`);
          res[schema.keyAlias] = k;
        }
        k = schema.alias;
        schema = Object.hasOwn(format, k) ? format[k] : undefined;
        if (res[k] !== undefined) throw new PerlDie(`key '${k}' is already defined (via alias)\n`);
      }
      if (!schema) throw new PerlDie(`invalid key in comma-separated list property: ${k}\n`);
      if (schema.type === "boolean") v = parseBoolean(v) ?? v;
      res[k] = v;
    } else if (!part.includes("=")) {
      if (defaultKey !== undefined) throw new PerlDie(`duplicate key in comma-separated list property: ${defaultKey}\n`);
      for (const [key, schema] of Object.entries(format)) {
        if (!schema.default_key) continue;
        defaultKey = key;
        // Perl: `if (!$res->{$default_key})`, i.e. unset, empty or "0"
        if (!res[key] || res[key] === "0") {
          res[key] = schema.type === "boolean" ? (parseBoolean(part) ?? part) : part;
          break;
        }
        throw new PerlDie(`duplicate key in comma-separated list property: ${key}\n`);
      }
      if (defaultKey === undefined) throw new PerlDie("value without key, but schema does not define a default key\n");
    } else {
      throw new PerlDie("missing key in comma-separated list property\n");
    }
  }
  const errors: Errors = Object.create(null) as Errors;
  const perlRes: Record<string, PerlValue> = { ...res };
  checkObject(path, recordSchema(format), perlRes, errors);
  if (Object.keys(errors).length > 0) throw new PerlDie("format error\n", { ...errors });
  return { ...res };
}

/**
 * pve-common `print_property_string`: the default key first (combined with its key alias, so a NIC prints
 * as `virtio=BC:24:11:00:00:01`), then required keys, then the rest, each group sorted. Sizes of
 * `disk-size` keys are printed with `format_size` (`34359738368` → `32G`).
 */
export function printPropertyString(data: Readonly<Record<string, string | number>>, format: PropertyStringFormat): string {
  let defaultKey: string | undefined;
  const keyAliasProps: Record<string, string> = {};
  for (const [key, schema] of Object.entries(format)) {
    if (schema.default_key) defaultKey = key;
    if (schema.alias && schema.keyAlias) keyAliasProps[schema.keyAlias] = schema.alias;
  }
  const done = new Set<string>();
  const out: string[] = [];
  const formatValue = (key: string, value: string | number, fmt: PropSchema["format"]): string => {
    if (fmt === "disk-size") return formatSize(typeof value === "number" ? value : (parseSize(value) ?? Number(value)));
    const s = typeof value === "number" ? perlNumber(value) : value;
    if (s.includes(",")) throw new PerlDie(`illegal value with commas for ${key}\n`);
    return s;
  };
  const add = (key: string, isDefault: boolean): void => {
    if (done.has(key)) return;
    done.add(key);
    const value = data[key];
    if (value === undefined) return;
    let schema = Object.hasOwn(format, key) ? format[key] : undefined;
    const combine = keyAliasProps[key];
    if (combine !== undefined && data[combine] !== undefined) {
      out.push(`${formatValue(key, value, schema?.format)}=${formatValue(combine, data[combine]!, format[combine]?.format)}`);
      done.add(combine);
      return;
    }
    if (schema?.alias) schema = format[schema.alias];
    if (!schema) throw new PerlDie(`invalid key '${key}'\n`);
    const text = formatValue(key, value, schema.format);
    out.push(isDefault ? text : `${key}=${text}`);
  };
  if (defaultKey !== undefined) add(defaultKey, true);
  const sorted = Object.keys(data).sort();
  for (const key of sorted) if (format[key] && !format[key]!.optional) add(key, false);
  for (const key of sorted) add(key, false);
  return out.join(",");
}

/** pve-common `format_size`. */
export function formatSize(size: number): string {
  const s = Math.trunc(size);
  const kb = Math.trunc(s / 1024);
  if (kb * 1024 !== s) return String(s);
  const mb = Math.trunc(kb / 1024);
  if (mb * 1024 !== kb) return `${kb}K`;
  const gb = Math.trunc(mb / 1024);
  if (gb * 1024 !== mb) return `${mb}M`;
  const tb = Math.trunc(gb / 1024);
  if (tb * 1024 !== gb) return `${gb}G`;
  return `${tb}T`;
}
