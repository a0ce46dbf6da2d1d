/**
 * Request checking for the Proxmox VE simulator: route matching, parameter validation (pve-common
 * JSONSchema.pm semantics and messages) and permission evaluation (pve-access-control RPCEnvironment.pm).
 *
 * Order used by real PVE (pve-manager PVE/HTTPServer.pm `rest_handler`), which the server should follow:
 * 1. `matchEndpoint` — undefined → `501 Method 'GET /foo' not implemented`;
 * 2. `findUriParamConflicts` — a body/query param that repeats a path param with another value → 400;
 * 3. `checkPermissions` on the RAW merged params → 403 `denial.text` (before any validation or existence check);
 * 4. `validateParams` → 400 `Parameter verification failed.` with `errors`;
 * 5. the handler, with the coerced `params`.
 */
import { ChatOpsError } from "../../errors.js";
import { ENDPOINT_DEFINITIONS, INDEXED_PARAM_MAX } from "./endpoints.js";
import { PerlDie } from "./formats.js";
import { evaluatePermissions, type PermissionContext, type PermissionDenial } from "./permissions.js";
import type { EndpointDef, HttpMethod, PropSchema, PropertyStringFormat } from "./types.js";
import { checkObject, parsePropertyStringPerl, printPropertyString, toPerlValue, type ObjectSchema } from "./validate.js";

export type { EndpointDef, HttpMethod, PermCheck, Permissions, PropSchema, PropertyStringFormat, SchemaType } from "./types.js";
export type { PermissionContext, PermissionDenial } from "./permissions.js";
export { INDEXED_PARAM_MAX } from "./endpoints.js";

export interface MatchedEndpoint {
  /** Path template, e.g. `/nodes/{node}/qemu/{vmid}/config`. */
  readonly template: string;
  readonly method: HttpMethod;
  /** The request path that matched (used in the API-token refusal message). */
  readonly path: string;
  readonly pathParams: Record<string, string>;
  readonly def: EndpointDef;
}

interface Route {
  readonly template: string;
  readonly segments: readonly string[];
  readonly methods: Partial<Record<HttpMethod, EndpointDef>>;
}

const ROUTES: readonly Route[] = (() => {
  const byTemplate = new Map<string, Partial<Record<HttpMethod, EndpointDef>>>();
  for (const def of ENDPOINT_DEFINITIONS) {
    const methods = byTemplate.get(def.path) ?? {};
    if (methods[def.method]) throw new Error(`duplicate endpoint definition ${def.method} ${def.path}`);
    methods[def.method] = def;
    byTemplate.set(def.path, methods);
  }
  return [...byTemplate].map(([template, methods]) => ({ template, segments: template.split("/").filter(Boolean), methods }));
})();

const PARAM_SEGMENT = /^\{(\w+)\}$/;

/**
 * Find the endpoint for a request. `path` is the percent-DECODED path without `/api2/json` (real PVE
 * `uri_unescape`s the whole path before routing, AnyEvent.pm l.1452); repeated slashes are ignored, as in
 * pve-common RESTHandler (`split(/\/+/, …)`). A `{param}` segment matches any non-blank text (`\S+`).
 */
export function matchEndpoint(method: HttpMethod, path: string): MatchedEndpoint | undefined {
  const parts = path.split("/").filter(Boolean);
  let best: { route: Route; params: Record<string, string>; score: string } | undefined;
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length || !route.methods[method]) continue;
    const params: Record<string, string> = {};
    let score = "";
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i]!;
      const part = parts[i]!;
      const param = PARAM_SEGMENT.exec(seg);
      if (param) {
        ok = /^\S+$/.test(part);
        params[param[1]!] = part;
        score += "0";
      } else {
        ok = seg === part;
        score += "1";
      }
    }
    // Prefer literal segments over parameters, leftmost first (like the handler tree walk).
    if (ok && (!best || score > best.score)) best = { route, params, score };
  }
  if (!best) return undefined;
  return { template: best.route.template, method, path, pathParams: best.params, def: best.route.methods[method]! };
}

/** Every defined endpoint (for the conformance test and for listing). */
export function listEndpoints(): { template: string; method: HttpMethod; def: EndpointDef }[] {
  return ENDPOINT_DEFINITIONS.map((def) => ({ template: def.path, method: def.method, def }));
}

/**
 * The schema of one concrete parameter name: `net3` → the `net[n]` schema when 3 is within
 * INDEXED_PARAM_MAX, else undefined. Handlers can use it to parse a property string.
 */
export function paramSchema(def: EndpointDef, key: string): PropSchema | undefined {
  const props = def.parameters.properties;
  if (Object.hasOwn(props, key)) return key.endsWith("[n]") ? undefined : props[key];
  const m = /^([a-z][a-z_-]*?)(\d+)$/.exec(key);
  if (!m) return undefined;
  const indexed = `${m[1]}[n]`;
  const max = INDEXED_PARAM_MAX[m[1]!];
  if (!Object.hasOwn(props, indexed) || max === undefined) return undefined;
  if (String(Number(m[2])) !== m[2] || Number(m[2]) > max) return undefined;
  return props[indexed];
}

const objectSchemas = new WeakMap<EndpointDef, ObjectSchema>();
function objectSchema(def: EndpointDef): ObjectSchema {
  let s = objectSchemas.get(def);
  if (!s) {
    s = { fixedKeys: Object.keys(def.parameters.properties).filter((k) => !k.endsWith("[n]")), get: (k) => paramSchema(def, k) };
    objectSchemas.set(def, s);
  }
  return s;
}

export type ValidationResult = { ok: true; params: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/**
 * Validate request parameters like pve-common `PVE::JSONSchema::validate`. `raw` = path params + query +
 * body merged (query over body). Form values are strings (a repeated key = string[]); JSON body values are
 * JSON. The checks are the same for both encodings because Perl sees the same thing: form booleans must
 * be exactly `1`/`0` (`true` is a string and fails), JSON `true`/`false` pass for booleans only.
 * On success `params` holds integers/numbers as numbers, booleans as booleans and the rest as strings
 * (property strings stay strings; see parsePropertyString). A JSON `null` counts as absent.
 */
export function validateParams(ep: MatchedEndpoint, raw: Record<string, unknown>, encoding: "form" | "json"): ValidationResult {
  void encoding; // documented above: Perl applies the same rules, the value types differ by themselves
  const schema = objectSchema(ep.def);
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, toPerlValue(v)]));
  // Null prototype: a request may carry a key such as `__proto__`.
  const errors = Object.create(null) as Record<string, string>;
  checkObject("", schema, values, errors);
  if (Object.keys(errors).length > 0) return { ok: false, errors: { ...errors } };

  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const type = schema.get(key)?.type;
    if (typeof value !== "string") {
      params[key] = value.ref === "JSON::PP::Boolean" ? value.bool : raw[key];
    } else if (type === "integer" || type === "number") {
      params[key] = Number(value);
    } else if (type === "boolean") {
      params[key] = value === "1";
    } else {
      params[key] = value;
    }
  }
  return { ok: true, params };
}

/**
 * pve-manager HTTPServer.pm `rest_handler`: a request parameter that repeats a path parameter with a
 * different value is a 400 with these errors. Returns undefined when there is no conflict.
 */
export function findUriParamConflicts(pathParams: Record<string, string>, requestParams: Record<string, unknown>): Record<string, string> | undefined {
  for (const key of Object.keys(requestParams).sort()) {
    const fromPath = pathParams[key];
    if (fromPath !== undefined && requestParams[key] !== undefined && String(requestParams[key]) !== fromPath) {
      return { [key]: "duplicate parameter (already defined in URI) with conflicting values!" };
    }
  }
  return undefined;
}

/**
 * Evaluate the endpoint's `permissions` for the caller (pve-access-control RPCEnvironment.pm). `params`
 * may be raw (strings); the path parameters are added automatically. Returns undefined when allowed;
 * otherwise answer `403` with `denial.text` (e.g. `Permission check failed (/vms/100, VM.Allocate)`).
 * `root@pam` (with a ticket) passes everything; tokens never count as root@pam.
 */
export function checkPermissions(ep: MatchedEndpoint, params: Record<string, unknown>, ctx: PermissionContext): PermissionDenial | undefined {
  return evaluatePermissions(ep.def, ep.path, { ...params, ...ep.pathParams }, ctx);
}

/** A property string that does not parse or validate. `errors` are per key (`net0.model`, …) when set. */
export class PropertyStringError extends ChatOpsError {
  readonly code = "SIM_PROPERTY_STRING";
  override readonly userSafe = false;
  constructor(
    message: string,
    readonly errors: Readonly<Record<string, string>> | undefined,
  ) {
    super(message);
  }
}

function rethrow(e: unknown): never {
  if (e instanceof PerlDie) throw new PropertyStringError(e.perlString().replace(/\n$/, ""), e.errors);
  throw e;
}

function withDefaultKey(format: PropertyStringFormat, defaultKey: string | undefined): PropertyStringFormat {
  if (defaultKey === undefined || Object.values(format).some((s) => s.default_key)) return format;
  const schema = format[defaultKey];
  if (!schema) throw new PropertyStringError(`default key '${defaultKey}' is not in the format`, undefined);
  return { ...format, [defaultKey]: { ...schema, default_key: 1 } };
}

/**
 * Parse and check a property string the way PVE does (pve-common `parse_property_string`): aliases are
 * resolved (`virtio=BC:24:11:00:00:01` → `{model: "virtio", macaddr: "BC:24:11:00:00:01"}`), the bare
 * value goes to the default key (`local-lvm:vm-100-disk-0,size=32G` → `{file, size}`), booleans become
 * "1"/"0". `defaultKey` supplies a default key for a format that has none. Throws PropertyStringError.
 */
export function parsePropertyString(value: string, format: PropertyStringFormat, defaultKey?: string): Record<string, string> {
  try {
    return parsePropertyStringPerl(withDefaultKey(format, defaultKey), value, "");
  } catch (e) {
    return rethrow(e);
  }
}

/**
 * The inverse (pve-common `print_property_string`): default key first (a NIC prints as `virtio=<mac>`),
 * then required keys, then the rest, sorted; `disk-size` keys are printed like `32G`.
 */
export function formatPropertyString(values: Readonly<Record<string, string | number>>, format: PropertyStringFormat): string {
  try {
    return printPropertyString(values, format);
  } catch (e) {
    return rethrow(e);
  }
}
