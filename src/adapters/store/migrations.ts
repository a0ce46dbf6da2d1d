/**
 * Versioned schema migrations, run at every open (Kysely's Migrator records what ran in `kysely_migration` and
 * holds a lock while migrating, so replicas starting together migrate once). Migrations are append-only: never
 * edit one that has shipped, add the next number instead. Each is written with Kysely's schema builder so it runs
 * on both back ends; the few type differences come from DialectTraits.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type CreateTableBuilder } from "kysely";
import type { Logger } from "../../log.js";
import type { DialectTraits } from "./dialect.js";
import type { StoreDatabase } from "./db-schema.js";
import { StoreUnavailable } from "./errors.js";

function withAutoIncrementPk<T extends string>(
  table: CreateTableBuilder<T, never>,
  column: string,
  traits: DialectTraits,
): CreateTableBuilder<T, string> {
  // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reuses a value). PostgreSQL: BIGSERIAL PRIMARY KEY.
  return table.addColumn(column, traits.autoIncrementType, (c) =>
    traits.autoIncrementNeedsKeyword ? c.primaryKey().autoIncrement() : c.primaryKey(),
  );
}

function initialSchema(traits: DialectTraits): Migration {
  const json = traits.jsonType;
  return {
    async up(db: Kysely<unknown>) {
      await withAutoIncrementPk(db.schema.createTable("jobs"), "seq", traits)
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("request", json, (c) => c.notNull())
        .addColumn("plan", json)
        .addColumn("requester", "text", (c) => c.notNull())
        .addColumn("cluster", "text", (c) => c.notNull())
        .addColumn("profile", "text")
        .addColumn("channel", "text")
        .addColumn("thread_ts", "text")
        .addColumn("parent_ts", "text")
        .addColumn("current_step", "text")
        .addColumn("steps", json, (c) => c.notNull())
        .addColumn("result", json)
        .addColumn("error", json)
        .addColumn("idempotency_key", "text", (c) => c.unique())
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "bigint")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cancel_requested_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .execute();
      // The claim query scans by state in submission order.
      await db.schema.createIndex("jobs_state_seq").on("jobs").columns(["state", "seq"]).execute();
      await db.schema.createIndex("jobs_cluster_state").on("jobs").columns(["cluster", "state"]).execute();
      await db.schema.createIndex("jobs_thread").on("jobs").columns(["channel", "thread_ts"]).execute();

      await db.schema
        .createTable("job_events")
        .addColumn("job_id", "text", (c) => c.notNull().references("jobs.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data", json, (c) => c.notNull())
        .addPrimaryKeyConstraint("job_events_pk", ["job_id", "seq"])
        .execute();

      await db.schema
        .createTable("approvals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("job_id", "text", (c) => c.references("jobs.id").onDelete("cascade"))
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("approvers", json, (c) => c.notNull())
        .addColumn("self_approve", "integer", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("decided_by", "text")
        .addColumn("decided_at", "bigint")
        .addColumn("channel", "text")
        .addColumn("message_ts", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("approvals_job").on("approvals").column("job_id").execute();
      await db.schema.createIndex("approvals_pending").on("approvals").columns(["decision", "expires_at"]).execute();

      await db.schema
        .createTable("channel_bindings")
        .addColumn("channel", "text", (c) => c.primaryKey())
        .addColumn("profile", "text", (c) => c.notNull())
        .addColumn("bound_by", "text", (c) => c.notNull())
        .addColumn("bound_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("vmid_reservations")
        .addColumn("cluster", "text", (c) => c.notNull())
        .addColumn("vmid", "integer", (c) => c.notNull())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("reserved_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("vmid_reservations_pk", ["cluster", "vmid"])
        .execute();
      await db.schema.createIndex("vmid_reservations_holder").on("vmid_reservations").column("holder").execute();

      await withAutoIncrementPk(db.schema.createTable("audit_log"), "seq", traits)
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target", "text")
        .addColumn("cluster", "text")
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("job_id", "text")
        .addColumn("details", json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
      await db.schema.createIndex("audit_log_target").on("audit_log").column("target").execute();
    },
  };
}

/**
 * The audit log is append-only in the database too, not only in the Store interface: UPDATE and DELETE raise an
 * error. (An operator who must prune it drops the trigger on purpose.) Trigger syntax differs per dialect.
 */
function auditAppendOnly(traits: DialectTraits): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (traits.name === "sqlite") {
        for (const op of ["update", "delete"]) {
          await sql
            .raw(
              `create trigger audit_log_no_${op} before ${op} on audit_log ` +
                `begin select raise(abort, 'audit_log is append-only'); end`,
            )
            .execute(db);
        }
      } else {
        await sql
          .raw(
            `create function audit_log_append_only() returns trigger language plpgsql as ` +
              `$$ begin raise exception 'audit_log is append-only'; end $$`,
          )
          .execute(db);
        await sql
          .raw(
            `create trigger audit_log_no_change before update or delete on audit_log ` +
              `for each row execute function audit_log_append_only()`,
          )
          .execute(db);
      }
    },
  };
}

/** The last job event a chat transport has shown (Store.advanceReportedSeq), so threads resume after restarts. */
function jobReportedSeq(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("jobs")
        .addColumn("reported_seq", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}

/** All migrations in order. Names sort lexicographically (Kysely runs them in name order). */
export function storeMigrations(traits: DialectTraits): Record<string, Migration> {
  return {
    "0001_initial": initialSchema(traits),
    "0002_audit_append_only": auditAppendOnly(traits),
    "0003_job_reported_seq": jobReportedSeq(),
  };
}

/**
 * `pgSchema`: PostgreSQL only. Kysely's Migrator looks for its own tables in every schema unless told which one,
 * so a database with several schemas (tests, or two bots sharing a server) must name ours.
 */
export async function migrateToLatest(
  db: Kysely<StoreDatabase>,
  traits: DialectTraits,
  logger: Logger,
  pgSchema?: string,
): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => storeMigrations(traits) };
  const migrator = new Migrator({
    db,
    provider,
    ...(traits.name === "postgres" && pgSchema ? { migrationTableSchema: pgSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === "Success") logger.info({ migration: r.migrationName }, "store: migration applied");
    else if (r.status === "Error") logger.error({ migration: r.migrationName }, "store: migration failed");
  }
  if (error) {
    throw new StoreUnavailable(
      `store migration failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
