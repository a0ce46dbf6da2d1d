/**
 * Opens the durable store named by `store.url`:
 *   sqlite:./data/pve-chatops.db   embedded default (directory created), WAL mode
 *   sqlite::memory:                 throwaway (tests, demo)
 *   postgres://user@host:5432/db   shared by several replicas (also postgresql://)
 * and brings its schema up to date (versioned migrations) before returning.
 */
import { silentLogger, type Logger } from "../../log.js";
import { connect, parseStoreUrl, redactStoreUrl } from "./dialect.js";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations.js";
import type { Store } from "./types.js";

export interface OpenStoreOptions {
  logger?: Logger;
  /** The store's clock (leases, expiries, timestamps). Default: the system clock. */
  now?: () => Date;
  /** PostgreSQL only: the schema holding the tables, created if missing. Default `public`. */
  schema?: string;
  /** PostgreSQL only: connection pool size. Default 10. */
  poolMax?: number;
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const logger = (opts.logger ?? silentLogger).child({ component: "store" });
  const parsed = parseStoreUrl(url);
  const { db, traits } = await connect(parsed, {
    logger,
    ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
    ...(opts.poolMax !== undefined ? { poolMax: opts.poolMax } : {}),
  });
  try {
    await migrateToLatest(db, traits, logger, opts.schema ?? "public");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  logger.debug({ url: redactStoreUrl(url), dialect: traits.name }, "store: open");
  return new KyselyStore(db, traits, opts.now ?? (() => new Date()), logger);
}

export { parseStoreUrl, redactStoreUrl } from "./dialect.js";
export { LeaseLost, StoreCorrupt, StoreUnavailable, StoreUrlInvalid } from "./errors.js";
export * from "./types.js";
