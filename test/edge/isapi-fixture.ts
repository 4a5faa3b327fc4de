/**
 * A one-gate site whose face terminal speaks ISAPI (devices.md §5): an embedded aedes broker, the
 * edge daemon started from a real config with `terminal.protocol: hik-isapi`, the simulator's
 * ISAPI terminal on real HTTP sockets (its own web server with Digest; pushes to the edge's
 * listener, or the edge pulls its alert stream) and a Modbus thermometer over TCP. An observer
 * records what the gate tells the site, and the terminal's status topic.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import { type RunningEdge, startEdge } from '../../edge/daemon.ts';
import type { HikIsapiDriver } from '../../edge/terminal/hik-isapi/driver.ts';
import { IsapiTerminal, type IsapiTerminalOptions } from '../../firmware-sim/isapi/terminal.ts';
import { ThermometerSim } from '../../firmware-sim/thermometer-sim.ts';
import type { DecisionMessage } from '../../protocols/gate/messages.ts';
import { freePorts } from '../harness/ports.ts';
import { waitFor } from '../harness/wait.ts';
import { PEOPLE, startBroker } from './site-fixture.ts';

export const TERMINAL_PASSWORD = 'Terminal-Pw-1';

export interface IsapiSite {
  edge: RunningEdge;
  driver: HikIsapiDriver;
  terminal: IsapiTerminal;
  thermometer: ThermometerSim;
  listenUrl: string;
  decisions: DecisionMessage[];
  messages: { topic: string; payload: string }[];
  decisionsFor(serialNo: number): DecisionMessage[];
  decisionFor(serialNo: number, timeoutMs?: number): Promise<DecisionMessage>;
  /** Publishes on the site broker as the hub would (QoS 1). */
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export async function startIsapiSite(
  o: {
    mode?: 'push' | 'pull';
    terminal?: Partial<IsapiTerminalOptions>;
    terminalHost?: string;
    /** More keys of the gate's `terminal` section (e.g. personSync). */
    edgeTerminal?: Record<string, unknown>;
  } = {},
): Promise<IsapiSite> {
  const mode = o.mode ?? 'push';
  const dir = mkdtempSync(join(tmpdir(), 'tg-isapi-site-'));
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
  const thermometer = new ThermometerSim({
    protocol: 'modbus-ir',
    endpoint: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    settleMs: 50,
  });
  await thermometer.start();
  const thermoPort = thermometer.tcpAddress()?.port as number;
  const [listenPort] = await freePorts(1);
  const listenUrl = `http://127.0.0.1:${listenPort}/isapi/event`;
  const terminalHost = o.terminalHost ?? '127.0.0.1';
  const terminal = new IsapiTerminal({
    deviceId: 'T1',
    host: terminalHost,
    password: TERMINAL_PASSWORD,
    resendMs: 500,
    ...(mode === 'push' ? { pushUrl: listenUrl } : {}),
    ...o.terminal,
  });
  await terminal.start();
  const cfg = parseEdgeConfig({
    siteId: 'test-site',
    gateId: 'gate-a',
    dataDir: join(dir, 'edge'),
    mqtt: { url, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    thermometer: { protocol: 'modbus-ir', port: `tcp://127.0.0.1:${thermoPort}`, pollIntervalMs: 50 },
    terminal: {
      protocol: 'hik-isapi',
      deviceId: 'T1',
      address: terminal.address,
      username: 'admin',
      password: TERMINAL_PASSWORD,
      mode,
      listen: { host: '127.0.0.1', port: listenPort as number, path: '/isapi/event' },
      maxBodyBytes: 256 * 1024,
      healthIntervalMs: 1000,
      reconnectMinMs: 100,
      reconnectMaxMs: 500,
      ...o.edgeTerminal,
    },
    gpio: { backend: 'sim', simPort: 0 },
    turnstile: { drive: 'both', openMs: 500 },
    policy: { pairingWindowMs: 1500, waitForMeasurementMs: 1200 },
    accessListFile,
    storage: { sink: { kind: 'sqlite', path: join(dir, 'site.sqlite') } },
    heartbeatIntervalMs: 1000,
    logLevel: 'warn',
  });
  const edge = await startEdge(cfg);
  const driver = edge.terminal as HikIsapiDriver;

  const decisions: DecisionMessage[] = [];
  const messages: { topic: string; payload: string }[] = [];
  const observer: MqttClient = mqtt.connect(url, { clientId: 'observer' });
  await new Promise<void>((r) => observer.once('connect', () => r()));
  await observer.subscribeAsync(['tg/test-site/gate/+/+', 'face/+/status'], { qos: 1 });
  observer.on('message', (topic, payload) => {
    messages.push({ topic, payload: payload.toString() });
    if (topic.endsWith('/decision')) decisions.push(JSON.parse(payload.toString()) as DecisionMessage);
  });
  await waitFor(() => edge.link.connected, { what: 'edge connected to the broker' });
  await waitFor(() => edge.thermometer?.state === 'online', { what: 'thermometer online', timeoutMs: 5000 });
  await waitFor(() => driver.online === true, { what: 'ISAPI terminal online (deviceInfo answered)' });
  if (mode === 'pull') await waitFor(() => terminal.streamCount > 0, { what: 'alert stream open' });

  const decisionsFor = (serialNo: number) => decisions.filter((d) => d.reading.terminalSerialNo === serialNo);
  return {
    edge,
    driver,
    terminal,
    thermometer,
    listenUrl,
    decisions,
    messages,
    decisionsFor,
    decisionFor: (serialNo, timeoutMs = 5000) =>
      waitFor(() => decisionsFor(serialNo)[0], { what: `decision for serialNo ${serialNo}`, timeoutMs }),
    async publish(topic, payload) {
      await observer.publishAsync(topic, payload, { qos: 1 });
    },
    async close() {
      observer.end(true);
      await terminal.stop();
      await edge.stop();
      await thermometer.stop();
      await broker.close();
    },
  };
}
