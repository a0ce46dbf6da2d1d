/** The store contract (test/support/store-contract.ts) on SQLite: a real database file in a temp directory. */
import { describe } from "vitest";
import { defineStoreContract, sqliteBackend } from "../support/store-contract.js";

describe("store contract on SQLite", () => {
  defineStoreContract(sqliteBackend());
});
