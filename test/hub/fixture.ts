/**
 * Helpers for hub tests: a credentials file with fast scrypt parameters, a hub started in-process on
 * a free port, MQTT clients that report how a connection ended, and a gate (the real edge daemon)
 * with its simulated face terminal.
 */
import type { Clock } from '../../kernel/clock.ts';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import type { EdgeConfigInput } from '../../edge/config/schema.ts';
import { type RunningEdge, startEdge } from '../../edge/daemon.ts';
import { FaceTerminal } from '../../firmware-sim/face/terminal.ts';
import { CredentialsStore, type NewDevice } from '../../hub/auth/credentials.ts';
import { parseHubConfig } from '../../hub/config/load.ts';
import type { HubConfigInput } from '../../hub/config/schema.ts';
import { createHub, type Hub } from '../../hub/hub.ts';
import { createLogger } from '../../hub/log.ts';

export const SITE = 'site-1';
/** What production gives generated device passwords (GENERATED_SCRYPT); chosen ones cost N=16384. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const silent = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export function tempDir(prefix = 'tg-hub-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A standard site: two gates with their terminals, a dashboard and a service account. */
export const DEVICES: NewDevice[] = [
  { id: 'gate-a', role: 'gate', site: SITE, gate: 'gate-a', terminal: 'T1' },
  { id: 'gate-b', role: 'gate', site: SITE, gate: 'gate-b', terminal: 'T2' },
  { id: 'T1', role: 'terminal' },
  { id: 'T2', role: 'terminal' },
  { id: 'dash', role: 'dashboard', site: SITE },
  { id: 'dash-ops', role: 'dashboard', site: SITE },
  { id: 'svc', role: 'service' },
];

export async function writeCredentials(
  file: string,
  devices: NewDevice[] = DEVICES,
): Promise<Record<string, string>> {
  const store = new CredentialsStore(file, FAST_SCRYPT).load({ allowMissing: true });
  const passwords: Record<string, string> = {};
  for (const d of devices) {
    passwords[d.id] = `pw-${d.id}-${Math.random().toString(36).slice(2)}`;
    await store.add(d, passwords[d.id] as string);
  }
  return passwords;
}

export interface TestHub {
  hub: Hub;
  url: string;
  dir: string;
  credentialsFile: string;
  passwords: Record<string, string>;
  /** Connection options for a device (username = id, its password, a client id it may use). */
  as(id: string, extra?: IClientOptions): IClientOptions;
  close(): Promise<void>;
}

export async function startTestHub(
  patch: Partial<HubConfigInput> = {},
  opts: { dir?: string; passwords?: Record<string, string>; clock?: Clock } = {},
): Promise<TestHub> {
  const dir = opts.dir ?? tempDir();
  mkdirSync(dir, { recursive: true });
  const credentialsFile = join(dir, 'credentials.json');
  const passwords = opts.passwords ?? (await writeCredentials(credentialsFile));
  const config = parseHubConfig({
    siteId: SITE,
    mqtt: { host: '127.0.0.1', port: 0 },
    credentialsFile,
    persistenceDir: join(dir, 'data'),
    fleet: { heartbeatTimeoutMs: 3000, publishIntervalMs: 100 },
    watchIntervalMs: 100,
    ...patch,
  });
  const hub = await createHub(config, { log: silent, clock: opts.clock });
  const { port } = await hub.listen();
  const url = `mqtt://127.0.0.1:${port}`;
  return {
    hub,
    url,
    dir,
    credentialsFile,
    passwords,
    as: (id, extra = {}) => ({
      username: id,
      password: passwords[id],
      clientId: id,
      reconnectPeriod: 0,
      connectTimeout: 3000,
      ...extra,
    }),
    close: () => hub.close(),
  };
}

/**
 * Connects; resolves with the client, or rejects with mqtt.js's error (err.code = CONNACK code).
 * `setup` runs before the connection is made: attach 'message' handlers there when a session's
 * queued messages are expected, since they can arrive in the same read as the CONNACK.
 */
export function connect(
  url: string,
  o: IClientOptions,
  setup?: (c: MqttClient) => void,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, ...o });
    setup?.(c);
    const onErr = (err: Error) => {
      c.end(true);
      reject(err);
    };
    c.once('error', onErr);
    c.once('close', () => onErr(new Error('closed before CONNACK')));
    c.once('connect', () => {
      c.removeAllListeners('error');
      c.removeAllListeners('close');
      c.on('error', () => {});
      resolve(c);
    });
  });
}

/** Resolves when the client's connection closes (the broker dropped it), or false after timeoutMs. */
export function closed(c: MqttClient, timeoutMs = 3000): Promise<boolean> {
  if (!c.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    c.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** SUBACK codes for each filter, in order (128 = refused); mqtt.js rejects when any is refused. */
export async function subscribeCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    const granted = await c.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
    return granted.map((g) => g.qos);
  } catch (e) {
    const packet = (e as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw e;
    return packet.granted;
  }
}

/** Collects messages of a subscription. */
export async function collector(c: MqttClient, filter: string, qos: 0 | 1 = 1) {
  const got: { topic: string; payload: string; at: number }[] = [];
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString(), at: Date.now() }));
  const granted = await c.subscribeAsync(filter, { qos });
  return { got, granted };
}

export interface TestGate {
  edge: RunningEdge;
  terminal: FaceTerminal;
  stop(): Promise<void>;
}

/**
 * One gate: the real edge daemon (no thermometer: the terminal's built-in one measures) and its
 * simulated face terminal, both logging in with their own credentials.
 */
export async function startGate(
  t: { url: string; passwords: Record<string, string> },
  gateId: string,
  terminalId: string,
  dir: string,
  patch: Partial<EdgeConfigInput> = {},
  terminalOpts: Partial<ConstructorParameters<typeof FaceTerminal>[0]> = {},
): Promise<TestGate> {
  const cfg = parseEdgeConfig({
    siteId: SITE,
    gateId,
    dataDir: join(dir, `edge-${gateId}`),
    mqtt: {
      url: t.url,
      username: gateId,
      password: t.passwords[gateId],
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
    },
    thermometer: { protocol: 'none' },
    terminal: { deviceId: terminalId, temperatureSource: 'terminal' },
    gpio: { backend: 'sim', simPort: 0 },
    turnstile: { drive: 'verdict', openMs: 500 },
    heartbeatIntervalMs: 1000,
    logLevel: 'silent',
    ...patch,
  });
  const edge = await startEdge(cfg);
  const terminal = new FaceTerminal({
    brokerUrl: t.url,
    deviceId: terminalId,
    username: terminalId,
    password: t.passwords[terminalId],
    reconnectPeriodMs: 200,
    thermometer: {},
    logger: silent,
    ...terminalOpts,
  });
  await terminal.start();
  await terminal.waitOnline(5000);
  return {
    edge,
    terminal,
    async stop() {
      await terminal.stop();
      await edge.stop();
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
