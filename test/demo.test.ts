/** `npm start -- --once`: the demo site runs its scenario across real processes and prints decisions. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

it('the demo site plays its scenario end to end', () => {
  const data = mkdtempSync(join(tmpdir(), 'tg-demo-'));
  const r = spawnSync(
    join(ROOT, 'node_modules/.bin/tsx'),
    ['demo/site.ts', '--once', '--data', data, '--port', '0'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  // The scenario's people and what the datasheet and policy say must happen to them.
  expect(lines.find((l) => l.includes('E10023'))).toMatch(/36\.6°C\s+PASS/);
  // Flagged, and sent to the isolation room the dashboard keeps ready for that gate.
  expect(lines.find((l) => l.includes('E10031') && !l.includes('ALERT'))).toMatch(
    /38\.1°C\s+FLAGGED.*isolation room R[12]/,
  );
  expect(r.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
  expect(lines.find((l) => l.includes('E10040') && !l.includes('ALERT'))).toMatch(/DENIED.*mask-missing/);
  expect(lines.some((l) => l.includes('ALERT fever (critical) E10031'))).toBe(true);
  expect(lines.find((l) => l.includes('E10052'))).toMatch(/offline record/);
  expect(r.stdout).toMatch(/\b8 decisions\b/);
  // A newcomer's first screen is clean: nothing at level 50 or worse (issue #18: the report
  // scheduler read the embedded store before the first gate had created it).
  expect(`${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
}, 120_000);
