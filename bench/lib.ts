/** Shared shape of benchmark results: every bench module exports `run(): Promise<BenchFigure[]>`. */
export interface BenchFigure {
  /** What was measured, e.g. "client requests/s against simulator (limiter on)". */
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function formatFigure(f: BenchFigure): string {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(f.value < 10 ? 3 : 1);
  return `${f.name.padEnd(64)} ${v.padStart(12)} ${f.unit}${f.note ? `  (${f.note})` : ""}`;
}
