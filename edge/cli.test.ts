/** The gate's command line: help, a valid config, and a bad one failing at start with exit 2. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'edge/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });

describe('npm run edge', () => {
  it('--help prints usage and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--config FILE');
  });

  it('the commented example is a valid configuration', () => {
    const r = run(['--config', 'examples/gate.yaml', '--check'], { TG_EDGE__MQTT__PASSWORD: 'from-env' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('valid (site plant-1, gate gate-a)');
    expect(r.status).toBe(0);
  });

  it('a bad file fails at start with exit 2, every key path and reason, and starts nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'siteId: plant-1\ngateId: gate/a\nmqtt: { url: "nope" }\nthermometer: { protocol: modbus-ir, port: /dev/ttyUSB0, slave: 300 }\nterminal: { deviceId: T1 }\n',
    );
    const r = run(['--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('TG_CONFIG_INVALID');
    expect(r.stderr).toMatch(/gateId: .*MQTT topics/);
    expect(r.stderr).toMatch(/mqtt\.url: /);
    expect(r.stderr).toMatch(/thermometer\.slave: /);
  });

  it('a missing --config is an argument error (exit 2)', () => {
    expect(run([]).status).toBe(2);
  });
});
