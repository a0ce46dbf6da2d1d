/**
 * OpenSSH known_hosts parsing and host-key checking (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *   [@revoked|@cert-authority] host-patterns key-type base64-key [comment]
 * host-patterns: comma-separated names with `*`/`?` wildcards and `!` negation, `[host]:port` for a port other
 * than 22, or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (ssh-keygen -H).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface KnownHostEntry {
  marker: "revoked" | "cert-authority" | undefined;
  /** The host field as written (patterns, or one hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** 1-based line in the file, for messages. */
  line: number;
}

export type HostKeyVerdict =
  | { status: "match"; entry: KnownHostEntry }
  | { status: "mismatch"; expected: readonly KnownHostEntry[] }
  | { status: "revoked"; entry: KnownHostEntry }
  | { status: "unknown" };

export function parseKnownHosts(content: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
      marker = fields[0] === "@revoked" ? "revoked" : "cert-authority";
      fields.shift();
    } else if (fields[0]?.startsWith("@")) return; // an unknown marker: ignore the line, as OpenSSH does
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyB64)) return;
    entries.push({ marker, hosts, keyType, key: Buffer.from(keyB64, "base64"), line: i + 1 });
  });
  return entries;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    "i",
  );
  return re.test(name);
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split("|"); // ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== "1") return false;
  const salt = Buffer.from(parts[2]!, "base64");
  const expected = Buffer.from(parts[3]!, "base64");
  const actual = createHmac("sha1", salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function hostMatches(hostsField: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (hostsField.startsWith("|")) return hashedMatch(hostsField, name);
  let matched = false;
  for (const pattern of hostsField.split(",")) {
    if (pattern.startsWith("!")) {
      if (wildcardMatch(pattern.slice(1), name)) return false; // a negated match excludes the line
    } else if (wildcardMatch(pattern, name)) matched = true;
  }
  return matched;
}

/** Check the key a server presented. @cert-authority lines are not supported and are ignored. */
export function verifyHostKey(entries: readonly KnownHostEntry[], host: string, port: number, presented: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== "cert-authority" && hostMatches(e.hosts, host, port));
  const revoked = forHost.find((e) => e.marker === "revoked" && e.key.equals(presented));
  if (revoked) return { status: "revoked", entry: revoked };
  const pinned = forHost.filter((e) => e.marker === undefined);
  const match = pinned.find((e) => e.key.equals(presented));
  if (match) return { status: "match", entry: match };
  return pinned.length > 0 ? { status: "mismatch", expected: pinned } : { status: "unknown" };
}

/**
 * Host-key algorithms to offer so the server presents a key we pinned (OpenSSH orders its preference the same
 * way): an RSA key can be signed with rsa-sha2-512/256 or the old ssh-rsa.
 */
export function hostKeyAlgorithmsFor(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker !== undefined || !hostMatches(e.hosts, host, port)) continue;
    if (e.keyType === "ssh-rsa") ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"].forEach((t) => types.add(t));
    else types.add(e.keyType);
  }
  return [...types];
}

/** OpenSSH-style fingerprint of a key blob: `SHA256:<base64 without padding>`. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}
