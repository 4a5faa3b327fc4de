/**
 * Broken configurations, one row each, for every program a site runs: the edge, the hub, the
 * simulator's scenario files and the dashboard. Every row is checked in-process against the
 * program's own loader (the key path and a reason a person can act on). A representative subset
 * per program also runs as a real process: exit code 2, the same key path and reason on stderr,
 * nothing ever accepting connections on the port the file names, and nothing written to its data
 * folder. One valid file per program runs too and must listen, so the port check is not vacuous.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { loadDashboardConfig } from '../../dashboard/config/load.ts';
import { loadEdgeConfig } from '../../edge/config/load.ts';
import { loadHubConfig } from '../../hub/config/load.ts';
import { ConfigError } from '../../kernel/config.ts';
import { loadScenarioFile } from '../../firmware-sim/scenario/load.ts';
import { freePorts } from '../harness/ports.ts';
import { type CliRun, cleanEnv, pool, runCli } from './run-cli.ts';

type Program = 'edge' | 'hub' | 'sim' | 'dashboard';
type Doc = Record<string, unknown>;

interface Ctx {
  dir: string;
  port: number;
  dataDir: string;
  /** An existing password file. */
  password: string;
}

interface Row {
  program: Program;
  name: string;
  /** The config text, from the program's valid base (as an object) or raw. */
  config: (base: Doc, ctx: Ctx) => Doc | string;
  /** Key path that must be named ('' = the file as a whole). */
  path: string;
  /** What a person is told. */
  reason: RegExp;
  env?: Record<string, string>;
  /** Also run as a real process. */
  spawn?: boolean;
  /** Only detectable when the program starts (not by the loader alone). */
  runtimeOnly?: boolean;
  ext?: 'yaml' | 'json';
}

const set = (doc: Doc, path: string, value: unknown): Doc => {
  const out = structuredClone(doc);
  const keys = path.split('.');
  let node = out as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return out;
};

const BASE: Record<Program, (c: Ctx) => Doc> = {
  edge: (c) => ({
    siteId: 'plant-1',
    gateId: 'gate-a',
    dataDir: c.dataDir,
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'gate-a', passwordFile: c.password },
    thermometer: { protocol: 'modbus-ir', port: 'tcp://127.0.0.1:9' },
    terminal: { deviceId: 'term-a' },
    gpio: { backend: 'sim', simHost: '127.0.0.1', simPort: c.port },
    storage: { sink: { kind: 'none' } },
    logLevel: 'warn',
  }),
  hub: (c) => ({
    siteId: 'plant-1',
    mqtt: { host: '127.0.0.1', port: c.port },
    credentialsFile: join(c.dir, 'credentials.json'),
    persistenceDir: c.dataDir,
    logLevel: 'warn',
  }),
  sim: (c) => ({
    broker: { url: 'mqtt://127.0.0.1:9' },
    lanes: [
      {
        id: 'gate-1',
        thermometer: { endpoint: `tcp:127.0.0.1:${c.port}` },
        terminal: { deviceId: 'term-1' },
      },
    ],
    people: [{ employeeNo: 'E1', temperatureTenths: 366 }],
    arrivals: [{ atMs: 60_000, person: 'E1' }],
  }),
  dashboard: (c) => ({
    siteId: 'plant-1',
    http: { host: '127.0.0.1', port: c.port },
    dataDir: c.dataDir,
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dash', passwordFile: c.password },
    readings: { kind: 'sqlite', path: join(c.dir, 'site.sqlite') },
    logLevel: 'warn',
  }),
};

/** How each program is started on a config file. */
const COMMAND: Record<Program, (file: string) => { script: string; args: string[] }> = {
  edge: (f) => ({ script: 'edge/cli.ts', args: ['--config', f] }),
  hub: (f) => ({ script: 'site/cli.ts', args: ['--config', f] }),
  sim: (f) => ({
    script: 'firmware-sim/cli.ts',
    args: ['scenario', '--file', f, '--ready-timeout', '60000'],
  }),
  dashboard: (f) => ({ script: 'dashboard/cli.ts', args: ['--config', f] }),
};

const ROWS: Row[] = [
  // ---- edge ------------------------------------------------------------------------------
  {
    program: 'edge',
    name: 'missing required key',
    config: (b) => set(b, 'siteId', undefined),
    path: 'siteId',
    reason: /expected string/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'wrong type',
    config: (b) => set(b, 'thermometer.slave', 'one'),
    path: 'thermometer.slave',
    reason: /expected number/,
  },
  {
    program: 'edge',
    name: 'misspelt key at the top',
    config: (b) => ({ ...b, thermomter: { port: '/dev/ttyUSB0' } }),
    path: '',
    reason: /Unrecognized key.*"thermomter"/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'misspelt key inside a section',
    config: (b) => set(b, 'policy.feverThresholdTenth', 380),
    path: 'policy',
    reason: /Unrecognized key.*"feverThresholdTenth"/,
  },
  {
    program: 'edge',
    name: 'unknown time zone',
    config: (b) => ({ ...b, timezone: 'Asia/Shanghi' }),
    path: 'timezone',
    reason: /not a known IANA time zone/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'port out of range',
    config: (b) => set(b, 'gpio.simPort', 70000),
    path: 'gpio.simPort',
    reason: /<=65535/,
  },
  {
    program: 'edge',
    name: 'password file missing',
    config: (b, c) => set(b, 'mqtt.passwordFile', join(c.dir, 'no-such-password')),
    path: 'mqtt.passwordFile',
    reason: /cannot read: ENOENT/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'password file is a folder',
    config: (b, c) => set(b, 'mqtt.passwordFile', c.dir),
    path: 'mqtt.passwordFile',
    reason: /cannot read: EISDIR/,
  },
  {
    program: 'edge',
    name: 'YAML syntax error',
    config: () => 'siteId: plant-1\nmqtt: { url: "mqtt://x\n  gateId: [\n',
    path: '',
    reason: /not valid YAML/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'JSON syntax error',
    config: () => '{"siteId": "plant-1",}',
    path: '',
    reason: /not valid JSON/,
    ext: 'json',
  },
  {
    program: 'edge',
    name: 'a key given twice',
    config: () => 'siteId: plant-1\nsiteId: plant-2\n',
    path: '',
    reason: /not valid YAML.*unique/i,
  },
  { program: 'edge', name: 'empty file', config: () => '', path: '', reason: /expected a mapping of keys/ },
  // ---- edge: an ISAPI terminal (devices.md §5) --------------------------------------------
  {
    program: 'edge',
    name: 'unknown terminal protocol',
    config: (b) => set(b, 'terminal.protocol', 'hik-sdk'),
    path: 'terminal.protocol',
    reason: /face-mqtt.*hik-isapi|hik-isapi.*face-mqtt/,
  },
  {
    program: 'edge',
    name: 'ISAPI terminal without its address',
    config: (b, c) => ({
      ...b,
      terminal: { protocol: 'hik-isapi', deviceId: 'term-a', passwordFile: c.password },
    }),
    path: 'terminal.address',
    reason: /http:\/\/host/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'ISAPI terminal password file missing',
    config: (b, c) => ({
      ...b,
      terminal: {
        protocol: 'hik-isapi',
        deviceId: 'term-a',
        address: 'http://127.0.0.1:9',
        passwordFile: join(c.dir, 'no-such-terminal-password'),
      },
    }),
    path: 'terminal.passwordFile',
    reason: /cannot read: ENOENT/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'ISAPI terminal named by host name with no allowFrom',
    config: (b, c) => ({
      ...b,
      terminal: {
        protocol: 'hik-isapi',
        deviceId: 'term-a',
        address: 'http://gate-1-terminal',
        passwordFile: c.password,
      },
    }),
    path: 'terminal.allowFrom',
    reason: /list its IP address/,
  },
  {
    program: 'edge',
    name: 'verdict deadline past the ISAPI terminal timeout',
    config: (b, c) => ({
      ...set(b, 'policy.verdictDeadlineMs', 5000),
      terminal: {
        protocol: 'hik-isapi',
        deviceId: 'term-a',
        address: 'http://127.0.0.1:9',
        passwordFile: c.password,
      },
    }),
    path: 'policy.verdictDeadlineMs',
    reason: /must not exceed terminal.remoteCheckTimeoutMs/,
  },
  {
    program: 'edge',
    name: 'mode misspelt in an ISAPI terminal',
    config: (b, c) => ({
      ...b,
      terminal: {
        protocol: 'hik-isapi',
        deviceId: 'term-a',
        address: 'http://127.0.0.1:9',
        passwordFile: c.password,
        mode: 'poll',
      },
    }),
    path: 'terminal.mode',
    reason: /push.*pull/,
  },
  {
    program: 'edge',
    name: 'threshold as a float (°C, not tenths)',
    config: (b) => set(b, 'policy.feverThresholdTenths', 37.3),
    path: 'policy.feverThresholdTenths',
    reason: /integer.*e\.g\. 373/,
    spawn: true,
  },
  {
    program: 'edge',
    name: 'threshold in whole degrees',
    config: (b) => set(b, 'policy.feverThresholdTenths', 37),
    path: 'policy.feverThresholdTenths',
    reason: />=350/,
  },
  {
    program: 'edge',
    name: 'plausible range around the threshold inverted',
    config: (b) => set(b, 'policy.plausibleMaxTenths', 360),
    path: 'policy.feverThresholdTenths',
    reason: /plausibleMinTenths < feverThresholdTenths <= plausibleMaxTenths/,
  },
  {
    program: 'edge',
    name: 'id that would break MQTT topics',
    config: (b) => ({ ...b, gateId: 'gate/#' }),
    path: 'gateId',
    reason: /MQTT topics/,
  },
  {
    program: 'edge',
    name: 'two outputs on one GPIO line',
    config: (b) =>
      set(b, 'gpio.lines', { release: 17, green: 17, red: 22, buzzer: 23, passage: 24, fireAlarm: 25 }),
    path: 'gpio.lines.green',
    reason: /same line as release/,
  },
  {
    program: 'edge',
    name: 'broker URL with a web scheme',
    config: (b) => set(b, 'mqtt.url', 'http://127.0.0.1:1883'),
    path: 'mqtt.url',
    reason: /protocol|Invalid URL/i,
  },
  {
    program: 'edge',
    name: 'InfluxDB sink without a url',
    config: (b) => set(b, 'storage.sink', { kind: 'influx' }),
    path: 'storage.sink.url',
    reason: /expected string|Invalid/,
  },
  {
    program: 'edge',
    name: 'no port for the thermometer',
    config: (b) => set(b, 'thermometer.port', undefined),
    path: 'thermometer.port',
    reason: /a port is required/,
  },
  {
    program: 'edge',
    name: 'override from the environment of the wrong type',
    config: (b) => b,
    env: { TG_EDGE__THERMOMETER__SLAVE: 'abc' },
    path: 'thermometer.slave',
    reason: /expected number/,
    spawn: true,
  },

  // ---- hub -------------------------------------------------------------------------------
  {
    program: 'hub',
    name: 'missing required key',
    config: (b) => set(b, 'credentialsFile', undefined),
    path: 'credentialsFile',
    reason: /expected string/,
    spawn: true,
  },
  {
    program: 'hub',
    name: 'port out of range',
    config: (b) => set(b, 'mqtt.port', 70000),
    path: 'mqtt.port',
    reason: /<=65535/,
    spawn: true,
  },
  {
    program: 'hub',
    name: 'port as text',
    config: (b) => set(b, 'mqtt.port', 'eighteen83'),
    path: 'mqtt.port',
    reason: /expected number/,
  },
  {
    program: 'hub',
    name: 'misspelt key at the top',
    config: (b) => ({ ...b, persistanceDir: '/tmp' }),
    path: '',
    reason: /Unrecognized key.*"persistanceDir"/,
    spawn: true,
  },
  {
    program: 'hub',
    name: 'misspelt key inside a section',
    config: (b) => set(b, 'limits.maxPayloadByte', 1024),
    path: 'limits',
    reason: /Unrecognized key.*"maxPayloadByte"/,
  },
  {
    program: 'hub',
    name: 'unknown time zone',
    config: (b) => ({ ...b, timezone: 'Mars/Olympus' }),
    path: 'timezone',
    reason: /not a known IANA time zone/,
  },
  {
    program: 'hub',
    name: 'YAML syntax error',
    config: () => 'siteId: [plant-1\n',
    path: '',
    reason: /not valid YAML/,
    spawn: true,
  },
  {
    program: 'hub',
    name: 'burst as a float',
    config: (b) => set(b, 'limits.publishBurst', 1.5),
    path: 'limits.publishBurst',
    reason: /integer|int/,
  },
  {
    program: 'hub',
    name: 'TLS only but no TLS listener',
    config: (b) => set(b, 'mqtt.plaintext', false),
    path: 'mqtt.tls',
    reason: /tls listener is required/,
  },
  {
    program: 'hub',
    name: 'credentials file missing',
    config: (b, c) => set(b, 'credentialsFile', join(c.dir, 'nope.json')),
    path: '',
    reason: /nope\.json: no such file \(create it with `device add`\)/,
    spawn: true,
    runtimeOnly: true,
  },
  {
    program: 'hub',
    name: 'credentials file with a device twice',
    config: (b, c) => set(b, 'credentialsFile', join(c.dir, 'dup-credentials.json')),
    path: 'devices.1.id',
    reason: /duplicate device id term-1/,
    spawn: true,
    runtimeOnly: true,
  },

  // ---- simulator scenario files ------------------------------------------------------------
  {
    program: 'sim',
    name: 'duplicate lane ids',
    config: (b) => ({
      ...b,
      lanes: [...(b.lanes as Doc[]), { ...(b.lanes as Doc[])[0], terminal: { deviceId: 'term-2' } }],
    }),
    path: 'lanes.1.id',
    reason: /duplicate lane id gate-1/,
    spawn: true,
  },
  {
    program: 'sim',
    name: 'arrival of nobody',
    config: (b) => ({ ...b, arrivals: [{ atMs: 0, person: 'E404' }] }),
    path: 'arrivals.0.person',
    reason: /no person E404/,
    spawn: true,
  },
  {
    program: 'sim',
    name: 'temperature as a float (°C, not tenths)',
    config: (b) => ({ ...b, people: [{ employeeNo: 'E1', temperatureTenths: 36.6 }] }),
    path: 'people.0.temperatureTenths',
    reason: /int/,
  },
  {
    program: 'sim',
    name: 'bad endpoint',
    config: (b) =>
      set(b, 'lanes', [
        { id: 'gate-1', thermometer: { endpoint: 'tcp:nowhere' }, terminal: { deviceId: 'term-1' } },
      ]),
    path: 'lanes.0.thermometer.endpoint',
    reason: /tty path, serial:PATH or tcp:HOST:PORT/,
  },
  {
    program: 'sim',
    name: 'unknown fault kind',
    config: (b) =>
      set(b, 'lanes', [
        {
          id: 'gate-1',
          thermometer: { endpoint: 'tcp:127.0.0.1:1' },
          terminal: { deviceId: 'term-1' },
          faults: [{ kind: 'meltdown', atMs: 0 }],
        },
      ]),
    path: 'lanes.0.faults.0.kind',
    reason: /Expected 'sensor-fault'/,
  },
  {
    program: 'sim',
    name: 'YAML syntax error',
    config: () => 'lanes: [\n',
    path: '',
    reason: /YAML|yaml/,
    spawn: true,
  },

  // ---- dashboard -----------------------------------------------------------------------------
  {
    program: 'dashboard',
    name: 'missing required key',
    config: (b) => set(b, 'mqtt.username', undefined),
    path: 'mqtt.username',
    reason: /expected string/,
    spawn: true,
  },
  {
    program: 'dashboard',
    name: 'port out of range',
    config: (b) => set(b, 'http.port', 80_800),
    path: 'http.port',
    reason: /<=65535/,
    spawn: true,
  },
  {
    program: 'dashboard',
    name: 'misspelt key',
    config: (b) => ({ ...b, sitename: 'Plant 1' }),
    path: '',
    reason: /Unrecognized key.*"sitename"/,
    spawn: true,
  },
  {
    program: 'dashboard',
    name: 'unknown time zone',
    config: (b) => ({ ...b, timezone: 'Europe/Berln' }),
    path: 'timezone',
    reason: /not a known IANA time zone/,
  },
  {
    program: 'dashboard',
    name: 'password file missing',
    config: (b, c) => set(b, 'mqtt.passwordFile', join(c.dir, 'no-such-password')),
    path: 'mqtt.passwordFile',
    reason: /cannot read: ENOENT/,
    spawn: true,
  },
  {
    program: 'dashboard',
    name: 'duplicate room ids',
    config: (b) => ({
      ...b,
      rooms: [
        { id: 'r1', name: 'A' },
        { id: 'r1', name: 'B' },
      ],
    }),
    path: 'rooms.1.id',
    reason: /duplicate room id/,
  },
  {
    program: 'dashboard',
    name: 'room for two not marked shared',
    config: (b) => ({ ...b, rooms: [{ id: 'r1', name: 'A', capacity: 2 }] }),
    path: 'rooms.0.capacity',
    reason: /shared: true/,
  },
  {
    program: 'dashboard',
    name: 'report time that does not exist',
    config: (b) => set(b, 'reports.dailyAt', '25:00'),
    path: 'reports.dailyAt',
    reason: /HH:MM/,
  },
  {
    program: 'dashboard',
    name: 'YAML syntax error',
    config: () => 'siteId: "plant-1\n',
    path: '',
    reason: /not valid YAML/,
  },
];

let root: string;
const ctxOf = new Map<Row, Ctx & { file: string }>();
/** Ports of the valid control runs, from the same allocation as the rows' so none is shared. */
let controlPorts: number[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tg-bad-config-'));
  const ports = await freePorts(ROWS.length + 4);
  ROWS.forEach((row, i) => {
    ctxOf.set(row, makeCtx(row, ports[i] as number, `row-${i}`));
  });
  controlPorts = ports.slice(ROWS.length);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function makeCtx(row: Row, port: number, name: string): Ctx & { file: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  const password = join(dir, 'password');
  writeFileSync(password, 's3cret\n');
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, devices: [] }));
  const secret = { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 'c2FsdA==', hash: 'aGFzaA==' };
  const term = { id: 'term-1', role: 'terminal', secret, createdAt: 1 };
  writeFileSync(join(dir, 'dup-credentials.json'), JSON.stringify({ v: 1, devices: [term, term] }));
  const ctx: Ctx = { dir, port, dataDir: join(dir, 'data'), password };
  const doc = row.config(BASE[row.program](ctx), ctx);
  const file = join(dir, `config.${row.ext ?? 'yaml'}`);
  writeFileSync(file, typeof doc === 'string' ? doc : row.ext === 'json' ? JSON.stringify(doc) : toYaml(doc));
  return { ...ctx, file };
}

/** The loader's verdict as the lines a person reads: `path: reason`. */
async function loaderText(row: Row, file: string): Promise<string | undefined> {
  const env = cleanEnv(row.env);
  try {
    if (row.program === 'edge') loadEdgeConfig(file, env);
    else if (row.program === 'hub') loadHubConfig(file, env);
    else if (row.program === 'dashboard') loadDashboardConfig(file, env);
    else await loadScenarioFile(file);
  } catch (e) {
    // Every program's loader reports the kernel's ConfigError: one shape, { path, message }.
    if (e instanceof ConfigError && e.issues.length)
      return e.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    return (e as Error).message;
  }
  return undefined;
}

const names = (text: string, row: Row) => (row.path === '' ? true : text.includes(`${row.path}: `));

describe.each(['edge', 'hub', 'sim', 'dashboard'] as const)('%s: broken configurations', (program) => {
  const rows = ROWS.filter((r) => r.program === program);

  it.each(rows.filter((r) => !r.runtimeOnly).map((r) => [r.name, r] as const))(
    'loader refuses: %s',
    async (_n, row) => {
      const text = await loaderText(row, (ctxOf.get(row) as { file: string }).file);
      expect(text, 'accepted a broken configuration').toBeDefined();
      expect(names(text as string, row), `names ${row.path}:\n${text}`).toBe(true);
      expect(text).toMatch(row.reason);
    },
  );
});

describe('as real processes: exit 2, the key and the reason on stderr, nothing half-started', () => {
  const spawned = ROWS.filter((r) => r.spawn);
  const runs = new Map<Row, CliRun>();
  const controls = new Map<Program, CliRun>();

  beforeAll(async () => {
    const programs: Program[] = ['edge', 'hub', 'sim', 'dashboard'];
    // A second freePorts() call could hand out a row's port again: a valid control program then
    // listens on the port a refused row is probed on, and that row seems half-started.
    const ports = controlPorts;
    const tasks: Array<() => Promise<void>> = [
      ...spawned.map((row) => async () => {
        const c = ctxOf.get(row) as Ctx & { file: string };
        runs.set(
          row,
          await runCli({
            ...COMMAND[row.program](c.file),
            port: c.port,
            dataDir: c.dataDir,
            env: cleanEnv(row.env),
          }),
        );
      }),
      ...programs.map((program, i) => async () => {
        const control: Row = { program, name: 'valid', config: (b) => b, path: '', reason: /$/ };
        const c = makeCtx(control, ports[i] as number, `control-${program}`);
        controls.set(
          program,
          await runCli({
            ...COMMAND[program](c.file),
            port: c.port,
            dataDir: c.dataDir,
            // Started means: it answers on its port and (but the simulator) wrote its data folder.
            stopWhen: () => program === 'sim' || (existsSync(c.dataDir) && readdirSync(c.dataDir).length > 0),
            timeoutMs: 40_000,
          }),
        );
      }),
    ];
    await pool(2, tasks);
  }, 120_000);

  it.each(spawned.map((r) => [`${r.program}: ${r.name}`, r] as const))('%s', (_n, row) => {
    const run = runs.get(row) as CliRun;
    const why = `stderr:\n${run.stderr}`;
    expect(run.code, why).toBe(2);
    expect(names(run.stderr, row), why).toBe(true);
    expect(run.stderr, why).toMatch(row.reason);
    expect(run.stderr).toMatch(/TG_[A-Z_]+/);
    expect(run.listened, 'something accepted connections on the configured port').toBe(false);
    expect(run.dataFiles, 'files created in the data folder').toEqual([]);
  });

  it('a valid file of each program does start, listen and write its data folder (the checks above can fail)', () => {
    for (const [program, run] of controls) {
      const why = `${program}: exit ${run.code ?? run.signal}, stderr:\n${run.stderr}`;
      expect(run.listened, `never listened: ${why}`).toBe(true);
      // Stopped by us while running: it did not exit by itself (a port taken by something else).
      expect(run.stopped, `not running when stopped: ${why}`).toBe(true);
      expect(run.code === 0 || run.signal === 'SIGTERM', `did not stop cleanly: ${why}`).toBe(true);
      if (program !== 'sim') expect(run.dataFiles.length, `wrote nothing: ${why}`).toBeGreaterThan(0);
    }
  });
});
