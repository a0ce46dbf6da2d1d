/**
 * What each kind of job carries in its stored `request`, as zod schemas (the store keeps JSON; the runner reads
 * it back through these). One place for the shape of every job.
 */
import { z } from "zod";
import type { ProvisionRequestInput } from "../engine/types.js";

const target = z.union([
  z.strictObject({ name: z.string() }),
  z.strictObject({ vmid: z.number().int() }),
  z.strictObject({ tag: z.string() }),
]);

/** The provision request is validated by the engine (provisionRequestSchema); here it only has to be an object. */
export const provisionJobSchema = z.strictObject({
  profile: z.string(),
  request: z.record(z.string(), z.unknown()).transform((r) => r as ProvisionRequestInput),
});

export const teardownJobSchema = z.strictObject({
  profile: z.string(),
  target,
  includeTemplates: z.boolean().default(false),
});

export const powerJobSchema = z.strictObject({
  profile: z.string(),
  target,
  action: z.enum(["start", "stop", "shutdown", "reboot"]),
});

export const snapshotJobSchema = z.strictObject({
  profile: z.string(),
  target,
  op: z.discriminatedUnion("action", [
    z.strictObject({ action: z.literal("create"), name: z.string().optional(), description: z.string().optional() }),
    z.strictObject({ action: z.literal("list") }),
    z.strictObject({ action: z.literal("rollback"), name: z.string() }),
    z.strictObject({ action: z.literal("delete"), name: z.string() }),
  ]),
});

export const migrateJobSchema = z.strictObject({ profile: z.string(), target, node: z.string() });
export const evacuateJobSchema = z.strictObject({ profile: z.string(), node: z.string() });

export const JOB_SCHEMAS = {
  provision: provisionJobSchema,
  teardown: teardownJobSchema,
  power: powerJobSchema,
  snapshot: snapshotJobSchema,
  migrate: migrateJobSchema,
  evacuate: evacuateJobSchema,
} as const;

export type JobKindName = keyof typeof JOB_SCHEMAS;
export type JobRequest<K extends JobKindName> = z.input<(typeof JOB_SCHEMAS)[K]>;

export function isKnownKind(kind: string): kind is JobKindName {
  return kind in JOB_SCHEMAS;
}
