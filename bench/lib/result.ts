/**
 * What every benchmark script hands to bench/run.ts: its Markdown section on stdout, then one
 * JSON line (the last line of stdout) with its figures and its targets, met or not.
 */
export interface Target {
  /** What is measured, as the RESULTS.md summary shows it. */
  figure: string;
  /** The measured value, formatted with its unit. */
  value: string;
  /** The goal, e.g. "< 50 ms" or "≥ 10× Node-RED". */
  target: string;
  /** null: could not be measured in this run (the reason is in the value). */
  met: boolean | null;
}

export interface BenchResult {
  bench: string;
  figures: Record<string, unknown>;
  targets: Target[];
}

/** Prints the JSON line run.ts reads; call it last. */
export function emitResult(r: BenchResult): void {
  process.stdout.write(`\n${JSON.stringify(r)}\n`);
}

export const say = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
