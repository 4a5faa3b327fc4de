/**
 * The benchmark report (bench/lib/report.ts): RESULTS.md is what `npm run bench -- --render` makes
 * of results.json and NOTES.md, and the whole run's row judges issue 22's "the bench runs in
 * < 20 min" only for a run that ran every benchmark.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCHES } from '../bench/lib/benches.ts';
import { type Outcome, type ResultsJson, renderResults, wholeRun } from '../bench/lib/report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(join(ROOT, 'bench', f), 'utf8');

it('bench/RESULTS.md is results.json and NOTES.md rendered (after editing NOTES.md: npm run bench -- --render)', () => {
  const last = JSON.parse(read('results.json')) as ResultsJson;
  const { json, md } = renderResults(
    last,
    BENCHES.map((b) => b.name),
    read('NOTES.md'),
  );
  expect(md).toBe(read('RESULTS.md'));
  // results.json's targets are the ones made from its figures (no row missing or stale).
  expect(json.targets).toEqual(last.targets);
});

describe('the whole run against < 20 min', () => {
  const names = ['edge', 'scale', 'reports'];
  const ran = (exit = 'ok'): Outcome[] =>
    names.map((name) => ({
      name,
      file: `bench/${name}.ts`,
      ok: name !== 'scale' || exit.replace(/ \(kept from .*\)$/, '') === 'ok',
      exit: name === 'scale' ? exit : 'ok',
      seconds: 1,
      markdown: '',
      result: name === 'reports' ? { figures: { cache: { state: 'cold' } } } : null,
    }));
  // Intended: [case, outcomes, seconds, met (null: no row), the words the value must carry].
  const cases: Array<[string, Outcome[], number, boolean | null, string]> = [
    ['every benchmark, cold, 24.9 min', ran(), 1494, false, '24.9 min (cold'],
    ['every benchmark, 19.5 min', ran(), 1170, true, '19.5 min'],
    ['exactly 20 min is not under 20', ran(), 1200, false, '20.0 min'],
    ['one kept from an earlier run: no row', ran('ok (kept from 2026-12-07T00:00:00Z)'), 300, null, ''],
    ['one failed (it may have stopped early): no row', ran('exit 1'), 900, null, ''],
    ['--only: a benchmark not run, no row', ran().filter((o) => o.name !== 'edge'), 60, null, ''],
    ['a script not present: no row', ran('not present'), 60, null, ''],
  ];
  it.each(cases)('%s', (_what, outcomes, seconds, met, words) => {
    const row = wholeRun(outcomes, seconds, names);
    if (met === null) expect(row).toBeNull();
    else {
      expect(row?.met).toBe(met);
      expect(row?.target).toBe('< 20 min');
      expect(row?.value).toContain(words);
    }
  });

  it('says whether reports used its cached data', () => {
    const warm = ran().map((o) =>
      o.name === 'reports' ? { ...o, result: { figures: { cache: { state: 'hit' } } } } : o,
    );
    expect(wholeRun(warm, 1000, names)?.value).toBe('16.7 min (warm: reports used its cached data)');
  });
});
