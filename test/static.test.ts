/** The whole tree type-checks (strict) and passes the linter/formatter: CI fails otherwise. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

it('tsc --noEmit is clean', () => {
  const r = spawnSync(bin('tsc'), ['--noEmit', '-p', '.'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 150_000);

it('biome check is clean', () => {
  const r = spawnSync(bin('biome'), ['check', '.'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 90_000);

/** The dependency check over the whole tree, as `npm run lint` runs it. */
function depcruise(cwd: string, paths: string[]) {
  const r = spawnSync(bin('depcruise'), ['--config', join(ROOT, '.dependency-cruiser.cjs'), ...paths], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    // CI's environment turns colours on (seen: the rule names came wrapped in escape codes).
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes is the point
  const plain = (t: string | null) => (t ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  return { ...r, stdout: plain(r.stdout), stderr: plain(r.stderr) };
}

it('packages meet only on the wire: no import across packages, none into site/, no cycle', () => {
  const r = depcruise(ROOT, ['protocols', 'kernel', 'edge', 'hub', 'dashboard', 'firmware-sim', 'site']);
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 150_000);

it('the dependency check fails on a planted cross import, a kernel that imports a package, and a cycle', () => {
  // A copy of the layout in a temp folder: the real tree is never touched while other tests run.
  const dir = mkdtempSync(join(tmpdir(), 'tg-depcheck-'));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  file('tsconfig.json', '{"compilerOptions":{"allowImportingTsExtensions":true,"noEmit":true}}');
  file('protocols/wire.ts', 'export const WIRE = 1;\n');
  file('kernel/clock.ts', 'export const now = () => 0;\n');
  file(
    'hub/hub.ts',
    "import { WIRE } from '../protocols/wire.ts';\nimport { now } from '../kernel/clock.ts';\nexport const hub = WIRE + now();\n",
  );
  file('dashboard/ok.ts', "import { WIRE } from '../protocols/wire.ts';\nexport const ok = WIRE;\n");
  const clean = depcruise(dir, ['protocols', 'kernel', 'hub', 'dashboard']);
  expect(clean.status, clean.stdout + clean.stderr).toBe(0);

  file('dashboard/bad.ts', "import { hub } from '../hub/hub.ts';\nexport const bad = hub;\n");
  file('kernel/leak.ts', "import { WIRE } from '../protocols/wire.ts';\nexport const leak = WIRE;\n");
  file('hub/a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
  file('hub/b.ts', "import { a } from './a.ts';\nexport const b = () => a;\n");
  const planted = depcruise(dir, ['protocols', 'kernel', 'hub', 'dashboard']);
  expect(planted.status).not.toBe(0);
  expect(planted.stdout).toMatch(/dashboard-meets-others-on-the-wire: dashboard\/bad\.ts → hub\/hub\.ts/);
  expect(planted.stdout).toMatch(/kernel-imports-nothing-of-ours: kernel\/leak\.ts → protocols\/wire\.ts/);
  expect(planted.stdout).toMatch(/no-cycles: hub\/(a|b)\.ts/);
}, 150_000);
