/**
 * A whole small site for the browser tests, every part real: the hub (broker with credentials,
 * ACLs, fleet, access list), two gates (gate-a: the edge daemon reading a simulated Modbus
 * thermometer over a socat pty, with its face terminal and gate I/O peer; gate-b: the terminal's
 * own thermometer), readings in the embedded SQLite store, and the dashboard server in front.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseEdgeConfig } from '../../../edge/config/load.ts';
import { type RunningEdge, startEdge } from '../../../edge/daemon.ts';
import { FaceTerminal } from '../../../firmware-sim/face/terminal.ts';
import { GpioPeer } from '../../../firmware-sim/gpio/peer.ts';
import { ThermometerSim } from '../../../firmware-sim/thermometer-sim.ts';
import { createPtyPair, type PtyPair } from '../../harness/pty.ts';
import { waitFor } from '../../harness/wait.ts';
import {
  SITE,
  silent,
  startGate,
  startTestHub,
  type TestGate,
  type TestHub,
  tempDir,
} from '../../hub/fixture.ts';

export { SITE };

export const PEOPLE = [
  { employeeNo: 'E1', name: '张伟', department: '质检部' },
  { employeeNo: 'E2', name: '李娜', department: '质检部' },
  { employeeNo: 'E3', name: 'Anna Schmidt', department: 'Engineering' },
  { employeeNo: 'E4', name: '刘洋', department: '仓储部' },
];

export const ACCESS_CSV = `employeeNo,name,department,kind,validFrom,validUntil\n${PEOPLE.map(
  (p) => `${p.employeeNo},${p.name},${p.department},employee,,`,
).join('\n')}\n`;

export interface GateA {
  edge: RunningEdge;
  thermometer: ThermometerSim;
  terminal: FaceTerminal;
  gpio: GpioPeer;
  pty: PtyPair;
}

export interface SiteParts {
  dir: string;
  hub: TestHub;
  gateA: GateA;
  gateB: TestGate;
  /** The SQLite file the edges write and the dashboard reads. */
  readingsPath: string;
  close(): Promise<void>;
}

/** Starts the hub and both gates; the dashboard is started by the caller (it may restart it). */
export async function startSiteParts(): Promise<SiteParts> {
  const dir = tempDir('tg-web-');
  mkdirSync(dir, { recursive: true });
  const readingsPath = join(dir, 'site.sqlite');
  const hub = await startTestHub({ logLevel: 'silent' }, { dir });
  await hub.hub.accessList.importCsv(ACCESS_CSV);
  // Every day a working day: the pages' expectations (everybody expected, missing checks) must
  // not depend on the weekday the tests run on (a Sunday made nobody expected).
  const policy = hub.hub.policy.current();
  const set = await hub.hub.policy.set({
    baseVersion: policy.version,
    rules: policy.rules,
    calendar: { ...policy.calendar, workingDays: [1, 2, 3, 4, 5, 6, 7], holidays: [] },
    by: '测试',
  });
  if (!set.ok) throw new Error(`policy not set: ${set.code}`);
  const storage = { sink: { kind: 'sqlite' as const, path: readingsPath } };

  const pty = await createPtyPair();
  const thermometer = new ThermometerSim({
    protocol: 'modbus-ir',
    endpoint: { kind: 'serial', path: pty.a },
    settleMs: 50,
  });
  await thermometer.start();
  const edge = await startEdge(
    parseEdgeConfig({
      siteId: SITE,
      gateId: 'gate-a',
      dataDir: join(dir, 'edge-gate-a'),
      mqtt: {
        url: hub.url,
        username: 'gate-a',
        password: hub.passwords['gate-a'],
        reconnectMinMs: 100,
        reconnectMaxMs: 1000,
      },
      thermometer: { protocol: 'modbus-ir', port: pty.b, pollIntervalMs: 50 },
      terminal: { deviceId: 'T1' },
      gpio: { backend: 'sim', simPort: 0 },
      turnstile: { drive: 'gpio', openMs: 500 },
      policy: { pairingWindowMs: 1500, waitForMeasurementMs: 1200 },
      storage,
      heartbeatIntervalMs: 1000,
      logLevel: 'silent',
    }),
  );
  const gpio = new GpioPeer({ port: edge.gpioSimPort as number });
  await gpio.start();
  await gpio.waitConnected();
  const terminal = new FaceTerminal({
    brokerUrl: hub.url,
    deviceId: 'T1',
    username: 'T1',
    password: hub.passwords.T1,
    reconnectPeriodMs: 200,
    logger: silent,
  });
  await terminal.start();
  await terminal.waitOnline(5000);
  await waitFor(() => edge.thermometer?.state === 'online', {
    what: 'gate-a thermometer online',
    timeoutMs: 5000,
  });

  const gateB = await startGate(hub, 'gate-b', 'T2', dir, { storage });

  return {
    dir,
    hub,
    gateA: { edge, thermometer, terminal, gpio, pty },
    gateB,
    readingsPath,
    async close() {
      await gateB.stop().catch(() => {});
      await terminal.stop().catch(() => {});
      await gpio.stop().catch(() => {});
      await edge.stop().catch(() => {});
      await thermometer.stop().catch(() => {});
      await pty.close().catch(() => {});
      await hub.close().catch(() => {});
    },
  };
}

/** A person at gate-a: measured by the Modbus thermometer, then recognised by the terminal. */
export async function passGateA(g: GateA, person: { employeeNo: string; name: string }, tenths: number) {
  await g.thermometer.measure(tenths);
  // Let the edge's poll pick the measurement up before the face event, as at a real gate.
  await new Promise((r) => setTimeout(r, 150));
  const result = await g.terminal.present({ ...person, mask: 'yes' });
  g.thermometer.leave();
  return result;
}
