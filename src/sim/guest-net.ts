/**
 * What a booted guest exposes on the network: an SSH server on <guest IP>:<guestSshPort>, so readiness
 * probes (TCP connect or a full SSH handshake) work against the simulator. Guest IPs are in 127.0.0.0/8
 * (the network rule), which Linux routes to the loopback interface without any setup.
 */
import type { Socket } from "node:net";
import ssh2 from "ssh2";
import { generateEd25519KeyPair } from "../adapters/ssh/keys.js";
import type { Logger } from "../log.js";

const { Server } = ssh2;

export class GuestSshListeners {
  private hostKey: string | undefined;
  private readonly servers = new Map<number, { ip: string; server: InstanceType<typeof Server>; sockets: Set<Socket> }>();
  private closed = false;

  constructor(
    private readonly port: number | undefined,
    private readonly logger: Logger,
  ) {}

  /** The SSH host public key guests present (OpenSSH format), for host-key pinning tests. */
  get hostPublicKey(): string {
    return this.key().public;
  }

  private keyPair: { private: string; public: string } | undefined;
  private key(): { private: string; public: string } {
    if (!this.keyPair) {
      const kp = generateEd25519KeyPair();
      this.keyPair = { private: kp.private, public: kp.public };
      this.hostKey = kp.private;
    }
    return this.keyPair;
  }

  isListening(vmid: number): boolean {
    return this.servers.has(vmid);
  }

  listeningIp(vmid: number): string | undefined {
    return this.servers.get(vmid)?.ip;
  }

  open(vmid: number, ip: string): void {
    if (this.closed || this.port === undefined || this.servers.has(vmid)) return;
    // Only loopback addresses may be listened on; a static 10.x address in a guest config is only reported.
    if (!/^127\.\d+\.\d+\.\d+$/.test(ip)) return;
    this.key();
    const sockets = new Set<Socket>();
    const server = new Server(
      { hostKeys: [this.hostKey!], ident: "OpenSSH_9.2p1 Debian-2+deb12u3" },
      (client) => {
        client.on("error", () => {});
        // Accept any authentication: the simulator checks reachability, not credentials.
        client.on("authentication", (ctx) => ctx.accept());
        client.on("ready", () => {
          client.on("session", (accept) => {
            const session = accept();
            session.on("exec", (acceptExec) => {
              const channel = acceptExec();
              channel.exit(0);
              channel.end();
            });
            session.on("shell", (acceptShell) => {
              const channel = acceptShell();
              channel.end();
            });
          });
        });
      },
    );
    const netServer = (server as unknown as { _srv: import("node:net").Server })._srv;
    netServer?.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    server.on("error", (err: Error) => {
      this.logger.warn({ vmid, ip, err: err.message }, "guest SSH listener failed");
      this.servers.delete(vmid);
    });
    server.listen(this.port, ip);
    this.servers.set(vmid, { ip, server, sockets });
  }

  close(vmid: number): void {
    const s = this.servers.get(vmid);
    if (!s) return;
    this.servers.delete(vmid);
    s.server.close();
    for (const sock of s.sockets) sock.destroy();
  }

  closeAll(): void {
    this.closed = true;
    for (const vmid of [...this.servers.keys()]) this.close(vmid);
  }
}
