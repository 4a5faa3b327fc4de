/**
 * Footprint of one edge daemon: resident memory and CPU of a single gate process at a gate's pace
 * (one person per second), with a Modbus thermometer simulator over TCP polled every 200 ms, the
 * simulator's face terminal, Mosquitto and a real InfluxDB sink. Four ways to start the same code:
 *   - `npm run edge`: node --import tsx edge/cli.ts (TypeScript compiled on load), for information;
 *   - the bundle `npm run build:edge` makes (deploy/build-edge.ts, built here by the same function
 *     into node_modules/.cache so a user's dist/ is left alone) run by plain node, then with V8's
 *     young generation capped (--max-semi-space-size=1);
 *   - that bundle with EDGE_NODE_FLAGS (also without V8's optimising compiler, --lite-mode): what
 *     a gate runs (deploy/systemd/thermogate-edge.service), and the row the RSS target is judged on.
 *
 *   npx tsx bench/footprint.ts [--seconds 20]
 */
process.env.TG_SIM_LOG_LEVEL ??= 'warn';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildEdge, EDGE_NODE_FLAGS } from '../deploy/build-edge.ts';
import { FaceTerminal } from '../firmware-sim/face/terminal.ts';
import { ThermometerSim } from '../firmware-sim/thermometer-sim.ts';
import { startInfluxd } from '../test/harness/influxd.ts';
import { freePort } from '../test/harness/ports.ts';
import { spawnTracked, type Tracked } from '../test/harness/proc.ts';
import { spawnTs, waitGatesOnline, writeEdgeConfig } from './lib/edges.ts';
import { temperatureOf } from './lib/events.ts';
import { startBenchMosquitto } from './lib/mosquitto.ts';
import { cpuSeconds, peakRssMB, rssMB } from './lib/procfs.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { median, table } from './stats.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const SECONDS = Number(args.seconds);
const ROOT = resolve(import.meta.dirname, '..');
const SITE = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Variant {
  name: string;
  /** What gates run: the RSS target is judged on this row alone. */
  shipped?: boolean;
  start: (config: string) => Tracked;
}

interface Footprint {
  name: string;
  shipped: boolean;
  /** Median of the samples taken twice a second after the first 5 s. */
  rssMB: number;
  peakMB: number;
  /** % of one core at one passage per second. */
  cpuPct: number;
  passages: number;
}

/** The shipped bundle, inside node_modules/.cache so its external packages resolve from the repo. */
async function bundleEdge(): Promise<string> {
  const { outfile } = await buildEdge({ outdir: join(ROOT, 'node_modules', '.cache', 'thermogate-bench') });
  return outfile;
}

async function measure(v: Variant, brokerUrl: string, influxUrl: string, dir: string): Promise<Footprint> {
  const port = await freePort();
  const sim = new ThermometerSim({
    protocol: 'modbus-ir',
    endpoint: { kind: 'tcp', host: '127.0.0.1', port },
    settleMs: 50,
  });
  await sim.start();
  const gateId = `gate-${v.name.replace(/[^a-z0-9]/gi, '').slice(0, 20)}`;
  const terminalId = `t-${gateId}`;
  const config = writeEdgeConfig(dir, {
    siteId: SITE,
    gateId,
    dataDir: join(dir, gateId),
    mqtt: { url: brokerUrl },
    thermometer: { protocol: 'modbus-ir', port: `tcp://127.0.0.1:${port}` },
    terminal: { deviceId: terminalId },
    gpio: { backend: 'sim', simPort: 0 },
    policy: { accessListRequired: false },
    storage: { sink: { kind: 'influx', url: influxUrl, database: 'tg_footprint' } },
    logLevel: 'warn',
  });
  const edge = v.start(config);
  const terminal = new FaceTerminal({ brokerUrl, deviceId: terminalId });
  try {
    await waitGatesOnline(brokerUrl, {}, SITE, [gateId], [edge]);
    await terminal.start();
    await terminal.waitOnline();
    const t0 = performance.now();
    const samples: number[] = [];
    // Resident memory moves with every GC cycle: sample twice a second after a 5 s settling time.
    const sampler = setInterval(() => {
      if (performance.now() - t0 > 5000) samples.push(rssMB(edge.pid));
    }, 500);
    let passages = 0;
    const cpu0 = cpuSeconds(edge.pid);
    for (let s = 0; s < SECONDS; s++) {
      const started = performance.now();
      const tenths = temperatureOf(s);
      await sim.measure(tenths);
      await sleep(250);
      const r = await terminal.present({ employeeNo: `E${10000 + s}`, name: '张伟', mask: 'yes' });
      if (!r.timedOut) passages++;
      sim.leave();
      await sleep(1000 - (performance.now() - started));
    }
    clearInterval(sampler);
    const cpuPct = ((cpuSeconds(edge.pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    return {
      name: v.name,
      shipped: v.shipped === true,
      rssMB: median(samples),
      peakMB: peakRssMB(edge.pid),
      cpuPct,
      passages,
    };
  } finally {
    await terminal.stop();
    await edge.stop('SIGTERM', 10_000);
    await sim.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-footprint-'));
  const influxd = await startInfluxd();
  const broker = await startBenchMosquitto();
  try {
    const bundle = await bundleEdge();
    const node = (flags: readonly string[]) => (c: string) =>
      spawnTracked(process.execPath, [...flags, bundle, '--config', c], { cwd: ROOT });
    const variants: Variant[] = [
      {
        name: 'npm run edge (node --import tsx edge/cli.ts), not shipped',
        start: (c) => spawnTs('edge/cli.ts', ['--config', c]),
      },
      { name: 'dist/edge.mjs, plain node', start: node([]) },
      { name: 'dist/edge.mjs, node --max-semi-space-size=1', start: node(['--max-semi-space-size=1']) },
      {
        name: `as shipped: dist/edge.mjs, node ${EDGE_NODE_FLAGS.join(' ')}`,
        shipped: true,
        start: node(EDGE_NODE_FLAGS),
      },
    ];
    const results: Footprint[] = [];
    for (const v of variants) {
      say(`footprint: ${v.name}, ${SECONDS} s at one person per second…`);
      results.push(await measure(v, broker.url, influxd.url, dir));
    }
    const shipped = results.find((r) => r.shipped) as Footprint;
    const out = [
      '## Footprint of one edge daemon\n',
      `One gate process at a gate's pace (one person per second for ${SECONDS} s), Modbus thermometer simulator over TCP polled every 200 ms, face terminal simulator, Mosquitto, InfluxDB sink. Resident memory = median of samples taken twice a second after the first 5 s; peak = the kernel's high-water mark (VmHWM), start-up included. Gates run the bundle \`npm run build:edge\` makes, with the flags of the last row (deploy/systemd/thermogate-edge.service): the < 80 MB target is judged on that row; the others show where the memory goes.\n`,
      table(
        ['started as', 'RSS MB', 'peak MB', 'CPU % of a core', 'passages', 'RSS < 80 MB'],
        results.map((r) => [
          r.shipped ? `**${r.name}**` : r.name,
          fmt(r.rssMB, 1),
          fmt(r.peakMB, 1),
          fmt(r.cpuPct, 1),
          fmt(r.passages),
          `${r.rssMB < 80 ? 'yes' : 'no'}${r.shipped ? ' (the target)' : ''}`,
        ]),
      ),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    emitResult({
      bench: 'footprint',
      figures: { seconds: SECONDS, results },
      targets: [
        {
          figure: `edge daemon RSS, ${shipped.name}`,
          value: `${fmt(shipped.rssMB, 1)} MB (peak ${fmt(shipped.peakMB, 1)})`,
          target: '< 80 MB',
          met: shipped.rssMB < 80,
        },
      ],
    });
  } finally {
    await broker.stop();
    await influxd.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`footprint bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
