/**
 * Every configuration file under deploy/config passes the project's own loaders, exactly as the
 * services load them (environment overrides included), so a site never starts from a file the
 * daemon would refuse. Secrets are supplied the way compose does not need to here: as overrides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadDashboardConfig } from '../../dashboard/config/load.ts';
import { loadEdgeConfig } from '../../edge/config/load.ts';
import { entriesFromCsv } from '../../hub/access-list/rows.ts';
import { loadHubConfig } from '../../hub/config/load.ts';
import { CONFIG_DIR } from './paths.ts';

const files = readdirSync(CONFIG_DIR);
const kindOf = (f: string) =>
  f === 'hub.yaml'
    ? 'hub'
    : f === 'dashboard.yaml'
      ? 'dashboard'
      : /^gate-\d+\.yaml$/.test(f)
        ? 'edge'
        : 'other';

describe('deploy/config', () => {
  it('holds the hub, the dashboard, the two gates and the example access list', () => {
    expect(files.sort()).toEqual([
      'access-list.example.csv',
      'dashboard.yaml',
      'gate-1.yaml',
      'gate-2.yaml',
      'hub.yaml',
    ]);
  });

  for (const f of files.filter((x) => kindOf(x) === 'edge'))
    it(`${f} is a valid gate configuration (edge/config/load.ts)`, () => {
      const cfg = loadEdgeConfig(join(CONFIG_DIR, f), {
        TG_EDGE__MQTT__PASSWORD: 'from-a-secret',
        TG_EDGE__STORAGE__SINK__PASSWORD: 'from-a-secret',
      });
      const n = /gate-(\d+)/.exec(f)?.[1];
      expect(cfg).toMatchObject({
        siteId: 'plant-1',
        gateId: `gate-${n}`,
        terminal: { deviceId: `term-${n}` },
      });
      expect(cfg.mqtt.username).toBe(`gate-${n}`);
      expect(cfg.storage.sink).toMatchObject({ kind: 'influx', database: 'thermogate' });
      expect(cfg.mqtt.passwordFile).toBe(`/run/secrets/gate_${n}_mqtt_password`);
    });

  it('hub.yaml is a valid hub configuration (hub/config/load.ts)', () => {
    const file = join(CONFIG_DIR, 'hub.yaml');
    const cfg = loadHubConfig(file, {});
    expect(cfg.dashboardConfigFile).toBe('/config/dashboard.yaml');
    expect(cfg).toMatchObject({ siteId: 'plant-1', credentialsFile: '/data/hub/credentials.json' });
    expect(cfg.opcua?.enabled).toBe(true);
    expect(cfg.homeAssistant).toMatchObject({ enabled: false, discoveryPrefix: 'homeassistant' });
  });

  it('dashboard.yaml is a valid dashboard configuration (dashboard/config/load.ts)', () => {
    const cfg = loadDashboardConfig(join(CONFIG_DIR, 'dashboard.yaml'), {
      TG_DASH__MQTT__PASSWORD: 'from-a-secret',
    });
    expect(cfg).toMatchObject({ siteId: 'plant-1', mqtt: { username: 'dashboard' } });
    expect(cfg.readings).toMatchObject({ kind: 'influx', database: 'thermogate' });
  });

  it('every file names the same site, and the gates name the terminals the credentials bind them to', () => {
    const sites = files
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => (parseYaml(readFileSync(join(CONFIG_DIR, f), 'utf8')) as { siteId: string }).siteId);
    expect(new Set(sites)).toEqual(new Set(['plant-1']));
    const init = readFileSync(join(CONFIG_DIR, '..', 'init-credentials.sh'), 'utf8');
    for (const n of [1, 2])
      expect(init).toContain(`"gate-${n}|gate|--site $SITE --gate gate-${n} --terminal term-${n}"`);
  });

  it('the example access list has the people the simulators send (E10000 … E10049)', () => {
    // The hub's own importer (`access-list import`) reads it.
    const r = entriesFromCsv(readFileSync(join(CONFIG_DIR, 'access-list.example.csv')), {
      timeZone: 'Asia/Shanghai',
    });
    expect('entries' in r ? r.entries.map((e) => e.employeeNo) : r.issues).toEqual(
      Array.from({ length: 50 }, (_, i) => `E${10000 + i}`),
    );
  });
});
