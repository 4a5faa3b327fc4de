/**
 * A one-gate site for integration tests: an embedded aedes broker, the edge daemon started from a
 * real config, and the simulator's devices on the other side of real wires (a socat pty for the
 * thermometer, MQTT for the terminal, TCP for the simulated gate I/O). An observer client records
 * what the gate tells the site.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import type { EdgeConfigInput } from '../../edge/config/schema.ts';
import { type RunningEdge, startEdge } from '../../edge/daemon.ts';
import { FaceTerminal } from '../../firmware-sim/face/terminal.ts';
import { GpioPeer } from '../../firmware-sim/gpio/peer.ts';
import { ThermometerSim } from '../../firmware-sim/thermometer-sim.ts';
import type { DecisionMessage } from '../../protocols/gate/messages.ts';
import { createPtyPair, type PtyPair } from '../harness/pty.ts';
import { waitFor } from '../harness/wait.ts';

export const PEOPLE = [
  { employeeNo: 'E1', name: '张伟' },
  { employeeNo: 'E2', name: '李娜' },
  { employeeNo: 'E3', name: 'Wang Fang' },
  { employeeNo: 'E4', name: '刘洋' },
];

export interface Site {
  edge: RunningEdge;
  thermometer: ThermometerSim;
  terminal: FaceTerminal;
  gpio: GpioPeer;
  pty: PtyPair;
  decisions: DecisionMessage[];
  messages: { topic: string; payload: string }[];
  /** Waits for the decision on a terminal serial number. */
  decisionFor(serialNo: number, timeoutMs?: number): Promise<DecisionMessage>;
  close(): Promise<void>;
}

/**
 * The simulated thermometer measures someone and the edge's poll has read it (a measurement, or
 * for a sensor reporting a fault, the driver's state changing because of it): the face comes after
 * that, as at a real gate. A fixed 150 ms pause stood here and raced on a busy machine.
 */
export async function measuredByEdge(edge: RunningEdge, sim: ThermometerSim, tenths: number) {
  const thermometer = edge.thermometer;
  if (!thermometer) throw new Error('the edge has no thermometer');
  const offs: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const read = new Promise<void>((resolve, reject) => {
    offs.push(thermometer.on('measurement', () => resolve()));
    offs.push(thermometer.on('state', () => resolve()));
    timer = setTimeout(
      () => reject(new Error('timed out after 5000 ms waiting for the edge to read the measurement')),
      5000,
    );
  });
  try {
    const m = await sim.measure(tenths);
    await read;
    return m;
  } finally {
    clearTimeout(timer);
    for (const off of offs) off();
  }
}

export async function startBroker(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        broker.close(() => server.close(() => r()));
      }),
  };
}

export async function startSite(patch: Partial<EdgeConfigInput> = {}): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-site-'));
  const broker = await startBroker();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const accessListFile = join(dir, 'access-list.json');
  writeFileSync(
    accessListFile,
    JSON.stringify({
      v: 1,
      version: 1,
      issuedAt: 0,
      entries: PEOPLE.map((p) => ({ ...p, department: 'QA' })),
    }),
  );
  const pty = await createPtyPair();
  const thermometer = new ThermometerSim({
    protocol: 'modbus-ir',
    endpoint: { kind: 'serial', path: pty.a },
    settleMs: 50,
  });
  await thermometer.start();
  const cfg = parseEdgeConfig({
    siteId: 'test-site',
    gateId: 'gate-a',
    dataDir: join(dir, 'edge'),
    mqtt: { url, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    thermometer: { protocol: 'modbus-ir', port: pty.b, pollIntervalMs: 50 },
    terminal: { deviceId: 'T1' },
    gpio: { backend: 'sim', simPort: 0 },
    // Short lamps: each passage waits for the previous one's lamps to go out (see chain.test.ts).
    turnstile: { drive: 'gpio', openMs: 500, lampMs: 200 },
    policy: { pairingWindowMs: 1500, waitForMeasurementMs: 1200 },
    accessListFile,
    storage: { sink: { kind: 'sqlite', path: join(dir, 'site.sqlite') } },
    heartbeatIntervalMs: 1000,
    logLevel: 'warn',
    ...patch,
  });
  const edge = await startEdge(cfg);
  const gpio = new GpioPeer({ port: edge.gpioSimPort as number });
  await gpio.start();
  await gpio.waitConnected();
  const terminal = new FaceTerminal({ brokerUrl: url, deviceId: 'T1', reconnectPeriodMs: 200 });
  await terminal.start();
  await terminal.waitOnline();

  const decisions: DecisionMessage[] = [];
  const messages: { topic: string; payload: string }[] = [];
  const observer: MqttClient = mqtt.connect(url, { clientId: 'observer' });
  await new Promise<void>((r) => observer.once('connect', () => r()));
  await observer.subscribeAsync('tg/test-site/gate/+/+', { qos: 1 });
  observer.on('message', (topic, payload) => {
    messages.push({ topic, payload: payload.toString() });
    if (topic.endsWith('/decision')) decisions.push(JSON.parse(payload.toString()) as DecisionMessage);
  });
  await waitFor(() => edge.link.connected, { what: 'edge connected to the broker' });
  await waitFor(() => edge.thermometer?.state === 'online', { what: 'thermometer online', timeoutMs: 5000 });

  return {
    edge,
    thermometer,
    terminal,
    gpio,
    pty,
    decisions,
    messages,
    decisionFor: (serialNo, timeoutMs = 5000) =>
      waitFor(() => decisions.find((d) => d.reading.terminalSerialNo === serialNo), {
        what: `decision for serialNo ${serialNo}`,
        timeoutMs,
      }),
    async close() {
      observer.end(true);
      await terminal.stop();
      await gpio.stop();
      await edge.stop();
      await thermometer.stop();
      await pty.close();
      await broker.close();
    },
  };
}
