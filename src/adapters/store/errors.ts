import { ChatOpsError } from "../../errors.js";

/**
 * The caller no longer holds the job's lease: another runner took the job over after the lease expired, or the
 * job is no longer running. The caller must stop working on the job at once (its effects belong to the new owner).
 */
export class LeaseLost extends ChatOpsError {
  readonly code = "LEASE_LOST";
  override readonly userSafe = false;
  constructor(
    readonly jobId: string,
    readonly owner: string,
  ) {
    super(`job ${jobId}: lease is not held by ${owner} any more`);
  }
}

/** `store.url` is not one this bot understands. */
export class StoreUrlInvalid extends ChatOpsError {
  readonly code = "STORE_URL_INVALID";
}

/** The database cannot be opened or reached (the URL's password never appears in the message). */
export class StoreUnavailable extends ChatOpsError {
  readonly code = "STORE_UNAVAILABLE";
}

/** A row holds data the store cannot read back (a JSON column that fails its schema). */
export class StoreCorrupt extends ChatOpsError {
  readonly code = "STORE_CORRUPT";
  override readonly userSafe = false;
}
