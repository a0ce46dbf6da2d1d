/**
 * Everything that differs between the two back ends lives here: opening a connection, the SQLite pragmas and
 * transaction mode, pg's type parsers, column types the migrations need, and how each driver reports a
 * constraint violation. The queries themselves (kysely-store.ts) are written once.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
} from "kysely";
import pg from "pg";
import type { Logger } from "../../log.js";
import type { StoreDatabase } from "./db-schema.js";
import { StoreUnavailable, StoreUrlInvalid } from "./errors.js";
import type { StoreDialect } from "./types.js";

export type ParsedStoreUrl =
  | { dialect: "sqlite"; /** An absolute path, or `:memory:`. */ filename: string }
  | { dialect: "postgres"; connectionString: string };

/**
 * `sqlite:./data/bot.db` (relative to `cwd`), `sqlite:/abs/bot.db`, `sqlite::memory:`,
 * `postgres://user@host:5432/db` or `postgresql://…`.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): ParsedStoreUrl {
  if (url.startsWith("sqlite:")) {
    let file = url.slice("sqlite:".length);
    if (file === ":memory:") return { dialect: "sqlite", filename: ":memory:" };
    // Tolerate the URL-ish spelling sqlite:///abs/path and sqlite://./rel/path.
    if (file.startsWith("//")) file = file.slice(2);
    if (file === "" || file.endsWith("/")) {
      throw new StoreUrlInvalid(`store.url ${url}: expected a database file, e.g. sqlite:./data/pve-chatops.db`);
    }
    return { dialect: "sqlite", filename: path.resolve(cwd, file) };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    try {
      new URL(url);
    } catch {
      throw new StoreUrlInvalid(`store.url ${redactStoreUrl(url)}: not a valid PostgreSQL URL`);
    }
    return { dialect: "postgres", connectionString: url };
  }
  throw new StoreUrlInvalid(
    `store.url ${redactStoreUrl(url)}: expected sqlite:<file>, sqlite::memory: or postgres://…`,
  );
}

/** The URL with any password replaced, for logs and error messages. */
export function redactStoreUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "redacted";
    return u.toString();
  } catch {
    // Not parseable: drop anything between "://" and "@" (where credentials would be).
    return url.replace(/:\/\/[^@/]*@/, "://[redacted]@");
  }
}

/** The per-dialect facts the migrations and the query layer need. */
export interface DialectTraits {
  readonly name: StoreDialect;
  /** Column type for JSON documents: jsonb in PostgreSQL (queryable by operators), text in SQLite. */
  readonly jsonType: "jsonb" | "text";
  /** Type and constraint of an auto-increment primary key column. */
  readonly autoIncrementType: "bigserial" | "integer";
  readonly autoIncrementNeedsKeyword: boolean;
  /** Row locks (`FOR UPDATE`, `SKIP LOCKED`, advisory locks) exist: several processes share the database. */
  readonly hasRowLocks: boolean;
}

const SQLITE_TRAITS: DialectTraits = {
  name: "sqlite",
  jsonType: "text",
  autoIncrementType: "integer",
  autoIncrementNeedsKeyword: true,
  hasRowLocks: false,
};
const POSTGRES_TRAITS: DialectTraits = {
  name: "postgres",
  jsonType: "jsonb",
  autoIncrementType: "bigserial",
  autoIncrementNeedsKeyword: false,
  hasRowLocks: true,
};

function driverErrorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** A UNIQUE or PRIMARY KEY constraint rejected the write (pg SQLSTATE 23505; SQLite extended result code). */
export function isUniqueViolation(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** A FOREIGN KEY constraint rejected the write (pg 23503). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/**
 * Kysely's SQLite driver starts transactions with a plain (deferred) BEGIN. A deferred transaction that reads
 * first and writes later can fail at once with SQLITE_BUSY when another process wrote in between (busy_timeout
 * does not help there: https://www.sqlite.org/lang_transaction.html "BEGIN IMMEDIATE"). All our transactions
 * write, so take the write lock up front.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

function sqliteDialect(database: Database.Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

// pg type OIDs (see `SELECT oid, typname FROM pg_type`): int8 = 20, json = 114, jsonb = 3802.
const PG_INT8 = 20;
const PG_JSON = 114;
const PG_JSONB = 3802;

/**
 * pg returns int8 (our epoch-ms times, bigserial, count(*)) as strings and json/jsonb already parsed. Make it
 * return numbers (epoch ms and counts stay far below 2^53) and JSON as text, so both back ends give the query
 * layer the same values.
 */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === PG_INT8) return (value: string) => Number(value);
    if (oid === PG_JSON || oid === PG_JSONB) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

export const PG_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ConnectOptions {
  logger: Logger;
  /** PostgreSQL schema holding the tables (created if missing). Default `public`. */
  schema?: string;
  /** PostgreSQL pool size. Default 10. */
  poolMax?: number;
}

export interface Connection {
  db: Kysely<StoreDatabase>;
  traits: DialectTraits;
}

export async function connect(parsed: ParsedStoreUrl, opts: ConnectOptions): Promise<Connection> {
  if (parsed.dialect === "sqlite") return connectSqlite(parsed.filename);
  return connectPostgres(parsed.connectionString, opts);
}

function connectSqlite(filename: string): Connection {
  let database: Database.Database;
  try {
    if (filename !== ":memory:") mkdirSync(path.dirname(filename), { recursive: true });
    database = new Database(filename);
    // WAL: readers (a CLI, a status command) never block the runner's writes.
    database.pragma("journal_mode = WAL");
    // Another process holding the write lock makes us wait up to 5 s instead of failing at once.
    database.pragma("busy_timeout = 5000");
    database.pragma("foreign_keys = ON");
    // FULL: a commit survives power loss too, not only a killed process. The store is low-volume.
    database.pragma("synchronous = FULL");
  } catch (err) {
    throw new StoreUnavailable(`cannot open SQLite database ${filename}: ${(err as Error).message}`, { cause: err });
  }
  return { db: new Kysely<StoreDatabase>({ dialect: sqliteDialect(database) }), traits: SQLITE_TRAITS };
}

async function connectPostgres(connectionString: string, opts: ConnectOptions): Promise<Connection> {
  const schema = opts.schema ?? "public";
  if (!PG_SCHEMA_NAME.test(schema)) {
    throw new StoreUrlInvalid(`PostgreSQL schema ${JSON.stringify(schema)}: use lower-case letters, digits, _`);
  }
  const pool = new pg.Pool({
    connectionString,
    max: opts.poolMax ?? 10,
    // Fail an unreachable server in seconds rather than hanging the bot's start.
    connectionTimeoutMillis: 5_000,
    // Every connection resolves unqualified table names in our schema (tests use a fresh schema each).
    options: `-c search_path=${schema}`,
    types: pgTypes,
  });
  // An idle client losing its connection (server restart) emits 'error' on the pool; unhandled, it would crash
  // the process. The next query gets a fresh connection.
  pool.on("error", (err) => opts.logger.warn({ err: { message: err.message } }, "store: idle PostgreSQL connection lost"));
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    // Two replicas starting at once can race on CREATE SCHEMA IF NOT EXISTS (a unique violation on the catalog).
    if (!isUniqueViolation(err)) {
      await db.destroy().catch(() => undefined);
      throw new StoreUnavailable(
        `cannot reach PostgreSQL at ${redactStoreUrl(connectionString)}: ${pgErrorText(err, connectionString)}`,
        { cause: err },
      );
    }
  }
  return { db, traits: POSTGRES_TRAITS };
}

/** An error's message with the connection string's password (if any) removed. */
function pgErrorText(err: unknown, connectionString: string): string {
  const code = driverErrorCode(err);
  // A refused connection arrives as an AggregateError with an empty message and a `code` (ECONNREFUSED).
  const message = err instanceof Error ? err.message : String(err);
  const text = [code, message].filter(Boolean).join(": ") || "unknown error";
  let password = "";
  try {
    password = decodeURIComponent(new URL(connectionString).password);
  } catch {
    /* unparseable URLs were rejected earlier */
  }
  return password ? text.split(password).join("[redacted]") : text;
}
