/**
 * Kysely's view of the tables (what a query reads and writes). Times are epoch milliseconds (BIGINT in both
 * back ends), JSON columns are text on the way in and out (PostgreSQL stores them as jsonb; dialect.ts makes pg
 * hand them back as text), booleans are 0/1 integers (better-sqlite3 cannot bind JS booleans).
 */
import type { Generated } from "kysely";

export interface JobsTable {
  /** Submission order (FIFO queue order). */
  seq: Generated<number>;
  id: string;
  kind: string;
  state: string;
  request: string;
  plan: string | null;
  requester: string;
  cluster: string;
  profile: string | null;
  channel: string | null;
  thread_ts: string | null;
  parent_ts: string | null;
  current_step: string | null;
  steps: string;
  result: string | null;
  error: string | null;
  idempotency_key: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  attempts: number;
  cancel_requested_by: string | null;
  /** Added by migration 0003 (default 0). */
  reported_seq: Generated<number>;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface JobEventsTable {
  job_id: string;
  seq: number;
  at: number;
  type: string;
  data: string;
}

export interface ApprovalsTable {
  id: string;
  job_id: string | null;
  action: string;
  requested_by: string;
  approvers: string;
  self_approve: number;
  expires_at: number;
  decision: string;
  decided_by: string | null;
  decided_at: number | null;
  channel: string | null;
  message_ts: string | null;
  created_at: number;
}

export interface ChannelBindingsTable {
  channel: string;
  profile: string;
  bound_by: string;
  bound_at: number;
}

export interface VmidReservationsTable {
  cluster: string;
  vmid: number;
  holder: string;
  reserved_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  cluster: string | null;
  result: string;
  job_id: string | null;
  details: string;
}

export interface StoreDatabase {
  jobs: JobsTable;
  job_events: JobEventsTable;
  approvals: ApprovalsTable;
  channel_bindings: ChannelBindingsTable;
  vmid_reservations: VmidReservationsTable;
  audit_log: AuditLogTable;
}
