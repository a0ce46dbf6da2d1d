/**
 * The store contract (test/support/store-contract.ts) on a real PostgreSQL server: PVE_CHATOPS_TEST_PG_URL, or
 * postgres://postgres@127.0.0.1:5432/pve_chatops_test (what .ci/run prepares). Each test uses a fresh schema and
 * drops it. Without a reachable server the suite is SKIPPED and its title says why; it never passes silently.
 */
import { describe } from "vitest";
import { defineStoreContract, postgresBackend, probePostgres, testPostgresUrl } from "../support/store-contract.js";

const url = testPostgresUrl();
const probe = await probePostgres(url);
if (!probe.ok) console.warn(`store-postgres: SKIPPED: ${probe.reason}`);

describe.skipIf(!probe.ok)(
  probe.ok ? "store contract on PostgreSQL" : `store contract on PostgreSQL (SKIPPED: ${probe.reason})`,
  () => {
    defineStoreContract(postgresBackend(url));
  },
);
