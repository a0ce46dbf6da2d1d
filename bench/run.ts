/**
 * `npm run bench`: runs every benchmark module and prints its figures. Speed and memory are measured here,
 * never asserted in tests. `npm run bench -- engine store` runs only the named modules.
 */
import { formatFigure, type BenchFigure } from "./lib.js";

const MODULES: Record<string, () => Promise<{ run(): Promise<BenchFigure[]> }>> = {
  client: () => import("./client.bench.js"),
  engine: () => import("./engine.bench.js"),
  store: () => import("./store.bench.js"),
  jobs: () => import("./jobs.bench.js"),
  slack: () => import("./slack.bench.js"),
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(MODULES);
let failed = false;
for (const name of names) {
  const load = MODULES[name];
  if (!load) {
    console.error(`bench: unknown module "${name}" (have: ${Object.keys(MODULES).join(", ")})`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n== ${name}`);
  const started = performance.now();
  try {
    const figures = await (await load()).run();
    for (const f of figures) console.log(formatFigure(f));
    console.log(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed = true;
    console.error(`bench ${name} failed:`, err);
  }
}
if (failed) process.exitCode = 1;
// Some modules leave keep-alive sockets; the figures are printed, so end here.
process.exit(process.exitCode ?? 0);
