import { describe, it, expect } from "vitest";
import { closestKey, editDistance, knownKeysAt } from "../../src/config/keys.js";
import { configSchema, profileSchema } from "../../src/config/schema.js";

describe("unknown-key hints", () => {
  it("computes edit distances", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("suggests the closest known key only when it is plausibly a typo", () => {
    expect(closestKey("tokenSecert", ["tokenId", "tokenSecret", "url"])).toBe("tokenSecret");
    expect(closestKey("URL", ["tokenId", "url"])).toBe("url");
    expect(closestKey("completelydifferent", ["tokenId", "url"])).toBeUndefined();
  });

  it("knows the keys at a path through records, defaults, transforms and unions", () => {
    expect(knownKeysAt(configSchema, ["clusters", "anyname", "api"])).toContain("tokenSecretFile");
    expect(knownKeysAt(configSchema, ["clusters", "x", "ssh"])).toEqual(
      expect.arrayContaining(["user", "port", "privateKeyFile", "knownHostsFile"]),
    );
    expect(knownKeysAt(configSchema, [])).toEqual(["store", "clusters", "profilesDir", "slack", "log"]);
    expect(knownKeysAt(profileSchema, ["images", "alias"])).toEqual(["template", "nesting", "templateName", "ostemplate", "iso"]);
    expect(knownKeysAt(profileSchema, ["approvals", "teardown"])).toContain("selfApprove");
    expect(knownKeysAt(profileSchema, ["sizes", "small", "cores"])).toEqual([]);
  });
});
