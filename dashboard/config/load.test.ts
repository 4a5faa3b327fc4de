/** The dashboard config loader: env overrides, relative paths, the password file, key paths in errors. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides as applyWithPrefix } from '../../kernel/config.ts';
import { ConfigError, ENV_PREFIX, loadDashboardConfig } from './load.ts';

const applyEnvOverrides = (raw: Record<string, unknown>, env: Record<string, string>) =>
  applyWithPrefix(raw, env, ENV_PREFIX);

function file(text: string, name = 'dashboard.yaml'): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tg-dash-cfg-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { dir, path };
}

const BASE =
  'siteId: s1\nmqtt: { url: "mqtt://h:1883", username: dash, passwordFile: secret/pw }\nreadings: { kind: sqlite, path: data/r.sqlite }\n';

describe('loadDashboardConfig', () => {
  it('resolves paths against the file, reads the password file, applies TG_DASH__ overrides', () => {
    const { dir, path } = file(BASE);
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret/pw'), 'from-file\n');
    const c = loadDashboardConfig(path, {
      TG_DASH__session__idleMinutes: '30',
      TG_DASH__HTTP__PORT: '9090',
      TG_DASH__FEED__KEEP_EVENTS: '500',
      OTHER: 'x',
    });
    expect(c.dataDir).toBe(join(dir, 'data/dashboard'));
    expect(c.readings).toEqual({ kind: 'sqlite', path: join(dir, 'data/r.sqlite') });
    expect(c.mqtt.password).toBe('from-file');
    expect(c.session.idleMinutes).toBe(30);
    expect(c.http.port).toBe(9090);
    expect(c.feed.keepEvents).toBe(500);
  });

  it('names every bad key path (TG_CONFIG_INVALID), env overrides included', () => {
    const { path } = file(`${BASE}rooms: [{ id: a, name: A, capacity: 2 }]\n`);
    try {
      loadDashboardConfig(path, { TG_DASH__SESSION__LOGIN_ATTEMPTS_PER_MINUTE: '0' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.code).toBe('TG_CONFIG_INVALID');
      expect(err.issues.map((i) => i.path).sort()).toEqual([
        'rooms.0.capacity',
        'session.loginAttemptsPerMinute',
      ]);
    }
  });

  it('an unreadable password file is a config error at mqtt.passwordFile', () => {
    const { path } = file(BASE);
    expect(() => loadDashboardConfig(path, {})).toThrow(/mqtt\.passwordFile: cannot read: ENOENT/);
  });

  it('JSON files and unknown keys', () => {
    const { path } = file(
      JSON.stringify({
        siteId: 's1',
        mqtt: { url: 'u', username: 'd', password: 'p' },
        readings: { kind: 'sqlite', path: 'r' },
        colour: 'red',
      }),
      'c.json',
    );
    expect(() => loadDashboardConfig(path, {})).toThrow(/\(root\): Unrecognized key: "colour"/);
  });

  it('an override creates missing sections and keeps other keys', () => {
    expect(
      applyEnvOverrides(
        { mqtt: { url: 'u' } },
        { TG_DASH__MQTT__PASSWORD: 'p', TG_DASH__commands__ackTimeoutMs: '900' },
      ),
    ).toEqual({
      mqtt: { url: 'u', password: 'p' },
      commands: { ackTimeoutMs: 900 },
    });
  });
});
