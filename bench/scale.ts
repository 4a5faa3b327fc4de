/**
 * Scale of the site broker: how the hub's CPU and latency grow with 10, 100 and 300 gates, next
 * to Mosquitto 2 with the equivalent passwords and ACL, same load, same run. Writes bench/scale.svg.
 *
 * A simulated gate is the traffic a real one makes on the broker: its terminal publishes a face
 * event (QoS 1), the gate answers with the verdict and publishes its decision and reading (QoS 1,
 * about 1 KB each) and a heartbeat every 10 s (QoS 0); a dashboard-role client subscribed to
 * `tg/{site}/#` (as the dashboard is) takes everything the gates publish. One person per gate
 * per second (--rate). Every client authenticates with its own credentials and is held to its ACL.
 * Latencies: terminal event → verdict back at the terminal (two hops through the broker), and
 * gate's decision → dashboard client. CPU and memory of the broker process from /proc.
 *
 * The largest size is judged against issue 22's targets for a campus on one hub: event → verdict
 * p99 < 50 ms and nothing lost at 1,000 gates (Mosquitto is measured up to --mosquitto-max gates).
 *
 *   npx tsx bench/scale.ts [--gates 10,100,300,1000] [--rate 1] [--seconds 15] [--no-mosquitto] [--mosquitto-max 1000]
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { mosquittoAvailable } from '../test/harness/mosquitto.ts';
import { faceEvent } from './lib/events.ts';
import { BENCH_PASSWORD, type Broker, siteDevices, startHub, startMosquittoFor } from './lib/hub.ts';
import { CpuMeter, rssMiB } from './lib/procfs.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { linePlots } from './lib/svg-plot.ts';
import { summarize, table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    gates: { type: 'string', default: '10,100,300,1000' },
    'mosquitto-max': { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '15' },
    /** People per gate per second. */
    rate: { type: 'string', default: '1' },
    'no-mosquitto': { type: 'boolean' },
  },
});
const SIZES = (args.gates as string).split(',').map(Number);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const WARMUP_S = 3;
const SITE = 'bench';
const ROOT = resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Point {
  broker: 'hub' | 'mosquitto';
  gates: number;
  passagesPerS: number;
  verdict: { n: number; p50: number; p99: number; max: number };
  decision: { n: number; p50: number; p99: number; max: number };
  lost: number;
  cpuPct: number;
  rssMiB: number;
}

async function connect(url: string, o: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 30_000, ...o });
}

const pad = 'x'.repeat(400);

async function load(kind: Point['broker'], broker: Broker, gates: number): Promise<Point> {
  const ids = Array.from({ length: gates }, (_, i) => String(i + 1).padStart(3, '0'));
  const verdictMs: number[] = [];
  const decisionMs: number[] = [];
  const decisionSent = new Map<string, number>();
  let measuring = false;
  const dashboard = await connect(broker.url, {
    username: 'observer',
    password: BENCH_PASSWORD,
    clientId: 'observer',
  });
  dashboard.on('message', (topic, payload) => {
    if (!topic.endsWith('/decision')) return;
    const now = performance.now();
    const text = payload.toString();
    const id = text.slice(7, text.indexOf('"', 7));
    const t = decisionSent.get(id);
    if (t === undefined) return;
    decisionSent.delete(id);
    if (measuring) decisionMs.push(now - t);
  });
  await dashboard.subscribeAsync(`tg/${SITE}/#`, { qos: 1 });

  const clients: MqttClient[] = [dashboard];
  const lanes: Array<() => void> = [];
  for (const n of ids) {
    const gateId = `gate-${n}`;
    const termId = `term-${n}`;
    const gate = await connect(broker.url, {
      username: gateId,
      password: BENCH_PASSWORD,
      clientId: `tg-edge-${SITE}-${gateId}`,
      clean: false,
    });
    const term = await connect(broker.url, { username: termId, password: BENCH_PASSWORD, clientId: termId });
    clients.push(gate, term);
    let seq = 0;
    gate.on('message', (_t, payload) => {
      const ev = JSON.parse(payload.toString()) as { serialNo: number; currTemperature: number };
      const ok = ev.currTemperature < 37.3;
      gate.publish(
        `face/${termId}/verdict`,
        JSON.stringify({
          serialNo: ev.serialNo,
          checkResult: ok ? 'success' : 'failed',
          open: false,
          display: `${ev.currTemperature}°C`,
          lang: 'zh-CN',
        }),
        { qos: 1 },
      );
      const id = `${gateId}:${seq++}`;
      decisionSent.set(id, performance.now());
      gate.publish(
        `tg/${SITE}/gate/${gateId}/decision`,
        `{"id":"${id}","kind":"decision","pad":"${pad}${pad}"}`,
        {
          qos: 1,
        },
      );
      gate.publish(`tg/${SITE}/gate/${gateId}/reading`, `{"id":"${id}","kind":"reading","pad":"${pad}"}`, {
        qos: 1,
      });
    });
    await gate.subscribeAsync(`face/${termId}/event`, { qos: 1 });
    const eventSent = new Map<number, number>();
    term.on('message', (_t, payload) => {
      const now = performance.now();
      const serialNo = (JSON.parse(payload.toString()) as { serialNo: number }).serialNo;
      const t = eventSent.get(serialNo);
      if (t === undefined) return;
      eventSent.delete(serialNo);
      if (measuring) verdictMs.push(now - t);
    });
    await term.subscribeAsync(`face/${termId}/verdict`, { qos: 1 });
    let serial = 0;
    lanes.push(() => {
      serial++;
      eventSent.set(serial, performance.now());
      term.publish(`face/${termId}/event`, faceEvent(serial, serial), { qos: 1 });
    });
    lanes.push(() =>
      gate.publish(`tg/${SITE}/gate/${gateId}/heartbeat`, `{"gate":"${gateId}","pad":"${pad}"}`, { qos: 0 }),
    );
  }

  const timers: NodeJS.Timeout[] = [];
  ids.forEach((_, i) => {
    const person = lanes[2 * i] as () => void;
    const heartbeat = lanes[2 * i + 1] as () => void;
    // Spread the gates over the second so they do not publish in lockstep.
    timers.push(
      setTimeout(
        () => {
          person();
          timers.push(setInterval(person, 1000 / RATE), setInterval(heartbeat, 10_000));
        },
        (i * 1000) / gates,
      ),
    );
  });
  await sleep(WARMUP_S * 1000);
  const cpu = new CpuMeter([broker.pid]);
  measuring = true;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpuPct = cpu.percent();
  for (const t of timers) clearTimeout(t);
  await sleep(1000); // in-flight messages land
  const rss = rssMiB(broker.pid);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  const v = summarize(verdictMs);
  return {
    broker: kind,
    gates,
    passagesPerS: v.n / elapsed,
    verdict: v,
    decision: summarize(decisionMs),
    lost: decisionSent.size,
    cpuPct,
    rssMiB: rss,
  };
}

async function main(): Promise<void> {
  const withMosquitto = !args['no-mosquitto'] && mosquittoAvailable();
  const points: Point[] = [];
  for (const gates of SIZES) {
    const devices = siteDevices(SITE, gates);
    say(`scale: hub, ${gates} gates, ${SECONDS} s…`);
    const hub = await startHub(SITE, devices);
    try {
      points.push(await load('hub', hub, gates));
    } finally {
      await hub.stop();
    }
    if (withMosquitto && gates <= Number(args['mosquitto-max'])) {
      say(`scale: Mosquitto, ${gates} gates, ${SECONDS} s…`);
      const m = await startMosquittoFor(devices);
      try {
        points.push(await load('mosquitto', m, gates));
      } finally {
        await m.stop();
      }
    }
  }
  const svg = linePlots([
    {
      title: 'Broker CPU',
      xLabel: `gates (${RATE} person/s each)`,
      yLabel: '% of one core',
      series: [
        {
          name: 'hub',
          color: '#c0392b',
          points: points.filter((p) => p.broker === 'hub').map((p) => [p.gates, p.cpuPct]),
        },
        ...(withMosquitto
          ? [
              {
                name: 'Mosquitto 2',
                color: '#7f8c8d',
                dashed: true,
                points: points
                  .filter((p) => p.broker === 'mosquitto')
                  .map((p) => [p.gates, p.cpuPct] as [number, number]),
              },
            ]
          : []),
      ],
    },
    {
      title: 'Terminal event → verdict (two broker hops)',
      xLabel: `gates (${RATE} person/s each)`,
      yLabel: 'ms',
      series: [
        {
          name: 'hub p50',
          color: '#c0392b',
          points: points.filter((p) => p.broker === 'hub').map((p) => [p.gates, p.verdict.p50]),
        },
        {
          name: 'hub p99',
          color: '#e67e22',
          points: points.filter((p) => p.broker === 'hub').map((p) => [p.gates, p.verdict.p99]),
        },
        ...(withMosquitto
          ? [
              {
                name: 'Mosquitto p50',
                color: '#7f8c8d',
                dashed: true,
                points: points
                  .filter((p) => p.broker === 'mosquitto')
                  .map((p) => [p.gates, p.verdict.p50] as [number, number]),
              },
              {
                name: 'Mosquitto p99',
                color: '#2c3e50',
                dashed: true,
                points: points
                  .filter((p) => p.broker === 'mosquitto')
                  .map((p) => [p.gates, p.verdict.p99] as [number, number]),
              },
            ]
          : []),
      ],
    },
  ]);
  writeFileSync(join(ROOT, 'bench', 'scale.svg'), svg);
  const out = [
    `## Scale: the site broker with ${SIZES.join(', ')} gates\n`,
    `Simulated gates and terminals (MQTT clients with their own credentials and ACLs), ${RATE} person(s) per gate per second: event → verdict → decision + reading, heartbeats every 10 s, a dashboard-role client on \`tg/${SITE}/#\`. ${SECONDS} s measured after ${WARMUP_S} s of warm-up. Broker CPU from /proc; the load generator shares the machine.\n`,
    table(
      [
        'broker',
        'gates',
        'passages/s',
        'event → verdict p50 / p99 ms',
        'decision → dashboard p50 / p99 ms',
        'lost',
        'broker CPU %',
        'broker RSS MiB',
      ],
      points.map((p) => [
        p.broker === 'hub' ? 'hub (aedes + SQLite)' : 'Mosquitto 2',
        String(p.gates),
        fmt(p.passagesPerS),
        `${fmt(p.verdict.p50, 1)} / ${fmt(p.verdict.p99, 1)}`,
        `${fmt(p.decision.p50, 1)} / ${fmt(p.decision.p99, 1)}`,
        String(p.lost),
        fmt(p.cpuPct),
        fmt(p.rssMiB),
      ]),
    ),
    '',
    '![hub CPU and latency against the number of gates](scale.svg)',
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  const top = points.filter((p) => p.broker === 'hub').at(-1);
  emitResult({
    bench: 'scale',
    figures: { seconds: SECONDS, points },
    targets: top
      ? [
          {
            figure: `hub, ${fmt(top.gates)} gates × ${RATE} passage/s: event → verdict p99 (simulated gates)`,
            value: `${fmt(top.verdict.p99, 1)} ms (${fmt(top.passagesPerS)} passages/s; hub CPU ${fmt(top.cpuPct)} %, RSS ${fmt(top.rssMiB)} MiB)`,
            target: '< 50 ms',
            met: top.verdict.p99 < 50,
          },
          {
            figure: `hub, ${fmt(top.gates)} gates: decisions lost`,
            value: fmt(top.lost),
            target: '0',
            met: top.lost === 0,
          },
        ]
      : [],
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`scale bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
