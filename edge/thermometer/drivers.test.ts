/**
 * The thermometer table is the one list of protocols (issue #21): these tests take their cases
 * from it, so a new entry is checked without a line added here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { MockTransport } from '../../test/doubles/edge/mock-transport.ts';
import { ConfigError, loadEdgeConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { serialThermometer } from './config.ts';
import { buildThermometerDriver, THERMOMETER_DRIVERS, type ThermometerProtocol } from './drivers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tg-thermo-table-'));
const protocols = Object.keys(THERMOMETER_DRIVERS) as ThermometerProtocol[];

function gateConfig(thermometer: string) {
  const f = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    f,
    `siteId: plant-1\ngateId: gate-a\nmqtt: { url: "mqtt://127.0.0.1:1883" }\nthermometer: ${thermometer}\nterminal: { deviceId: T1 }\n`,
  );
  return loadEdgeConfig(f, {});
}

/** The keys a protocol has that a serial thermometer in general does not (`slave`, `mode`). */
function ownKeys(p: ThermometerProtocol): string[] {
  const shape = Object.keys(THERMOMETER_DRIVERS[p].config.shape);
  return shape.filter((k) => k !== 'protocol' && !(k in serialThermometer));
}

describe('the thermometer driver table', () => {
  it.each(protocols)('%s: a gate config naming it loads, and its driver is built for it', async (p) => {
    const cfg = gateConfig(`{ protocol: ${p}, port: /dev/ttyUSB0 }`);
    expect(cfg.thermometer.protocol).toBe(p);
    if (cfg.thermometer.protocol === 'none') throw new Error('unreachable');
    const transport = new MockTransport();
    const driver = buildThermometerDriver(cfg.thermometer, {
      transport,
      clock: new FakeClock(0),
      log: createLogger('test', 'silent'),
    });
    // The guard's fleet view and the logs name the device by the driver's description.
    expect((driver as unknown as { description: string }).description.startsWith(p)).toBe(true);
    await driver.start();
    expect(transport.openCalls).toBe(1);
    await driver.stop();
  });

  const crossed = protocols.flatMap((p) =>
    protocols.filter((q) => q !== p).flatMap((q) => ownKeys(q).map((key) => [p, q, key] as const)),
  );
  it('every protocol has keys of its own to check across', () => {
    // Both protocols have one today (slave, mode); a protocol without any is fine, a table where
    // no entry has one would make the next test vacuous.
    expect(crossed.length).toBeGreaterThan(0);
  });
  it.each(crossed)('%s: a key of %s (%s) is an error naming the section', (p, _q, key) => {
    const value = key === 'mode' ? 'query' : 2;
    let issues: { path: string }[] = [];
    try {
      gateConfig(`{ protocol: ${p}, port: /dev/ttyUSB0, ${key}: ${value} }`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues = e.issues;
    }
    expect(issues.map((i) => i.path)).toContain('thermometer');
  });
});
