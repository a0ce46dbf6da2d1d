/**
 * `pve-chatops sim`: runs the Proxmox VE simulator in the foreground (for the demo and for trying the bot
 * without a cluster). Prints where it listens, its certificate fingerprint, its API token and a config
 * snippet, then runs until interrupted.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import { startSimulator } from "../sim/index.js";
import type { CliIo } from "./io.js";

export const summary = "run the Proxmox VE simulator (HTTPS API on 127.0.0.1, for the demo and tests)";

const USAGE = "pve-chatops sim [--port 8006] [--nodes 3] [--speed 1] [--no-tls] [--guest-ssh-port N] [--seed N]";

const HELP = `Usage: ${USAGE}

Runs a simulated Proxmox VE cluster (nodes pve1..pveN, VM templates 9000-9002, pool "chatops") with the
real API's envelope, errors, tasks and locks. It listens on 127.0.0.1 only.

Options:
  --port N            API port (default 8006; 0 = any free port)
  --nodes N           number of nodes, pve1..pveN (default 3)
  --speed X           divide every simulated duration by X (default 1 = about real Proxmox timing)
  --no-tls            plain HTTP instead of HTTPS with a fresh self-signed certificate
  --guest-ssh-port N  port of the SSH server each booted guest opens on its 127.x address
                      (default 22, which needs privileges; e.g. 2222 otherwise)
  --seed N            seed for MAC addresses and UUIDs (a reproducible world)
  -h, --help          this text`;

function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`, USAGE);
  return n;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        nodes: { type: "string" },
        speed: { type: "string" },
        "no-tls": { type: "boolean", default: false },
        "guest-ssh-port": { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, USAGE);
  }
  const { values } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const port = intOption("port", values.port, 8006, 0, 65535);
  const nodes = intOption("nodes", values.nodes, 3, 1, 32);
  const guestSshPort = intOption("guest-ssh-port", values["guest-ssh-port"], 22, 1, 65535);
  const seed = values.seed === undefined ? undefined : intOption("seed", values.seed, 0, 0, 2 ** 31);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0) || !Number.isFinite(speed)) throw new UsageError(`--speed must be a positive number, got "${values.speed}"`, USAGE);

  // Warnings (e.g. a guest SSH port that cannot be bound) go to stderr as JSON lines.
  const logger = createLogger({ level: "warn", destination: { write: (line: string) => io.err(line.trimEnd()) } });
  const sim = await startSimulator({ port, nodes, speed, tls: !values["no-tls"], guestSshPort, logger, ...(seed !== undefined ? { seed } : {}) });
  try {
    io.out(`Proxmox VE simulator listening on ${sim.url}/api2/json`);
    io.out(`  nodes: ${sim.state.nodes().map((n) => n.name).join(", ")}; speed ${speed}; guest SSH on <guest 127.x address>:${guestSshPort}`);
    if (sim.fingerprint) io.out(`  certificate fingerprint (SHA-256): ${sim.fingerprint}`);
    io.out(`  API token id: ${sim.tokenId}`);
    io.out(`  API token secret: ${sim.tokenSecret}`);
    io.out("  (the secret is this simulator's own throwaway credential, generated at start and valid only while it runs)");
    io.out("");
    io.out("Config snippet (config.yaml):");
    io.out(
      [
        "clusters:",
        "  sim:",
        "    api:",
        `      url: ${sim.url}`,
        `      tokenId: "${sim.tokenId}"`,
        `      tokenSecret: "${sim.tokenSecret}"`,
        ...(sim.fingerprint ? [`      fingerprint: "${sim.fingerprint}"`] : []),
      ].join("\n"),
    );
    io.out("");
    io.out("Press Ctrl-C to stop.");
    await io.stopSignal;
  } finally {
    await sim.close();
  }
  io.out("simulator stopped");
  return 0;
}
