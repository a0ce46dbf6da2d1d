import ssh2 from "ssh2";

// ssh2 is CommonJS: Node's ESM loader exposes `utils` only on the default export.
const { utils } = ssh2;

export interface SshKeyPair {
  /** OpenSSH private key (PEM). */
  private: string;
  /** `ssh-ed25519 AAAA… comment`. */
  public: string;
}

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2's generator now and then emits a private key its own parser
 * rejects ("Malformed OpenSSH private key": 9 in 3,000 here), and its parser does not take Node's PKCS#8
 * ed25519 keys, so each key is checked by parsing it back, and a bad one is replaced.
 */
export function generateEd25519KeyPair(comment?: string): SshKeyPair {
  for (let attempt = 0; attempt < 20; attempt++) {
    const kp = utils.generateKeyPairSync("ed25519", comment ? { comment } : {});
    if (!(utils.parseKey(kp.private) instanceof Error)) return { private: kp.private, public: kp.public };
  }
  throw new Error("could not generate a parsable ed25519 key");
}
