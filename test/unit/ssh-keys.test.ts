import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";

describe("generateEd25519KeyPair", () => {
  it("every key it returns parses with ssh2 (ssh2's own generator fails about 3 in 1000)", () => {
    for (let i = 0; i < 500; i++) {
      const kp = generateEd25519KeyPair("test");
      expect(ssh2.utils.parseKey(kp.private)).not.toBeInstanceOf(Error);
      expect(kp.public).toMatch(/^ssh-ed25519 AAAA\S+ test$/);
    }
  });
});
