/**
 * zod schemas for the main config file and the profile files. These describe the document *after* the loader
 * (src/config/load.ts) has substituted `${ENV_VAR}` references and read `*File` secrets, so secret fields
 * arrive here as strings and leave as `Secret`. Every object is strict: unknown keys are errors (usually typos).
 */
import { z } from "zod";
import { Secret } from "../secret.js";

const secret = z.string().min(1, "must not be empty").transform((s) => new Secret(s));

/**
 * A secret that goes into an HTTP header (`Authorization: PVEAPIToken=<id>=<secret>`): printable ASCII without
 * spaces, so a value with a newline cannot inject a header. The messages never repeat the value.
 */
const headerSecret = z
  .string()
  .min(1, "must not be empty")
  .max(512, "is longer than 512 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces or control characters")
  .transform((s) => new Secret(s));

/** An OpenSSH/PEM private key, read by the loader from `privateKeyFile`. */
const privateKeySecret = z
  .string()
  .regex(/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, "is not a PEM/OpenSSH private key")
  .transform((s) => new Secret(s));

/**
 * Keys whose value is a secret. The loader accepts each also as `<key>File: /path` (the file's content, trailing
 * newline trimmed) and never repeats their values in an error.
 */
export const SECRET_KEYS: readonly string[] = ["tokenSecret", "privateKey", "botToken", "appToken", "signingSecret"];
/** Keys the loader fills from a sibling `<key>File` although they are not secret. */
export const FILE_CONTENT_KEYS: readonly string[] = ["knownHosts"];

/** "500-8999" → { min: 500, max: 8999 }. Proxmox VMIDs are 100 … 999999999. */
export const vmidRangeSchema = z
  .string()
  .regex(/^\s*\d+\s*-\s*\d+\s*$/, 'expected a VMID range like "500-8999"')
  .transform((s, ctx) => {
    const [min, max] = s.split("-").map((p) => Number(p.trim())) as [number, number];
    if (min < 100 || max > 999_999_999) {
      ctx.addIssue({ code: "custom", message: `VMIDs must lie within 100-999999999, got "${s}"` });
      return z.NEVER;
    }
    if (min > max) {
      ctx.addIssue({ code: "custom", message: `range start ${min} is greater than its end ${max}` });
      return z.NEVER;
    }
    return { min, max };
  });
export type VmidRange = { min: number; max: number };

const endpointUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL like https://pve1.example:8006" });

/** SHA-256 certificate fingerprint as Proxmox shows it: 32 colon-separated hex bytes. */
const fingerprint = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, "expected a SHA-256 fingerprint: 32 hex bytes separated by colons");

export const apiConfigSchema = z
  .strictObject({
    url: endpointUrl.optional(),
    /** More API URLs of the same cluster, tried in order when one is down. */
    endpoints: z.array(endpointUrl).min(1).optional(),
    tokenId: z
      .string()
      .regex(/^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$/, 'expected a token ID like "chatops@pve!bot"'),
    /** The token's secret (a UUID). Or `tokenSecretFile: /path`; the loader fills tokenSecret from it. */
    tokenSecret: headerSecret,
    /** Path of a file holding tokenSecret (absolute after loading). */
    tokenSecretFile: z.string().min(1).optional(),
    fingerprint: fingerprint.optional(),
    /** Path of a PEM file with the CA that signed the cluster's certificates. */
    ca: z.string().min(1).optional(),
    /** Skip TLS verification. Only when said explicitly; the client logs a warning. */
    insecure: z.boolean().default(false),
    timeoutMs: z.int().positive().default(30_000),
    /** Requests in flight at once per cluster. */
    maxConcurrent: z.int().positive().default(8),
    /** Requests started per second per cluster. */
    ratePerSecond: z.number().positive().default(50),
  })
  .refine((a) => a.url !== undefined || a.endpoints !== undefined, {
    message: "give url or endpoints",
    path: ["url"],
  })
  .refine((a) => [a.fingerprint, a.ca, a.insecure || undefined].filter(Boolean).length <= 1, {
    message: "give at most one of fingerprint, ca, insecure",
    path: ["fingerprint"],
  })
  .transform((a) => ({ ...a, endpoints: [...(a.url ? [a.url] : []), ...(a.endpoints ?? [])] }));
export type ApiConfig = z.output<typeof apiConfigSchema>;

export const sshConfigSchema = z.strictObject({
  /** SSH host; default: the host of the cluster's first API endpoint. */
  host: z.string().min(1).optional(),
  user: z.string().min(1).default("root"),
  port: z.int().min(1).max(65535).default(22),
  /** Path of the private key (absolute after loading). */
  privateKeyFile: z.string().min(1),
  /** The key itself: filled by the loader from privateKeyFile, never written in the file. */
  privateKey: privateKeySecret,
  /** Path of an OpenSSH known_hosts file pinning the node's host key (absolute after loading). */
  knownHostsFile: z.string().min(1),
  /** Content of knownHostsFile: filled by the loader. */
  knownHosts: z.string(),
});
export type SshConfig = z.output<typeof sshConfigSchema>;

export const clusterConfigSchema = z.strictObject({
  api: apiConfigSchema,
  ssh: sshConfigSchema.optional(),
  /** Jobs (provisions, teardowns …) running at once on this cluster; more wait in a queue, in order. */
  maxJobs: z.int().min(1).max(1000).default(10),
});
export type ClusterConfig = z.output<typeof clusterConfigSchema>;

export const slackConfigSchema = z.strictObject({
  /** Users who may bind and unbind channels. */
  admins: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, "expected a Slack user ID like U0ADMIN")).default([]),
  /** Channel ID → profile name, bindings that come from the config (the store adds more). */
  bindings: z.record(z.string().regex(/^[CDG][A-Z0-9]+$/, "expected a Slack channel ID"), z.string()).default({}),
  /** Optional: Slack credentials from the config (else from the environment). Each also as `<key>File`. */
  botToken: headerSecret.optional(),
  botTokenFile: z.string().min(1).optional(),
  appToken: headerSecret.optional(),
  appTokenFile: z.string().min(1).optional(),
  signingSecret: headerSecret.optional(),
  signingSecretFile: z.string().min(1).optional(),
});
export type SlackConfig = z.output<typeof slackConfigSchema>;

export const configSchema = z.strictObject({
  store: z.strictObject({ url: z.string().min(1) }).default({ url: "sqlite:./data/pve-chatops.db" }),
  clusters: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "cluster names are lower-case words"), clusterConfigSchema),
  profilesDir: z.string().min(1).default("./profiles"),
  slack: slackConfigSchema.default({ admins: [], bindings: {} }),
  log: z.strictObject({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info") }).default({ level: "info" }),
});
export type Config = z.output<typeof configSchema>;

// ---------------------------------------------------------------------------------------------- profile

export const sizeSchema = z.strictObject({
  cores: z.int().min(1).max(512),
  memoryMb: z.int().min(16),
  diskGb: z.int().min(1),
});
export type Size = z.output<typeof sizeSchema>;

/** An image alias: exactly one of these keys. */
export const imageSchema = z.union([
  z.strictObject({ template: z.int().min(100), nesting: z.boolean().optional() }),
  z.strictObject({ templateName: z.string().min(1) }),
  z.strictObject({ ostemplate: z.string().regex(/^[^:]+:vztmpl\/.+/, "expected a volid like local:vztmpl/x.tar.zst"), nesting: z.boolean().optional() }),
  z.strictObject({ iso: z.string().regex(/^[^:]+:iso\/.+/, "expected a volid like local:iso/x.iso") }),
]);
export type ImageSpec = z.output<typeof imageSchema>;

const principal = z.string().regex(/^(\*|[UWS][A-Z0-9]+)$/, 'expected "*", a user ID (U…) or a user-group ID (S…)');

export const approvalPolicySchema = z.strictObject({
  approvers: z.array(principal).min(1),
  selfApprove: z.boolean().default(false),
  expiresMinutes: z.int().min(1).max(24 * 60).default(30),
  /** Above this many guests the approver must type the count. */
  bulkThreshold: z.int().min(1).default(5),
});
export type ApprovalPolicy = z.output<typeof approvalPolicySchema>;

export const readinessSchema = z.strictObject({
  agentTimeoutSec: z.int().positive().default(300),
  ipTimeoutSec: z.int().positive().default(300),
  sshTimeoutSec: z.int().positive().default(180),
  /** Also complete an SSH handshake, not only a TCP connect to port 22. */
  sshHandshake: z.boolean().default(false),
  /** Port probed for SSH readiness (22 on real guests; the simulator's guests may listen elsewhere). */
  sshPort: z.int().min(1).max(65535).default(22),
});

const defaultReadiness = { agentTimeoutSec: 300, ipTimeoutSec: 300, sshTimeoutSec: 180, sshHandshake: false, sshPort: 22 };

export const profileSchema = z
  .strictObject({
    cluster: z.string().min(1),
    pool: z.string().regex(/^[A-Za-z0-9_.\-/]+$/, "expected a Proxmox pool ID"),
    storage: z.string().min(1),
    bridge: z.string().min(1).default("vmbr0"),
    vlan: z.int().min(1).max(4094).optional(),
    vmidRanges: z.strictObject({ templates: vmidRangeSchema, auto: vmidRangeSchema }),
    placement: z.enum(["least-loaded", "spread", "pack"]).default("least-loaded"),
    sizes: z.record(z.string(), sizeSchema),
    images: z.record(z.string(), imageSchema).default({}),
    defaultImage: z.strictObject({ vm: z.string().optional(), ct: z.string().optional() }).default({}),
    quota: z.strictObject({ cores: z.int().positive(), memoryMb: z.int().positive(), diskGb: z.int().positive() }),
    /** CPU type for guests that must live-migrate between hosts of different CPU generations. */
    migratableCpuType: z.string().default("kvm64"),
    /** Tags added to every guest this profile creates. */
    tags: z.array(z.string().regex(/^[a-z0-9_][a-z0-9_\-+.]*$/i, "not a valid Proxmox tag")).default([]),
    ciUser: z.string().optional(),
    sshKeys: z.array(z.string().min(1)).default([]),
    nameserver: z.string().optional(),
    searchdomain: z.string().optional(),
    swapMb: z.int().min(0).default(512),
    readiness: readinessSchema.default(defaultReadiness),
    shutdownTimeoutSec: z.int().positive().default(60),
    /** Jobs of this profile running at once (within the cluster's maxJobs); unlimited when absent. */
    maxJobs: z.int().min(1).max(1000).optional(),
    permissions: z.record(z.string(), z.array(principal)).default({}),
    approvals: z
      .strictObject({ teardown: approvalPolicySchema.optional(), upgrade: approvalPolicySchema.optional() })
      .default({}),
  })
  .superRefine((p, ctx) => {
    const { templates, auto } = p.vmidRanges;
    if (templates.min <= auto.max && auto.min <= templates.max) {
      ctx.addIssue({
        code: "custom",
        path: ["vmidRanges"],
        message: `ranges overlap: templates ${templates.min}-${templates.max} and auto ${auto.min}-${auto.max}`,
      });
    }
    for (const kind of ["vm", "ct"] as const) {
      const alias = p.defaultImage[kind];
      if (alias !== undefined && !(alias in p.images)) {
        ctx.addIssue({
          code: "custom",
          path: ["defaultImage", kind],
          message: `image alias "${alias}" is not defined under images (have: ${Object.keys(p.images).join(", ") || "none"})`,
        });
      }
    }
  });
export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema> & { readonly name: string };
