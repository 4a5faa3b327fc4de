/**
 * The edge as gates run it: `npm run build:edge`'s bundle (deploy/build-edge.ts) in an install tree
 * without sources, started with the systemd unit's own ExecStart (paths moved to the temp tree) on
 * a real gate configuration: a Mosquitto broker, a Modbus thermometer simulator on a real pty (so
 * serialport's native binding loads from node_modules) and the outbox in better-sqlite3. It must
 * come up, decide a passage, stop cleanly, and keep the exit codes the unit relies on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { EDGE_NODE_FLAGS } from '../../deploy/build-edge.ts';
import { FaceTerminal } from '../../firmware-sim/face/terminal.ts';
import { IsapiTerminal } from '../../firmware-sim/isapi/terminal.ts';
import { ThermometerSim } from '../../firmware-sim/thermometer-sim.ts';
import type { DecisionMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';
import { cleanEnv } from '../config/run-cli.ts';
import { type Mosquitto, startMosquitto } from '../harness/mosquitto.ts';
import { freePorts } from '../harness/ports.ts';
import { awaitReady, removeOnExit, spawnTracked, type Tracked, tail } from '../harness/proc.ts';
import { createPtyPair, type PtyPair } from '../harness/pty.ts';
import { waitFor } from '../harness/wait.ts';
import { buildShippedEdge, type ShippedEdge } from './edge-bundle.ts';
import { DEPLOY, ROOT } from './paths.ts';

const UNIT = join(DEPLOY, 'systemd', 'thermogate-edge.service');
const SITE = 'plant-1';
const GATE = 'gate-a';

/** The unit's ExecStart as an argv for this machine: node, the install tree and the config moved. */
function execStart(installDir: string, config: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))?.[1] ?? '';
  return line
    .trim()
    .split(/\s+/)
    .map((a) =>
      a === '/usr/bin/node'
        ? process.execPath
        : a.replace('/opt/thermogate', installDir).replace('/etc/thermogate/gate.yaml', config),
    );
}

describe('the shipped edge bundle (dist/edge.mjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-edge-bundle-'));
  removeOnExit(dir);
  let shipped: ShippedEdge;
  let broker: Mosquitto;
  let pty: PtyPair;
  let thermometer: ThermometerSim;

  beforeAll(async () => {
    shipped = await buildShippedEdge();
    broker = await startMosquitto();
    pty = await createPtyPair();
    thermometer = new ThermometerSim({ protocol: 'modbus-ir', endpoint: { kind: 'serial', path: pty.a } });
    await thermometer.start();
  }, 60_000);

  afterAll(async () => {
    await thermometer?.stop();
    await pty?.close();
    await broker?.destroy();
  });

  it('the unit starts it: it comes up on the broker, decides a passage and stops cleanly', async () => {
    const dataDir = join(dir, 'data');
    const config = join(dir, 'gate.yaml');
    writeFileSync(
      config,
      toYaml({
        siteId: SITE,
        gateId: GATE,
        dataDir,
        mqtt: { url: broker.url },
        thermometer: { protocol: 'modbus-ir', port: pty.b },
        terminal: { deviceId: 'term-a' },
        gpio: { backend: 'sim', simHost: '127.0.0.1', simPort: 0 },
        // The terminal's own relay opens the turnstile: its verdict says so.
        turnstile: { drive: 'verdict' },
        policy: { accessListRequired: false },
        storage: { sink: { kind: 'none' } },
        heartbeatIntervalMs: 1000,
        logLevel: 'info',
      }),
    );
    const argv = execStart(shipped.installDir, config);
    expect(argv.slice(1)).toEqual([...EDGE_NODE_FLAGS, shipped.bundle, '--config', config]);

    const statuses: GateStatus[] = [];
    const heartbeats: Heartbeat[] = [];
    const decisions: DecisionMessage[] = [];
    const observer: MqttClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    observer.on('message', (topic, payload) => {
      const m = JSON.parse(payload.toString());
      if (topic.endsWith('/status')) statuses.push(m);
      else if (topic.endsWith('/heartbeat')) heartbeats.push(m);
      else if (topic.endsWith('/decision')) decisions.push(m);
    });
    await observer.subscribeAsync(`tg/${SITE}/gate/${GATE}/+`, { qos: 1 });
    const terminal = new FaceTerminal({ brokerUrl: broker.url, deviceId: 'term-a' });
    let edge: Tracked | undefined;
    try {
      edge = spawnTracked(argv[0] as string, argv.slice(1), { cwd: shipped.installDir, env: cleanEnv() });
      await awaitReady(edge, () => heartbeats.some((h) => h.thermometer === 'online'), {
        name: 'edge bundle',
        what: 'a heartbeat with the thermometer online',
        timeoutMs: 20_000,
        intervalMs: 100,
        config,
      });
      expect(statuses.at(-1)?.online).toBe(true);
      expect(edge.output()).toContain('"msg":"gate started"');

      await terminal.start();
      await terminal.waitOnline();
      await thermometer.measure(365, 50);
      const r = await terminal.present({ employeeNo: 'E1', name: '张伟', mask: 'yes' });
      expect(r.verdict?.open, tail(edge.output())).toBe(true);
      const d = await waitFor(() => decisions.find((x) => x.reading.terminalSerialNo === r.serialNo), {
        what: 'the decision on the broker',
      });
      expect(d.reading).toMatchObject({ decision: 'pass', temperatureTenths: 365, sensor: 'modbus-ir' });
      thermometer.leave();

      const exit = await edge.stop('SIGTERM', 15_000);
      expect(exit.code, tail(edge.output())).toBe(0);
      expect(statuses.at(-1)?.online).toBe(false);
      expect(existsSync(join(dataDir, 'outbox.sqlite'))).toBe(true);
    } finally {
      await terminal.stop();
      await edge?.stop('SIGKILL');
      await observer.endAsync(true);
    }
  }, 60_000);

  it('an ISAPI gate runs under --lite-mode: listener, Digest remoteCheck, deviceInfo and person sync over node:http', async () => {
    // No WebAssembly under --lite-mode, so no fetch/undici: this proves the edge's HTTP is node:http.
    // The person sync (UserInfo calls, visitors' periods in Shanghai time through Intl) runs too:
    // the terminal matches faces only against the persons the gate recorded on it.
    const dataDir = join(dir, 'isapi-data');
    const config = join(dir, 'isapi-gate.yaml');
    const passwordFile = join(dir, 'terminal.password');
    writeFileSync(passwordFile, 'Bundle-Terminal-1\n');
    const [listenPort] = await freePorts(1);
    const listenUrl = `http://127.0.0.1:${listenPort}/isapi/event`;
    const terminal = new IsapiTerminal({
      deviceId: 'term-i',
      password: 'Bundle-Terminal-1',
      pushUrl: listenUrl,
      enforcePersonList: true,
    });
    const accessListFile = join(dir, 'isapi-access-list.json');
    writeFileSync(
      accessListFile,
      JSON.stringify({
        v: 1,
        version: 1,
        issuedAt: 0,
        entries: [
          { employeeNo: 'E1', name: '张伟' },
          // 2026-12-06 08:00 to 18:00 in Shanghai.
          {
            employeeNo: 'V1',
            name: '访客王',
            kind: 'visitor',
            validFrom: Date.UTC(2026, 11, 6, 0),
            validUntil: Date.UTC(2026, 11, 6, 10),
          },
        ],
      }),
    );
    await terminal.start();
    writeFileSync(
      config,
      toYaml({
        siteId: SITE,
        gateId: 'gate-i',
        dataDir,
        mqtt: { url: broker.url },
        thermometer: { protocol: 'modbus-ir', port: pty.b },
        terminal: {
          protocol: 'hik-isapi',
          deviceId: 'term-i',
          address: terminal.address,
          passwordFile,
          listen: { host: '127.0.0.1', port: listenPort, path: '/isapi/event' },
          healthIntervalMs: 1000,
          personSync: { enabled: true },
        },
        accessListFile,
        gpio: { backend: 'sim', simHost: '127.0.0.1', simPort: 0 },
        turnstile: { drive: 'verdict' },
        policy: { accessListRequired: false },
        storage: { sink: { kind: 'none' } },
        heartbeatIntervalMs: 1000,
        logLevel: 'info',
      }),
    );
    const argv = execStart(shipped.installDir, config);
    const statuses: GateStatus[] = [];
    const heartbeats: Heartbeat[] = [];
    const decisions: DecisionMessage[] = [];
    const terminalStatus: string[] = [];
    const observer: MqttClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    observer.on('message', (topic, payload) => {
      if (topic === 'face/term-i/status') return void terminalStatus.push(payload.toString());
      const m = JSON.parse(payload.toString());
      if (topic.endsWith('/status')) statuses.push(m);
      else if (topic.endsWith('/heartbeat')) heartbeats.push(m);
      else if (topic.endsWith('/decision')) decisions.push(m);
    });
    await observer.subscribeAsync([`tg/${SITE}/gate/gate-i/+`, 'face/term-i/status'], { qos: 1 });
    let edge: Tracked | undefined;
    try {
      edge = spawnTracked(argv[0] as string, argv.slice(1), { cwd: shipped.installDir, env: cleanEnv() });
      await awaitReady(edge, () => statuses.some((s) => s.terminal?.model === 'DS-K1T671TM-3XF'), {
        name: 'ISAPI edge bundle',
        what: "a status with the terminal's deviceInfo",
        timeoutMs: 20_000,
        intervalMs: 100,
        config,
      });
      await waitFor(() => heartbeats.some((h) => h.thermometer === 'online'), { what: 'thermometer online' });
      expect(terminalStatus.at(-1)).toBe('online');
      await waitFor(() => statuses.some((s) => s.terminal?.personSync?.state === 'in-sync'), {
        what: 'person sync done',
      });
      expect(terminal.persons.get('E1')).toMatchObject({ name: '张伟', userType: 'normal' });
      expect(terminal.persons.get('V1')?.valid).toEqual({
        enable: true,
        beginTime: '2026-12-06T08:00:00',
        endTime: '2026-12-06T17:59:59',
      });
      await thermometer.measure(364, 50);
      const r = await terminal.present({ employeeNo: 'E1', name: '张伟', mask: 'yes' });
      expect(r.verdict, tail(edge.output())).toMatchObject({
        checkResult: 'success',
        info: '36.4°C 体温正常 请通行',
      });
      const d = await waitFor(() => decisions.find((x) => x.reading.terminalSerialNo === r.serialNo), {
        what: 'the decision on the broker',
      });
      expect(d.reading).toMatchObject({ decision: 'pass', temperatureTenths: 364, terminalId: 'term-i' });
      thermometer.leave();
      const exit = await edge.stop('SIGTERM', 15_000);
      expect(exit.code, tail(edge.output())).toBe(0);
    } finally {
      await terminal.stop();
      await edge?.stop('SIGKILL');
      await observer.endAsync(true);
    }
  }, 60_000);

  it('--help exits 0 with the shipped flags', () => {
    const out = execFileSync(process.execPath, [...EDGE_NODE_FLAGS, shipped.bundle, '--help'], {
      cwd: shipped.installDir,
      encoding: 'utf8',
    });
    expect(out).toContain('ThermoGate edge daemon');
  });

  it('an invalid configuration exits 2 (the unit does not restart on it) naming the key', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      toYaml({
        siteId: SITE,
        gateId: GATE,
        dataDir: join(dir, 'bad-data'),
        mqtt: { url: broker.url },
        thermometer: { protocol: 'modbus-ir', port: pty.b, slave: 300 },
        terminal: { deviceId: 'term-a' },
      }),
    );
    const r = spawnSync(process.execPath, [...EDGE_NODE_FLAGS, shipped.bundle, '--config', bad, '--check'], {
      cwd: shipped.installDir,
      encoding: 'utf8',
      env: cleanEnv(),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^TG_CONFIG_\w+: invalid configuration/m);
    expect(r.stderr).toContain('thermometer.slave');
  });

  it('the image builds the same bundle and the compose gates run it with the same flags', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN npm run build:edge$/m);
    expect(dockerfile).toMatch(/^COPY --from=[\w-]+ \/app\/dist \.\/dist$/m);
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[] }>;
    };
    const gates = Object.keys(compose.services).filter((s) => /^edge-\d+$/.test(s));
    expect(gates.length).toBeGreaterThan(0);
    for (const g of gates)
      expect(compose.services[g]?.command?.slice(0, 4), g).toEqual([
        'node',
        ...EDGE_NODE_FLAGS,
        'dist/edge.mjs',
      ]);
  });
});
