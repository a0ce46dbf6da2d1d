/**
 * The Proxmox VE API endpoints the simulator implements, written as data in the shape of the real schema
 * (apidata.json `info[METHOD]`: `parameters.properties` with type/optional/enum/pattern/minimum/maximum/
 * maxLength/format, `permissions`, `allowtoken`). Prose (`description`) is left out on purpose.
 *
 * THE RULE: a definition here must never be LOOSER than the real one (PVE 9.1, pve-docs 9.1.3):
 * - same `type`; the same or a stricter pattern/enum/minimum/maximum/maxLength/format;
 * - a parameter is optional here only if it is optional there; every required real parameter is here;
 * - a parameter or property-string key may be left out (the simulator then rejects it as unknown);
 * - `permissions` equal the real ones.
 * Then the simulator rejects a superset of what real Proxmox rejects: whatever the bot gets through the
 * simulator also passes on a real cluster. test/unit/sim-schema-conformance.test.ts checks every entry
 * against test/fixtures/pve-api/apidata.json (which shipped code must not import: it is AGPL test data).
 *
 * Left out on purpose (rarely or never sent by the bot, or needing state the simulator lacks): the ~60
 * other QEMU options (hostpci, usb, smbios1, numa[n], args, …), disk throttling keys, LXC dev[n]/env/
 * entrypoint/timezone/startup, migrate `targetstorage`, start `machine`/`migratedfrom`/`stateuri`.
 *
 * Version note: the guest-agent endpoints need `VM.GuestAgent.Audit` or `VM.GuestAgent.Unrestricted` on
 * PVE 9.x (as here); PVE 8.4 asked for `VM.Monitor` instead (apidata-pve8.4.json).
 */
import type { EndpointDef, PropSchema, PropertyStringFormat } from "./types.js";

/**
 * Highest index of each indexed option (`net[n]` = net0 … net31). From the schema descriptions
 * ("n is 0 to 30") and the sources: qemu-server `$MAX_NETS = 32`, `$MAX_SERIAL_PORTS = 4`,
 * Drive.pm `$MAX_IDE_DISKS = 4`, `$MAX_SCSI_DISKS = 31`, `$MAX_VIRTIO_DISKS = 16`, `$MAX_SATA_DISKS = 6`,
 * `$MAX_UNUSED_DISKS = 256`; pve-container LXC/Config.pm `$MAX_MOUNT_POINTS = 256`, `$MAX_LXC_NETWORKS = 32`.
 */
export const INDEXED_PARAM_MAX: Readonly<Record<string, number>> = {
  net: 31,
  ipconfig: 31,
  scsi: 30,
  virtio: 15,
  ide: 3,
  sata: 5,
  serial: 3,
  unused: 255,
  mp: 255,
};

const QM_MEMORY_FORMAT: PropertyStringFormat = {
  current: { type: "integer", default: 512, minimum: 16, default_key: 1 },
};

const QM_NET_FORMAT: PropertyStringFormat = {
  bridge: { type: "string", optional: 1, format: "pve-bridge-id" },
  e1000: { alias: "macaddr", keyAlias: "model" },
  "e1000-82540em": { alias: "macaddr", keyAlias: "model" },
  "e1000-82544gc": { alias: "macaddr", keyAlias: "model" },
  "e1000-82545em": { alias: "macaddr", keyAlias: "model" },
  e1000e: { alias: "macaddr", keyAlias: "model" },
  firewall: { type: "boolean", optional: 1 },
  i82551: { alias: "macaddr", keyAlias: "model" },
  i82557b: { alias: "macaddr", keyAlias: "model" },
  i82559er: { alias: "macaddr", keyAlias: "model" },
  link_down: { type: "boolean", optional: 1 },
  macaddr: { type: "string", optional: 1, format: "mac-addr" },
  model: { type: "string", enum: ["e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"], default_key: 1 },
  mtu: { type: "integer", optional: 1, minimum: 1, maximum: 65520 },
  ne2k_isa: { alias: "macaddr", keyAlias: "model" },
  ne2k_pci: { alias: "macaddr", keyAlias: "model" },
  pcnet: { alias: "macaddr", keyAlias: "model" },
  queues: { type: "integer", optional: 1, minimum: 0, maximum: 64 },
  rate: { type: "number", optional: 1, minimum: 0 },
  rtl8139: { alias: "macaddr", keyAlias: "model" },
  tag: { type: "integer", optional: 1, minimum: 1, maximum: 4094 },
  trunks: { type: "string", optional: 1, pattern: "(?^:\\d+(?:-\\d+)?(?:;\\d+(?:-\\d+)?)*)" },
  virtio: { alias: "macaddr", keyAlias: "model" },
  vmxnet3: { alias: "macaddr", keyAlias: "model" },
};

const QM_SCSI_FORMAT: PropertyStringFormat = {
  aio: { type: "string", optional: 1, enum: ["native", "threads", "io_uring"] },
  backup: { type: "boolean", optional: 1 },
  cache: { type: "string", optional: 1, enum: ["none", "writethrough", "writeback", "unsafe", "directsync"] },
  detect_zeroes: { type: "boolean", optional: 1 },
  discard: { type: "string", optional: 1, enum: ["ignore", "on"] },
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow", "qed", "qcow2", "vmdk", "cloop"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  iothread: { type: "boolean", optional: 1 },
  media: { type: "string", optional: 1, default: "disk", enum: ["cdrom", "disk"] },
  replicate: { type: "boolean", optional: 1, default: 1 },
  ro: { type: "boolean", optional: 1 },
  serial: { type: "string", optional: 1, maxLength: 60, format: "urlencoded" },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  snapshot: { type: "boolean", optional: 1 },
  ssd: { type: "boolean", optional: 1 },
  volume: { alias: "file" },
};

const QM_VIRTIO_FORMAT: PropertyStringFormat = {
  aio: { type: "string", optional: 1, enum: ["native", "threads", "io_uring"] },
  backup: { type: "boolean", optional: 1 },
  cache: { type: "string", optional: 1, enum: ["none", "writethrough", "writeback", "unsafe", "directsync"] },
  detect_zeroes: { type: "boolean", optional: 1 },
  discard: { type: "string", optional: 1, enum: ["ignore", "on"] },
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow", "qed", "qcow2", "vmdk", "cloop"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  iothread: { type: "boolean", optional: 1 },
  media: { type: "string", optional: 1, default: "disk", enum: ["cdrom", "disk"] },
  replicate: { type: "boolean", optional: 1, default: 1 },
  ro: { type: "boolean", optional: 1 },
  serial: { type: "string", optional: 1, maxLength: 60, format: "urlencoded" },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  snapshot: { type: "boolean", optional: 1 },
  volume: { alias: "file" },
};

const QM_SATA_FORMAT: PropertyStringFormat = {
  aio: { type: "string", optional: 1, enum: ["native", "threads", "io_uring"] },
  backup: { type: "boolean", optional: 1 },
  cache: { type: "string", optional: 1, enum: ["none", "writethrough", "writeback", "unsafe", "directsync"] },
  detect_zeroes: { type: "boolean", optional: 1 },
  discard: { type: "string", optional: 1, enum: ["ignore", "on"] },
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow", "qed", "qcow2", "vmdk", "cloop"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  media: { type: "string", optional: 1, default: "disk", enum: ["cdrom", "disk"] },
  replicate: { type: "boolean", optional: 1, default: 1 },
  serial: { type: "string", optional: 1, maxLength: 60, format: "urlencoded" },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  snapshot: { type: "boolean", optional: 1 },
  ssd: { type: "boolean", optional: 1 },
  volume: { alias: "file" },
};

const QM_IDE_FORMAT: PropertyStringFormat = {
  aio: { type: "string", optional: 1, enum: ["native", "threads", "io_uring"] },
  backup: { type: "boolean", optional: 1 },
  cache: { type: "string", optional: 1, enum: ["none", "writethrough", "writeback", "unsafe", "directsync"] },
  detect_zeroes: { type: "boolean", optional: 1 },
  discard: { type: "string", optional: 1, enum: ["ignore", "on"] },
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow", "qed", "qcow2", "vmdk", "cloop"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  media: { type: "string", optional: 1, default: "disk", enum: ["cdrom", "disk"] },
  replicate: { type: "boolean", optional: 1, default: 1 },
  serial: { type: "string", optional: 1, maxLength: 60, format: "urlencoded" },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  snapshot: { type: "boolean", optional: 1 },
  ssd: { type: "boolean", optional: 1 },
  volume: { alias: "file" },
};

const QM_EFIDISK_FORMAT: PropertyStringFormat = {
  efitype: { type: "string", optional: 1, default: "2m", enum: ["2m", "4m"] },
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow", "qed", "qcow2", "vmdk", "cloop"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  "ms-cert": { type: "string", optional: 1, default: "2011", enum: ["2011", "2023", "2023w", "2023k"] },
  "pre-enrolled-keys": { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  volume: { alias: "file" },
};

const QM_TPMSTATE_FORMAT: PropertyStringFormat = {
  file: { type: "string", format: "pve-volume-id-or-qm-path", default_key: 1 },
  format: { type: "string", optional: 1, enum: ["raw", "qcow2", "vmdk"] },
  "import-from": { type: "string", optional: 1, format: "pve-volume-id-or-absolute-path" },
  size: { type: "string", optional: 1, format: "disk-size" },
  version: { type: "string", optional: 1, default: "v1.2", enum: ["v1.2", "v2.0"] },
  volume: { alias: "file" },
};

const QM_AGENT_FORMAT: PropertyStringFormat = {
  enabled: { type: "boolean", default: 0, default_key: 1 },
  "freeze-fs": { type: "boolean", optional: 1, default: 1 },
  "freeze-fs-on-backup": { alias: "freeze-fs" },
  fstrim_cloned_disks: { type: "boolean", optional: 1, default: 0 },
  "guest-fsfreeze": { alias: "freeze-fs" },
  type: { type: "string", optional: 1, default: "virtio", enum: ["virtio", "isa"] },
};

const QM_VGA_FORMAT: PropertyStringFormat = {
  clipboard: { type: "string", optional: 1, enum: ["vnc"] },
  memory: { type: "integer", optional: 1, minimum: 4, maximum: 512 },
  type: { type: "string", optional: 1, default: "std", enum: ["cirrus", "qxl", "qxl2", "qxl3", "qxl4", "none", "serial0", "serial1", "serial2", "serial3", "std", "virtio", "virtio-gl", "vmware"], default_key: 1 },
};

const QM_MACHINE_FORMAT: PropertyStringFormat = {
  "aw-bits": { type: "number", optional: 1, minimum: 32, maximum: 64 },
  "enable-s3": { type: "boolean", optional: 1 },
  "enable-s4": { type: "boolean", optional: 1 },
  type: { type: "string", optional: 1, pattern: "(pc|pc(-i440fx)?-\\d+(\\.\\d+)+(\\+pve\\d+)?(\\.pxe)?|q35|pc-q35-\\d+(\\.\\d+)+(\\+pve\\d+)?(\\.pxe)?|virt(?:-\\d+(\\.\\d+)+)?(\\+pve\\d+)?)", maxLength: 40, default_key: 1 },
  viommu: { type: "string", optional: 1, enum: ["intel", "virtio"] },
};

const LXC_NET_FORMAT: PropertyStringFormat = {
  bridge: { type: "string", optional: 1, pattern: "[-_.\\w\\d]+" },
  firewall: { type: "boolean", optional: 1 },
  gw: { type: "string", optional: 1, format: "ipv4" },
  gw6: { type: "string", optional: 1, format: "ipv6" },
  "host-managed": { type: "boolean", optional: 1 },
  hwaddr: { type: "string", optional: 1, format: "mac-addr" },
  ip: { type: "string", optional: 1, format: "pve-ipv4-config" },
  ip6: { type: "string", optional: 1, format: "pve-ipv6-config" },
  link_down: { type: "boolean", optional: 1 },
  mtu: { type: "integer", optional: 1, minimum: 64, maximum: 65535 },
  name: { type: "string", pattern: "[-_.\\w\\d]+" },
  rate: { type: "number", optional: 1 },
  tag: { type: "integer", optional: 1, minimum: 1, maximum: 4094 },
  trunks: { type: "string", optional: 1, pattern: "(?^:\\d+(?:;\\d+)*)" },
  type: { type: "string", optional: 1, enum: ["veth"] },
};

const LXC_ROOTFS_FORMAT: PropertyStringFormat = {
  acl: { type: "boolean", optional: 1 },
  mountoptions: { type: "string", optional: 1, pattern: "(?^:(?^:(discard|lazytime|noatime|nodev|noexec|nosuid))(;(?^:(discard|lazytime|noatime|nodev|noexec|nosuid)))*)" },
  quota: { type: "boolean", optional: 1 },
  replicate: { type: "boolean", optional: 1, default: 1 },
  ro: { type: "boolean", optional: 1 },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  volume: { type: "string", format: "pve-lxc-mp-string", default_key: 1 },
};

const LXC_MP_FORMAT: PropertyStringFormat = {
  acl: { type: "boolean", optional: 1 },
  backup: { type: "boolean", optional: 1 },
  keepattrs: { type: "boolean", optional: 1, default: 0 },
  mountoptions: { type: "string", optional: 1, pattern: "(?^:(?^:(discard|lazytime|noatime|nodev|noexec|nosuid))(;(?^:(discard|lazytime|noatime|nodev|noexec|nosuid)))*)" },
  mp: { type: "string", format: "pve-lxc-mp-string" },
  quota: { type: "boolean", optional: 1 },
  replicate: { type: "boolean", optional: 1, default: 1 },
  ro: { type: "boolean", optional: 1 },
  shared: { type: "boolean", optional: 1, default: 0 },
  size: { type: "string", optional: 1, format: "disk-size" },
  volume: { type: "string", format: "pve-lxc-mp-string", default_key: 1 },
};

const LXC_FEATURES_FORMAT: PropertyStringFormat = {
  force_rw_sys: { type: "boolean", optional: 1, default: 0 },
  fuse: { type: "boolean", optional: 1, default: 0 },
  keyctl: { type: "boolean", optional: 1, default: 0 },
  mknod: { type: "boolean", optional: 1, default: 0 },
  mount: { type: "string", optional: 1, pattern: "(?^:[a-zA-Z0-9_; ]+)" },
  nesting: { type: "boolean", optional: 1, default: 0 },
};

const NODE: PropSchema = { type: "string", format: "pve-node", typetext: "<string>" };
const VMID: PropSchema = { type: "integer", minimum: 100, maximum: 999999999, format: "pve-vmid", typetext: "<integer> (100 - 999999999)" };

const QM_CONFIG_OPTIONS: Readonly<Record<string, PropSchema>> = {
  name: { type: "string", optional: 1, format: "dns-name", typetext: "<string>" },
  cores: { type: "integer", optional: 1, default: 1, minimum: 1, typetext: "<integer> (1 - N)" },
  sockets: { type: "integer", optional: 1, default: 1, minimum: 1, typetext: "<integer> (1 - N)" },
  memory: { type: "string", optional: 1, format: QM_MEMORY_FORMAT },
  cpu: { type: "string", optional: 1, format: "pve-vm-cpu-conf" },
  balloon: { type: "integer", optional: 1, minimum: 0, typetext: "<integer> (0 - N)" },
  numa: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  vcpus: { type: "integer", optional: 1, default: 0, minimum: 1, typetext: "<integer> (1 - N)" },
  cpulimit: { type: "number", optional: 1, default: 0, minimum: 0, maximum: 128, typetext: "<number> (0 - 128)" },
  cpuunits: { type: "integer", optional: 1, default: "cgroup v1: 1024, cgroup v2: 100", minimum: 1, maximum: 262144, typetext: "<integer> (1 - 262144)" },
  "net[n]": { type: "string", optional: 1, format: QM_NET_FORMAT },
  "ipconfig[n]": { type: "string", optional: 1, format: "pve-qm-ipconfig" },
  "scsi[n]": { type: "string", optional: 1, format: QM_SCSI_FORMAT },
  "virtio[n]": { type: "string", optional: 1, format: QM_VIRTIO_FORMAT },
  "ide[n]": { type: "string", optional: 1, format: QM_IDE_FORMAT },
  "sata[n]": { type: "string", optional: 1, format: QM_SATA_FORMAT },
  scsihw: { type: "string", optional: 1, default: "lsi", enum: ["lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi"] },
  boot: { type: "string", optional: 1, format: "pve-qm-boot", typetext: "[[legacy=]<[acdn]{1,4}>] [,order=<device[;device...]>]" },
  agent: { type: "string", optional: 1, format: QM_AGENT_FORMAT },
  ostype: { type: "string", optional: 1, default: "other", enum: ["other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris"] },
  ciuser: { type: "string", optional: 1, typetext: "<string>" },
  cipassword: { type: "string", optional: 1, typetext: "<string>" },
  sshkeys: { type: "string", optional: 1, format: "urlencoded", typetext: "<string>" },
  nameserver: { type: "string", optional: 1, format: "address-list", typetext: "<string>" },
  searchdomain: { type: "string", optional: 1, typetext: "<string>" },
  citype: { type: "string", optional: 1, enum: ["configdrive2", "nocloud", "opennebula"] },
  ciupgrade: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
  tags: { type: "string", optional: 1, format: "pve-tag-list", typetext: "<string>" },
  description: { type: "string", optional: 1, maxLength: 8192, typetext: "<string>" },
  onboot: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  template: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  protection: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  "serial[n]": { type: "string", optional: 1, pattern: "(/dev/.+|socket)" },
  vga: { type: "string", optional: 1, format: QM_VGA_FORMAT },
  machine: { type: "string", optional: 1, format: QM_MACHINE_FORMAT },
  bios: { type: "string", optional: 1, default: "seabios", enum: ["seabios", "ovmf"] },
  efidisk0: { type: "string", optional: 1, format: QM_EFIDISK_FORMAT },
  tpmstate0: { type: "string", optional: 1, format: QM_TPMSTATE_FORMAT },
  hookscript: { type: "string", optional: 1, format: "pve-volume-id", typetext: "<string>" },
  kvm: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
  tablet: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
};

const LXC_CONFIG_OPTIONS: Readonly<Record<string, PropSchema>> = {
  hostname: { type: "string", optional: 1, maxLength: 255, format: "dns-name", typetext: "<string>" },
  cores: { type: "integer", optional: 1, minimum: 1, maximum: 8192, typetext: "<integer> (1 - 8192)" },
  cpulimit: { type: "number", optional: 1, default: 0, minimum: 0, maximum: 8192, typetext: "<number> (0 - 8192)" },
  cpuunits: { type: "integer", optional: 1, default: "cgroup v1: 1024, cgroup v2: 100", minimum: 0, maximum: 500000, typetext: "<integer> (0 - 500000)" },
  memory: { type: "integer", optional: 1, default: 512, minimum: 16, typetext: "<integer> (16 - N)" },
  swap: { type: "integer", optional: 1, default: 512, minimum: 0, typetext: "<integer> (0 - N)" },
  "net[n]": { type: "string", optional: 1, format: LXC_NET_FORMAT },
  rootfs: { type: "string", optional: 1, format: LXC_ROOTFS_FORMAT },
  "mp[n]": { type: "string", optional: 1, format: LXC_MP_FORMAT },
  features: { type: "string", optional: 1, format: LXC_FEATURES_FORMAT },
  unprivileged: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  nameserver: { type: "string", optional: 1, format: "lxc-ip-with-ll-iface-list", typetext: "<string>" },
  searchdomain: { type: "string", optional: 1, format: "dns-name-list", typetext: "<string>" },
  tags: { type: "string", optional: 1, format: "pve-tag-list", typetext: "<string>" },
  description: { type: "string", optional: 1, maxLength: 8192, typetext: "<string>" },
  onboot: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  ostype: { type: "string", optional: 1, enum: ["debian", "devuan", "ubuntu", "centos", "fedora", "opensuse", "archlinux", "alpine", "gentoo", "nixos", "unmanaged"] },
  protection: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  hookscript: { type: "string", optional: 1, format: "pve-volume-id", typetext: "<string>" },
  template: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
  arch: { type: "string", optional: 1, default: "amd64", enum: ["amd64", "i386", "arm64", "armhf", "riscv32", "riscv64"] },
  cmode: { type: "string", optional: 1, default: "tty", enum: ["shell", "console", "tty"] },
  console: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
  tty: { type: "integer", optional: 1, default: 2, minimum: 0, maximum: 6, typetext: "<integer> (0 - 6)" },
};

export const ENDPOINT_DEFINITIONS: readonly (EndpointDef & { readonly path: string })[] = [
  {
    path: "/version",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {

      },
    },
  },
  {
    path: "/cluster/resources",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        type: { type: "string", optional: 1, enum: ["vm", "storage", "node", "sdn"] },
      },
    },
  },
  {
    path: "/cluster/nextid",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        vmid: { type: "integer", optional: 1, minimum: 100, maximum: 999999999, format: "pve-vmid", typetext: "<integer> (100 - 999999999)" },
      },
    },
  },
  {
    path: "/cluster/tasks",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {

      },
    },
  },
  {
    path: "/cluster/status",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    permissions: { check: ["perm", "/", ["Sys.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {

      },
    },
  },
  {
    path: "/cluster/ha/resources",
    method: "GET",
    allowtoken: 1,
    permissions: { check: ["perm", "/", ["Sys.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        type: { type: "string", optional: 1, enum: ["ct", "vm"] },
      },
    },
  },
  {
    path: "/cluster/ha/resources",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    permissions: { check: ["perm", "/", ["Sys.Console"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        comment: { type: "string", optional: 1, maxLength: 4096, typetext: "<string>" },
        failback: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
        group: { type: "string", optional: 1, format: "pve-configid", typetext: "<string>" },
        max_relocate: { type: "integer", optional: 1, default: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        max_restart: { type: "integer", optional: 1, default: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        sid: { type: "string", format: "pve-ha-resource-or-vm-id", typetext: "<type>:<name>" },
        state: { type: "string", optional: 1, default: "started", enum: ["started", "stopped", "enabled", "disabled", "ignored"] },
        type: { type: "string", optional: 1, enum: ["ct", "vm"] },
      },
    },
  },
  {
    path: "/cluster/ha/resources/{sid}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    permissions: { check: ["perm", "/", ["Sys.Console"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        purge: { type: "boolean", optional: 1, default: 1, typetext: "<boolean>" },
        sid: { type: "string", format: "pve-ha-resource-or-vm-id", typetext: "<type>:<name>" },
      },
    },
  },
  {
    path: "/nodes",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {

      },
    },
  },
  {
    path: "/nodes/{node}/status",
    method: "GET",
    allowtoken: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/nodes/{node}", ["Sys.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        full: { type: "boolean", optional: 1, typetext: "<boolean>" },
        node: NODE,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        ...QM_CONFIG_OPTIONS,
        node: NODE,
        vmid: VMID,
        pool: { type: "string", optional: 1, format: "pve-poolid", typetext: "<string>" },
        storage: { type: "string", optional: 1, format: "pve-storage-id", typetext: "<storage ID>" },
        start: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/config",
    method: "GET",
    allowtoken: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        current: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        snapshot: { type: "string", optional: 1, maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/config",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        ...QM_CONFIG_OPTIONS,
        node: NODE,
        vmid: VMID,
        delete: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        revert: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        digest: { type: "string", optional: 1, maxLength: 40, typetext: "<string>" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        force: { type: "boolean", optional: 1, requires: "delete", typetext: "<boolean>" },
        background_delay: { type: "integer", optional: 1, minimum: 1, maximum: 30, typetext: "<integer> (1 - 30)" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/config",
    method: "PUT",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        ...QM_CONFIG_OPTIONS,
        node: NODE,
        vmid: VMID,
        delete: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        revert: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        digest: { type: "string", optional: 1, maxLength: 40, typetext: "<string>" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        force: { type: "boolean", optional: 1, requires: "delete", typetext: "<boolean>" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/status/current",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/status/start",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        timeout: { type: "integer", optional: 1, default: "max(30, vm memory in GiB)", minimum: 0, typetext: "<integer> (0 - N)" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/status/stop",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        keepActive: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        migratedfrom: { type: "string", optional: 1, format: "pve-node", typetext: "<string>" },
        node: NODE,
        "overrule-shutdown": { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        timeout: { type: "integer", optional: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/status/shutdown",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        forceStop: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        keepActive: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        timeout: { type: "integer", optional: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/status/reboot",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        timeout: { type: "integer", optional: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/clone",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["and", ["perm", "/vms/{vmid}", ["VM.Clone"]], ["or", ["perm", "/vms/{newid}", ["VM.Allocate"]], ["perm", "/pool/{pool}", ["VM.Allocate"], "require_param", "pool"]]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        bwlimit: { type: "integer", optional: 1, default: "clone limit from datacenter or storage config", minimum: 0, typetext: "<integer> (0 - N)" },
        description: { type: "string", optional: 1, typetext: "<string>" },
        format: { type: "string", optional: 1, enum: ["raw", "qcow2", "vmdk"] },
        full: { type: "boolean", optional: 1, typetext: "<boolean>" },
        name: { type: "string", optional: 1, format: "dns-name", typetext: "<string>" },
        newid: VMID,
        node: NODE,
        pool: { type: "string", optional: 1, format: "pve-poolid", typetext: "<string>" },
        snapname: { type: "string", optional: 1, maxLength: 40, format: "pve-configid", typetext: "<string>" },
        storage: { type: "string", optional: 1, format: "pve-storage-id", typetext: "<storage ID>" },
        target: { type: "string", optional: 1, format: "pve-node", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/resize",
    method: "PUT",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Config.Disk"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        digest: { type: "string", optional: 1, maxLength: 40, typetext: "<string>" },
        disk: { type: "string", enum: ["ide0", "ide1", "ide2", "ide3", "scsi0", "scsi1", "scsi2", "scsi3", "scsi4", "scsi5", "scsi6", "scsi7", "scsi8", "scsi9", "scsi10", "scsi11", "scsi12", "scsi13", "scsi14", "scsi15", "scsi16", "scsi17", "scsi18", "scsi19", "scsi20", "scsi21", "scsi22", "scsi23", "scsi24", "scsi25", "scsi26", "scsi27", "scsi28", "scsi29", "scsi30", "virtio0", "virtio1", "virtio2", "virtio3", "virtio4", "virtio5", "virtio6", "virtio7", "virtio8", "virtio9", "virtio10", "virtio11", "virtio12", "virtio13", "virtio14", "virtio15", "sata0", "sata1", "sata2", "sata3", "sata4", "sata5", "efidisk0", "tpmstate0"] },
        node: NODE,
        size: { type: "string", pattern: "\\+?\\d+(\\.\\d+)?[KMGT]?" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/migrate",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Migrate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        bwlimit: { type: "integer", optional: 1, default: "migrate limit from datacenter or storage config", minimum: 0, typetext: "<integer> (0 - N)" },
        force: { type: "boolean", optional: 1, typetext: "<boolean>" },
        migration_network: { type: "string", optional: 1, format: "CIDR", typetext: "<string>" },
        migration_type: { type: "string", optional: 1, enum: ["secure", "insecure"] },
        node: NODE,
        online: { type: "boolean", optional: 1, typetext: "<boolean>" },
        target: NODE,
        vmid: VMID,
        "with-conntrack-state": { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        "with-local-disks": { type: "boolean", optional: 1, typetext: "<boolean>" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/snapshot",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/snapshot",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        description: { type: "string", optional: 1, typetext: "<string>" },
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
        vmstate: { type: "boolean", optional: 1, typetext: "<boolean>" },
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        force: { type: "boolean", optional: 1, typetext: "<boolean>" },
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot", "VM.Snapshot.Rollback"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        start: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Allocate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        "destroy-unreferenced-disks": { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        purge: { type: "boolean", optional: 1, typetext: "<boolean>" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/agent/ping",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/qemu/{vmid}/template",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Allocate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        disk: { type: "string", optional: 1, enum: ["ide0", "ide1", "ide2", "ide3", "scsi0", "scsi1", "scsi2", "scsi3", "scsi4", "scsi5", "scsi6", "scsi7", "scsi8", "scsi9", "scsi10", "scsi11", "scsi12", "scsi13", "scsi14", "scsi15", "scsi16", "scsi17", "scsi18", "scsi19", "scsi20", "scsi21", "scsi22", "scsi23", "scsi24", "scsi25", "scsi26", "scsi27", "scsi28", "scsi29", "scsi30", "virtio0", "virtio1", "virtio2", "virtio3", "virtio4", "virtio5", "virtio6", "virtio7", "virtio8", "virtio9", "virtio10", "virtio11", "virtio12", "virtio13", "virtio14", "virtio15", "sata0", "sata1", "sata2", "sata3", "sata4", "sata5", "efidisk0", "tpmstate0"] },
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        ...LXC_CONFIG_OPTIONS,
        node: NODE,
        vmid: VMID,
        ostemplate: { type: "string", maxLength: 255, typetext: "<string>" },
        storage: { type: "string", optional: 1, default: "local", format: "pve-storage-id", typetext: "<storage ID>" },
        pool: { type: "string", optional: 1, format: "pve-poolid", typetext: "<string>" },
        start: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        password: { type: "string", optional: 1, minLength: 5, typetext: "<string>" },
        "ssh-public-keys": { type: "string", optional: 1, typetext: "<string>" },
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/config",
    method: "GET",
    allowtoken: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        current: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        snapshot: { type: "string", optional: 1, maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/config",
    method: "PUT",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        ...LXC_CONFIG_OPTIONS,
        node: NODE,
        vmid: VMID,
        delete: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        revert: { type: "string", optional: 1, format: "pve-configid-list", typetext: "<string>" },
        digest: { type: "string", optional: 1, maxLength: 40, typetext: "<string>" },
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/status/current",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/status/start",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        debug: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/status/stop",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        "overrule-shutdown": { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        skiplock: { type: "boolean", optional: 1, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/status/shutdown",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        forceStop: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        timeout: { type: "integer", optional: 1, default: 60, minimum: 0, typetext: "<integer> (0 - N)" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/status/reboot",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.PowerMgmt"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        timeout: { type: "integer", optional: 1, minimum: 0, typetext: "<integer> (0 - N)" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/clone",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["and", ["perm", "/vms/{vmid}", ["VM.Clone"]], ["or", ["perm", "/vms/{newid}", ["VM.Allocate"]], ["perm", "/pool/{pool}", ["VM.Allocate"], "require_param", "pool"]]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        bwlimit: { type: "number", optional: 1, default: "clone limit from datacenter or storage config", minimum: 0, typetext: "<number> (0 - N)" },
        description: { type: "string", optional: 1, typetext: "<string>" },
        full: { type: "boolean", optional: 1, typetext: "<boolean>" },
        hostname: { type: "string", optional: 1, format: "dns-name", typetext: "<string>" },
        newid: VMID,
        node: NODE,
        pool: { type: "string", optional: 1, format: "pve-poolid", typetext: "<string>" },
        snapname: { type: "string", optional: 1, maxLength: 40, format: "pve-configid", typetext: "<string>" },
        storage: { type: "string", optional: 1, format: "pve-storage-id", typetext: "<storage ID>" },
        target: { type: "string", optional: 1, format: "pve-node", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/resize",
    method: "PUT",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Config.Disk"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        digest: { type: "string", optional: 1, maxLength: 40, typetext: "<string>" },
        disk: { type: "string", enum: ["rootfs", "mp0", "mp1", "mp2", "mp3", "mp4", "mp5", "mp6", "mp7", "mp8", "mp9", "mp10", "mp11", "mp12", "mp13", "mp14", "mp15", "mp16", "mp17", "mp18", "mp19", "mp20", "mp21", "mp22", "mp23", "mp24", "mp25", "mp26", "mp27", "mp28", "mp29", "mp30", "mp31", "mp32", "mp33", "mp34", "mp35", "mp36", "mp37", "mp38", "mp39", "mp40", "mp41", "mp42", "mp43", "mp44", "mp45", "mp46", "mp47", "mp48", "mp49", "mp50", "mp51", "mp52", "mp53", "mp54", "mp55", "mp56", "mp57", "mp58", "mp59", "mp60", "mp61", "mp62", "mp63", "mp64", "mp65", "mp66", "mp67", "mp68", "mp69", "mp70", "mp71", "mp72", "mp73", "mp74", "mp75", "mp76", "mp77", "mp78", "mp79", "mp80", "mp81", "mp82", "mp83", "mp84", "mp85", "mp86", "mp87", "mp88", "mp89", "mp90", "mp91", "mp92", "mp93", "mp94", "mp95", "mp96", "mp97", "mp98", "mp99", "mp100", "mp101", "mp102", "mp103", "mp104", "mp105", "mp106", "mp107", "mp108", "mp109", "mp110", "mp111", "mp112", "mp113", "mp114", "mp115", "mp116", "mp117", "mp118", "mp119", "mp120", "mp121", "mp122", "mp123", "mp124", "mp125", "mp126", "mp127", "mp128", "mp129", "mp130", "mp131", "mp132", "mp133", "mp134", "mp135", "mp136", "mp137", "mp138", "mp139", "mp140", "mp141", "mp142", "mp143", "mp144", "mp145", "mp146", "mp147", "mp148", "mp149", "mp150", "mp151", "mp152", "mp153", "mp154", "mp155", "mp156", "mp157", "mp158", "mp159", "mp160", "mp161", "mp162", "mp163", "mp164", "mp165", "mp166", "mp167", "mp168", "mp169", "mp170", "mp171", "mp172", "mp173", "mp174", "mp175", "mp176", "mp177", "mp178", "mp179", "mp180", "mp181", "mp182", "mp183", "mp184", "mp185", "mp186", "mp187", "mp188", "mp189", "mp190", "mp191", "mp192", "mp193", "mp194", "mp195", "mp196", "mp197", "mp198", "mp199", "mp200", "mp201", "mp202", "mp203", "mp204", "mp205", "mp206", "mp207", "mp208", "mp209", "mp210", "mp211", "mp212", "mp213", "mp214", "mp215", "mp216", "mp217", "mp218", "mp219", "mp220", "mp221", "mp222", "mp223", "mp224", "mp225", "mp226", "mp227", "mp228", "mp229", "mp230", "mp231", "mp232", "mp233", "mp234", "mp235", "mp236", "mp237", "mp238", "mp239", "mp240", "mp241", "mp242", "mp243", "mp244", "mp245", "mp246", "mp247", "mp248", "mp249", "mp250", "mp251", "mp252", "mp253", "mp254", "mp255"] },
        node: NODE,
        size: { type: "string", pattern: "\\+?\\d+(\\.\\d+)?[KMGT]?" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/migrate",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Migrate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        bwlimit: { type: "number", optional: 1, default: "migrate limit from datacenter or storage config", minimum: 0, typetext: "<number> (0 - N)" },
        node: NODE,
        online: { type: "boolean", optional: 1, typetext: "<boolean>" },
        restart: { type: "boolean", optional: 1, typetext: "<boolean>" },
        target: NODE,
        timeout: { type: "integer", optional: 1, default: 180, typetext: "<integer>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/snapshot",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/snapshot",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        description: { type: "string", optional: 1, typetext: "<string>" },
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        force: { type: "boolean", optional: 1, typetext: "<boolean>" },
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Snapshot", "VM.Snapshot.Rollback"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        snapname: { type: "string", maxLength: 40, format: "pve-configid", typetext: "<string>" },
        start: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Allocate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        "destroy-unreferenced-disks": { type: "boolean", optional: 1, typetext: "<boolean>" },
        force: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        purge: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/interfaces",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/lxc/{vmid}/template",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/vms/{vmid}", ["VM.Allocate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        vmid: VMID,
      },
    },
  },
  {
    path: "/nodes/{node}/storage",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        content: { type: "string", optional: 1, format: "pve-storage-content-list", typetext: "<string>" },
        enabled: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        format: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        node: NODE,
        storage: { type: "string", optional: 1, format: "pve-storage-id", typetext: "<storage ID>" },
        target: { type: "string", optional: 1, format: "pve-node", typetext: "<string>" },
      },
    },
  },
  {
    path: "/nodes/{node}/storage/{storage}/content",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { check: ["perm", "/storage/{storage}", ["Datastore.Audit", "Datastore.AllocateSpace"], "any", 1] },
    parameters: {
      additionalProperties: 0,
      properties: {
        content: { type: "string", optional: 1, format: "pve-storage-content", typetext: "<string>" },
        node: NODE,
        storage: { type: "string", format: "pve-storage-id", typetext: "<storage ID>" },
        vmid: { type: "integer", optional: 1, minimum: 100, maximum: 999999999, format: "pve-vmid", typetext: "<integer> (100 - 999999999)" },
      },
    },
  },
  {
    path: "/nodes/{node}/tasks",
    method: "GET",
    allowtoken: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        errors: { type: "boolean", optional: 1, default: 0, typetext: "<boolean>" },
        limit: { type: "integer", optional: 1, default: 50, minimum: 0, typetext: "<integer> (0 - N)" },
        node: NODE,
        since: { type: "integer", optional: 1, typetext: "<integer>" },
        source: { type: "string", optional: 1, default: "archive", enum: ["archive", "active", "all"] },
        start: { type: "integer", optional: 1, default: 0, minimum: 0, typetext: "<integer> (0 - N)" },
        statusfilter: { type: "string", optional: 1, format: "pve-task-status-type-list", typetext: "<string>" },
        typefilter: { type: "string", optional: 1, typetext: "<string>" },
        until: { type: "integer", optional: 1, typetext: "<integer>" },
        userfilter: { type: "string", optional: 1, typetext: "<string>" },
        vmid: { type: "integer", optional: 1, minimum: 100, maximum: 999999999, format: "pve-vmid", typetext: "<integer> (100 - 999999999)" },
      },
    },
  },
  {
    path: "/nodes/{node}/tasks/{upid}/status",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        upid: { type: "string", typetext: "<string>" },
      },
    },
  },
  {
    path: "/nodes/{node}/tasks/{upid}/log",
    method: "GET",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        download: { type: "boolean", optional: 1, typetext: "<boolean>" },
        limit: { type: "integer", optional: 1, default: 50, minimum: 0, typetext: "<integer> (0 - N)" },
        node: NODE,
        start: { type: "integer", optional: 1, default: 0, minimum: 0, typetext: "<integer> (0 - N)" },
        upid: { type: "string", typetext: "<string>" },
      },
    },
  },
  {
    path: "/nodes/{node}/tasks/{upid}",
    method: "DELETE",
    allowtoken: 1,
    protected: 1,
    proxyto: "node",
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        node: NODE,
        upid: { type: "string", typetext: "<string>" },
      },
    },
  },
  {
    path: "/pools",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        poolid: { type: "string", optional: 1, format: "pve-poolid", typetext: "<string>" },
        type: { type: "string", optional: 1, enum: ["qemu", "lxc", "storage"], requires: "poolid" },
      },
    },
  },
  {
    path: "/pools",
    method: "POST",
    allowtoken: 1,
    protected: 1,
    permissions: { check: ["perm", "/pool/{poolid}", ["Pool.Allocate"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        comment: { type: "string", optional: 1, typetext: "<string>" },
        poolid: { type: "string", format: "pve-poolid", typetext: "<string>" },
      },
    },
  },
  {
    path: "/pools/{poolid}",
    method: "GET",
    allowtoken: 1,
    permissions: { check: ["perm", "/pool/{poolid}", ["Pool.Audit"]] },
    parameters: {
      additionalProperties: 0,
      properties: {
        poolid: { type: "string", format: "pve-poolid", typetext: "<string>" },
        type: { type: "string", optional: 1, enum: ["qemu", "lxc", "storage"] },
      },
    },
  },
  {
    path: "/access/permissions",
    method: "GET",
    allowtoken: 1,
    permissions: { user: "all" },
    parameters: {
      additionalProperties: 0,
      properties: {
        path: { type: "string", optional: 1, typetext: "<string>" },
        userid: { type: "string", optional: 1, pattern: "(?^:^(?^:[^\\s:/]+)\\@(?^:[A-Za-z][A-Za-z0-9\\.\\-_]+)(?:!(?^:[A-Za-z][A-Za-z0-9\\.\\-_]+))?$)" },
      },
    },
  },
];

