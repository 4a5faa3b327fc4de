/**
 * The files of a gate install (docs/DEPLOY-GATE.md): the systemd unit and the udev rule. The unit
 * is verified by systemd itself where systemd-analyze exists; its ExecStart runs the shipped bundle
 * with the shipped flags, and test/deploy/edge-bundle.test.ts runs that very command line.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDGE_BUNDLE, EDGE_NODE_FLAGS } from '../../deploy/build-edge.ts';
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

  it('its ExecStart runs the bundle `npm run build:edge` makes, with the shipped flags, no wrapper', () => {
    const [node, ...args] = (keys.get('ExecStart') ?? '').split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(keys.get('WorkingDirectory')).toBe('/opt/thermogate');
    expect(args).toEqual([
      ...EDGE_NODE_FLAGS,
      `/opt/thermogate/${relative(ROOT, EDGE_BUNDLE)}`,
      '--config',
      '/etc/thermogate/gate.yaml',
    ]);
    // The build's default output is where the unit looks for it.
    expect(relative(ROOT, EDGE_BUNDLE)).toBe('dist/edge.mjs');
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
