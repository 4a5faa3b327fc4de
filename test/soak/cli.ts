/**
 * `npm run soak`: reliability under faults, on real processes.
 *
 *   npm run soak -- --minutes 10          the site-level soak: hub, dashboard, three gates, two
 *                                         InfluxDBs and simulators on real wires; every fault kind injected in turn
 *                                         (at least 3 rounds) while people keep passing; then the
 *                                         invariants and figures (figures.json, figures.md)
 *   npm run soak -- --fuzz [--runs N]     the fuzz properties of test/fuzz with N runs each (default 1e6)
 *   npm run soak [-- --repeat N]          the older fault suites (durability, storage faults, hub restart)
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './faults.ts';
import { toMarkdown } from './report.ts';
import { runSoak } from './run.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SUITES = ['test/edge/durability.test.ts', 'test/storage/faults.test.ts', 'test/hub/restart.test.ts'];
const HELP = `Usage: npm run soak -- --minutes N [--rounds R] [--seed S] [--faults a,b] [--out DIR]
       npm run soak -- --fuzz [--runs N] [--seed S]
       npm run soak [-- --suites] [--repeat N]

Site soak (--minutes): the hub, the dashboard and three gates as real processes, two real InfluxDBs, simulated
thermometers (a socat pty, a TCP serial server), face terminals and turnstile I/O, with people
passing at every gate. Faults, one after another, each kind once per round:
  ${FAULT_KINDS.join(', ')}
It runs until N minutes have passed and at least R rounds (default 3) are done, then checks the
invariants (every reading stored once, no wrong release, alerts raised, every gate recovers, the
dashboard lists every fever once, the clock-stepped gate's readings and HR's twice-daily log stay
true) and prints the figures.
  --out DIR    figures.json, figures.md and every process's log (default ./data/soak)
  --faults     only these kinds (comma-separated)
  --seed S     people and faults are drawn from this seed (default 1)

Fuzz (--fuzz): runs test/fuzz with FUZZ_RUNS=N (default 1000000) for every property; a failure
prints the seed (FUZZ_SEED=S replays it). Expect hours for a million.

Suites (--suites, or no mode at all): the fault test files ${SUITES.join(', ')}, N times.

Needs socat, influxd and faketime (test/harness/system-packages.sh installs them), and root to
mount gate-3's tmpfs (without it disk-nearly-full is simulated, and the figures say so). Exit 0 when
every invariant holds, 1 when one does not, 2 on bad arguments.
`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string' },
    faults: { type: 'string' },
    out: { type: 'string' },
    fuzz: { type: 'boolean' },
    runs: { type: 'string' },
    suites: { type: 'boolean' },
    repeat: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const bad = (msg: string): never => {
  process.stderr.write(`TG_SOAK_BAD_ARGS: ${msg} (see --help)\n`);
  process.exit(2);
};
const whole = (name: string, raw: string | undefined, dflt: number, min = 1): number => {
  const n = Number(raw ?? dflt);
  if (!Number.isInteger(n) || n < min) bad(`--${name} must be a whole number ≥ ${min}, got ${raw}`);
  return n;
};

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const modes = [values.minutes !== undefined, values.fuzz === true, values.suites === true].filter(
  Boolean,
).length;
if (modes > 1) bad('give one of --minutes N, --fuzz, --suites');

const vitest = (files: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(join(ROOT, 'node_modules/.bin/vitest'), ['run', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  }).status ?? 1;

// Without a mode: the fault suites, as `npm run soak` always did.
if (values.suites || modes === 0) {
  const repeat = whole('repeat', values.repeat, 1);
  for (let i = 1; i <= repeat; i++) {
    process.stderr.write(`soak: round ${i}/${repeat}\n`);
    const status = vitest(SUITES);
    if (status !== 0) process.exit(status);
  }
  process.exit(0);
}

if (values.fuzz) {
  const runs = whole('runs', values.runs, 1_000_000);
  const env: NodeJS.ProcessEnv = { FUZZ_RUNS: String(runs) };
  if (values.seed !== undefined) env.FUZZ_SEED = String(whole('seed', values.seed, 1, -(2 ** 31)));
  process.stderr.write(`soak: fuzz properties with ${runs} runs each\n`);
  process.exit(vitest(['test/fuzz'], env));
}

const minutes = whole('minutes', values.minutes, 10, 0);
const minRounds = whole('rounds', values.rounds, 3);
const seed = whole('seed', values.seed, 1, 0);
const kinds = (values.faults?.split(',') ?? [...FAULT_KINDS]) as FaultKind[];
for (const k of kinds)
  if (!FAULT_KINDS.includes(k)) bad(`unknown fault ${k}; known: ${FAULT_KINDS.join(', ')}`);
const outDir = resolve(values.out ?? join(ROOT, 'data', 'soak'));
const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`;

runSoak({
  minutes,
  minRounds,
  seed,
  kinds,
  outDir,
  command,
  log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
}).then(
  ({ figures, ok }) => {
    process.stdout.write(toMarkdown(figures, command));
    process.stdout.write(`\nfigures: ${join(outDir, 'figures.json')}, logs: ${join(outDir, 'site')}\n`);
    process.exit(ok ? 0 : 1);
  },
  (e) => {
    process.stderr.write(`TG_SOAK_FAILED: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
