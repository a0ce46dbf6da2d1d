import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStoreUrl, redactStoreUrl, StoreUrlInvalid } from "../../src/adapters/store/index.js";
import { newShortId } from "../../src/adapters/store/kysely-store.js";

describe("parseStoreUrl", () => {
  it("resolves a relative SQLite path against the working directory", () => {
    expect(parseStoreUrl("sqlite:./data/pve-chatops.db", "/srv/bot")).toEqual({
      dialect: "sqlite",
      filename: "/srv/bot/data/pve-chatops.db",
    });
    expect(parseStoreUrl("sqlite:data/x.db", "/srv/bot")).toEqual({ dialect: "sqlite", filename: "/srv/bot/data/x.db" });
  });

  it("accepts absolute paths, the sqlite:/// spelling and :memory:", () => {
    expect(parseStoreUrl("sqlite:/var/lib/bot/x.db", "/srv")).toEqual({ dialect: "sqlite", filename: "/var/lib/bot/x.db" });
    expect(parseStoreUrl("sqlite:///var/lib/bot/x.db", "/srv")).toEqual({ dialect: "sqlite", filename: "/var/lib/bot/x.db" });
    expect(parseStoreUrl("sqlite::memory:")).toEqual({ dialect: "sqlite", filename: ":memory:" });
    expect(path.isAbsolute((parseStoreUrl("sqlite:x.db") as { filename: string }).filename)).toBe(true);
  });

  it("takes postgres:// and postgresql:// URLs as they are", () => {
    for (const url of ["postgres://bot@127.0.0.1:5432/chatops", "postgresql://bot:pw@127.0.0.1/chatops?sslmode=disable"]) {
      expect(parseStoreUrl(url)).toEqual({ dialect: "postgres", connectionString: url });
    }
  });

  it("rejects anything else with a coded error that hides the password", () => {
    for (const bad of ["mysql://root:s3cret@127.0.0.1/db", "sqlite:", "sqlite:./data/", "./data/x.db", "postgres://bot:s3cret@[::1"]) {
      let caught: unknown;
      try {
        parseStoreUrl(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(StoreUrlInvalid);
      expect((caught as StoreUrlInvalid).code).toBe("STORE_URL_INVALID");
      expect((caught as Error).message).not.toContain("s3cret");
    }
  });
});

describe("redactStoreUrl", () => {
  it("replaces the password and keeps the rest", () => {
    expect(redactStoreUrl("postgres://bot:s3cr%40t@127.0.0.1:5432/db")).toBe("postgres://bot:redacted@127.0.0.1:5432/db");
    expect(redactStoreUrl("postgres://bot@127.0.0.1/db")).toBe("postgres://bot@127.0.0.1/db");
    expect(redactStoreUrl("sqlite:./data/x.db")).toBe("sqlite:./data/x.db");
  });
});

describe("newShortId", () => {
  it("gives prefixed, readable ids without ambiguous letters", () => {
    const ids = Array.from({ length: 500 }, () => newShortId("j"));
    for (const id of ids) expect(id).toMatch(/^j-[0-9abcdefghjkmnpqrstvwxyz]{6}$/);
    expect(new Set(ids).size).toBeGreaterThan(490);
  });
});
