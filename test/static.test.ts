/** The whole tree type-checks (strict) and passes the linter/formatter: CI fails otherwise. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
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
