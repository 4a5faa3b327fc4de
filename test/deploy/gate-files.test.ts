/**
 * The files of a gate install (docs/DEPLOY-GATE.md): the systemd unit and the udev rule. The unit
 * is verified by systemd itself where systemd-analyze exists, and its ExecStart form (node with the
 * tsx loader, no wrapper process) is run for real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY, ROOT } from './paths.ts';

const UNIT = join(DEPLOY, 'systemd', 'thermogate-edge.service');
const RULES = join(DEPLOY, 'udev', '99-thermometer.rules');

/** `Key=value` lines of a unit file (later ones win, like systemd). */
function unitKeys(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1] as string, kv[2] as string);
  }
  return m;
}

describe('deploy/systemd/thermogate-edge.service', () => {
  const keys = unitKeys(readFileSync(UNIT, 'utf8'));

  it('restarts on failure (not on a bad configuration) and feeds a watchdog through sd_notify', () => {
    expect(keys.get('Type')).toBe('notify');
    expect(keys.get('NotifyAccess')).toBe('all'); // systemd-notify is a child process
    expect(Number(keys.get('WatchdogSec'))).toBeGreaterThan(0);
    expect(keys.get('Restart')).toBe('on-failure');
    expect(keys.get('RestartPreventExitStatus')).toBe('2');
    expect(keys.get('After')).toContain('time-sync.target');
    expect(keys.get('SupplementaryGroups')?.split(' ')).toEqual(expect.arrayContaining(['dialout', 'gpio']));
    expect(keys.get('User')).not.toBe('root');
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'tg-unit-')), 'thermogate-edge.service');
    copyFileSync(UNIT, copy);
    const r = spawnSync('/usr/bin/systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    // Paths of the gate that do not exist here (/opt/thermogate) are the only acceptable remarks.
    const remarks = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.trim() && !/\/opt\/thermogate|\/usr\/bin\/node/.test(l));
    expect(remarks).toEqual([]);
  });

  it('its ExecStart form runs the edge: node with the tsx loader, no wrapper in between', () => {
    const exec = keys.get('ExecStart') ?? '';
    const [node, ...args] = exec.split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(args.slice(0, 3)).toEqual(['--import', 'tsx', '/opt/thermogate/edge/cli.ts']);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'edge', 'cli.ts'), '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out).toContain('ThermoGate edge daemon');
  });
});

describe('deploy/udev/99-thermometer.rules', () => {
  it('every active rule names /dev/thermometer for the dialout group and keeps ModemManager away', () => {
    const rules = readFileSync(RULES, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r).toMatch(/^SUBSYSTEM=="tty", /);
      expect(r).toContain('SYMLINK+="thermometer"');
      expect(r).toContain('GROUP="dialout"');
      expect(r).toContain('ENV{ID_MM_DEVICE_IGNORE}="1"');
      // key==value / key+=value / key="value" pairs only: a typo would make udev skip the line.
      for (const part of r.split(/,\s*/)) expect(part).toMatch(/^[A-Z_]+(\{[A-Za-z_]+\})?(==|\+=|=)"[^"]*"$/);
    }
  });
});
