/**
 * Types for the simulator's endpoint definitions. They mirror the shape of the Proxmox VE API schema
 * (`info[METHOD]` in pve-docs `api-viewer/apidata.js`, produced by `PVE::RESTHandler::api_dump`), so a
 * definition here can be compared key by key with the real one (test/unit/sim-schema-conformance.test.ts).
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export type SchemaType = "string" | "integer" | "number" | "boolean" | "array" | "object" | "null";

/** Keys of one property string (the inlined `format` object of e.g. `net[n]`). */
export type PropertyStringFormat = Readonly<Record<string, PropSchema>>;

/** One parameter (or one key inside a property string), as in apidata.json. */
export interface PropSchema {
  /** Absent only on alias entries (`{alias: "macaddr", keyAlias: "model"}`). */
  readonly type?: SchemaType;
  /** 1 = optional; absent = required (Proxmox never writes `optional: 0`). */
  readonly optional?: 1;
  readonly default?: string | number;
  readonly enum?: readonly string[];
  /** A Perl regex; the validator anchors it as `^(?:pattern)$` like pve-common `check_prop`. */
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  /** A named format (`pve-vmid`, `dns-name`, `pve-tag-list` …) or an inlined property-string format. */
  readonly format?: string | PropertyStringFormat;
  /** Inside a property string: the key a bare value (without `key=`) is assigned to. */
  readonly default_key?: 1;
  /** Inside a property string: this key is another name for `alias`. */
  readonly alias?: string;
  /** With `alias`: the alias key's own name is stored under this key (`virtio=MAC` → model=virtio). */
  readonly keyAlias?: string;
  /** Another parameter that must be present when this one is. */
  readonly requires?: string;
  readonly typetext?: string;
}

/**
 * A permission expression as in `permissions.check` (pve-access-control `RPCEnvironment.pm`
 * `exec_api2_perm_check`): `["perm", path, privs, "any", 1, "require_param", "pool"]`, `["and", …]`,
 * `["or", …]`, `["userid-param", "self" | "Realm.AllocateUser"]`, `["userid-group", privs, …]`,
 * `["perm-modify", path]`.
 */
export type PermCheck =
  | readonly ["perm", string, readonly string[], ...(string | number)[]]
  | readonly ["and", ...PermCheck[]]
  | readonly ["or", ...PermCheck[]]
  | readonly ["userid-param", string]
  | readonly ["userid-group", readonly string[], ...(string | number)[]]
  | readonly ["perm-modify", string];

export type Permissions =
  | { readonly check: PermCheck; readonly description?: string }
  | { readonly user: "all" | "world"; readonly description?: string };

/** One method of one path, the same shape as apidata.json `info[METHOD]` (minus prose and `returns`). */
export interface EndpointDef {
  readonly method: HttpMethod;
  /** 1 = API tokens may call it; 0 = only ticket (cookie) sessions. */
  readonly allowtoken: 0 | 1;
  /** 1 = runs in the privileged daemon (pvedaemon) in real PVE. */
  readonly protected?: 1;
  /** `node`: real PVE forwards the call to that node. */
  readonly proxyto?: string;
  readonly permissions: Permissions;
  readonly parameters: {
    readonly additionalProperties: 0;
    readonly properties: Readonly<Record<string, PropSchema>>;
  };
}

/** Path template (e.g. `/nodes/{node}/qemu/{vmid}/config`) → methods. */
export type EndpointTable = Readonly<Record<string, Partial<Record<HttpMethod, EndpointDef>>>>;
