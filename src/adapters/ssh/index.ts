export { createSshRunner, type SshRunner, type SshRunnerOptions, type SshRunOptions, type SshResult } from "./runner.js";
export { quoteShellArg, shellJoin } from "./quote.js";
export { SshError, type SshErrorKind } from "./errors.js";
export { parseKnownHosts, verifyHostKey, hostMatches, knownHostsName, keyFingerprint, type KnownHostEntry, type HostKeyVerdict } from "./known-hosts.js";
export { sshRunnerForCluster } from "./from-config.js";
export { generateEd25519KeyPair, type SshKeyPair } from "./keys.js";
