/**
 * Every command users and CI rely on (`npm run X`) answers `--help` with its usage and exit 0,
 * without starting anything. The list comes from package.json, so a new `tsx` script is covered
 * the day it is added.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;
const commands = Object.entries(scripts)
  .map(([name, cmd]) => [name, /^tsx (\S+\.ts)$/.exec(cmd)?.[1]] as const)
  .filter((e): e is readonly [string, string] => e[1] !== undefined);

const run = (file: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm run <command> --help', () => {
  it('covers the commands the README promises', () => {
    expect(commands.map(([n]) => n)).toEqual(
      expect.arrayContaining(['start', 'edge', 'build:edge', 'hub', 'dashboard', 'sim', 'bench', 'soak']),
    );
  });

  it.each(commands)('%s prints its usage and exits 0', (_name, file) => {
    const r = run(file, ['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/usage/i);
  });
});
