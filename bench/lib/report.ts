/**
 * What `npm run bench` (bench/run.ts) writes: bench/results.json's shape, the targets of the whole
 * run, and RESULTS.md made from them. Pure (no I/O), so that `--render` makes RESULTS.md again
 * from results.json alone, and test/bench-report.test.ts checks both.
 */
import type { BenchResult, Target } from './result.ts';

export interface Outcome {
  name: string;
  file: string;
  ok: boolean;
  exit: string;
  seconds: number;
  markdown: string;
  result: BenchResult | Record<string, unknown> | null;
}

/** A script that printed only JSON: its figures as a flat table. */
function figuresTable(o: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    else rows.push([path, typeof v === 'number' ? String(Number(v.toPrecision(4))) : JSON.stringify(v)]);
  };
  walk(o, '');
  return ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

/** How a kept figure's exit ends: the date it was measured. */
export const KEPT = / \(kept from [^)]*\)$/;

export const targetsOf = (r: Outcome['result']): Target[] =>
  r && Array.isArray((r as BenchResult).targets) ? (r as BenchResult).targets : [];

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  loadAverageAtStart: number[];
}

/** bench/results.json: what RESULTS.md is made from (`--render` makes it again from this). */
export interface ResultsJson {
  writtenAt: string;
  seconds: number;
  machine: Machine;
  versions: Record<string, string | null>;
  targets: Array<Target & { bench: string }>;
  benches: Record<
    string,
    { file: string; exit: string; seconds: number; result: Outcome['result']; markdown?: string }
  >;
}

/** Issue 22: "the bench runs in < 20 min". */
export const WHOLE_RUN_TARGET_S = 20 * 60;

/**
 * The whole run's wall time against its target, when the run ran every benchmark and each
 * passed (none kept from an earlier run, none missing, none failed); it says whether reports loaded its data (a cold run) or
 * used its cache, which is most of the difference between the two.
 */
export function wholeRun(
  outcomes: Outcome[],
  totalS: number,
  benches: readonly string[],
): (Target & { bench: string }) | null {
  const complete =
    benches.every((name) => outcomes.some((o) => o.name === name)) &&
    // A failed benchmark may have stopped early: its run says nothing about the suite's time.
    outcomes.every((o) => o.ok && o.exit !== 'not present' && !KEPT.test(o.exit));
  if (!complete) return null;
  const reports = outcomes.find((o) => o.name === 'reports')?.result as
    | { figures?: { cache?: { state?: string } } }
    | null
    | undefined;
  const state = reports?.figures?.cache?.state;
  const how =
    state === 'cold'
      ? 'cold: reports loaded its data in this run'
      : state === 'hit'
        ? 'warm: reports used its cached data'
        : 'reports without its cache';
  return {
    bench: 'all',
    figure: 'the whole bench (`npm run bench`), wall time',
    value: `${(totalS / 60).toFixed(1)} min (${how})`,
    target: `< ${WHOLE_RUN_TARGET_S / 60} min`,
    met: totalS < WHOLE_RUN_TARGET_S,
  };
}

export const allTargets = (
  outcomes: Outcome[],
  totalS: number,
  benches: readonly string[],
): Array<Target & { bench: string }> => {
  const whole = wholeRun(outcomes, totalS, benches);
  return [
    ...outcomes.flatMap((o) => targetsOf(o.result).map((t) => ({ bench: o.name, ...t }))),
    ...(whole ? [whole] : []),
  ];
};

/** RESULTS.md: the header, the targets, the runs, each benchmark's section, then `notes` (NOTES.md). */
export function render(json: ResultsJson, outcomes: Outcome[], notes: string | null): string {
  const { machine, versions, targets } = json;
  const mark = (m: boolean | null) => (m === true ? 'yes' : m === false ? '**no**' : 'n/a');
  const kept = outcomes.filter((o) => KEPT.test(o.exit));
  return [
    '# ThermoGate benchmark results',
    '',
    `Written by \`npm run bench\` on ${json.writtenAt} in ${(json.seconds / 60).toFixed(1)} minutes${kept.length ? ` (${outcomes.length - kept.length} of ${outcomes.length} benchmarks run; ${kept.length} kept from earlier runs with \`--keep-others\`: see "Runs")` : ''}.`,
    '',
    `**Machine:** ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}; load average at start ${machine.loadAverageAtStart.join(' / ')}. A shared, noisy machine: compare figures measured side by side in the same run, not across runs.`,
    '',
    `**Versions:** Node ${versions.node}, ThermoGate ${versions.thermogate}, mqtt ${versions.mqtt}, aedes ${versions.aedes}, influx (client) ${versions.influxClient}, better-sqlite3 ${versions.betterSqlite3}, ${versions.influxd}, ${versions.mosquitto}, Node-RED ${versions.nodeRed ?? 'not installed'} with node-red-contrib-influxdb ${versions.nodeRedInflux ?? '-'}.`,
    '',
    '## Targets',
    '',
    '| benchmark | figure | measured | target | met |',
    '|---|---|---|---|---|',
    ...targets.map((t) => `| ${t.bench} | ${t.figure} | ${t.value} | ${t.target} | ${mark(t.met)} |`),
    '',
    '## Runs',
    '',
    '| benchmark | script | result | seconds |',
    '|---|---|---|---|',
    ...outcomes.map((o) => `| ${o.name} | ${o.file} | ${o.exit} | ${o.seconds.toFixed(0)} |`),
    '',
    ...outcomes
      .filter((o) => o.exit !== 'not present')
      .flatMap((o) => {
        const body =
          o.markdown ||
          (o.result
            ? `## ${o.name}\n\n${figuresTable((o.result as BenchResult).figures ?? o.result)}`
            : `## ${o.name}\n\nNo output.`);
        return [body, '', `_${o.file}: ${o.exit}, ${o.seconds.toFixed(0)} s_`, ''];
      }),
    ...(notes !== null ? [notes.trim(), ''] : []),
  ].join('\n');
}

/**
 * RESULTS.md again from a results.json (`--render`): the outcomes in the benchmarks' order, the
 * targets made again from their figures (so that a row added since, like the whole run's,
 * appears), the run's own date and duration.
 */
export function renderResults(
  last: ResultsJson,
  benches: readonly string[],
  notes: string | null,
): { json: ResultsJson; md: string } {
  const order = new Map(benches.map((name, i) => [name, i]));
  const outcomes: Outcome[] = Object.entries(last.benches)
    .map(([name, b]) => ({
      name,
      file: b.file,
      ok: b.exit.replace(KEPT, '') === 'ok',
      exit: b.exit,
      seconds: b.seconds,
      markdown: b.markdown ?? '',
      result: b.result,
    }))
    .sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const json = { ...last, targets: allTargets(outcomes, last.seconds, benches) };
  return { json, md: render(json, outcomes, notes) };
}
