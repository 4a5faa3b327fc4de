/** `sim scenario`: plays a scenario file or a random one on real transports and a real broker. */
import { formatTenths } from '../../protocols/temperature.ts';
import { loadScenarioFile, parseScenario } from '../scenario/load.ts';
import { generateScenario } from '../scenario/random.ts';
import { type PersonOutcome, ScenarioRunner, type ScenarioStep } from '../scenario/runner.ts';
import type { Scenario, ScenarioInput } from '../scenario/schema.ts';
import { badArgs, intArg, numArg, parse, untilSignal } from './args.ts';
import { say } from './print.ts';

export const SCENARIO_HELP = `Usage: npm run sim -- scenario (--file F | --random [--seed N] [--people N]) [options]

Plays people arriving at gate lanes: each lane's thermometer measures the person, the lane's face
terminal then shows the same person, and a released person walks through (passage pulse).
One line per step; a summary per person at the end.

Source:
  --file F            scenario file, YAML or JSON (see firmware-sim/README.md, examples/demo-scenario.yaml)
  --random            generate people and arrivals from a seed instead
    --seed N          (default 1)        --people N       (default 20)
    --fever-rate R    0..1 (default 0.1) --unknown-rate R 0..1 (default 0.1)
    --no-mask-rate R  0..1 (default 0.1) --gap MS         mean time between arrivals (default 1500)

Where the devices are (override the file's values):
  --broker URL        MQTT broker of the terminals (default: the file's broker.url)
  --username U        --password P      broker login for every terminal
  --lane SPEC         a lane, repeatable. SPEC is comma-separated key=value:
                        id=gate-1                 lane id (required)
                        thermometer=tcp:127.0.0.1:4001 | serial:/dev/ttyUSB0 | /dev/ttyUSB0
                        protocol=modbus-ir | gy-mlx90615
                        slave=1  baud=9600  settle=300
                        terminal=term-1           face terminal device id
                        gpio=127.0.0.1:4101       the edge's simulated gate I/O
                        open-by=gpio | verdict | either
                      With --file, a lane whose id exists changes only the keys given; a new id adds
                      a lane. With --random, the lanes are exactly the --lane ones (default: one lane
                      id=gate-1,thermometer=tcp:127.0.0.1:4001,terminal=term-1).
  --ready-timeout MS  wait this long for terminals/GPIO to connect before starting (default 10000)
  --json              print the final report as JSON on stdout instead of the summary
  -h, --help          this text

Examples:
  npm run sim -- scenario --file firmware-sim/examples/demo-scenario.yaml
  npm run sim -- scenario --random --seed 7 --people 50 --broker mqtt://127.0.0.1:1883 \\
      --lane id=gate-1,thermometer=tcp:127.0.0.1:4001,terminal=term-1,gpio=127.0.0.1:4101`;

type LaneInput = ScenarioInput['lanes'][number];

const LANE_KEYS = ['id', 'thermometer', 'protocol', 'slave', 'baud', 'settle', 'terminal', 'gpio', 'open-by'];

/** Parses `id=gate-1,thermometer=tcp:...,terminal=term-1` into the fields it sets. */
export function parseLaneSpec(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) badArgs(`--lane: expected key=value, got ${JSON.stringify(part)}`);
    const key = part.slice(0, eq).trim();
    if (!LANE_KEYS.includes(key))
      badArgs(`--lane: unknown key ${JSON.stringify(key)} (known: ${LANE_KEYS.join(', ')})`);
    out[key] = part.slice(eq + 1).trim();
  }
  if (!out.id) badArgs(`--lane needs id=..., got ${JSON.stringify(spec)}`);
  return out;
}

/** Applies --lane fields to a lane (a copy); the schema validates the result later. */
export function applyLaneSpec(base: LaneInput | undefined, f: Record<string, string>): LaneInput {
  const num = (k: string) => (f[k] === undefined ? undefined : Number(f[k]));
  const lane = structuredClone(
    base ?? {
      id: f.id as string,
      thermometer: { endpoint: 'tcp:127.0.0.1:4001' },
      terminal: { deviceId: 'term-1' },
    },
  ) as LaneInput & Record<string, unknown>;
  const th = lane.thermometer as Record<string, unknown>;
  if (f.thermometer !== undefined) th.endpoint = f.thermometer;
  if (f.protocol !== undefined) th.protocol = f.protocol;
  if (f.slave !== undefined) th.slave = num('slave');
  if (f.baud !== undefined) th.baudRate = num('baud');
  if (f.settle !== undefined) th.settleMs = num('settle');
  if (f.terminal !== undefined) (lane.terminal as Record<string, unknown>).deviceId = f.terminal;
  if (f.gpio !== undefined) lane.gpio = f.gpio;
  if (f['open-by'] !== undefined) lane.openBy = f['open-by'] as LaneInput['openBy'];
  return lane;
}

function outcomeLine(p: PersonOutcome): string {
  const m = p.measurement;
  const measured = m ? (m.completed ? `${formatTenths(m.reportedTenths)}°C` : 'no reading') : '-';
  const v = p.face.verdict;
  const verdict = !p.face.realtime
    ? 'cached'
    : v
      ? `${v.checkResult}/${v.open ? 'open' : 'shut'}`
      : 'no verdict';
  return `${p.lane} ${p.employeeNo.padEnd(8)} true ${formatTenths(p.trueTenths)}°C measured ${measured.padEnd(10)} face #${p.face.serialNo} ${verdict.padEnd(14)} ${p.passed ? 'PASSED' : p.released ? 'released' : 'denied'}${p.faults.length ? ` [${p.faults.join(',')}]` : ''}`;
}

export async function scenarioCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    file: { type: 'string' },
    random: { type: 'boolean' },
    seed: { type: 'string' },
    people: { type: 'string' },
    'fever-rate': { type: 'string' },
    'unknown-rate': { type: 'string' },
    'no-mask-rate': { type: 'string' },
    gap: { type: 'string' },
    broker: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    lane: { type: 'string', multiple: true },
    'ready-timeout': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(SCENARIO_HELP);
    return 0;
  }
  if (!v.file === !v.random) badArgs('give exactly one of --file F or --random');
  if (v.file && (v.seed || v.people)) badArgs('--seed and --people go with --random, not --file');
  const laneSpecs = (v.lane ?? []).map(parseLaneSpec);
  const readyTimeout = intArg('ready-timeout', v['ready-timeout'], 0, 600_000) ?? 10_000;

  let scenario: Scenario;
  if (v.file) {
    const loaded = await loadScenarioFile(v.file);
    if (laneSpecs.length > 0) {
      const lanes: LaneInput[] = [...loaded.lanes];
      for (const f of laneSpecs) {
        const i = lanes.findIndex((l) => l.id === f.id);
        if (i >= 0) lanes[i] = applyLaneSpec(lanes[i], f);
        else lanes.push(applyLaneSpec(undefined, f));
      }
      scenario = parseScenario({ ...loaded, lanes }, `${v.file} with --lane`);
    } else scenario = loaded;
  } else {
    const lanes =
      laneSpecs.length > 0
        ? laneSpecs.map((f) => applyLaneSpec(undefined, f))
        : [applyLaneSpec(undefined, { id: 'gate-1' })];
    scenario = generateScenario({
      seed: intArg('seed', v.seed, 0, 2 ** 32 - 1) ?? 1,
      people: intArg('people', v.people, 1, 100_000) ?? 20,
      lanes,
      feverRate: numArg('fever-rate', v['fever-rate'], 0, 1),
      unknownRate: numArg('unknown-rate', v['unknown-rate'], 0, 1),
      noMaskRate: numArg('no-mask-rate', v['no-mask-rate'], 0, 1),
      meanGapMs: intArg('gap', v.gap, 0, 3_600_000),
    });
  }
  const brokerUrl = v.broker ?? scenario.broker?.url;
  if (!brokerUrl) badArgs('no broker: pass --broker URL or set broker.url in the scenario file');
  const broker = {
    url: brokerUrl,
    username: v.username ?? scenario.broker?.username,
    password: v.password ?? scenario.broker?.password,
  };

  // With --json, stdout carries the report and nothing else (progress goes to stderr then).
  const note = v.json ? (text: string) => process.stderr.write(`${text}\n`) : say;
  const runner = new ScenarioRunner(scenario, { broker });
  runner.on('step', (s: ScenarioStep) => {
    if (!v.json)
      say(`+${(s.t / 1000).toFixed(3)}s ${s.lane}${s.employeeNo ? ` ${s.employeeNo}` : ''}: ${s.text}`);
  });
  for (const lane of runner.allLanes()) {
    note(
      `lane ${lane.id}: ${lane.spec.thermometer.protocol} on ${lane.thermometer.link.description}, terminal ${lane.terminal.deviceId} → ${lane.terminal.description}` +
        (lane.gpio ? `, ${lane.gpio.description}` : ', no gpio'),
    );
  }
  note(`scenario "${scenario.name}": ${scenario.people.length} people, ${scenario.arrivals.length} arrivals`);
  const abort = new AbortController();
  void untilSignal().then((sig) => {
    note(`${sig}: stopping`);
    abort.abort(new Error(sig));
  });
  try {
    await runner.start(0);
    // Terminals and GPIO peers connect in the background; wait for them, but a missing edge must
    // not block forever: the scenario then shows exactly what happens without it. A signal ends
    // the wait too (it did not: Ctrl-C, or systemd's SIGTERM, waited out --ready-timeout).
    const stopping = new Promise<void>((r) =>
      abort.signal.addEventListener('abort', () => r(), { once: true }),
    );
    await Promise.race([
      stopping,
      Promise.all(
        runner
          .allLanes()
          .map((l) =>
            l
              .waitReady(readyTimeout)
              .catch((err: Error) => note(`lane ${l.id}: not ready (${err.message}); starting anyway`)),
          ),
      ),
    ]);
    if (abort.signal.aborted) return 0;
    const report = await runner.run(abort.signal);
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else {
      say('summary:');
      for (const p of report.people) say(`  ${outcomeLine(p)}`);
    }
    return 0;
  } catch (err) {
    if (abort.signal.aborted) return 0;
    throw err;
  } finally {
    await runner.stop();
  }
}
