/**
 * OPC UA benchmark: what the hub's OPC UA server costs and how fast it shows a passage.
 *
 * - Memory: two hub processes (site/cli.ts, same site, same credentials), one with `opcua.enabled`
 *   and one without, started and measured side by side: resident memory when idle, then again
 *   after both received the same passages (the OPC UA one with a client subscribed).
 * - Latency: a gate (MQTT client with gate credentials) publishes decisions; a node-opcua client
 *   subscribed to the gate's PassedToday (sampling 0, publishing interval 50 ms) measures publish
 *   call → data change notification, over many passages spaced 40-80 ms apart.
 *
 *   npx tsx bench/opcua.ts [--passages 300] [--gates 20] [--publishing-ms 50]
 *
 * Prints a Markdown section, then one JSON line (bench/lib/result.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import {
  AttributeIds,
  type DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  setWarningLogger,
  TimestampsToReturn,
} from 'node-opcua';
import { CredentialsStore } from '../hub/auth/credentials.ts';
import type { DecisionMessage, GateStatus } from '../protocols/gate/messages.ts';
import { GateTopic } from '../protocols/topics.ts';
import { canConnect, freePorts } from '../test/harness/ports.ts';
import { spawnTracked, type Tracked, tail } from '../test/harness/proc.ts';
import { waitFor } from '../test/harness/wait.ts';
import { tempDir } from '../test/hub/fixture.ts';
import { rssMiB } from './lib/procfs.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { median, summarize, table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    passages: { type: 'string', default: '300' },
    gates: { type: 'string', default: '20' },
    'publishing-ms': { type: 'string', default: '50' },
  },
});
const PASSAGES = Number(args.passages);
const GATES = Number(args.gates);
const PUBLISHING_MS = Number(args['publishing-ms']);
const SITE = 'bench';
const ROOT = join(import.meta.dirname, '..');
const PASSWORD = 'bench-password-0123456789';
const gateIds = Array.from({ length: GATES }, (_, i) => `gate-${String(i + 1).padStart(3, '0')}`);
const GATE = gateIds[0] as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// stdout carries the results (bench/run.ts keeps it): the client library's notes go to stderr.
setWarningLogger((_ctx: unknown, ...a: unknown[]) => process.stderr.write(`${a.join(' ')}\n`));

interface RunningHub {
  name: string;
  proc: Tracked;
  mqttUrl: string;
  opcuaUrl: string | undefined;
}

async function startHub(dir: string, name: string, opcuaPort: number | undefined): Promise<RunningHub> {
  const [mqttPort] = await freePorts(1);
  const config = join(dir, `${name}.yaml`);
  const lines = [
    `siteId: ${SITE}`,
    `mqtt: { host: 127.0.0.1, port: ${mqttPort} }`,
    'credentialsFile: credentials.json',
    `persistenceDir: data-${name}`,
    'logLevel: warn',
  ];
  if (opcuaPort !== undefined)
    lines.push(`opcua: { enabled: true, host: 127.0.0.1, hostname: 127.0.0.1, port: ${opcuaPort} }`);
  writeFileSync(config, `${lines.join('\n')}\n`);
  const proc = spawnTracked(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'site', 'cli.ts'), '--config', config],
    { cwd: ROOT },
  );
  await waitFor(
    async () => {
      if (!proc.alive()) throw new Error(tail(proc.output()));
      return (
        (await canConnect(mqttPort as number)) && (opcuaPort === undefined || (await canConnect(opcuaPort)))
      );
    },
    { what: `${name} listening`, timeoutMs: 60_000, intervalMs: 100 },
  );
  return {
    name,
    proc,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    opcuaUrl: opcuaPort === undefined ? undefined : `opc.tcp://127.0.0.1:${opcuaPort}`,
  };
}

/** Median of a few samples taken alternately from both processes, so both see the same moment. */
async function rssSideBySide(a: RunningHub, b: RunningHub): Promise<[number, number]> {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < 5; i++) {
    sa.push(rssMiB(a.proc.pid));
    sb.push(rssMiB(b.proc.pid));
    await sleep(200);
  }
  return [median(sa), median(sb)];
}

function connectGate(url: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username: GATE, password: PASSWORD, clientId: GATE, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const status = (): GateStatus => ({
  v: 1,
  siteId: SITE,
  gateId: GATE,
  online: true,
  at: Date.now(),
  thermometer: 'online',
  gateState: 'locked',
  softwareVersion: 'bench',
  configVersion: 'bench',
  accessListVersion: null,
  policyVersion: null,
  policyOverrides: [],
  holdsVersion: null,
  listsRejected: [],
  terminalClockOffsetMs: null,
});

function decision(seq: number): DecisionMessage {
  const at = Date.now();
  return {
    v: 1,
    name: 'Bench Person',
    display: '36.6 °C',
    isolationRoom: null,
    reading: {
      v: 1,
      id: `${SITE}:${GATE}:${seq}`,
      siteId: SITE,
      gateId: GATE,
      seq,
      at,
      recordedAt: at,
      employeeNo: `E${seq}`,
      temperatureTenths: 360 + (seq % 10),
      rawTenths: 360 + (seq % 10),
      offsetTenths: 0,
      ambientTenths: null,
      source: 'terminal',
      sensor: 'terminal',
      sensorSeq: null,
      decision: 'pass',
      reason: 'ok',
      mask: 'yes',
      pairingDelayMs: 12,
      terminalId: 'T1',
      terminalSerialNo: seq,
      realtime: true,
      released: true,
      enteredBy: null,
      policyVersion: null,
      thresholdTenths: null,
    },
  };
}

async function main(): Promise<void> {
  const dir = tempDir('tg-bench-opcua-');
  const store = new CredentialsStore(join(dir, 'credentials.json')).load({ allowMissing: true });
  for (const id of gateIds)
    await store.add({ id, role: 'gate', site: SITE, gate: id, terminal: `T-${id}` }, PASSWORD);

  const [opcuaPort] = await freePorts(1);
  say(`opcua bench: starting two hubs (OPC UA off / on, ${GATES} gates in the credentials)...`);
  const [off, on] = await Promise.all([startHub(dir, 'off', undefined), startHub(dir, 'on', opcuaPort)]);
  const gates: MqttClient[] = [];
  let client: OPCUAClient | undefined;
  try {
    await sleep(3000); // let both settle after start (JIT, first GC)
    const [idleOff, idleOn] = await rssSideBySide(off, on);
    say(`idle RSS: off ${fmt(idleOff, 1)} MiB, on ${fmt(idleOn, 1)} MiB`);

    // One gate on each hub, online; the same passages go to both.
    for (const h of [off, on]) {
      const g = await connectGate(h.mqttUrl);
      await g.publishAsync(GateTopic.status(SITE, GATE), JSON.stringify(status()), { qos: 1, retain: true });
      gates.push(g);
    }
    const [gOff, gOn] = gates as [MqttClient, MqttClient];

    client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 3, initialDelay: 200, maxDelay: 1000 },
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: join(dir, 'client-pki'),
        automaticallyAcceptUnknownCertificate: true,
      }),
    });
    await client.connect(on.opcuaUrl as string);
    const session = await client.createSession();
    const ns = ((await session.readNamespaceArray()) as string[]).indexOf(`urn:thermogate:site:${SITE}`);
    const sub = await session.createSubscription2({
      requestedPublishingInterval: PUBLISHING_MS,
      requestedMaxKeepAliveCount: 20,
      requestedLifetimeCount: 200,
      publishingEnabled: true,
    });
    const item = await sub.monitor(
      { nodeId: `ns=${ns};s=${SITE}.${GATE}.PassedToday`, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 100, discardOldest: true },
      TimestampsToReturn.Both,
    );
    const arrived = new Map<number, number>();
    let waiter: { count: number; resolve: (at: number) => void } | undefined;
    item.on('changed', (dv: DataValue) => {
      const at = performance.now();
      const count = Number(dv.value.value);
      arrived.set(count, at);
      if (waiter?.count === count) waiter.resolve(at);
    });
    const notification = (count: number, timeoutMs: number) =>
      new Promise<number | undefined>((resolve) => {
        const seen = arrived.get(count);
        if (seen !== undefined) return resolve(seen);
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        waiter = {
          count,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
    await waitFor(() => arrived.size > 0, { what: 'initial PassedToday', timeoutMs: 10_000 });
    const base = Math.max(...arrived.keys());

    const latencies: number[] = [];
    let lost = 0;
    // The server may revise the interval it was asked for: report the one in force.
    const publishingMs = sub.publishingInterval;
    say(`latency: ${PASSAGES} passages, publishing interval ${publishingMs} ms...`);
    for (let i = 1; i <= PASSAGES; i++) {
      const d = JSON.stringify(decision(i));
      gOff.publish(GateTopic.decision(SITE, GATE), d, { qos: 1 });
      const t0 = performance.now();
      gOn.publish(GateTopic.decision(SITE, GATE), d, { qos: 1 });
      const at = await notification(base + i, 5000);
      if (at === undefined) lost++;
      else latencies.push(at - t0);
      await sleep(40 + Math.random() * 40);
    }
    await sleep(2000);
    const [loadOff, loadOn] = await rssSideBySide(off, on);
    const lat = summarize(latencies);

    const rows = [
      ['hub RSS idle', `${fmt(idleOff, 1)} MiB`, `${fmt(idleOn, 1)} MiB`, `+${fmt(idleOn - idleOff, 1)} MiB`],
      [
        `hub RSS after ${PASSAGES} passages`,
        `${fmt(loadOff, 1)} MiB`,
        `${fmt(loadOn, 1)} MiB (1 client subscribed)`,
        `+${fmt(loadOn - loadOff, 1)} MiB`,
      ],
    ];
    process.stdout.write(`\n## OPC UA server (hub, ${GATES} gates in the address space)\n\n`);
    process.stdout.write(`${table(['', 'OPC UA off', 'OPC UA on', 'difference'], rows)}\n\n`);
    process.stdout.write(
      `${table(
        ['path', 'n', 'p50', 'p99', 'max', 'lost', 'target p99', 'met'],
        [
          [
            `decision published → data change at the client (publishing ${publishingMs} ms)`,
            lat.n,
            `${fmt(lat.p50, 1)} ms`,
            `${fmt(lat.p99, 1)} ms`,
            `${fmt(lat.max, 1)} ms`,
            lost,
            '< 1000 ms',
            lat.p99 < 1000 && lost === 0 ? 'yes' : 'NO',
          ],
        ],
      )}\n`,
    );
    emitResult({
      bench: 'opcua',
      figures: {
        gates: GATES,
        passages: PASSAGES,
        publishingIntervalMs: publishingMs,
        rssIdleOffMiB: idleOff,
        rssIdleOnMiB: idleOn,
        rssLoadOffMiB: loadOff,
        rssLoadOnMiB: loadOn,
        latencyP50Ms: lat.p50,
        latencyP99Ms: lat.p99,
        latencyMaxMs: lat.max,
        lost,
      },
      targets: [
        {
          figure: 'OPC UA: passage → client data change, p99',
          value: `${fmt(lat.p99, 1)} ms`,
          target: '< 1000 ms',
          met: lat.p99 < 1000 && lost === 0,
        },
        {
          figure: 'OPC UA: extra hub memory (idle)',
          value: `${fmt(idleOn - idleOff, 0)} MiB`,
          target: '< 200 MiB',
          met: idleOn - idleOff < 200,
        },
      ],
    });
  } finally {
    await client?.disconnect().catch(() => undefined);
    for (const g of gates) g.end(true);
    await Promise.all([off.proc.stop('SIGTERM', 5000), on.proc.stop('SIGTERM', 5000)]);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
