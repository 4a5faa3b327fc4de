/**
 * Pipeline throughput, ThermoGate against what an integrator would wire instead, same run, same
 * machine, same broker (Mosquitto 2), same InfluxDB, same messages:
 *   - ThermoGate: real edge daemons (`edge/cli.ts`, one per gate, terminal thermometer) take the
 *     terminals' events from the broker, decide at 37.3 °C, answer the terminal, commit each
 *     reading to the outbox and forward it in batches to InfluxDB;
 *   - Node-RED 4 (bench/node-red/flow.json): MQTT in → function (37.3 °C) → influxdb out, plus
 *     the verdict back to the terminal (mqtt out);
 *   - the ceiling: the `influx` client's pool alone writing the same lines in batches.
 * A load generator plays the terminals: it publishes events (QoS 1) as fast as the pipeline
 * answers them, keeping at most --window events without a verdict, and counts points landing in
 * InfluxDB over time. Sustained rate = slope of landed points between 10 % and 90 % of the run.
 *
 *   npx tsx bench/pipeline.ts [--events 30000] [--reps 3] [--edges 4] [--window 1000]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from 'influx';
import { Pool } from 'influx/lib/src/pool.js';
import mqtt, { type MqttClient } from 'mqtt';
import { InfluxSink } from '../edge/storage/influx-sink.ts';
import { readingLines } from '../protocols/storage/influx-line.ts';
import { startInfluxd } from '../test/harness/influxd.ts';
import type { Tracked } from '../test/harness/proc.ts';
import { record } from '../test/storage/records.ts';
import { spawnTs, waitGatesOnline, writeEdgeConfig } from './lib/edges.ts';
import { faceEvent, temperatureOf } from './lib/events.ts';
import { countPoints, createDatabase } from './lib/influx.ts';
import { startBenchMosquitto } from './lib/mosquitto.ts';
import { ensureNodeRed, type NodeRed, startNodeRed } from './lib/node-red.ts';
import { CpuMeter, pidOf, rssMiB } from './lib/procfs.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { median, table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '30000' },
    reps: { type: 'string', default: '3' },
    edges: { type: 'string', default: '4' },
    window: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '3000' },
    /** Writes a CPU profile of every edge daemon into this folder (node --cpu-prof). */
    profile: { type: 'string' },
  },
});
const EVENTS = Number(args.events);
const REPS = Number(args.reps);
const EDGES = Number(args.edges);
const WINDOW = Number(args.window);
const WARMUP = Number(args.warmup);
const SITE = 'bench';
const TG_DB = 'tg_pipeline';
const NR_DB = 'nodered_pipeline';

interface PhaseResult {
  /** Readings per second, first event published → last point landed in InfluxDB. */
  rate: number;
  /** Verdicts per second received by the terminals. */
  verdictRate: number;
  landed: number;
  /** % of one core during the phase: the pipeline's own processes (edges or Node-RED), the shared ones. */
  cpu: { own: number; broker: number; influxd: number; generator: number };
  /** CPU seconds per 1,000 readings: the pipeline's own processes; broker + influxd. */
  ownPerK: number;
  sharedPerK: number;
}

/** Processes shared by every pipeline, watched during each phase. */
const shared = { broker: 0, influxd: 0 };

/** Time at which the landed count first reached `target`, interpolated between polls. */
function crossing(series: [number, number][], target: number): number {
  for (let i = 1; i < series.length; i++) {
    const [t1, c1] = series[i] as [number, number];
    const [t0, c0] = series[i - 1] as [number, number];
    if (c1 >= target) return c1 === c0 ? t1 : t0 + ((target - c0) / (c1 - c0)) * (t1 - t0);
  }
  return Number.NaN;
}

let serial = 1;

async function phase(
  gen: MqttClient,
  verdicts: { count: number; last: number },
  terminals: string[],
  n: number,
  count: (since: number) => Promise<number>,
  pids: number[],
): Promise<PhaseResult> {
  const since = Date.now() - 5;
  const before = await count(since);
  if (before !== 0) throw new Error(`${before} points already in the window`);
  const meters = {
    own: new CpuMeter(pids),
    broker: new CpuMeter([shared.broker]),
    influxd: new CpuMeter([shared.influxd]),
    generator: new CpuMeter([process.pid]),
  };
  const v0 = verdicts.count;
  let sent = 0;
  const t0 = performance.now();
  // Like terminals waiting for their verdicts: never more than WINDOW events unanswered.
  const pump = () => {
    while (sent < n && sent - (verdicts.count - v0) < WINDOW) {
      const k = sent++;
      const terminal = terminals[k % terminals.length] as string;
      gen.publish(`face/${terminal}/event`, faceEvent(k, serial++), { qos: 1 });
    }
  };
  gen.on('message', pump);
  pump();
  const series: [number, number][] = [[0, 0]];
  let landed = 0;
  let lastProgress = performance.now();
  while (landed < n) {
    await new Promise((r) => setTimeout(r, 200));
    const c = await count(since);
    const now = performance.now();
    if (c > landed) lastProgress = now;
    landed = c;
    series.push([now - t0, c]);
    if (now - lastProgress > 20_000) break; // stuck: report what landed
  }
  gen.off('message', pump);
  const cpu = {
    own: meters.own.percent(),
    broker: meters.broker.percent(),
    influxd: meters.influxd.percent(),
    generator: meters.generator.percent(),
  };
  const elapsedS = (performance.now() - t0) / 1000;
  const perK = (pct: number) => ((pct / 100) * elapsedS * 1000) / landed;
  return {
    rate: landed / (crossing(series, landed) / 1000),
    verdictRate: (verdicts.count - v0) / ((verdicts.last - t0) / 1000),
    landed,
    cpu,
    ownPerK: perK(cpu.own),
    sharedPerK: perK(cpu.broker + cpu.influxd),
  };
}

/**
 * The influx client's HTTP pool alone: the same lines the edges write (each reading and its
 * `reading_log` line, protocols/storage/influx-line.ts), in batches, `inFlight` at a time.
 */
async function ceiling(url: string, n: number, batch: number, inFlight: number): Promise<number> {
  const u = new URL(url);
  const db = `ceiling_${batch}_${Date.now()}`;
  await new InfluxSink({ url, database: db }).init(); // same database shape as the edges'
  const client = new InfluxDB({ host: u.hostname, port: Number(u.port), database: db });
  const pool = new Pool({ maxRetries: 0, requestTimeout: 60_000 });
  pool.addHost(`http://${u.hostname}:${u.port}`);
  const base = Date.now();
  const records = Array.from({ length: n }, (_, i) =>
    record(i + 1, {
      siteId: SITE,
      gateId: `gate-${(i % EDGES) + 1}`,
      at: base + i,
      recordedAt: base + i,
      employeeNo: `E${10000 + (i % 5000)}`,
      temperatureTenths: temperatureOf(i),
      rawTenths: temperatureOf(i),
      offsetTenths: 0,
      ambientTenths: null,
      source: 'terminal',
      sensor: 'terminal',
      sensorSeq: i,
      pairingDelayMs: 0,
    }),
  );
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const slice = records.slice(next, next + batch);
      next += batch;
      const body = slice.flatMap(readingLines).join('\n');
      await pool.discard({
        method: 'POST',
        path: '/write',
        query: { db, rp: 'readings', precision: 'n' },
        body,
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = n / ((performance.now() - t0) / 1000);
  await client.dropDatabase(db);
  return rate;
}

async function main(): Promise<void> {
  const install = ensureNodeRed(say);
  say(
    `pipeline: Node-RED ${install.nodeRed}, node-red-contrib-influxdb ${install.influxNode}${install.installSeconds ? ` (installed in ${fmt(install.installSeconds)} s)` : ' (cached)'}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-pipeline-'));
  // The same edges with their outbox on tmpfs, where fsync costs nothing: what the pipeline
  // reaches without the per-reading commit, i.e. the most any group commit could give.
  const shmDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/tg-bench-pipeline-') : undefined;
  const influxd = await startInfluxd();
  const broker = await startBenchMosquitto();
  const edges: Tracked[] = [];
  let nodeRed: NodeRed | undefined;
  let gen: MqttClient | undefined;
  try {
    shared.broker = broker.pid;
    shared.influxd = pidOf(influxd.dir);
    await createDatabase(influxd.url, NR_DB);
    const gateIds = Array.from({ length: EDGES }, (_, i) => `gate-${i + 1}`);
    const tgTerminals = gateIds.map((_, i) => `tg-t${i + 1}`);
    const nrTerminals = gateIds.map((_, i) => `nr-t${i + 1}`);
    const shmGateIds = gateIds.map((g) => `shm-${g}`);
    const shmTerminals = gateIds.map((_, i) => `shm-t${i + 1}`);
    const spawnEdges = (ids: string[], terminals: string[], dataRoot: string): Tracked[] =>
      ids.map((gateId, i) => {
        const file = writeEdgeConfig(dir, {
          siteId: SITE,
          gateId,
          dataDir: join(dataRoot, gateId),
          mqtt: { url: broker.url },
          thermometer: { protocol: 'none' },
          terminal: { deviceId: terminals[i] as string, temperatureSource: 'terminal' },
          turnstile: { drive: 'verdict', openMs: 3000 },
          gpio: { backend: 'sim', simPort: 0 },
          policy: { accessListRequired: false },
          storage: { sink: { kind: 'influx', url: influxd.url, database: TG_DB } },
          logLevel: 'warn',
        });
        const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
        return spawnTs('edge/cli.ts', ['--config', file], prof);
      });
    edges.push(...spawnEdges(gateIds, tgTerminals, dir));
    await waitGatesOnline(broker.url, {}, SITE, gateIds, edges);
    const shmEdges = shmDir ? spawnEdges(shmGateIds, shmTerminals, shmDir) : [];
    edges.push(...shmEdges);
    if (shmDir) await waitGatesOnline(broker.url, {}, SITE, shmGateIds, shmEdges);
    say(`pipeline: ${EDGES} edge daemons online; Mosquitto at ${broker.url}; influxd at ${influxd.url}`);

    gen = await mqtt.connectAsync(broker.url, { clientId: 'bench-terminals', reconnectPeriod: 0 });
    const verdicts = { count: 0, last: 0 };
    gen.on('message', () => {
      verdicts.count++;
      verdicts.last = performance.now();
    });
    await gen.subscribeAsync('face/+/verdict', { qos: 0 });
    const tgCount = (since: number) => countPoints(influxd.url, TG_DB, 'seq', since);
    const nrCount = (since: number) => countPoints(influxd.url, NR_DB, 'temperatureTenths', since);
    const edgePids = edges.slice(0, EDGES).map((e) => e.pid);
    const shmPids = shmEdges.map((e) => e.pid);

    say(`pipeline: warming up ThermoGate (${WARMUP} events)…`);
    await phase(gen, verdicts, tgTerminals, WARMUP, tgCount, edgePids);
    if (shmDir) await phase(gen, verdicts, shmTerminals, WARMUP, tgCount, shmPids);
    const tg: PhaseResult[] = [];
    const shm: PhaseResult[] = [];
    const nr: PhaseResult[] = [];
    const ceil: number[] = [];
    const ceilBig: number[] = [];
    const nrRss: number[] = [];
    const last = (xs: PhaseResult[]) => fmt(xs[xs.length - 1]?.rate ?? Number.NaN);
    for (let rep = 1; rep <= REPS; rep++) {
      say(`pipeline ${rep}/${REPS}: ThermoGate, ${EVENTS} events…`);
      tg.push(await phase(gen, verdicts, tgTerminals, EVENTS, tgCount, edgePids));
      say(`  ${last(tg)} readings/s`);
      if (shmDir) {
        say(`pipeline ${rep}/${REPS}: ThermoGate with its outboxes on tmpfs, ${EVENTS} events…`);
        shm.push(await phase(gen, verdicts, shmTerminals, EVENTS, tgCount, shmPids));
        say(`  ${last(shm)} readings/s`);
      }
      // Node-RED subscribes to face/+/event, so it runs only during its own phase; warmed up each time.
      nodeRed = await startNodeRed({ mqttPort: broker.port, influxPort: influxd.port, database: NR_DB });
      say(`pipeline ${rep}/${REPS}: Node-RED warm-up (${WARMUP} events), then ${EVENTS} events…`);
      await phase(gen, verdicts, nrTerminals, WARMUP, nrCount, [nodeRed.pid]);
      nr.push(await phase(gen, verdicts, nrTerminals, EVENTS, nrCount, [nodeRed.pid]));
      nrRss.push(rssMiB(nodeRed.pid));
      say(`  ${last(nr)} readings/s`);
      await nodeRed.stop();
      nodeRed = undefined;
      say(`pipeline ${rep}/${REPS}: influx client alone, ${EVENTS} points…`);
      ceil.push(await ceiling(influxd.url, EVENTS, 500, 2));
      ceilBig.push(await ceiling(influxd.url, EVENTS, 5000, 2));
      say(
        `  ${fmt(ceil[ceil.length - 1] ?? Number.NaN)} / ${fmt(ceilBig[ceilBig.length - 1] ?? Number.NaN)} readings/s`,
      );
    }
    const edgeRss = edges.slice(0, EDGES).map((e) => rssMiB(e.pid));

    const m = (xs: PhaseResult[], f: (x: PhaseResult) => number) => median(xs.map(f));
    const tgRate = m(tg, (x) => x.rate);
    const nrRate = m(nr, (x) => x.rate);
    const ceilingBest = Math.max(median(ceil), median(ceilBig));
    const ratio = tgRate / nrRate;
    const ofCeiling = tgRate / ceilingBest;
    // Per gate, the edge runs on the gate's own box; the site's server runs broker + InfluxDB
    // (ThermoGate) or broker + Node-RED + InfluxDB (the baseline).
    const tgCentral = m(tg, (x) => x.sharedPerK);
    const nrCentral = m(nr, (x) => x.ownPerK + x.sharedPerK);
    const row = (name: string, xs: PhaseResult[], central: number) => [
      name,
      fmt(m(xs, (x) => x.rate)),
      `${fmt(Math.min(...xs.map((x) => x.rate)))}–${fmt(Math.max(...xs.map((x) => x.rate)))}`,
      fmt(m(xs, (x) => x.verdictRate)),
      `${fmt(Math.min(...xs.map((x) => x.landed)))} / ${fmt(EVENTS)}`,
      fmt(m(xs, (x) => x.cpu.own)),
      ['broker', 'influxd', 'generator'].map((k) => fmt(m(xs, (x) => x.cpu[k as 'broker']))).join(' / '),
      fmt(
        m(xs, (x) => x.ownPerK),
        3,
      ),
      fmt(central, 3),
    ];
    const out: string[] = [
      `## Pipeline throughput: terminal events → decision → points in InfluxDB\n`,
      `Same machine, same run, same Mosquitto 2 broker, same influxd, same event payloads. ${fmt(EVENTS)} events per run, ${REPS} runs of each pipeline, interleaved, each warmed up with ${fmt(WARMUP)} events first. ${EDGES} gates (terminals); the load generator keeps at most ${fmt(WINDOW)} events waiting for a verdict. Readings/s = events ÷ (first event published → last point counted in InfluxDB), median of runs.\n`,
      table(
        [
          'pipeline',
          'readings/s',
          'range',
          'verdicts/s',
          'landed (worst run)',
          'own CPU % of a core',
          'CPU % broker / influxd / generator',
          'own CPU s per 1,000',
          'server CPU s per 1,000',
        ],
        [
          row(`ThermoGate (${EDGES} edge daemons)`, tg, tgCentral),
          ...(shm.length
            ? [
                row(
                  'ThermoGate, outboxes on tmpfs (no fsync; not a shipped mode)',
                  shm,
                  m(shm, (x) => x.sharedPerK),
                ),
              ]
            : []),
          row(`Node-RED ${install.nodeRed} flow`, nr, nrCentral),
        ],
      ),
      '',
      shm.length
        ? `The tmpfs row runs the same edges with their outbox where an fsync costs nothing: the per-reading commit removed entirely, so no group commit could go past it. It reached ${fmt(m(shm, (x) => x.rate))} readings/s (${fmt((m(shm, (x) => x.rate) / ceilingBest) * 100)} % of the ceiling); there the two cores are the limit (CPU columns).`
        : 'No /dev/shm here: the tmpfs comparison was skipped.',
      '',
      '"Server CPU" is what runs on the site server: broker + InfluxDB for ThermoGate (edges run at the gates), broker + Node-RED + InfluxDB for the baseline.',
      '',
      table(
        ['ceiling: the influx client alone, same lines as the edges write', 'readings/s (median)', 'runs'],
        [
          [
            'batches of 500, 2 in flight (the forwarder’s setting)',
            fmt(median(ceil)),
            ceil.map((x) => fmt(x)).join(', '),
          ],
          ['batches of 5,000, 2 in flight', fmt(median(ceilBig)), ceilBig.map((x) => fmt(x)).join(', ')],
        ],
      ),
      '',
      // Issue #22: throughput was the wrong measure (a gate sees about one person a second, and
      // ThermoGate commits every reading while the flow keeps nothing when the database is down);
      // bench/loss.ts has the comparison at equal guarantees. These rows stay as information.
      table(
        ['figure (information, not a target)', 'measured'],
        [
          ['ThermoGate vs Node-RED', `${fmt(ratio, 2)}× (${fmt(tgRate)} vs ${fmt(nrRate)} readings/s)`],
          ['ThermoGate of the ceiling', `${fmt(ofCeiling * 100)} % (${fmt(tgRate)} of ${fmt(ceilingBest)})`],
        ],
      ),
      '',
      `Resident memory after the runs: Node-RED ${fmt(median(nrRss))} MiB; edge daemons ${edgeRss.map((x) => fmt(x)).join(', ')} MiB. ${install.installSeconds ? `Node-RED was installed into bench/.node-red in this run: ${fmt(install.installSeconds)} s.` : 'Node-RED was already installed in bench/.node-red (a cold install takes about 11 s here).'}`,
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    emitResult({
      bench: 'pipeline',
      figures: {
        events: EVENTS,
        reps: REPS,
        edges: EDGES,
        window: WINDOW,
        nodeRed: install.nodeRed,
        nodeRedInfluxNode: install.influxNode,
        nodeRedInstallSeconds: install.installSeconds,
        thermogate: tg,
        thermogateTmpfs: shm,
        nodered: nr,
        ceiling500: ceil,
        ceiling5000: ceilBig,
        medians: {
          thermogate: tgRate,
          nodered: nrRate,
          ceiling: ceilingBest,
          ratio,
          ofCeiling,
          tgCentral,
          nrCentral,
        },
        nodeRedRssMiB: median(nrRss),
        edgeRssMiB: edgeRss,
      },
      targets: [
        {
          figure: 'pipeline readings/s: ThermoGate vs Node-RED',
          value: `${fmt(tgRate)} vs ${fmt(nrRate)} = ${fmt(ratio, 2)}×`,
          target: 'information (issue 22: see loss)',
          met: null,
        },
        {
          figure: 'pipeline readings/s: ThermoGate vs influx client alone (ceiling)',
          value: `${fmt(tgRate)} of ${fmt(ceilingBest)} = ${fmt(ofCeiling * 100)} %`,
          target: 'information (issue 22: see loss)',
          met: null,
        },
      ],
    });
  } finally {
    await gen?.endAsync(true).catch(() => undefined);
    await nodeRed?.stop();
    await Promise.all(edges.map((e) => e.stop('SIGTERM', 10_000)));
    await broker.stop();
    await influxd.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (shmDir) rmSync(shmDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`pipeline bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
