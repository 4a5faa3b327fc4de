import { SitePolicyCopy, siteRuleOverrides } from '../core/site-policy.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEdgeConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const MIN = `
siteId: plant-1
gateId: gate-a
mqtt: { url: "mqtt://127.0.0.1:1883" }
thermometer: { protocol: modbus-ir, port: /dev/ttyUSB0 }
terminal: { deviceId: T1 }
`;

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('edge config', () => {
  it('fills the product defaults', () => {
    const c = loadEdgeConfig(write('min.yaml', MIN), {});
    // The site rules are the hub's (site policy): the gate's config leaves them unset, and the
    // gate decides with the built-in 37.3 °C until a policy arrives.
    expect(c.policy.feverThresholdTenths).toBeUndefined();
    expect(new SitePolicyCopy(siteRuleOverrides(c)).rules.feverThresholdTenths).toBe(373);
    expect(c.turnstile.openMs).toBe(3000);
    expect(c.thermometer).toMatchObject({ protocol: 'modbus-ir', baudRate: 9600, slave: 1 });
    expect(c.gpio.backend).toBe('sim');
    expect(c.storage.sink).toEqual({ kind: 'none' });
  });

  it('environment overrides keys, case-insensitively and with JSON values', () => {
    const c = loadEdgeConfig(write('env.yaml', MIN), {
      TG_EDGE__MQTT__PASSWORD: 's3cret',
      TG_EDGE__THERMOMETER__POLL_INTERVAL_MS: '500',
      TG_EDGE__POLICY__MASK_REQUIRED: 'false',
    });
    expect(c.mqtt.password).toBe('s3cret');
    expect(c.thermometer).toMatchObject({ pollIntervalMs: 500 });
    expect(c.policy.maskRequired).toBe(false);
  });

  it('reads the password from a file', () => {
    const pw = write('pw', 'from-file\n');
    const c = loadEdgeConfig(write('pwf.yaml', `${MIN}\n`), {
      TG_EDGE__MQTT__PASSWORD_FILE: JSON.stringify(pw),
    });
    expect(c.mqtt.password).toBe('from-file');
  });

  it.each([
    ['missing gate id', MIN.replace('gateId: gate-a', ''), 'gateId'],
    ['id with a topic separator', MIN.replace('gate-a', 'gate/a'), 'gateId'],
    ['bad broker url', MIN.replace('mqtt://127.0.0.1:1883', 'not a url'), 'mqtt.url'],
    [
      'baud rate not supported',
      MIN.replace('port: /dev/ttyUSB0', 'port: /dev/ttyUSB0, baudRate: 1234'),
      'thermometer.baudRate',
    ],
    [
      'slave out of range',
      MIN.replace('port: /dev/ttyUSB0', 'port: /dev/ttyUSB0, slave: 248'),
      'thermometer.slave',
    ],
    ['thermometer without a port', MIN.replace(', port: /dev/ttyUSB0', ''), 'thermometer.port'],
    // Each protocol has only its own keys (issue #21): a key of another protocol is named, not ignored.
    [
      'a Modbus address on the UART module',
      MIN.replace('protocol: modbus-ir', 'protocol: gy-mlx90615').replace(
        'port: /dev/ttyUSB0',
        'port: /dev/ttyUSB0, slave: 2',
      ),
      'thermometer',
    ],
    [
      'a stream mode on the Modbus device',
      MIN.replace('port: /dev/ttyUSB0', 'port: /dev/ttyUSB0, mode: query'),
      'thermometer',
    ],
    ['an unknown protocol', MIN.replace('protocol: modbus-ir', 'protocol: acme-ir'), 'thermometer.protocol'],
    ['threshold as a float', `${MIN}policy: { feverThresholdTenths: 37.3 }\n`, 'policy.feverThresholdTenths'],
    [
      'wait longer than the terminal',
      `${MIN}policy: { waitForMeasurementMs: 5000 }\n`,
      'policy.waitForMeasurementMs',
    ],
    [
      'missing CA file',
      MIN.replace(
        'mqtt: { url: "mqtt://127.0.0.1:1883" }',
        'mqtt: { url: "mqtts://127.0.0.1:8883", caFile: /nope/ca.pem }',
      ),
      'mqtt.caFile',
    ],
    ['unknown sink', `${MIN}storage: { sink: { kind: mongo } }\n`, 'storage.sink.kind'],
    [
      'person sync with a misspelt zone',
      MIN.replace(
        'terminal: { deviceId: T1 }',
        'terminal: { protocol: hik-isapi, deviceId: T1, address: "http://10.0.0.21", personSync: { enabled: true, timezone: Asia/Shangai } }',
      ),
      'terminal.personSync.timezone',
    ],
    [
      'person sync with a misspelt key',
      MIN.replace(
        'terminal: { deviceId: T1 }',
        'terminal: { protocol: hik-isapi, deviceId: T1, address: "http://10.0.0.21", personSync: { enable: true } }',
      ),
      'terminal.personSync',
    ],
  ])('rejects %s naming the key', (_name, text, path) => {
    const issues = issuesOf(() => loadEdgeConfig(write('bad.yaml', text), {}));
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.every((i) => i.message.length > 0)).toBe(true);
  });

  it('resolves relative paths against the config file, not the working directory, and freezes the result', () => {
    write('gate-pw', 'beside-the-file\n');
    const c = loadEdgeConfig(write('rel.yaml', `${MIN}dataDir: ./gate-data\n`), {
      TG_EDGE__MQTT__PASSWORD_FILE: 'gate-pw',
    });
    expect(c.dataDir).toBe(join(dir, 'gate-data'));
    expect(c.mqtt.passwordFile).toBe(join(dir, 'gate-pw'));
    expect(c.mqtt.password).toBe('beside-the-file');
    expect(Object.isFrozen(c.policy)).toBe(true);
    expect(() => {
      (c.turnstile as { openMs: number }).openMs = 1;
    }).toThrow(TypeError);
  });

  it('reports unreadable and unparsable files', () => {
    expect(issuesOf(() => loadEdgeConfig(join(dir, 'nope.yaml'), {}))[0]?.message).toMatch(/cannot read/);
    expect(issuesOf(() => loadEdgeConfig(write('x.json', '{'), {}))[0]?.message).toMatch(/not valid JSON/);
  });
});

describe('examples/gate.yaml', () => {
  it('is a valid configuration whose documented values are the defaults', () => {
    // The example names a password file that exists only on a real gate; a password from the
    // environment is used instead (the loader reads the file only when no password is set).
    const file = join(import.meta.dirname, '..', '..', 'examples', 'gate.yaml');
    const cfg = loadEdgeConfig(file, { TG_EDGE__MQTT__PASSWORD: 'x' });
    // Against the schema's own defaults (a minimal config), not against literals copied here.
    const defaults = loadEdgeConfig(write('defaults.yaml', MIN), {});
    expect(cfg.policy).toEqual(defaults.policy);
    expect(cfg.storage.outboxPolicy).toBe(defaults.storage.outboxPolicy);
    expect(cfg.storage.diskReserveMB).toBe(defaults.storage.diskReserveMB);
    expect(cfg.storage.outboxCapacity).toBe(defaults.storage.outboxCapacity);
    expect(cfg.turnstile).toEqual(defaults.turnstile);
    expect(cfg.heartbeatIntervalMs).toBe(defaults.heartbeatIntervalMs);
    // The site rules are left to the hub: an example gate overrides none of them.
    expect(siteRuleOverrides(cfg)).toEqual({});
  });
});

describe('examples/gate.yaml with its hik-isapi lines enabled', () => {
  it('is valid, the terminal password comes from the environment, and the documented values are the defaults', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'gate.yaml'), 'utf8');
    const start = text.indexOf('  # --- protocol: hik-isapi only');
    const end = text.indexOf('\nturnstile:');
    // Uncomment the block's `  # key: value` lines whose top-level key `keep` accepts, with their
    // nested `  #   key: value` lines (not the comment-only ones), pick the protocol.
    const enable = (keep: (key: string) => boolean) => {
      let kept = false;
      const block = text
        .slice(start, end)
        .split('\n')
        .map((line) => {
          const m = /^ {2}# ( {2})?([a-zA-Z]+):(?: |$)/.exec(line);
          if (!m) return line;
          if (!m[1]) kept = keep(m[2] as string);
          return kept ? line.replace(/^ {2}# /, '  ') : line;
        })
        .join('\n');
      return (
        text.slice(0, start).replace('protocol: face-mqtt', 'protocol: hik-isapi') + block + text.slice(end)
      );
    };
    const env = { TG_EDGE__MQTT__PASSWORD: 'x', TG_EDGE__TERMINAL__PASSWORD: 'terminal-secret' };
    const cfg = loadEdgeConfig(
      write(
        'isapi.yaml',
        enable(() => true),
      ),
      env,
    );
    // The same gate with only what has no default (its address): the schema's own defaults.
    const min = loadEdgeConfig(
      write(
        'isapi-min.yaml',
        enable((k) => k === 'address'),
      ),
      env,
    );
    if (cfg.terminal.protocol !== 'hik-isapi' || min.terminal.protocol !== 'hik-isapi')
      throw new Error('not an ISAPI terminal');
    // What the example says of this site: the terminal's address, and the password from the environment.
    expect(cfg.terminal).toMatchObject({ address: 'http://10.0.0.21', password: 'terminal-secret' });
    // The example's nested person-sync block was read (not left commented out).
    expect(text.slice(start, end)).toMatch(/^ {2}# {3}enabled: /m);
    const { passwordFile, allowFrom, personSync, ...documented } = cfg.terminal;
    const { passwordFile: none, allowFrom: unset, personSync: minSync, ...defaults } = min.terminal;
    expect(passwordFile).toBe('/etc/thermogate/terminal.password');
    expect(none).toBeUndefined();
    // Every other value the example writes down (person sync included) is the default.
    expect(documented).toEqual(defaults);
    const { timezone, ...sync } = personSync;
    const { timezone: minZone, ...minSyncRest } = minSync;
    expect(sync).toEqual(minSyncRest);
    // Two defaults are not static values but "the same as": allowFrom is the terminal's address, the
    // person sync's zone the gate's own; the example writes down what they come to.
    expect(unset).toBeUndefined();
    expect(allowFrom).toEqual([new URL(cfg.terminal.address).hostname]);
    expect(minZone).toBeUndefined();
    expect(timezone).toBe(min.timezone);
  });
});
