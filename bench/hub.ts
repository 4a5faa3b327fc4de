/**
 * Site broker benchmark: the hub (aedes + credentials + ACL + limits + SQLite persistence + fleet
 * monitor) next to Debian's Mosquitto 2 (passwords + the equivalent ACL), same load, same run.
 *
 * Load: N gates (default 100), each passing P people per second (default 1): a decision and a
 * reading, QoS 1, ~1 KB each, plus a heartbeat every 5 s (QoS 0). One persistent subscriber (an
 * archiver: clean session off, QoS 1) takes every decision and reading. Each broker runs in its own
 * process; the clients run here. Latency = publish call to delivery at the subscriber.
 *
 *   npx tsx bench/hub.ts [--gates 100] [--rate 1] [--seconds 20]
 *
 * Not a test: it prints a table. Bounded: about `seconds` + 10 s per broker.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoAcl } from '../hub/auth/mosquitto-acl.ts';
import { CredentialsStore } from '../hub/auth/credentials.ts';
import type { DeviceCredential } from '../protocols/hub/credentials.ts';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../test/harness/mosquitto.ts';
import { canConnect, freePort } from '../test/harness/ports.ts';
import { spawnTracked, type Tracked, tail } from '../test/harness/proc.ts';
import { waitFor } from '../test/harness/wait.ts';
import { tempDir } from '../test/hub/fixture.ts';

const { values: args } = parseArgs({
  options: {
    gates: { type: 'string', default: '100' },
    rate: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '20' },
  },
});
const GATES = Number(args.gates);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const SITE = 'bench';
const ROOT = join(import.meta.dirname, '..');
const gateIds = Array.from({ length: GATES }, (_, i) => `gate-${String(i + 1).padStart(3, '0')}`);
const PASSWORD = 'bench-password-0123456789';

interface Result {
  broker: string;
  sent: number;
  received: number;
  lost: number;
  ratePerS: number;
  p50: number;
  p99: number;
  max: number;
  brokerCpuPct: number;
}

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
  } catch {
    return Number.NaN;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)
    : Number.NaN;
}

function connect(url: string, o: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...o });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const padding = 'x'.repeat(700);

async function runLoad(name: string, url: string, pid: number): Promise<Result> {
  const latencies: number[] = [];
  const pending = new Map<string, number>();
  let received = 0;
  const archiver = await connect(url, {
    username: 'archiver',
    password: PASSWORD,
    clientId: 'archiver',
    clean: false,
  });
  archiver.on('message', (_t, payload) => {
    const now = performance.now();
    const text = payload.toString();
    const id = text.slice(7, text.indexOf('"', 7));
    const sentAt = pending.get(id);
    if (sentAt === undefined) return;
    pending.delete(id);
    received++;
    latencies.push(now - sentAt);
  });
  await archiver.subscribeAsync([`tg/${SITE}/gate/+/decision`, `tg/${SITE}/gate/+/reading`], { qos: 1 });

  const gates: MqttClient[] = [];
  for (const id of gateIds)
    gates.push(
      await connect(url, {
        username: id,
        password: PASSWORD,
        clientId: `tg-edge-${SITE}-${id}`,
        clean: false,
      }),
    );

  let sent = 0;
  const timers: NodeJS.Timeout[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  gates.forEach((c, i) => {
    const gate = gateIds[i] as string;
    let seq = 0;
    const person = () => {
      for (const kind of ['decision', 'reading']) {
        const id = `${gate}:${seq++}`;
        pending.set(id, performance.now());
        c.publish(`tg/${SITE}/gate/${gate}/${kind}`, `{"id":"${id}","kind":"${kind}","pad":"${padding}"}`, {
          qos: 1,
        });
        sent++;
      }
    };
    const heartbeat = () =>
      c.publish(`tg/${SITE}/gate/${gate}/heartbeat`, `{"gate":"${gate}","pad":"${padding.slice(0, 300)}"}`, {
        qos: 0,
      });
    // Spread the gates over the first second so they do not publish in lockstep.
    timers.push(
      setTimeout(
        () => {
          person();
          timers.push(setInterval(person, 1000 / RATE));
          timers.push(setInterval(heartbeat, 5000));
        },
        (i * 1000) / GATES,
      ),
    );
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const t of timers) clearTimeout(t);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(pid);
  // Let in-flight messages land before counting losses.
  await waitFor(() => pending.size === 0, { what: 'drain', timeoutMs: 5000 }).catch(() => undefined);
  const sorted = latencies.sort((a, b) => a - b);
  for (const c of gates) c.end(true);
  archiver.end(true);
  return {
    broker: name,
    sent,
    received,
    lost: pending.size,
    ratePerS: received / elapsed,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    brokerCpuPct: ((cpu1 - cpu0) / elapsed) * 100,
  };
}

async function benchHub(): Promise<Result> {
  const dir = tempDir('tg-bench-hub-');
  const credentialsFile = join(dir, 'credentials.json');
  const store = new CredentialsStore(credentialsFile).load({ allowMissing: true });
  for (const id of gateIds)
    await store.add({ id, role: 'gate', site: SITE, gate: id, terminal: `T-${id}` }, PASSWORD);
  await store.add({ id: 'archiver', role: 'dashboard', site: SITE }, PASSWORD);
  const port = await freePort();
  const config = join(dir, 'hub.yaml');
  writeFileSync(
    config,
    `siteId: ${SITE}\nmqtt: { host: 127.0.0.1, port: ${port} }\ncredentialsFile: credentials.json\npersistenceDir: data\nlogLevel: warn\n`,
  );
  const hub: Tracked = spawnTracked(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'hub', 'cli.ts'), '--config', config],
    { cwd: ROOT },
  );
  try {
    await waitFor(
      async () => {
        if (!hub.alive()) throw new Error(tail(hub.output()));
        return canConnect(port);
      },
      { what: 'hub listening', timeoutMs: 20_000, intervalMs: 100 },
    );
    return await runLoad('hub (aedes + SQLite)', `mqtt://127.0.0.1:${port}`, hub.pid);
  } finally {
    await hub.stop('SIGTERM', 5000);
  }
}

async function benchMosquitto(): Promise<Result | undefined> {
  if (!mosquittoAvailable()) return undefined;
  const devices: DeviceCredential[] = gateIds.map((id) => ({
    id,
    role: 'gate',
    site: SITE,
    gate: id,
    terminal: `T-${id}`,
    secret: { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 'AA==', hash: 'AA==' },
    createdAt: 0,
    revokedAt: null,
  }));
  devices.push({
    id: 'archiver',
    role: 'dashboard',
    site: SITE,
    secret: { alg: 'scrypt', N: 1024, r: 8, p: 1, salt: 'AA==', hash: 'AA==' },
    createdAt: 0,
    revokedAt: null,
  });
  const passwords = Object.fromEntries(devices.map((d) => [d.id, PASSWORD]));
  const m: Mosquitto = await startMosquitto({ passwords, aclText: mosquittoAcl(devices) });
  try {
    const pid = Number(
      execFileSync('pgrep', ['-n', '-f', `${m.dir}/mosquitto.conf`])
        .toString()
        .trim(),
    );
    return await runLoad('mosquitto 2 (memory)', m.url, pid);
  } finally {
    await m.destroy();
  }
}

async function main(): Promise<void> {
  process.stderr.write(
    `load: ${GATES} gates x ${RATE} person/s x 2 QoS 1 messages (+ heartbeats every 5 s), ${SECONDS} s per broker\n`,
  );
  const results: Result[] = [await benchHub()];
  const mq = await benchMosquitto();
  if (mq) results.push(mq);
  else process.stderr.write('mosquitto not installed: hub only\n');
  const rows = [
    ['broker', 'sent', 'received', 'lost', 'msg/s', 'p50 ms', 'p99 ms', 'max ms', 'broker CPU %'],
    ...results.map((r) =>
      [
        r.broker,
        r.sent,
        r.received,
        r.lost,
        r.ratePerS.toFixed(0),
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.max.toFixed(1),
        r.brokerCpuPct.toFixed(0),
      ].map(String),
    ),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
