/**
 * A tiny SSH server for tests (ssh2's Server on 127.0.0.1, port 0): one accepted client key, exec only.
 * Each exec is answered by `onExec`, which sees the exact command string the client sent and its stdin.
 */
import { generateEd25519KeyPair } from "../../src/adapters/ssh/keys.js";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Server, utils, type Connection } from "ssh2";

export interface ExecReply {
  stdout?: string;
  stderr?: string;
  code?: number;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

export interface TestSshServer {
  port: number;
  hostPublicKey: string; // "ssh-ed25519 AAAA…"
  commands: string[];
  stdins: Buffer[];
  close(): Promise<void>;
}

export async function startTestSshServer(opts: {
  clientPublicKey: string;
  onExec: (command: string, stdin: Buffer) => ExecReply;
}): Promise<TestSshServer> {
  const hostKey = generateEd25519KeyPair();
  const allowed = utils.parseKey(opts.clientPublicKey);
  if (allowed instanceof Error) throw allowed;
  const commands: string[] = [];
  const stdins: Buffer[] = [];
  const connections = new Set<Connection>();

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.add(client);
    client.on("close", () => connections.delete(client));
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (ctx.method !== "publickey") return ctx.reject(["publickey"]);
      const sameKey =
        ctx.key.algo === allowed.type &&
        ctx.key.data.length === allowed.getPublicSSH().length &&
        timingSafeEqual(ctx.key.data, allowed.getPublicSSH());
      if (!sameKey) return ctx.reject(["publickey"]);
      if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(["publickey"]);
      ctx.accept();
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (acceptExec, _reject, info) => {
          const stream = acceptExec();
          commands.push(info.command);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const stdin = Buffer.concat(chunks);
            stdins.push(stdin);
            const reply = opts.onExec(info.command, stdin);
            if (reply.hang) return;
            if (reply.stdout) stream.write(reply.stdout);
            if (reply.stderr) stream.stderr.write(reply.stderr);
            stream.exit(reply.code ?? 0);
            stream.end();
          });
        });
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hostPublicKey: hostKey.public,
    commands,
    stdins,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
}
