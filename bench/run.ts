/**
 * `npm run bench`: runs every benchmark one after the other (never in parallel: they would measure
 * each other on two cores), prints their tables and writes them to bench/RESULTS.md with the
 * machine and versions. `npm run bench -- --only edge,storage` runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const BENCHES: { name: string; file: string; what: string }[] = [
  {
    name: 'edge',
    file: 'bench/edge.ts',
    what: 'edge processing: measurement → release, face event → verdict',
  },
  {
    name: 'storage',
    file: 'bench/storage.ts',
    what: 'outbox write cost, backlog replay and live ingest into a real InfluxDB',
  },
  {
    name: 'hub',
    file: 'bench/hub.ts',
    what: 'hub message rate and latency vs Mosquitto, 100 simulated gates',
  },
];

const HELP = `Usage: npm run bench [-- --only NAME[,NAME]] [-- --no-write]

Benchmarks (run one after another; each prints a table):
${BENCHES.map((b) => `  ${b.name.padEnd(8)} ${b.what}`).join('\n')}

Results are written to bench/RESULTS.md unless --no-write is given.
`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'no-write': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
const chosen = BENCHES.filter((b) => (!only || only.includes(b.name)) && existsSync(join(ROOT, b.file)));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const sections: string[] = [];
let failed = 0;
for (const b of chosen) {
  process.stderr.write(`bench: ${b.name} (${b.what})...\n`);
  const started = Date.now();
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [b.file], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(r.stdout);
  if (r.status !== 0) failed++;
  sections.push(
    `${r.stdout.trim()}\n\n_${b.file}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`}, ${secs} s_\n`,
  );
}
const header = `# ThermoGate benchmark results

Written by \`npm run bench\` on ${new Date().toISOString()}.
Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}.
Node ${process.version}, ThermoGate ${pkg.version}. Shared, noisy machine: compare figures measured side by side in one run.
`;
if (!values['no-write'] && chosen.length > 0) {
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), `${header}\n${sections.join('\n')}`);
  process.stderr.write('bench: wrote bench/RESULTS.md\n');
}
process.exit(failed ? 1 : 0);
