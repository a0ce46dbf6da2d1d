/**
 * The Proxmox privileges the bot's API token needs, as data (used by `pve-chatops check` and the README).
 * Each entry is checked against the `permissions` of the endpoints the bot calls, in
 * test/fixtures/pve-api/apidata.json (PVE 9.1) and apidata-pve8.4.json; the endpoint is named in `why`.
 *
 * Layout (least privilege): guests the bot manages live in a pool, so almost everything is granted on
 * `/pool/{pool}` (ACLs on a pool apply to its members); templates may live outside it, so cloning them needs
 * `/vms`; storages and bridges are granted one by one. One role per path, with exactly the privileges used there.
 *
 * Not needed, on purpose: `Sys.Modify` on `/` (only for *privileged* containers; the bot creates unprivileged
 * ones, which is also the API default, BEHAVIOUR.md §9.2), `Sys.Console`, `Permissions.Modify`, `Pool.Allocate`.
 */

export type PrivilegePathTemplate = "/" | "/nodes" | "/vms" | "/pool/{pool}" | "/storage/{storage}" | "/sdn/zones/localnetwork/{bridge}";

export interface RequiredPrivilege {
  privilege: string;
  path: PrivilegePathTemplate;
  /** The role (created by PVEUM_SETUP) that carries this privilege on `path`. */
  role: string;
  why: string;
  /** Only on these major versions of Proxmox VE (guest-agent privileges changed in 9.0). */
  pveMajor?: readonly number[];
  /** Needed only for this feature (e.g. `--ha-live`); `check` reports it missing as a note, not a failure. */
  optional?: string;
}

const GUESTS = "PVEChatOpsGuests";
const TEMPLATES = "PVEChatOpsTemplates";
const STORAGE = "PVEChatOpsStorage";
const NETWORK = "PVEChatOpsNetwork";
const NODES = "PVEChatOpsNodes";
const HA = "PVEChatOpsHA";

export const REQUIRED_PRIVILEGES: readonly RequiredPrivilege[] = [
  // ---- guests in the profile's pool
  { privilege: "VM.Audit", path: "/pool/{pool}", role: GUESTS, why: "read guest config and status (GET …/config, …/status/current, …/lxc/{vmid}/interfaces)" },
  { privilege: "VM.Allocate", path: "/pool/{pool}", role: GUESTS, why: "create, clone into the pool, delete and convert to template (POST …/qemu, …/clone, DELETE …/qemu/{vmid}, POST …/template)" },
  { privilege: "VM.Clone", path: "/pool/{pool}", role: GUESTS, why: "clone guests that are already in the pool (POST …/qemu/{vmid}/clone)" },
  { privilege: "VM.Config.CPU", path: "/pool/{pool}", role: GUESTS, why: "set cores and CPU type (PUT/POST …/config)" },
  { privilege: "VM.Config.Memory", path: "/pool/{pool}", role: GUESTS, why: "set memory (PUT/POST …/config)" },
  { privilege: "VM.Config.Disk", path: "/pool/{pool}", role: GUESTS, why: "add and resize disks (PUT …/resize, disk keys in …/config)" },
  { privilege: "VM.Config.CDROM", path: "/pool/{pool}", role: GUESTS, why: "attach the installer ISO of `iso` images (ide2 in POST …/qemu)" },
  { privilege: "VM.Config.Network", path: "/pool/{pool}", role: GUESTS, why: "set net0 bridge and VLAN (…/config)" },
  { privilege: "VM.Config.Cloudinit", path: "/pool/{pool}", role: GUESTS, why: "set ciuser, sshkeys, ipconfig0 (…/config)" },
  { privilege: "VM.Config.Options", path: "/pool/{pool}", role: GUESTS, why: "set name, tags, description, onboot (…/config)" },
  { privilege: "VM.Config.HWType", path: "/pool/{pool}", role: GUESTS, why: "set machine, scsihw and agent options (…/config)" },
  { privilege: "VM.PowerMgmt", path: "/pool/{pool}", role: GUESTS, why: "start, shutdown, stop, reboot (POST …/status/*; create with start=1)" },
  { privilege: "VM.Snapshot", path: "/pool/{pool}", role: GUESTS, why: "take snapshots (POST …/snapshot)" },
  { privilege: "VM.Snapshot.Rollback", path: "/pool/{pool}", role: GUESTS, why: "roll back to a snapshot (POST …/snapshot/{snapname}/rollback)" },
  { privilege: "VM.Migrate", path: "/pool/{pool}", role: GUESTS, why: "move a clone off the template's node (POST …/migrate)" },
  { privilege: "VM.GuestAgent.Audit", path: "/pool/{pool}", role: GUESTS, pveMajor: [9], why: "read guest IPs via the agent (POST …/agent/ping, GET …/agent/network-get-interfaces; PVE 9)" },
  { privilege: "VM.Monitor", path: "/pool/{pool}", role: GUESTS, pveMajor: [8], why: "read guest IPs via the agent (…/agent/*; PVE 8.4 asks VM.Monitor)" },
  { privilege: "Pool.Audit", path: "/pool/{pool}", role: GUESTS, why: "list pool members for the quota (GET /pools?poolid=…; /cluster/resources hides pools without it)" },
  // ---- templates, which may live outside the pool
  { privilege: "VM.Audit", path: "/vms", role: TEMPLATES, why: "find templates and read their config (GET …/config; /cluster/resources hides guests without it)" },
  { privilege: "VM.Clone", path: "/vms", role: TEMPLATES, why: "clone templates outside the pool (POST …/qemu/{vmid}/clone needs VM.Clone on the source)" },
  // ---- storages and bridges the profiles use
  { privilege: "Datastore.AllocateSpace", path: "/storage/{storage}", role: STORAGE, why: "allocate disks for new and cloned guests (POST …/qemu, …/clone, …/lxc)" },
  { privilege: "Datastore.Audit", path: "/storage/{storage}", role: STORAGE, why: "read free space and list templates/ISOs (GET …/storage/{storage}/status, …/content)" },
  { privilege: "SDN.Use", path: "/sdn/zones/localnetwork/{bridge}", role: NETWORK, why: "attach guests to the bridge/VLAN (net0 in create/clone/config)" },
  // ---- nodes
  { privilege: "Sys.Audit", path: "/nodes", role: NODES, why: "node load for placement (/cluster/resources node rows, GET /nodes/{node}/status)" },
  // ---- optional: HA (the API asks Sys.Console on / for HA resources; whether a guest is HA-managed is read
  // from its own status/current, so nothing else needs it)
  { privilege: "Sys.Console", path: "/", role: HA, optional: "--ha-live", why: "add and remove guests in HA (POST /cluster/ha/resources, DELETE /cluster/ha/resources/{sid})" },
];

export interface PrivilegeScope {
  pools: readonly string[];
  storages: readonly string[];
  bridges: readonly string[];
  /** Proxmox VE major version; undefined = include both guest-agent variants. */
  pveMajor?: number;
}

export interface ConcretePrivilege extends Omit<RequiredPrivilege, "path"> {
  /** The ACL path with the profile's names filled in, e.g. `/pool/dev`. */
  path: string;
  template: PrivilegePathTemplate;
}

/** The privileges to check for the pools, storages and bridges the profiles of one cluster use. */
export function privilegesFor(scope: PrivilegeScope): ConcretePrivilege[] {
  const out: ConcretePrivilege[] = [];
  for (const p of REQUIRED_PRIVILEGES) {
    if (p.pveMajor && scope.pveMajor !== undefined && !p.pveMajor.includes(scope.pveMajor)) continue;
    const values: readonly (string | undefined)[] = p.path.includes("{pool}")
      ? scope.pools
      : p.path.includes("{storage}")
        ? scope.storages
        : p.path.includes("{bridge}")
          ? scope.bridges
          : [undefined];
    for (const v of [...new Set(values)]) {
      const path = v === undefined ? p.path : p.path.replace(/\{\w+\}/, v);
      out.push({ ...p, path, template: p.path });
    }
  }
  return out;
}

/** Shell-quotes one argument for the pveum lines (single quotes; `!` in token IDs must not reach bash history expansion). */
function shq(s: string): string {
  return /^[A-Za-z0-9@._\/:=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function rolePrivileges(role: string, pveMajor?: number): string[] {
  return [
    ...new Set(
      REQUIRED_PRIVILEGES.filter((p) => p.role === role && (!p.pveMajor || pveMajor === undefined || p.pveMajor.includes(pveMajor))).map(
        (p) => p.privilege,
      ),
    ),
  ];
}

export const ROLES = [GUESTS, TEMPLATES, STORAGE, NETWORK, NODES, HA] as const;

/** `pveum role add …` for each role. Without pveMajor both guest-agent privileges are included. */
export function pveumRoleCommands(pveMajor?: number): string[] {
  return ROLES.map((role) => `pveum role add ${role} --privs ${shq(rolePrivileges(role, pveMajor).join(","))}`);
}

/**
 * The ACL line that grants `role` on `path` to both the user and its privilege-separated token: a privsep
 * token has the intersection of its own ACLs and its user's (pveum.adoc l.96-103), so both need it.
 */
export function pveumAclCommand(path: string, role: string, tokenId: string): string {
  const user = tokenId.split("!")[0]!;
  return `pveum acl modify ${shq(path)} --users ${shq(user)} --tokens ${shq(tokenId)} --roles ${role}`;
}

/** The whole setup: roles, user, privsep token, ACLs. For the README and `pve-chatops check`. */
export function pveumSetupCommands(init: { tokenId: string; scope: PrivilegeScope }): string[] {
  const [user, tokenName] = init.tokenId.split("!") as [string, string];
  const acls = new Map<string, string>();
  const optional = new Map<string, string>();
  for (const p of privilegesFor(init.scope)) {
    (p.optional ? optional : acls).set(`${p.path}\u0000${p.role}`, pveumAclCommand(p.path, p.role, init.tokenId));
  }
  return [
    ...pveumRoleCommands(init.scope.pveMajor),
    `pveum user add ${shq(user)} --comment 'pve-chatops bot'`,
    `pveum user token add ${shq(user)} ${shq(tokenName)} --privsep 1 --comment 'pve-chatops'`,
    ...acls.values(),
    ...[...optional.values()].map((line) => `# optional, only for --ha-live: ${line}`),
  ];
}
