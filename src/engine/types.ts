/**
 * The engine's vocabulary: requests (what a person asked for), plans (everything resolved, shown before any
 * change), and progress events. All plain data — the same objects are stored by the job runner and rendered
 * by Slack or the console. The engine knows nothing of Slack.
 */
import { z } from "zod";

/** Flags that force a VM (an LXC container cannot do these). */
export const VM_FORCING_FLAGS = ["docker", "liveMigrate", "windows", "customKernel", "haLive", "iso"] as const;
export type VmForcingFlag = (typeof VM_FORCING_FLAGS)[number];

/** RFC 1123 label: 1-63 characters, letters, digits and hyphens, not starting or ending with a hyphen. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Proxmox tag format (pve-common JSONSchema.pm `pve-tag`). */
export const PVE_TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

export const staticNetworkSchema = z.strictObject({
  mode: z.literal("static"),
  /** Address in CIDR form, e.g. 127.30.0.10/24. */
  ip: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "expected an IPv4 address in CIDR form like 10.0.0.5/24"),
  gateway: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "expected an IPv4 address"),
  dns: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "expected an IPv4 address").optional(),
});

export const networkRequestSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("dhcp") }),
  staticNetworkSchema,
]);
export type NetworkRequest = z.infer<typeof networkRequestSchema>;

export const provisionRequestSchema = z.strictObject({
  /** Explicit guest name (DNS label). Either name or role. */
  name: z.string().optional(),
  /** `--role worker` → `<prefix>-worker-<n>`, n one more than the highest existing. */
  role: z.string().regex(DNS_LABEL, "a role is a DNS label").optional(),
  /** Name prefix for role names (default: the profile name). */
  rolePrefix: z.string().regex(DNS_LABEL).optional(),
  docker: z.boolean().default(false),
  liveMigrate: z.boolean().default(false),
  windows: z.boolean().default(false),
  customKernel: z.boolean().default(false),
  haLive: z.boolean().default(false),
  /** ISO volid to install from (forces a VM created from scratch). */
  iso: z.string().optional(),
  /** Ask for nesting on a container even where the default leaves it off (Alpine). */
  nesting: z.boolean().optional(),
  size: z.string().optional(),
  cores: z.int().min(1).max(512).optional(),
  memoryMb: z.int().min(64).max(4 * 1024 * 1024).optional(),
  diskGb: z.int().min(1).max(65536).optional(),
  /** Image: a volid, a template VMID, a template name or an alias from the profile's images. */
  image: z.string().optional(),
  node: z.string().optional(),
  vmid: z.int().min(100).max(999_999_999).optional(),
  network: networkRequestSchema.default({ mode: "dhcp" }),
  sshKeys: z.array(z.string()).default([]),
  tags: z.array(z.string().regex(PVE_TAG, "tags use letters, digits and _ - + .")).default([]),
  fullClone: z.boolean().default(false),
  ciUser: z.string().optional(),
  /** Who asked (for the description written on the guest and the audit log). */
  requestedBy: z.string().default("cli"),
});
export type ProvisionRequestInput = z.input<typeof provisionRequestSchema>;
export type ProvisionRequest = z.output<typeof provisionRequestSchema>;

export type GuestType = "qemu" | "lxc";

export type ResolvedImage =
  | {
      kind: "vm-template";
      vmid: number;
      name: string;
      node: string;
      /** Boot disk key in the template config, e.g. scsi0. */
      diskKey: string;
      diskStorage: string;
      diskSizeBytes: number;
      sharedStorage: boolean;
      /** How the image was chosen, for the plan display. */
      via: ImageVia;
    }
  | { kind: "iso"; volid: string; via: ImageVia }
  | { kind: "ostemplate"; volid: string; via: ImageVia; openrc: boolean };

export type ImageVia = "explicit volid" | "template vmid" | "template name" | "profile alias" | "profile default";

export interface ProvisionPlan {
  kind: "provision";
  cluster: string;
  profile: string;
  pool: string;
  type: GuestType;
  /** Why VM or container, in words. */
  typeReason: string;
  name: string;
  vmid: number;
  node: string;
  nodeReason: string;
  image: ResolvedImage;
  cores: number;
  memoryMb: number;
  /** Final disk size in GiB after the never-shrink rule. */
  diskGb: number;
  diskNote?: string;
  cpuType?: string;
  /** VM clones: linked or full. */
  cloneMode?: "linked" | "full";
  storage: string;
  bridge: string;
  vlan?: number;
  network: NetworkRequest;
  nameserver?: string;
  searchdomain?: string;
  ciUser?: string;
  sshKeys: string[];
  tags: string[];
  /** Containers: Proxmox `features`. */
  features?: string;
  unprivileged?: boolean;
  swapMb?: number;
  haLive: boolean;
  windows: boolean;
  /** Marker written into the guest's description: how a resumed job recognises its own guest. */
  ownerMarker: string;
  quota: QuotaSummary;
  readiness: { agentTimeoutSec: number; ipTimeoutSec: number; sshTimeoutSec: number; sshHandshake: boolean; sshPort: number };
  /** The step names this plan will execute, in order. */
  steps: string[];
}

export interface QuotaSummary {
  pool: string;
  cores: { used: number; requested: number; limit: number };
  memoryMb: { used: number; requested: number; limit: number };
  diskGb: { used: number; requested: number; limit: number };
}

export interface GuestRef {
  vmid: number;
  name: string;
  node: string;
  type: GuestType;
  status: string;
  template: boolean;
  ip?: string;
  tags: string[];
  pool?: string;
  hastate?: string;
}

export interface TeardownPlan {
  kind: "teardown";
  cluster: string;
  profile: string;
  target: string;
  guests: GuestRef[];
  shutdownTimeoutSec: number;
}

export interface EvacuatePlan {
  kind: "evacuate";
  cluster: string;
  profile: string;
  node: string;
  moves: Array<{ guest: GuestRef; target: string; online: boolean; reason: string }>;
  skipped: Array<{ guest: GuestRef; reason: string }>;
}

export type Plan = ProvisionPlan | TeardownPlan | EvacuatePlan;

/** Progress as the engine reports it. `step` names match `plan.steps`. */
export type ProgressEvent =
  | { type: "plan-ready"; plan: Plan }
  | { type: "step-started"; step: string; title: string; guest?: number }
  | { type: "task-started"; step: string; upid: string; guest?: number }
  | { type: "task-log"; step: string; upid: string; line: string }
  | {
      type: "step-finished";
      step: string;
      title: string;
      guest?: number;
      upid?: string;
      logTail?: string[];
      durationMs: number;
      /** The effect was already there (resumed job). */
      alreadyDone?: boolean;
    }
  | { type: "waiting"; step: string; what: string; elapsedMs: number; guest?: number }
  | { type: "ready"; name: string; vmid: number; node: string; ip?: string; ssh?: string; note?: string }
  | { type: "guest-done"; vmid: number; name: string; action: string; detail?: string }
  | {
      type: "failed";
      step: string;
      message: string;
      pveMessage?: string;
      upid?: string;
      logTail?: string[];
      rolledBack: string[];
      leftBehind: string[];
    }
  | { type: "rollback"; step: string; message: string }
  | { type: "finished"; summary: string };

export type ProgressListener = (event: ProgressEvent) => void;
