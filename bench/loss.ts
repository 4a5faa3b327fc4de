/**
 * What each option loses, side by side: the same stream of face events (QoS 1, --rate per second
 * for --seconds) goes at the same time to a ThermoGate gate (the edge daemon, `edge/cli.ts`,
 * terminal thermometer, outbox, InfluxDB sink) and to the Node-RED 4 flow of bench/pipeline.ts
 * (bench/node-red/flow.json, installed into bench/.node-red on first use), on one Mosquitto 2 and
 * one influxd (separate databases). During the stream InfluxDB is stopped for --outage seconds
 * (from --outage-at), and each process (the edge, Node-RED) is killed once with SIGKILL at
 * --kill-at and started again at once. Then: readings lost (events sent − distinct events in the
 * database), doubled (points − distinct events), and the time from InfluxDB's return until the
 * last reading is in the database.
 *
 *   npx tsx bench/loss.ts [--rate 10] [--seconds 60] [--outage 30] [--outage-at 5] [--kill-at 15] [--no-node-red]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startInfluxd } from '../test/harness/influxd.ts';
import type { Tracked } from '../test/harness/proc.ts';
import { spawnTs, waitGatesOnline, writeEdgeConfig } from './lib/edges.ts';
import { faceEvent } from './lib/events.ts';
import { createDatabase, influxQuery } from './lib/influx.ts';
import { startBenchMosquitto } from './lib/mosquitto.ts';
import { ensureNodeRed, type NodeRed, startNodeRed } from './lib/node-red.ts';
import { emitResult, fmt, say, type Target } from './lib/result.ts';
import { table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    outage: { type: 'string', default: '30' },
    'outage-at': { type: 'string', default: '5' },
    'kill-at': { type: 'string', default: '15' },
    'no-node-red': { type: 'boolean' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const OUTAGE_S = Number(args.outage);
const OUTAGE_AT = Number(args['outage-at']);
const KILL_AT = Number(args['kill-at']);
const SITE = 'bench';
const TG_DB = 'tg_loss';
const NR_DB = 'nodered_loss';
const NR_ONLY = ` WHERE "terminal" = 'nr-t1'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Points and distinct terminal serial numbers in a database. */
async function counts(
  url: string,
  db: string,
  field: string,
  where = '',
): Promise<{ points: number; distinct: number }> {
  const one = async (q: string) => {
    const body = (await influxQuery(url, q, db).catch(() => ({}))) as {
      results?: { series?: { values?: [number, number][] }[] }[];
    };
    return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
  };
  return {
    points: await one(`SELECT count("${field}") FROM "reading"${where}`),
    distinct: await one(`SELECT count(distinct("${field}")) FROM "reading"${where}`),
  };
}

interface Outcome {
  name: string;
  sent: number;
  /** Distinct events answered at this pipeline's terminal. */
  verdicts: number;
  points: number;
  distinct: number;
  lost: number;
  doubled: number;
  /** InfluxDB back → the last reading in the database, s (null: nothing came after). */
  catchUpS: number | null;
  /** The stream's last event published → the last reading in the database, s (0: already in). */
  afterStreamS: number;
  restartS: number;
}

async function main(): Promise<void> {
  let nrAvailable = !args['no-node-red'];
  let nrWhy = '';
  if (nrAvailable) {
    try {
      const i = ensureNodeRed(say);
      say(`loss: Node-RED ${i.nodeRed}${i.installSeconds ? ` installed in ${fmt(i.installSeconds)} s` : ''}`);
    } catch (e) {
      nrAvailable = false;
      nrWhy = (e as Error).message.split('\n')[0] as string;
      say(`loss: Node-RED not available (${nrWhy}): ThermoGate alone`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-loss-'));
  const influxd = await startInfluxd();
  const broker = await startBenchMosquitto();
  let edge: Tracked | undefined;
  let nodeRed: NodeRed | undefined;
  const gen = await mqtt.connectAsync(broker.url, { clientId: 'bench-terminals', reconnectPeriod: 0 });
  try {
    await createDatabase(influxd.url, NR_DB);
    const gateId = 'gate-loss';
    const config = writeEdgeConfig(dir, {
      siteId: SITE,
      gateId,
      dataDir: join(dir, gateId),
      mqtt: { url: broker.url },
      thermometer: { protocol: 'none' },
      terminal: { deviceId: 'tg-t1', temperatureSource: 'terminal' },
      turnstile: { drive: 'verdict', openMs: 3000 },
      gpio: { backend: 'sim', simPort: 0 },
      policy: { accessListRequired: false },
      storage: { sink: { kind: 'influx', url: influxd.url, database: TG_DB } },
      logLevel: 'warn',
    });
    const startEdgeProc = async () => {
      const p = spawnTs('edge/cli.ts', ['--config', config]);
      await waitGatesOnline(broker.url, {}, SITE, [gateId], [p]);
      return p;
    };
    edge = await startEdgeProc();
    if (nrAvailable)
      nodeRed = await startNodeRed({ mqttPort: broker.port, influxPort: influxd.port, database: NR_DB });
    // Node-RED's flow takes `face/+/event`, so it also sees (and answers, and writes) the ThermoGate
    // terminal's events: its figures count its own terminal's only (the `terminal` tag).
    const answered = { tg: new Set<number>(), nr: new Set<number>() };
    gen.on('message', (t, p) => {
      const serial = (JSON.parse(p.toString()) as { serialNo: number }).serialNo;
      if (t === 'face/nr-t1/verdict') answered.nr.add(serial);
      else if (t === 'face/tg-t1/verdict') answered.tg.add(serial);
    });
    await gen.subscribeAsync('face/+/verdict', { qos: 0 });

    const total = RATE * SECONDS;
    let sent = 0;
    let influxBackAt = 0;
    const restartS = { tg: 0, nr: 0 };
    const t0 = performance.now();
    const events = (async () => {
      while (sent < total) {
        sent++;
        // The same event, byte for byte apart from the terminal's id in the topic.
        const ev = faceEvent(sent, sent);
        gen.publish('face/tg-t1/event', ev, { qos: 1 });
        if (nrAvailable) gen.publish('face/nr-t1/event', ev, { qos: 1 });
        const due = t0 + (sent * 1000) / RATE;
        await sleep(Math.max(0, due - performance.now()));
      }
    })();
    const outage = (async () => {
      await sleep(OUTAGE_AT * 1000);
      say(`loss: InfluxDB stopped for ${OUTAGE_S} s`);
      await influxd.stop();
      await sleep(OUTAGE_S * 1000);
      await influxd.restart();
      influxBackAt = performance.now();
      say('loss: InfluxDB back');
    })();
    const kills = (async () => {
      await sleep(KILL_AT * 1000);
      say('loss: SIGKILL to the edge and to Node-RED, then started again');
      const k0 = performance.now();
      await edge?.stop('SIGKILL');
      if (nodeRed) {
        process.kill(nodeRed.pid, 'SIGKILL');
        await nodeRed.stop();
      }
      const tgBack = startEdgeProc().then((p) => {
        edge = p;
        restartS.tg = (performance.now() - k0) / 1000;
      });
      const nrBack = nrAvailable
        ? startNodeRed({ mqttPort: broker.port, influxPort: influxd.port, database: NR_DB }).then((n) => {
            nodeRed = n;
            restartS.nr = (performance.now() - k0) / 1000;
          })
        : Promise.resolve();
      await Promise.all([tgBack, nrBack]);
    })();
    await Promise.all([events, outage, kills]);
    const streamEnd = performance.now();
    say(`loss: ${fmt(sent)} events sent; waiting for the databases to settle…`);
    // Until both counts have not moved for 10 s (bounded: 3 minutes).
    const last = { tg: { n: -1, at: 0 }, nr: { n: -1, at: 0 } };
    const stableSince = { tg: performance.now(), nr: performance.now() };
    for (let i = 0; i < 360; i++) {
      const tg = await counts(influxd.url, TG_DB, 'terminalSerialNo');
      const nr = nrAvailable
        ? await counts(influxd.url, NR_DB, 'serialNo', NR_ONLY)
        : { points: 0, distinct: 0 };
      const now = performance.now();
      for (const [k, c] of [
        ['tg', tg],
        ['nr', nr],
      ] as const) {
        if (c.points !== last[k].n) {
          last[k] = { n: c.points, at: now };
          stableSince[k] = now;
        }
      }
      if (now - stableSince.tg > 10_000 && now - stableSince.nr > 10_000 && tg.distinct >= Math.min(sent, 1))
        break;
      await sleep(500);
    }
    const outcome = async (
      name: string,
      db: string,
      field: string,
      key: 'tg' | 'nr',
      where = '',
    ): Promise<Outcome> => {
      const c = await counts(influxd.url, db, field, where);
      return {
        name,
        sent,
        verdicts: answered[key].size,
        points: c.points,
        distinct: c.distinct,
        lost: sent - c.distinct,
        doubled: c.points - c.distinct,
        catchUpS: last[key].at > influxBackAt ? (last[key].at - influxBackAt) / 1000 : null,
        afterStreamS: Math.max(0, (last[key].at - streamEnd) / 1000),
        restartS: restartS[key],
      };
    };
    const rows = [await outcome('ThermoGate (edge daemon, outbox)', TG_DB, 'terminalSerialNo', 'tg')];
    if (nrAvailable) rows.push(await outcome('Node-RED 4 flow', NR_DB, 'serialNo', 'nr', NR_ONLY));
    const tg = rows[0] as Outcome;
    const out = [
      '## What each option loses, side by side\n',
      `The same ${fmt(sent)} face events (${RATE}/s for ${SECONDS} s, QoS 1) to ThermoGate and to the Node-RED flow at once, one Mosquitto 2, one influxd. InfluxDB stopped from ${OUTAGE_AT} s for ${OUTAGE_S} s; at ${KILL_AT} s each process killed (SIGKILL) and started again. Catch-up: InfluxDB back → the last reading counted in the database (polled every 0.5 s). Node-RED's flow subscribes to \`face/+/event\`, so it also handled the ThermoGate terminal's events; its row counts its own terminal's only.${nrAvailable ? '' : ` Node-RED not measured: ${nrWhy}.`}\n`,
      table(
        [
          'pipeline',
          'events sent',
          'answered',
          'points',
          'lost',
          'doubled',
          'last reading in after InfluxDB back s',
          'last reading in after the stream ended s',
          'back after SIGKILL s',
        ],
        rows.map((r) => [
          r.name,
          fmt(r.sent),
          fmt(r.verdicts),
          fmt(r.points),
          fmt(r.lost),
          fmt(r.doubled),
          r.catchUpS === null ? 'nothing after' : fmt(r.catchUpS, 1),
          fmt(r.afterStreamS, 1),
          fmt(r.restartS, 1),
        ]),
      ),
      '',
    ];
    const targets: Target[] = [
      {
        figure: 'ThermoGate: readings lost / doubled (InfluxDB down 30 s, edge SIGKILLed once)',
        value: `${fmt(tg.lost)} lost, ${fmt(tg.doubled)} doubled of ${fmt(tg.sent)}; all in ${tg.catchUpS === null ? 'n/a' : `${fmt(tg.catchUpS, 1)} s`} after InfluxDB back`,
        target: '0 lost, 0 doubled',
        met: tg.lost === 0 && tg.doubled === 0,
      },
    ];
    const nr = rows[1];
    if (nr)
      targets.push({
        figure: 'Node-RED 4 flow, same stream and faults: readings lost / doubled (information)',
        value: `${fmt(nr.lost)} lost, ${fmt(nr.doubled)} doubled of ${fmt(nr.sent)}`,
        target: 'information',
        met: null,
      });
    process.stdout.write(`${out.join('\n')}\n`);
    emitResult({ bench: 'loss', figures: { rows, nodeRed: nrAvailable ? 'measured' : nrWhy }, targets });
  } finally {
    await gen.endAsync(true).catch(() => undefined);
    await nodeRed?.stop();
    await edge?.stop('SIGTERM', 10_000);
    await broker.stop();
    await influxd.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`loss bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
