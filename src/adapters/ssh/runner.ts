/**
 * Runs commands on a Proxmox node over SSH, for what the API cannot do (importing disk images, writing cloud-init
 * snippets). One connection per runner, opened on first use and reused; each command is its own channel.
 * The host key must be pinned in known_hosts: unknown or changed keys are refused, never trusted on first use.
 */
import { Client, type ConnectConfig, type ClientChannel } from "ssh2";
import type { Logger } from "../../log.js";
import { silentLogger } from "../../log.js";
import { Secret } from "../../secret.js";
import { SshError } from "./errors.js";
import { hostKeyAlgorithmsFor, keyFingerprint, knownHostsName, parseKnownHosts, verifyHostKey, type HostKeyVerdict } from "./known-hosts.js";
import { shellJoin, quoteShellArg } from "./quote.js";

export interface SshRunOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export interface SshResult {
  /** Exit status; 128 + signal number style is not available over SSH, so a signal gives 255 and `signal`. */
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface SshRunner {
  /** Run `argv` (each element quoted for the remote POSIX shell). A non-zero exit is a result, not an error. */
  run(argv: readonly string[], opts?: SshRunOptions): Promise<SshResult>;
  /** Write `content` to `remotePath` atomically (temp file + rename); throws SshError on failure. */
  writeFile(remotePath: string, content: string | Buffer, opts?: { mode?: string; timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface SshRunnerOptions {
  host: string;
  port?: number;
  user: string;
  privateKey: Secret | Buffer;
  /** Content of an OpenSSH known_hosts file. */
  knownHosts: string;
  /** Connect (handshake) timeout and default per-command timeout. */
  timeoutMs?: number;
  /** Most bytes kept of stdout and of stderr each; more is an error (a runaway command must not eat memory). */
  maxOutputBytes?: number;
  logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

export function createSshRunner(opts: SshRunnerOptions): SshRunner {
  const port = opts.port ?? 22;
  const where = knownHostsName(opts.host, port);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const log = (opts.logger ?? silentLogger).child({ component: "ssh", host: where });
  const knownHosts = parseKnownHosts(opts.knownHosts);
  const algorithms = hostKeyAlgorithmsFor(knownHosts, opts.host, port);

  let connection: Promise<Client> | undefined;

  function connect(): Promise<Client> {
    if (algorithms.length === 0) {
      // Fail before dialling: with nothing pinned every key would be "unknown".
      return Promise.reject(
        new SshError({ kind: "host-key-unknown", host: where, message: `no host key for ${where} in known_hosts; add it (ssh-keyscan) before using SSH` }),
      );
    }
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let verdict: HostKeyVerdict | undefined;
      let presented: Buffer | undefined;
      let settled = false;
      const fail = (err: SshError) => {
        if (settled) return;
        settled = true;
        connection = undefined;
        client.end();
        reject(err);
      };
      client.on("ready", () => {
        settled = true;
        log.debug({ hostKey: presented ? keyFingerprint(presented) : undefined }, "ssh connected");
        resolve(client);
      });
      client.on("error", (err: Error & { level?: string }) => {
        if (verdict && verdict.status !== "match") return fail(hostKeyError(verdict, presented!, where));
        if (!settled) return fail(classifyConnectError(err, where));
        log.warn({ err: { message: err.message, level: err.level } }, "ssh connection error");
      });
      client.on("close", () => {
        connection = undefined;
        if (!settled) fail(new SshError({ kind: "connect", host: where, message: "connection closed during the handshake" }));
      });
      const config: ConnectConfig = {
        host: opts.host,
        port,
        username: opts.user,
        privateKey: opts.privateKey instanceof Secret ? opts.privateKey.reveal() : opts.privateKey,
        readyTimeout: timeoutMs,
        algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] },
        hostVerifier: (key: Buffer) => {
          presented = key;
          verdict = verifyHostKey(knownHosts, opts.host, port, key);
          return verdict.status === "match";
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 parses the key synchronously; its messages name the problem, never the key.
        fail(new SshError({ kind: "bad-key", host: where, message: `cannot use the SSH private key: ${(err as Error).message}` }));
      }
    });
  }

  function getConnection(): Promise<Client> {
    connection ??= connect();
    return connection;
  }

  async function run(argv: readonly string[], runOpts: SshRunOptions = {}): Promise<SshResult> {
    const command = shellJoin(argv);
    const client = await getConnection();
    const limit = runOpts.timeoutMs ?? timeoutMs;
    const started = Date.now();
    // Arguments may be sensitive (paths with names); log the program and the argument count only.
    log.debug({ program: argv[0], argc: argv.length }, "ssh exec");
    const result = await new Promise<SshResult>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) return reject(new SshError({ kind: "connect", host: where, message: `cannot open a channel: ${err.message}`, cause: err }));
        collect(stream, runOpts.stdin, limit, maxOutput, where, resolve, reject);
      });
    });
    log.debug({ program: argv[0], code: result.code, ms: Date.now() - started }, "ssh exec done");
    return result;
  }

  return {
    run,
    async writeFile(remotePath, content, writeOpts = {}) {
      if (!remotePath.startsWith("/")) throw new SshError({ kind: "invalid-argument", host: where, message: "remote path must be absolute" });
      if (writeOpts.mode !== undefined && !/^[0-7]{3,4}$/.test(writeOpts.mode)) {
        throw new SshError({ kind: "invalid-argument", host: where, message: `mode must be octal like 0644` });
      }
      // The path reaches the script as "$1" (never spliced into it); write a temp file and rename, so a reader
      // (Proxmox reading a snippet) never sees half a file.
      const script = [
        "set -e",
        'tmp="$1.tmp.$$"',
        'trap \'rm -f "$tmp"\' EXIT',
        'cat > "$tmp"',
        ...(writeOpts.mode ? ['chmod "$2" "$tmp"'] : []),
        'mv -f "$tmp" "$1"',
        "trap - EXIT",
      ].join("; ");
      const argv = ["sh", "-c", script, "sh", remotePath, ...(writeOpts.mode ? [writeOpts.mode] : [])];
      const result = await run(argv, { stdin: content, ...(writeOpts.timeoutMs !== undefined ? { timeoutMs: writeOpts.timeoutMs } : {}) });
      if (result.code !== 0) {
        throw new SshError({
          kind: "command-failed",
          host: where,
          message: `writing ${quoteShellArg(remotePath)} failed (exit ${result.code}): ${result.stderr.trim().slice(0, 500)}`,
        });
      }
    },
    async close() {
      const pending = connection;
      connection = undefined;
      if (!pending) return;
      const client = await pending.catch(() => undefined);
      if (!client) return;
      await new Promise<void>((resolve) => {
        client.once("close", () => resolve());
        client.end();
      });
    },
  };
}

function collect(
  stream: ClientChannel,
  stdin: string | Buffer | undefined,
  limit: number,
  maxOutput: number,
  where: string,
  resolve: (r: SshResult) => void,
  reject: (e: SshError) => void,
): void {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let code: number | undefined;
  let signal: string | undefined;
  let done = false;
  const finish = (e?: SshError) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (e) {
      stream.close();
      return reject(e);
    }
    resolve({
      code: code ?? 255,
      ...(signal ? { signal } : {}),
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
    });
  };
  const timer = setTimeout(() => {
    try {
      stream.signal("KILL"); // OpenSSH ignores signal requests before 7.9 and some servers never; close anyway
    } catch {
      /* the channel may already be gone */
    }
    finish(new SshError({ kind: "timeout", host: where, message: `command did not finish within ${limit} ms` }));
  }, limit);
  const tooLarge = () => finish(new SshError({ kind: "output-too-large", host: where, message: `command wrote more than ${maxOutput} bytes` }));
  stream.on("data", (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes > maxOutput) return tooLarge();
    out.push(chunk);
  });
  stream.stderr.on("data", (chunk: Buffer) => {
    errBytes += chunk.length;
    if (errBytes > maxOutput) return tooLarge();
    err.push(chunk);
  });
  stream.on("exit", (exitCode: number | null, exitSignal?: string) => {
    if (typeof exitCode === "number") code = exitCode;
    if (exitSignal) signal = exitSignal;
  });
  stream.on("close", () => finish());
  stream.on("error", (e: Error) => finish(new SshError({ kind: "connect", host: where, message: `channel error: ${e.message}` })));
  if (stdin !== undefined) stream.end(stdin);
  else stream.end();
}

function hostKeyError(verdict: HostKeyVerdict, presented: Buffer, where: string): SshError {
  const fp = keyFingerprint(presented);
  switch (verdict.status) {
    case "revoked":
      return new SshError({ kind: "host-key-revoked", host: where, message: `host key ${fp} is marked @revoked in known_hosts (line ${verdict.entry.line})` });
    case "mismatch":
      return new SshError({
        kind: "host-key-mismatch",
        host: where,
        message: `HOST KEY MISMATCH: the server presented ${fp}, known_hosts pins ${verdict.expected.map((e) => `${keyFingerprint(e.key)} (line ${e.line})`).join(", ")}. Refusing to connect (a reinstalled node, or someone in between).`,
      });
    default:
      return new SshError({ kind: "host-key-unknown", host: where, message: `host key ${fp} is not in known_hosts; refusing to connect` });
  }
}

function classifyConnectError(err: Error & { level?: string }, where: string): SshError {
  if (err.level === "client-authentication") {
    return new SshError({ kind: "auth", host: where, message: "the server refused the SSH key (check user and authorized_keys)", cause: err });
  }
  if (err.level === "client-timeout") return new SshError({ kind: "timeout", host: where, message: "timed out during the SSH handshake", cause: err });
  return new SshError({ kind: "connect", host: where, message: `cannot connect: ${err.message}`, cause: err });
}
