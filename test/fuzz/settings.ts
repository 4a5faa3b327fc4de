/**
 * How hard the fuzz properties run. CI: a modest default per property so the whole folder stays
 * well under 30 s on two shared cores. The long form (`npm run soak -- --fuzz --runs N`) sets
 * FUZZ_RUNS for every property; FUZZ_SEED replays the seed fast-check printed with a failure.
 */
import type { Parameters } from 'fast-check';
import { vi } from 'vitest';

const fromEnv = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${raw}`);
  return n;
};

const RUNS = fromEnv('FUZZ_RUNS');
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** True when the long form asked for a fixed number of runs. */
export const LONG_FORM = RUNS !== undefined;

/** fast-check parameters for one property: `ciRuns` unless FUZZ_RUNS overrides it. */
export function runs<T>(ciRuns: number): Parameters<T> {
  return {
    numRuns: RUNS ?? ciRuns,
    ...(SEED !== undefined && Number.isFinite(SEED) ? { seed: SEED } : {}),
    // Shrinking a multi-million-run failure can take longer than finding it; the seed replays it.
    endOnFailure: LONG_FORM,
  };
}

// The long form runs each property for as long as its runs take: no per-test timeout then.
if (LONG_FORM) vi.setConfig({ testTimeout: 24 * 3_600_000 });
