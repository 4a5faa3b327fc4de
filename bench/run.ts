/**
 * `npm run bench`: runs every benchmark one after the other (never in parallel: on two cores they
 * would measure each other), shows their progress, and writes bench/RESULTS.md and
 * bench/results.json: machine, versions, a summary of every target met or not, then each
 * benchmark's section. Each benchmark is a standalone script that prints its Markdown section and
 * ends with one JSON line (bench/lib/result.ts); scripts written by others that print only the
 * JSON line are shown as a table of their figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  allTargets,
  KEPT,
  type Machine,
  type Outcome,
  type ResultsJson,
  render,
  renderResults,
} from './lib/report.ts';
import { type Bench, BENCHES } from './lib/benches.ts';

const ROOT = resolve(import.meta.dirname, '..');

const NAMES = BENCHES.map((b) => b.name);
/** bench/NOTES.md, which RESULTS.md ends with. */
const notes = (): string | null => {
  const f = join(ROOT, 'bench', 'NOTES.md');
  return existsSync(f) ? readFileSync(f, 'utf8') : null;
};

const HELP = `Usage: npm run bench [-- --only NAME[,NAME] [--keep-others]] [-- --no-write] [-- --list]

Runs the benchmarks one after another (each prints progress on stderr), then writes
bench/RESULTS.md and bench/results.json. The whole suite takes about 17 minutes on a
2-core machine (reports about 3 of them); the first run of new storage code takes 6–8
minutes more (23–25 min in all, cold, measured):
reports loads its 6.2 M readings then and keeps the stores in bench/.cache/reports for the next
runs (RESULTS.md says "cold run" when it loaded). Node-RED (the baseline of the pipeline
benchmark) is installed into bench/.node-red on first use (about 11 s, cached afterwards).

Benchmarks:
${BENCHES.map((b) => `  ${b.name.padEnd(10)} ${b.what}`).join('\n')}

Options:
  --only NAME[,NAME]  run only these (RESULTS.md then holds only them)
  --keep-others       with --only: keep the other benchmarks' figures of the last run (results.json
                      and RESULTS.md), each marked with when it ran
  --no-write          print, do not write RESULTS.md / results.json
  --list              list the benchmarks and whether their script exists
  --render            run nothing: write RESULTS.md again from results.json and NOTES.md (after
                      editing NOTES.md, or when the report's layout changed; CI checks they agree)
  -h, --help          this text

Each benchmark also runs alone (npx tsx bench/NAME.ts); its options are in its header comment.
`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'keep-others': { type: 'boolean' },
    'no-write': { type: 'boolean' },
    list: { type: 'boolean' },
    render: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.list) {
  for (const b of BENCHES)
    process.stdout.write(
      `${b.name.padEnd(10)} ${existsSync(join(ROOT, b.file)) ? 'ready  ' : 'missing'} ${b.file}\n`,
    );
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(2);
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const pkgVersion = (dir: string): string | null => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
};
const firstLine = (cmd: string, args: string[]): string | null => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] || null;
};

/** Runs one script; stderr (progress) passes through, stdout is collected and echoed. */
function runOne(b: Bench): Promise<Outcome> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(ROOT, b.file), ...(b.args ?? [])],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: false,
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      say(`bench: ${b.name} exceeded ${b.timeoutS} s: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, b.timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trimEnd().split('\n');
      let result: Outcome['result'] = null;
      const last = lines[lines.length - 1] ?? '';
      if (last.startsWith('{')) {
        try {
          result = JSON.parse(last) as Outcome['result'];
          lines.pop();
        } catch {
          /* not our JSON line: leave the text as it is */
        }
      }
      done({
        name: b.name,
        file: b.file,
        ok: code === 0,
        exit: code === 0 ? 'ok' : signal ? `killed (${signal})` : `exit ${code}`,
        seconds: (Date.now() - started) / 1000,
        markdown: lines.join('\n').trim(),
        result,
      });
    });
  });
}

/**
 * The benchmarks not run this time, as the last run left them (--keep-others): figures from
 * results.json, text from results.json or else from that run's RESULTS.md section (the text
 * between the previous bench's footer line and its own), in BENCHES order, marked with the date.
 */
function keepOthers(outcomes: Outcome[]): void {
  const jsonFile = join(ROOT, 'bench', 'results.json');
  const mdFile = join(ROOT, 'bench', 'RESULTS.md');
  if (!existsSync(jsonFile)) return;
  const last = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    writtenAt: string;
    benches: Record<
      string,
      { file: string; exit: string; seconds: number; result: Outcome['result']; markdown?: string }
    >;
  };
  const md = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
  const sections = new Map<string, string>();
  let from = md.indexOf('\n## ', md.indexOf('## Runs') + 1);
  for (const m of md.matchAll(/^_(bench\/[\w-]+\.ts): [^\n]*_$/gm)) {
    sections.set(m[1] as string, md.slice(from, m.index).trim());
    from = (m.index ?? 0) + m[0].length;
  }
  const ran = new Set(outcomes.map((o) => o.name));
  for (const b of BENCHES) {
    const prev = last.benches[b.name];
    if (ran.has(b.name) || !prev || prev.exit === 'not present') continue;
    outcomes.push({
      name: b.name,
      file: prev.file,
      // A figure kept twice says "ok (kept from …)": still ok (it made every such run exit 1).
      ok: prev.exit.replace(KEPT, '') === 'ok',
      // A figure kept twice keeps the date it was measured, not a chain of "kept from" dates.
      exit: KEPT.test(prev.exit) ? prev.exit : `${prev.exit} (kept from ${last.writtenAt})`,
      seconds: prev.seconds,
      markdown: prev.markdown ?? sections.get(prev.file) ?? '',
      result: prev.result,
    });
  }
  const order = new Map(BENCHES.map((b, i) => [b.name, i]));
  outcomes.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
}

/** --render: RESULTS.md from the last run's results.json (its date, figures and targets) and NOTES.md. */
function renderAgain(): void {
  const jsonFile = join(ROOT, 'bench', 'results.json');
  if (!existsSync(jsonFile)) {
    say('bench: no bench/results.json to render: run the benchmarks first');
    process.exit(2);
  }
  const { json, md } = renderResults(
    JSON.parse(readFileSync(jsonFile, 'utf8')) as ResultsJson,
    NAMES,
    notes(),
  );
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), md);
  writeFileSync(jsonFile, `${JSON.stringify(json, null, 2)}\n`);
  say(`bench: wrote bench/RESULTS.md (and results.json's targets) from results.json (${json.writtenAt})`);
}

async function main(): Promise<void> {
  const chosen = BENCHES.filter((b) => !only || only.includes(b.name));
  const t0 = Date.now();
  const load0 = os.loadavg();
  const outcomes: Outcome[] = [];
  for (const [i, b] of chosen.entries()) {
    if (!existsSync(join(ROOT, b.file))) {
      say(`bench [${i + 1}/${chosen.length}] ${b.name}: ${b.file} not there yet, skipped`);
      outcomes.push({
        name: b.name,
        file: b.file,
        ok: true,
        exit: 'not present',
        seconds: 0,
        markdown: '',
        result: null,
      });
      continue;
    }
    say(
      `bench [${i + 1}/${chosen.length}] ${b.name}: ${b.what}  (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`,
    );
    const o = await runOne(b);
    say(`bench [${i + 1}/${chosen.length}] ${b.name}: ${o.exit} in ${o.seconds.toFixed(0)} s`);
    if (o.markdown) process.stdout.write(`${o.markdown}\n\n`);
    outcomes.push(o);
  }
  const totalS = (Date.now() - t0) / 1000;
  if (values['keep-others'] && only) keepOthers(outcomes);

  const cpus = os.cpus();
  const machine: Machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: load0.map((x) => Number(x.toFixed(2))),
  };
  const nm = (p: string) => pkgVersion(join(ROOT, 'node_modules', p));
  const versions = {
    node: process.version,
    thermogate: pkgVersion(ROOT),
    mqtt: nm('mqtt'),
    aedes: nm('aedes'),
    influxClient: nm('influx'),
    betterSqlite3: nm('better-sqlite3'),
    influxd: firstLine('influxd', ['version']),
    mosquitto: firstLine('mosquitto', ['-h']),
    nodeRed: pkgVersion(join(ROOT, 'bench', '.node-red', 'node_modules', 'node-red')),
    nodeRedInflux: pkgVersion(join(ROOT, 'bench', '.node-red', 'node_modules', 'node-red-contrib-influxdb')),
  };
  const json: ResultsJson = {
    writtenAt: new Date().toISOString(),
    seconds: totalS,
    machine,
    versions,
    targets: allTargets(outcomes, totalS, NAMES),
    benches: Object.fromEntries(
      outcomes.map((o) => [
        o.name,
        { file: o.file, exit: o.exit, seconds: o.seconds, result: o.result, markdown: o.markdown },
      ]),
    ),
  };
  const md = render(json, outcomes, notes());
  const targets = json.targets;
  if (!values['no-write'] && outcomes.some((o) => o.exit !== 'not present')) {
    writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), md);
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
    say('bench: wrote bench/RESULTS.md and bench/results.json');
  }
  say(
    `bench: ${(totalS / 60).toFixed(1)} min; targets met ${targets.filter((t) => t.met === true).length}, missed ${targets.filter((t) => t.met === false).length}, information (n/a) ${targets.filter((t) => t.met === null).length}`,
  );
  process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
}

(values.render ? Promise.resolve().then(renderAgain) : main()).catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
