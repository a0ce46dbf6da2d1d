/**
 * Proxmox client request rate against the simulator, limiter on with the default config
 * (maxConcurrent 8, ratePerSecond 50 → one start per 20 ms), so the figure should sit just under 50 req/s;
 * a second figure with the limiter opened wide shows what the client itself costs.
 */
import type { BenchFigure } from "./lib.js";
import { apiConfigSchema } from "../src/config/schema.js";
import { createPveClient } from "../src/adapters/pve/client.js";
import { startSimulator, type PveSimulator } from "../src/sim/index.js";

async function rate(sim: PveSimulator, path: string, api: Record<string, unknown>, requests: number, parallel: number): Promise<number> {
  const client = createPveClient({
    cluster: "bench",
    api: apiConfigSchema.parse({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, ...api }),
  });
  try {
    await client.get(path); // warm-up: TLS handshake, first connection
    let left = requests;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (left-- > 0) await client.get(path);
      }),
    );
    return requests / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
  }
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startSimulator({ guestSshPort: null, seedWorkloads: true });
  try {
    const figures: BenchFigure[] = [];
    for (const path of ["/version", "/cluster/resources"]) {
      figures.push({
        name: `client GET ${path}, limiter on (default 8 concurrent, 50/s)`,
        value: await rate(sim, path, {}, 150, 16),
        unit: "req/s",
        note: "bounded by ratePerSecond by design",
      });
      figures.push({
        name: `client GET ${path}, limiter wide open (16 concurrent, 100000/s)`,
        value: await rate(sim, path, { maxConcurrent: 16, ratePerSecond: 100_000 }, 1000, 16),
        unit: "req/s",
      });
    }
    return figures;
  } finally {
    await sim.close();
  }
}
