import { ChatOpsError } from "../../errors.js";

export type SshErrorKind =
  | "host-key-unknown" // known_hosts has no key for this host (refused: we never trust on first use)
  | "host-key-mismatch" // the host presented a different key than known_hosts pins
  | "host-key-revoked" // the presented key is marked @revoked in known_hosts
  | "bad-key" // our private key cannot be used
  | "auth" // the server refused our key
  | "connect" // TCP/SSH connection failed or dropped
  | "timeout" // connecting or a command took longer than allowed
  | "output-too-large" // a command wrote more than we buffer
  | "invalid-argument" // an argument cannot be passed safely (e.g. contains a NUL byte)
  | "command-failed"; // a helper (writeFile) ran a command that exited non-zero

/** An SSH failure. Never carries key material or command input; `host` is `host:port`. */
export class SshError extends ChatOpsError {
  readonly code = "SSH";
  readonly kind: SshErrorKind;
  readonly host: string | undefined;

  constructor(init: { kind: SshErrorKind; message: string; host?: string; cause?: unknown }) {
    super(init.host ? `ssh ${init.host}: ${init.message}` : init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.host = init.host;
  }
}
