import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatTenths } from '../../protocols/temperature.ts';
import { SimErrorCode } from '../errors.ts';
import type { TcpDeviceServer } from '../transport/tcp-server.ts';
import { startBroker } from '../../test/doubles/firmware-sim/aedes-broker.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { startFakeEdge } from '../../test/doubles/firmware-sim/fake-edge.ts';
import { startFakeGpioEdge } from '../../test/doubles/firmware-sim/fake-gpio-edge.ts';
import { startFakeIsapiGate } from '../../test/doubles/firmware-sim/fake-isapi-gate.ts';
import { loadScenarioFile, parseScenario } from './load.ts';
import { generateScenario } from './random.ts';
import { type PersonOutcome, ScenarioRunner, type ScenarioStep } from './runner.ts';
import type { ScenarioInput } from './schema.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lane = (over: Record<string, unknown> = {}) => ({
  id: 'gate-1',
  thermometer: { protocol: 'modbus-ir', endpoint: 'tcp:127.0.0.1:0', settleMs: 60 },
  terminal: { deviceId: 'term-1', remoteCheckTimeoutMs: 1000 },
  ...over,
});

describe('scenario files', () => {
  it('loads the example demo scenario', async () => {
    const s = await loadScenarioFile(new URL('../examples/demo-scenario.yaml', import.meta.url).pathname);
    expect(s.lanes.length).toBeGreaterThanOrEqual(1);
    expect(s.arrivals.length).toBeGreaterThan(3);
  });

  it('fails with the key path of the mistake', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-sim-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'lanes:\n  - id: gate-1\n    thermometer: { endpoint: "nowhere" }\n    terminal: { deviceId: t1 }\npeople: []\narrivals: [{ atMs: 0, person: E404 }]\n',
    );
    await expect(loadScenarioFile(bad)).rejects.toMatchObject({ code: SimErrorCode.SCENARIO_INVALID });
    await expect(loadScenarioFile(bad)).rejects.toThrow(
      /bad\.yaml: lanes\.0\.thermometer\.endpoint: must be a tty path/,
    );
    const json = join(dir, 'x.json');
    await writeFile(
      json,
      JSON.stringify({ lanes: [lane()], people: [], arrivals: [{ atMs: 0, person: 'E404' }] }),
    );
    await expect(loadScenarioFile(json)).rejects.toThrow(/arrivals\.0\.person: no person E404/);
    await writeFile(json, '{ nope');
    await expect(loadScenarioFile(json)).rejects.toThrow(/not valid JSON/);
  });

  it('random scenarios are reproducible from the seed and honour the rates', () => {
    const lanes = [
      lane(),
      lane({ id: 'gate-2', terminal: { deviceId: 'term-2' } }),
    ] as ScenarioInput['lanes'];
    const a = generateScenario({
      seed: 42,
      people: 200,
      lanes,
      feverRate: 0.2,
      unknownRate: 0.1,
      noMaskRate: 0.3,
    });
    const b = generateScenario({
      seed: 42,
      people: 200,
      lanes,
      feverRate: 0.2,
      unknownRate: 0.1,
      noMaskRate: 0.3,
    });
    expect(a).toEqual(b);
    expect(generateScenario({ seed: 43, people: 200, lanes })).not.toEqual(a);
    const fever = a.people.filter((p) => p.temperatureTenths >= 373).length;
    expect(fever).toBeGreaterThan(20);
    expect(fever).toBeLessThan(60);
    expect(a.people.filter((p) => p.mask === 'no').length).toBeGreaterThan(35);
    expect(new Set(a.arrivals.map((x) => x.lane))).toEqual(new Set(['gate-1', 'gate-2']));
    const times = a.arrivals.map((x) => x.atMs);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });
});

describe('ScenarioRunner', () => {
  it('keeps thermometer and terminal consistent: the temperature paired with person k is person k’s', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const gpio = await startFakeGpioEdge();
    cleanups.push(() => gpio.close());
    const scenario = parseScenario({
      name: 'consistency',
      timing: { skewMs: 40, walkMs: 30, releaseWaitMs: 400, deniedDwellMs: 30 },
      lanes: [lane({ gpio: `127.0.0.1:${gpio.port}`, openBy: 'gpio' })],
      people: [
        { employeeNo: 'E1', name: 'A', temperatureTenths: 365 },
        { employeeNo: 'E2', name: 'B', temperatureTenths: 382 },
        { employeeNo: 'V3', temperatureTenths: 368, recognised: false },
        { employeeNo: 'E4', name: 'D', temperatureTenths: 370, mask: 'no' },
        { employeeNo: 'E5', name: 'E', temperatureTenths: 361 },
      ],
      // All due at once: the lane queue must still serve them one after another.
      arrivals: ['E1', 'E2', 'V3', 'E4', 'E5'].map((person, i) => ({ atMs: i * 20, person })),
    });
    const runner = new ScenarioRunner(scenario, { broker: { url: broker.url } });
    cleanups.push(() => runner.stop());
    const steps: ScenarioStep[] = [];
    runner.on('step', (s: ScenarioStep) => steps.push(s));
    await runner.start(3000);
    const port = (runner.lane('gate-1').thermometer.link as TcpDeviceServer).address().port;
    const edge = await startFakeEdge({ brokerUrl: broker.url, thermometerPort: port, gpio });
    cleanups.push(() => edge.close());

    const report = await runner.run();
    expect(report.people.map((p) => p.employeeNo)).toEqual(['E1', 'E2', 'V3', 'E4', 'E5']);
    for (const p of report.people) {
      // The simulator measured this person …
      expect(p.measurement?.completed).toBe(true);
      expect(p.measurement?.reportedTenths).toBe(p.trueTenths);
      // … and the edge, pairing by time on the wire, saw this person's temperature for this face.
      expect(p.face.verdict?.display).toBe(`${formatTenths(p.trueTenths)}°C`);
      const shouldOpen = p.trueTenths < 373 && p.recognised;
      expect(p.face.opened, p.employeeNo).toBe(shouldOpen);
      expect(p.released, p.employeeNo).toBe(shouldOpen);
      expect(p.passed, p.employeeNo).toBe(shouldOpen);
    }
    // Sequence numbers went up by one per person, face serials too.
    const seqs = report.people.map((p) => p.measurement?.sequence);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(report.people.map((p) => p.face.serialNo)).toEqual([1, 2, 3, 4, 5]);
    expect(edge.paired.map((x) => x.sequence)).toEqual(seqs);
    expect(gpio.pulses('passage')).toBe(3);
    // Each person is served after the previous one left.
    for (let i = 1; i < report.people.length; i++)
      expect((report.people[i] as { startedMs: number }).startedMs).toBeGreaterThan(
        (report.people[i - 1] as { face: { atMs: number } }).face.atMs,
      );
    expect(steps.some((s) => /thermometer measured 38\.2°C seq 2/.test(s.text))).toBe(true);
  });

  it('applies scheduled faults: sensor fault → no measurement; terminal offline → cached, re-uploaded', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const scenario = parseScenario({
      timing: { skewMs: 20, walkMs: 10, releaseWaitMs: 100, deniedDwellMs: 10 },
      lanes: [
        lane({
          openBy: 'verdict',
          terminal: { deviceId: 'term-1', remoteCheckTimeoutMs: 200 },
          // Wall-clock windows (the scenario runs in real time): each person is due a few hundred ms
          // inside their window, so a loaded machine's late timers do not move them out of it
          // (the windows were 140 ms wide and failed under load).
          faults: [
            { kind: 'sensor-fault', atMs: 0, durationMs: 500 },
            { kind: 'terminal-offline', atMs: 600, durationMs: 1000 },
          ],
        }),
      ],
      people: [
        { employeeNo: 'E1', temperatureTenths: 365 },
        { employeeNo: 'E2', temperatureTenths: 366 },
        { employeeNo: 'E3', temperatureTenths: 367 },
      ],
      arrivals: [
        { atMs: 10, person: 'E1' },
        { atMs: 800, person: 'E2' },
        { atMs: 1900, person: 'E3' },
      ],
    });
    const runner = new ScenarioRunner(scenario, { broker: { url: broker.url } });
    cleanups.push(() => runner.stop());
    await runner.start(3000);
    const port = (runner.lane('gate-1').thermometer.link as TcpDeviceServer).address().port;
    const edge = await startFakeEdge({ brokerUrl: broker.url, thermometerPort: port, pairWaitMs: 50 });
    cleanups.push(() => edge.close());
    const report = await runner.run();
    const [p1, p2, p3] = report.people;
    expect(p1?.faults).toContain('sensor-fault');
    expect(p1?.measurement?.completed).toBe(false);
    expect(p1?.face.verdict?.display).toBe('no measurement');
    expect(p1?.released).toBe(false);
    expect(p2?.faults).toContain('terminal-offline');
    expect(p2?.face).toMatchObject({ realtime: false, opened: false });
    expect(p3?.face).toMatchObject({ realtime: true, opened: true });
    // The cached record of E2 reached the edge after the terminal came back, and was acked.
    const terminal = runner.lane('gate-1').terminal;
    expect(terminal.pendingOfflineRecords()).toEqual([]);
  });

  it('honours the skew: negative puts the face event before the measurement, beyond -settle shifts the thermometer', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const scenario = parseScenario({
      timing: { walkMs: 0, releaseWaitMs: 0, deniedDwellMs: 10 },
      lanes: [
        lane({
          thermometer: { endpoint: 'tcp:127.0.0.1:0', settleMs: 150 },
          terminal: { deviceId: 'term-1', remoteCheckTimeoutMs: 50 },
        }),
      ],
      people: [
        { employeeNo: 'E1', temperatureTenths: 365 },
        { employeeNo: 'E2', temperatureTenths: 366 },
        { employeeNo: 'E3', temperatureTenths: 367 },
      ],
      arrivals: [
        { atMs: 0, person: 'E1', skewMs: 100 },
        { atMs: 0, person: 'E2', skewMs: -100 },
        { atMs: 0, person: 'E3', skewMs: -400 },
      ],
    });
    const runner = new ScenarioRunner(scenario, { broker: { url: broker.url } });
    cleanups.push(() => runner.stop());
    await runner.start(3000);
    const report = await runner.run();
    const [late, early, veryEarly] = report.people as [PersonOutcome, PersonOutcome, PersonOutcome];
    const gap = (p: PersonOutcome) => p.face.atMs - p.measuredMs;
    expect(gap(late)).toBeGreaterThanOrEqual(80);
    expect(gap(early)).toBeLessThanOrEqual(-80);
    expect(gap(veryEarly)).toBeLessThanOrEqual(-380);
    // Seen before the thermometer even had a target: the measurement still belongs to this person.
    expect(veryEarly.measurement?.reportedTenths).toBe(367);
    for (const p of report.people) expect(p.face).toMatchObject({ timedOut: true, opened: false });
  });

  it('an ISAPI lane: pushes to the gate, takes its Digest verdicts; offline events are re-sent, not realtime', async () => {
    let runner: ScenarioRunner | undefined;
    const gate = await startFakeIsapiGate({
      terminal: () => runner?.lane('gate-1').terminal.address ?? '',
      password: 'Web-Pw-1',
    });
    cleanups.push(() => gate.close());
    const scenario = parseScenario({
      timing: { skewMs: 20, walkMs: 10, releaseWaitMs: 100, deniedDwellMs: 10 },
      lanes: [
        lane({
          openBy: 'verdict',
          terminal: {
            deviceId: 'term-1',
            protocol: 'hik-isapi',
            password: 'Web-Pw-1',
            listen: '127.0.0.1:0',
            pushUrl: gate.pushUrl,
            remoteCheckTimeoutMs: 1000,
            thermometer: { unit: 'celsius' },
          },
          // Wide margins: people at one lane are served one after another (a busy machine is slow).
          faults: [{ kind: 'terminal-offline', atMs: 1000, durationMs: 600 }],
        }),
      ],
      people: [
        { employeeNo: 'E1', temperatureTenths: 365 },
        { employeeNo: 'V2', temperatureTenths: 366, recognised: false },
        { employeeNo: 'E3', temperatureTenths: 367 },
        { employeeNo: 'E4', temperatureTenths: 364 },
      ],
      arrivals: [
        { atMs: 0, person: 'E1' },
        { atMs: 50, person: 'V2' },
        { atMs: 1200, person: 'E3' },
        { atMs: 2000, person: 'E4' },
      ],
    });
    runner = new ScenarioRunner(scenario, { broker: { url: 'mqtt://127.0.0.1:1' } });
    const r = runner;
    cleanups.push(() => r.stop());
    await r.start(3000);
    const report = await r.run();
    const [p1, p2, p3, p4] = report.people;
    expect(p1?.face).toMatchObject({ realtime: true, opened: true, verdict: { checkResult: 'success' } });
    expect(p2?.face).toMatchObject({ realtime: true, opened: false, verdict: { checkResult: 'failed' } });
    expect(p3?.faults).toContain('terminal-offline');
    expect(p3?.face).toMatchObject({ realtime: false, opened: false });
    expect(p4?.face).toMatchObject({ realtime: true, opened: true });
    // E3's event reached the gate once the terminal was back, marked as re-sent.
    await waitFor(() => gate.received.some((e) => e.employeeNo === 'E3'), {
      what: "E3's re-sent event at the gate",
      intervalMs: 20,
    });
    expect(gate.received.filter((e) => e.employeeNo === 'E3')).toEqual([
      { serialNo: p3?.face.serialNo, employeeNo: 'E3', realtime: false },
    ]);
    expect(r.lane('gate-1').terminal.pendingOfflineRecords()).toEqual([]);
  });
});
