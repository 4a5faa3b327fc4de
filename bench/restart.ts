/**
 * Back after a power cut.
 *
 * 1. One gate: the shipped edge (`npm run build:edge`'s dist/edge.mjs, built into a temp install
 *    tree like test/deploy/edge-bundle.test.ts) started with the systemd unit's flags
 *    (`node --max-semi-space-size=1 --lite-mode`), with an outbox of --outbox readings left to
 *    resume (committed before the start by the edge's own outbox code, edge/storage/outbox.ts, in
 *    this process) and a real InfluxDB to forward them to. Figure: process start → the terminal
 *    receives its first verdict. The terminal publishes a face event every --probe-ms from the
 *    moment the process is spawned (events sent before the gate subscribed are lost, as with a real
 *    terminal that boots faster: the figure is the first one answered, to within --probe-ms).
 *    Also: when the gate said online, and how long the backlog took to land in InfluxDB.
 * 2. The whole site: the hub (site/cli.ts, SQLite persistence) with --gates gates connected with
 *    their own credentials and persistent sessions (clean: false, their subscriptions, retained
 *    status, will), as bench/scale.ts simulates them; the hub is killed (SIGKILL, a power cut),
 *    started again on the same data, and the gates reconnect with the edge's own backoff
 *    (as edge/mqtt/link.ts: the config's defaults, 500 ms doubling to 30 s, full jitter, retries
 *    within 2 s while the connection is refused, 30 s for a CONNACK). Figure: hub process
 *    start → the hub's fleet snapshot (`tg/{site}/fleet`) shows every gate online and heard from
 *    after the restart.
 *
 *   npx tsx bench/restart.ts [--outbox 100000] [--runs 3] [--probe-ms 20] [--gates 1000] [--no-edge] [--no-site]
 *                            [--hub-cpu-prof DIR] [--shared-address]
 *
 * Each simulated gate connects from its own loopback address (127.1.x.y), as each gate PC has its
 * own address on a site; with --shared-address all come from 127.0.0.1, and the hub's per-address
 * login budget (docs/SECURITY.md) then throttles the whole site as one stranger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import net from 'node:net';
import mqtt, { MqttClient } from 'mqtt';
import { EDGE_NODE_FLAGS } from '../deploy/build-edge.ts';
import { backoffDelay } from '../edge/backoff.ts';
import { EdgeConfig } from '../edge/config/schema.ts';
import { CONNECT_TIMEOUT_MS, REFUSED_RETRY_MAX_MS } from '../edge/mqtt/link.ts';
import { Outbox } from '../edge/storage/outbox.ts';
import type { SpilledReading } from '../edge/storage/spill.ts';
import { numberReading } from '../edge/storage/validate.ts';
import type { FleetSnapshot } from '../protocols/hub/fleet.ts';
import { buildShippedEdge } from '../test/deploy/edge-bundle.ts';
import { startInfluxd } from '../test/harness/influxd.ts';
import { spawnTracked, type Tracked } from '../test/harness/proc.ts';
import { newReading } from '../test/storage/records.ts';
import { writeEdgeConfig } from './lib/edges.ts';
import { faceEvent } from './lib/events.ts';
import { countPoints } from './lib/influx.ts';
import { BENCH_PASSWORD, siteDevices, startHub } from './lib/hub.ts';
import { startBenchMosquitto } from './lib/mosquitto.ts';
import { CpuMeter, rssMiB } from './lib/procfs.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { median, table } from './stats.ts';
import type { Target } from './lib/result.ts';

const { values: args } = parseArgs({
  options: {
    outbox: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    'probe-ms': { type: 'string', default: '20' },
    gates: { type: 'string', default: '1000' },
    'no-edge': { type: 'boolean' },
    'no-site': { type: 'boolean' },
    /** A folder: the restarted hub runs with `--cpu-prof` into it (the reconnect storm's profile). */
    'hub-cpu-prof': { type: 'string' },
    /** Every simulated gate from 127.0.0.1 (the hub's per-address login budget then covers them all). */
    'shared-address': { type: 'boolean' },
  },
});
const OUTBOX = Number(args.outbox);
const RUNS = Number(args.runs);
const PROBE_MS = Number(args['probe-ms']);
const GATES = Number(args.gates);
const SITE = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The edge's reconnect backoff as its config defaults it (mqtt.reconnectMinMs / reconnectMaxMs). */
const RECONNECT = {
  minMs: EdgeConfig.shape.mqtt.shape.reconnectMinMs.parse(undefined),
  maxMs: EdgeConfig.shape.mqtt.shape.reconnectMaxMs.parse(undefined),
};

/** Commits `n` readings of this gate with the edge's outbox code, 1,000 per transaction. */
function prefill(path: string, gateId: string, n: number): number {
  const t0 = performance.now();
  const outbox = Outbox.open({ path, capacity: 1_000_000, synchronous: 'NORMAL' });
  try {
    const base = Date.now() - n * 1000;
    let seq = outbox.nextSeqFor(SITE, gateId);
    for (let done = 0; done < n; ) {
      const batch: SpilledReading[] = [];
      for (let i = 0; i < 1000 && done < n; i++, done++) {
        const at = base + done * 1000;
        const r = newReading({
          siteId: SITE,
          gateId,
          at,
          recordedAt: at + 100,
          employeeNo: `E${10000 + (done % 50_000)}`,
          source: 'terminal',
          sensor: 'terminal',
          ambientTenths: null,
          rawTenths: 365,
          offsetTenths: 0,
          sensorSeq: done,
          terminalId: `t-${gateId}`,
          terminalSerialNo: done + 1,
        });
        batch.push({ record: numberReading(r, seq++), eventKey: `bench:${done}`, heldAt: at });
      }
      outbox.commitNumbered(batch);
    }
    if (outbox.depth() !== n) throw new Error(`outbox holds ${outbox.depth()}, wanted ${n}`);
  } finally {
    outbox.close();
  }
  return (performance.now() - t0) / 1000;
}

interface EdgeRun {
  firstVerdictMs: number;
  onlineMs: number;
  drainedS: number;
  landed: number;
  prefillS: number;
  probesSent: number;
}

async function edgeRun(
  run: number,
  bundle: string,
  installDir: string,
  brokerUrl: string,
  influxUrl: string,
  dir: string,
): Promise<EdgeRun> {
  const gateId = `gate-r${run}`;
  const terminalId = `t-${gateId}`;
  const dataDir = join(dir, gateId);
  const database = `tg_restart_${run}`;
  say(`restart: edge run ${run}: committing ${fmt(OUTBOX)} readings to the outbox…`);
  const prefillS = prefill(join(dataDir, 'outbox.sqlite'), gateId, OUTBOX);
  const config = writeEdgeConfig(dir, {
    siteId: SITE,
    gateId,
    dataDir,
    mqtt: { url: brokerUrl },
    thermometer: { protocol: 'none' },
    terminal: { deviceId: terminalId, temperatureSource: 'terminal' },
    turnstile: { drive: 'verdict', openMs: 3000 },
    gpio: { backend: 'sim', simPort: 0 },
    policy: { accessListRequired: false },
    storage: { sink: { kind: 'influx', url: influxUrl, database } },
    logLevel: 'warn',
  });
  const term: MqttClient = await mqtt.connectAsync(brokerUrl, { clientId: terminalId, reconnectPeriod: 0 });
  const observer: MqttClient = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
  let firstVerdict = Number.NaN;
  let online = Number.NaN;
  let edge: Tracked | undefined;
  let probes = 0;
  try {
    await term.subscribeAsync(`face/${terminalId}/verdict`, { qos: 1 });
    await observer.subscribeAsync(`tg/${SITE}/gate/${gateId}/status`, { qos: 1 });
    let t0 = 0;
    term.on('message', () => {
      if (Number.isNaN(firstVerdict)) firstVerdict = performance.now() - t0;
    });
    observer.on('message', (_t, p) => {
      if (Number.isNaN(online) && (JSON.parse(p.toString()) as { online: boolean }).online)
        online = performance.now() - t0;
    });
    t0 = performance.now();
    edge = spawnTracked(process.execPath, [...EDGE_NODE_FLAGS, bundle, '--config', config], {
      cwd: installDir,
    });
    // The terminal asks until the gate answers: bounded in count and time.
    const maxProbes = Math.ceil(20_000 / PROBE_MS);
    while (Number.isNaN(firstVerdict) && probes < maxProbes && edge.alive()) {
      probes++;
      term.publish(`face/${terminalId}/event`, faceEvent(probes, probes), { qos: 1 });
      await sleep(PROBE_MS);
    }
    if (Number.isNaN(firstVerdict))
      throw new Error(`no verdict after ${probes} events:\n${edge.output().slice(-2000)}`);
    // The backlog: until every reading (the outbox and the probes answered) is in InfluxDB.
    const want = OUTBOX;
    let landed = 0;
    const tDrain = performance.now();
    for (let i = 0; i < 600 && landed < want; i++) {
      await sleep(200);
      landed = await countPoints(influxUrl, database, 'seq', 0).catch(() => landed);
    }
    return {
      firstVerdictMs: firstVerdict,
      onlineMs: online,
      drainedS: (performance.now() - tDrain + firstVerdict) / 1000,
      landed,
      prefillS,
      probesSent: probes,
    };
  } finally {
    await edge?.stop('SIGTERM', 15_000);
    await term.endAsync(true);
    await observer.endAsync(true);
  }
}

interface SiteResult {
  gates: number;
  connectS: number;
  allOnlineMs: number;
  sessionsPresent: number;
  /** Retries before the reconnect (max over the gates), and when gates got their CONNACK (s from the hub's start). */
  maxAttempts: number;
  reconnectS: { p50: number; p99: number; max: number };
  hubStartMs: number;
  hubCpuPct: number;
  hubRssMiB: number;
  /** Failed attempts of all gates after the restart, by why. */
  failures: Record<string, number>;
  /** The hub's refusals since its restart (its fleet snapshot's security totals). */
  hubSecurity: FleetSnapshot['security'] | null;
}

/** A simulated gate: its own credentials, persistent session, will and birth, the edge's backoff. */
class SimGate {
  client: MqttClient | undefined;
  attempts = 0;
  sessionPresent = false;
  /** Why attempts failed since the restart: CONNACK refusals and socket errors by message; `no answer`: closed without either (connectTimeout). */
  readonly failures = new Map<string, number>();
  private failed = false;
  private up = false;
  private backoff = 0;
  private refused = false;
  /** When it last got its CONNACK (performance.now()), and the retry count before that. */
  connectedAt = 0;
  attemptsBefore = 0;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  constructor(
    readonly gateId: string,
    readonly terminalId: string,
    private readonly url: string,
    /** The local address it connects from (undefined: the system's choice, 127.0.0.1). */
    private readonly address?: string,
  ) {}

  private status(online: boolean) {
    return JSON.stringify({
      v: 1,
      siteId: SITE,
      gateId: this.gateId,
      online,
      at: online ? Date.now() : 0,
      thermometer: 'online',
      gateState: 'locked',
      softwareVersion: 'bench',
      configVersion: '',
      accessListVersion: null,
      policyVersion: null,
      policyOverrides: [],
      holdsVersion: null,
      listsRejected: [],
      terminalClockOffsetMs: null,
    });
  }

  /** Connects once; on a lost connection retries like MqttLink (edge/mqtt/link.ts). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = new URL(this.url);
      const address = this.address;
      // Each gate from its own address, as on a site (one per gate PC), unless --shared-address.
      const stream = () =>
        net.createConnection({
          host: url.hostname,
          port: Number(url.port),
          ...(address ? { localAddress: address } : {}),
        });
      const c = new MqttClient(stream, {
        clientId: `tg-edge-${SITE}-${this.gateId}`,
        username: this.gateId,
        password: BENCH_PASSWORD,
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: CONNECT_TIMEOUT_MS,
        keepalive: 15,
        resubscribe: false,
        will: {
          topic: `tg/${SITE}/gate/${this.gateId}/status`,
          payload: Buffer.from(this.status(false)),
          qos: 1,
          retain: true,
        },
      });
      this.client = c;
      let first = true;
      c.on('connect', (connack) => {
        this.up = true;
        this.connectedAt = performance.now();
        this.attemptsBefore = this.attempts;
        this.attempts = 0;
        this.backoff = 0;
        this.refused = false;
        this.sessionPresent = connack.sessionPresent;
        // What the edge subscribes to (edge/core/gate.ts subscriptions() + the hub's clock).
        c.subscribe(
          [
            `face/${this.terminalId}/event`,
            `tg/${SITE}/gate/${this.gateId}/command`,
            `tg/${SITE}/gate/${this.gateId}/isolation`,
            `tg/${SITE}/access-list/changes`,
            `tg/${SITE}/holds/changes`,
            `tg/${SITE}/policy`,
            `tg/${SITE}/hub/clock`,
          ],
          { qos: 1 },
        );
        c.publish(`tg/${SITE}/gate/${this.gateId}/status`, this.status(true), { qos: 1, retain: true });
        if (first) {
          first = false;
          resolve();
        }
      });
      c.on('close', () => {
        if (this.up) this.up = false;
        else if (!this.failed && !this.stopped) this.count('no answer');
        this.failed = false;
        if (first) {
          first = false;
          reject(new Error(`${this.gateId}: connection refused or lost before CONNACK`));
          return;
        }
        this.schedule();
      });
      c.on('error', (e) => {
        this.refused = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
        this.count(e.message);
      });
    });
  }

  private count(why: string) {
    this.failed = true;
    this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
  }

  /** As MqttLink schedules its retries (edge/mqtt/link.ts), with the edge config's defaults. */
  private schedule() {
    if (this.stopped || this.retry) return;
    const max = this.refused ? Math.min(RECONNECT.maxMs, REFUSED_RETRY_MAX_MS) : RECONNECT.maxMs;
    const delay = Math.max(
      100,
      backoffDelay(this.backoff, { minDelayMs: RECONNECT.minMs, maxDelayMs: max, jitter: 1 }),
    );
    if (!this.refused || RECONNECT.minMs * 2 ** this.backoff < max) this.backoff++;
    this.attempts++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped || this.client?.connected) return;
      this.refused = false;
      this.client?.reconnect();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.endAsync(true);
  }
}

async function siteRun(): Promise<SiteResult> {
  const devices = siteDevices(SITE, GATES);
  say(`restart: site: hub with ${GATES} gates…`);
  const hub = await startHub(SITE, devices);
  const gates: SimGate[] = [];
  let observer: MqttClient | undefined;
  try {
    const tc = performance.now();
    for (const d of devices) {
      if (d.role !== 'gate') continue;
      const n = gates.length;
      const g = new SimGate(
        d.id,
        d.terminal as string,
        hub.url,
        args['shared-address'] ? undefined : `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`,
      );
      await g.connect();
      gates.push(g);
    }
    const connectS = (performance.now() - tc) / 1000;
    say(`restart: ${GATES} gates connected in ${fmt(connectS, 1)} s; killing the hub (SIGKILL)…`);
    // Let the hub commit the sessions and retained statuses (it acknowledges after storing).
    await sleep(2000);
    await hub.kill();
    await sleep(1000); // the power is out for a second
    const restartedAt = Date.now();
    const t0 = performance.now();
    const prof = args['hub-cpu-prof'];
    await hub.start(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : undefined);
    const hubStartMs = performance.now() - t0;
    const cpu = new CpuMeter([hub.pid]);
    // The dashboard's view: the retained fleet snapshot, republished as gates come back.
    let allOnline = Number.NaN;
    for (let i = 0; i < 100 && !observer; i++) {
      observer = await mqtt
        .connectAsync(hub.url, {
          username: 'observer',
          password: BENCH_PASSWORD,
          clientId: 'observer',
          reconnectPeriod: 0,
        })
        .catch(async () => {
          await sleep(50);
          return undefined;
        });
    }
    if (!observer) throw new Error('observer could not connect to the restarted hub');
    // Back = its birth status since the restart has come through the hub (the fleet seeds gates
    // from the previous run's retained statuses, so the snapshot alone would say online at once)
    // and the fleet snapshot shows it online.
    const born = new Set<string>();
    let fleetOnline = 0;
    let hubSecurity: FleetSnapshot['security'] | null = null;
    const done = new Promise<void>((resolve) => {
      observer?.on('message', (topic, p) => {
        if (topic.endsWith('/status')) {
          const s = JSON.parse(p.toString()) as { gateId: string; online: boolean; at: number };
          if (s.online && s.at >= restartedAt) born.add(s.gateId);
        } else {
          const s = JSON.parse(p.toString()) as FleetSnapshot;
          fleetOnline = s.gates.filter((g) => g.online).length;
          hubSecurity = s.security;
        }
        if (born.size >= GATES && fleetOnline >= GATES && Number.isNaN(allOnline)) {
          allOnline = performance.now() - t0;
          resolve();
        }
      });
    });
    await observer.subscribeAsync([`tg/${SITE}/fleet`, `tg/${SITE}/gate/+/status`], { qos: 0 });
    await Promise.race([done, sleep(60_000)]);
    const hubCpuPct = cpu.percent();
    return {
      gates: GATES,
      connectS,
      allOnlineMs: allOnline,
      sessionsPresent: gates.filter((g) => g.sessionPresent).length,
      maxAttempts: Math.max(...gates.map((g) => g.attemptsBefore)),
      reconnectS: (() => {
        const xs = gates.map((g) => (g.connectedAt - t0) / 1000).sort((a, b) => a - b);
        const q = (f: number) => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))] as number;
        return { p50: q(0.5), p99: q(0.99), max: xs[xs.length - 1] as number };
      })(),
      hubStartMs,
      hubCpuPct,
      hubRssMiB: rssMiB(hub.pid),
      failures: (() => {
        const all: Record<string, number> = {};
        for (const g of gates) for (const [k, n] of g.failures) all[k] = (all[k] ?? 0) + n;
        return all;
      })(),
      hubSecurity,
    };
  } finally {
    await observer?.endAsync(true);
    await Promise.all(gates.map((g) => g.stop()));
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const out: string[] = ['## Back after a power cut\n'];
  const targets: Target[] = [];
  const figures: Record<string, unknown> = {};
  if (!args['no-edge']) {
    const dir = mkdtempSync(join(tmpdir(), 'tg-bench-restart-'));
    const shipped = await buildShippedEdge();
    const influxd = await startInfluxd();
    const broker = await startBenchMosquitto();
    const runs: EdgeRun[] = [];
    try {
      for (let r = 1; r <= RUNS; r++) {
        const x = await edgeRun(r, shipped.bundle, shipped.installDir, broker.url, influxd.url, dir);
        say(
          `  first verdict ${fmt(x.firstVerdictMs)} ms, online ${fmt(x.onlineMs)} ms, backlog landed ${fmt(x.landed)} in ${fmt(x.drainedS, 1)} s`,
        );
        runs.push(x);
      }
    } finally {
      await broker.stop();
      await influxd.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
    const first = median(runs.map((x) => x.firstVerdictMs));
    figures.edge = runs;
    out.push(
      `The shipped edge (\`dist/edge.mjs\`, \`node ${EDGE_NODE_FLAGS.join(' ')}\`), its outbox holding ${fmt(OUTBOX)} readings to resume (committed beforehand by edge/storage/outbox.ts), forwarding them to a real InfluxDB. Time from spawning the process; the terminal publishes an event every ${PROBE_MS} ms until one is answered. ${RUNS} runs, median.\n`,
      table(
        [
          'run',
          'first verdict ms',
          'status online ms',
          'backlog in InfluxDB s',
          'landed',
          'outbox prefill s',
        ],
        runs.map((x, i) => [
          String(i + 1),
          fmt(x.firstVerdictMs),
          fmt(x.onlineMs),
          fmt(x.drainedS, 1),
          `${fmt(x.landed)} / ${fmt(OUTBOX)}`,
          fmt(x.prefillS, 1),
        ]),
      ),
      '',
    );
    targets.push({
      figure: `shipped edge: process start → first verdict, ${fmt(OUTBOX)}-reading outbox to resume`,
      value: `${fmt(first)} ms`,
      target: '< 2 s',
      met: first < 2000,
    });
  }
  if (!args['no-site']) {
    const s = await siteRun();
    figures.site = s;
    out.push(
      `The hub (aedes + SQLite persistence) with ${fmt(s.gates)} simulated gates (own credentials, ${args['shared-address'] ? 'all from 127.0.0.1' : 'each from its own address'}, persistent sessions with the edge's subscriptions, retained status, will) killed with SIGKILL and started again after 1 s; the gates reconnect as the edge does (backoff ${fmt(RECONNECT.minMs)} ms doubling to ${fmt(RECONNECT.maxMs / 1000)} s, full jitter; within ${fmt(REFUSED_RETRY_MAX_MS / 1000)} s while the connection is refused; ${fmt(CONNECT_TIMEOUT_MS / 1000)} s for a CONNACK). Time from spawning the hub until its fleet snapshot shows every gate online and heard from since the restart.\n`,
      table(
        [
          'gates',
          'hub listening ms',
          'every gate online s',
          'gates reconnected p50 / p99 / max s',
          'retries (max)',
          'sessions resumed',
          'hub CPU % (until all online)',
          'hub RSS MiB',
          'first connect of all gates s',
        ],
        [
          [
            fmt(s.gates),
            fmt(s.hubStartMs),
            fmt(s.allOnlineMs / 1000, 2),
            `${fmt(s.reconnectS.p50, 2)} / ${fmt(s.reconnectS.p99, 2)} / ${fmt(s.reconnectS.max, 2)}`,
            fmt(s.maxAttempts),
            `${fmt(s.sessionsPresent)} / ${fmt(s.gates)}`,
            fmt(s.hubCpuPct),
            fmt(s.hubRssMiB),
            fmt(s.connectS, 1),
          ],
        ],
      ),
      '',
    );
    out.push(
      `Failed attempts after the restart, all gates: ${
        Object.entries(s.failures)
          .map(([why, n]) => `${why}: ${fmt(n)}`)
          .join('; ') || 'none'
      }. The hub's refusals since its restart: ${
        s.hubSecurity
          ? `${fmt(s.hubSecurity.throttled)} throttled, ${fmt(s.hubSecurity.authFailures)} authentication failures`
          : 'no fleet snapshot'
      }.\n`,
    );
    targets.push({
      figure: `whole site: hub restarted with ${fmt(s.gates)} gates' sessions → every gate online (fleet)`,
      value: Number.isFinite(s.allOnlineMs)
        ? `${fmt(s.allOnlineMs / 1000, 2)} s`
        : 'not all online within 60 s',
      target: '< 10 s',
      met: s.allOnlineMs < 10_000,
    });
  }
  process.stdout.write(`${out.join('\n')}\n`);
  emitResult({ bench: 'restart', figures, targets });
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`restart bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
