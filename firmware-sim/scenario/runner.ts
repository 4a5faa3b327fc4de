/**
 * Plays a scenario on its lanes. For each arrival, in order per lane (one person in front of a
 * terminal at a time):
 *   1. the person steps up: the lane's thermometer measures *that person's* temperature;
 *   2. `skewMs` after the measurement completes (negative: before; late: long after) the terminal
 *      sees the same person and publishes the face event, then waits for its verdict;
 *   3. if the turnstile was released (the terminal's verdict, the edge's release line, or either,
 *      per lane `openBy`) the person walks through: a passage pulse after `walkMs`; otherwise they
 *      wait `deniedDwellMs` and turn away. Either way the thermometer loses its target.
 * Faults are switched on and off on each lane's schedule meanwhile. The report says, per person,
 * what the devices did and what came back, so a test can compare with the edge's records.
 */
import { EventEmitter } from 'node:events';
import type { FaceVerdict } from '../../protocols/face-mqtt/index.ts';
import { formatTenths } from '../../protocols/temperature.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import type { SimMeasurement } from '../thermometer-sim.ts';
import { sleep, sleepUnlessAborted } from '../time.ts';
import { type BrokerSettings, Lane } from './lane.ts';
import type { ArrivalSpec, FaultSpec, PersonSpec, Scenario } from './schema.ts';

export interface PersonOutcome {
  employeeNo: string;
  name: string;
  lane: string;
  /** Index of the arrival in the scenario. */
  arrival: number;
  trueTenths: number;
  recognised: boolean;
  mask: PersonSpec['mask'];
  /** Scheduled and actual start, ms after the run started. */
  scheduledMs: number;
  startedMs: number;
  skewMs: number;
  /** What the thermometer produced for this person. */
  measurement: SimMeasurement | undefined;
  /** When the measurement completed (or was given up), ms after the run started. */
  measuredMs: number;
  face: {
    serialNo: number;
    /** Time of the face event, ms after the run started. */
    atMs: number;
    realtime: boolean;
    verdict: FaceVerdict | undefined;
    /** The terminal opened on its own verdict. */
    opened: boolean;
    timedOut: boolean;
  };
  /** The edge raised the release line after this person's face event. */
  gpioReleased: boolean;
  /** The turnstile opened by whatever the lane's `openBy` counts. */
  released: boolean;
  /** A passage pulse was delivered to the edge (the person walked through). */
  passed: boolean;
  /** Lane faults active when the person stepped up. */
  faults: FaultSpec['kind'][];
}

export interface ScenarioReport {
  name: string;
  startedAt: number;
  finishedAt: number;
  people: PersonOutcome[];
}

/** One printable step, for the CLI (one line each). */
export interface ScenarioStep {
  /** ms since the run started. */
  t: number;
  lane: string;
  employeeNo?: string;
  text: string;
}

export interface ScenarioRunnerOptions {
  /** Overrides scenario.broker (the CLI's --broker). */
  broker?: BrokerSettings;
  logger?: Logger;
}

/** Events: 'step' (ScenarioStep), 'person' (PersonOutcome). */
export class ScenarioRunner extends EventEmitter {
  private readonly lanes = new Map<string, Lane>();
  private readonly log: Logger;
  private t0 = 0;
  private started = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly faultsOn = new Map<string, { lane: Lane; fault: FaultSpec }>();

  constructor(
    readonly scenario: Scenario,
    opts: ScenarioRunnerOptions = {},
  ) {
    super();
    this.log = opts.logger ?? childLogger('scenario', { scenario: scenario.name });
    const broker = opts.broker ?? scenario.broker;
    if (!broker)
      throw new SimError(
        SimErrorCode.BAD_OPTION,
        'no MQTT broker: set broker.url in the scenario or pass --broker',
      );
    for (const spec of scenario.lanes)
      this.lanes.set(
        spec.id,
        new Lane(spec, { broker, utcOffset: scenario.site.utcOffset, logger: this.log }),
      );
  }

  lane(id: string): Lane {
    const l = this.lanes.get(id);
    if (!l) throw new SimError(SimErrorCode.BAD_OPTION, `no lane ${id}`);
    return l;
  }

  allLanes(): Lane[] {
    return [...this.lanes.values()];
  }

  /** Starts every device of every lane. `readyTimeoutMs` > 0 also waits for terminals and GPIO peers. */
  async start(readyTimeoutMs = 0): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const lane of this.lanes.values()) await lane.start();
    if (readyTimeoutMs > 0)
      await Promise.all([...this.lanes.values()].map((l) => l.waitReady(readyTimeoutMs)));
  }

  async stop(): Promise<void> {
    this.clearTimers();
    await Promise.allSettled([...this.lanes.values()].map((l) => l.stop()));
    this.started = false;
  }

  /** Plays every arrival and the fault schedule; resolves with the report when the last person is done. */
  async run(signal?: AbortSignal): Promise<ScenarioReport> {
    if (!this.started) throw new SimError(SimErrorCode.NOT_STARTED, 'start() the scenario before run()');
    this.t0 = Date.now();
    const startedAt = this.t0;
    this.scheduleFaults();
    const firstLane = this.scenario.lanes[0]?.id as string;
    const byLane = new Map<string, { a: ArrivalSpec; index: number }[]>();
    this.scenario.arrivals.forEach((a, index) => {
      const id = a.lane ?? firstLane;
      byLane.set(id, [...(byLane.get(id) ?? []), { a, index }]);
    });
    const outcomes: PersonOutcome[] = [];
    try {
      await Promise.all(
        [...byLane].map(async ([laneId, queue]) => {
          const lane = this.lane(laneId);
          queue.sort((x, y) => x.a.atMs - y.a.atMs || x.index - y.index);
          for (const { a, index } of queue) {
            await sleepUnlessAborted(this.t0 + a.atMs - Date.now(), signal);
            const o = await this.serve(lane, a, index);
            outcomes.push(o);
            this.emit('person', o);
          }
        }),
      );
    } finally {
      await this.liftFaults();
    }
    outcomes.sort((x, y) => x.arrival - y.arrival);
    return { name: this.scenario.name, startedAt, finishedAt: Date.now(), people: outcomes };
  }

  private now(): number {
    return Date.now() - this.t0;
  }

  private step(lane: string, text: string, employeeNo?: string): void {
    const s: ScenarioStep = { t: this.now(), lane, text };
    if (employeeNo !== undefined) s.employeeNo = employeeNo;
    this.log.debug(s, 'step');
    this.emit('step', s);
  }

  private person(employeeNo: string): PersonSpec {
    const p = this.scenario.people.find((x) => x.employeeNo === employeeNo);
    if (!p) throw new SimError(SimErrorCode.SCENARIO_INVALID, `no person ${employeeNo}`);
    return p;
  }

  private async serve(lane: Lane, a: ArrivalSpec, index: number): Promise<PersonOutcome> {
    const p = this.person(a.person);
    const timing = this.scenario.timing;
    const settle = lane.spec.thermometer.settleMs;
    const skew = a.skewMs ?? timing.skewMs;
    const startedMs = this.now();
    const faults = lane.activeFaults();
    this.step(
      lane.id,
      `${p.name || '(unknown face)'} steps up, body ${formatTenths(p.temperatureTenths)}°C`,
      p.employeeNo,
    );

    // Both devices see the same person; only their timing differs. A face event due before the
    // person even reached the thermometer (skew < -settle) shifts the thermometer later instead.
    const faceAt = settle + skew;
    const lead = Math.max(0, -faceAt);
    let measuredMs = -1;
    const measuring = (async () => {
      await sleep(lead);
      const m = await lane.thermometer.measure(p.temperatureTenths, settle);
      measuredMs = this.now();
      const seq = m.sequence !== undefined ? ` seq ${m.sequence}` : '';
      this.step(
        lane.id,
        m.completed
          ? `thermometer measured ${formatTenths(m.reportedTenths)}°C${seq}`
          : 'thermometer: no measurement (fault)',
        p.employeeNo,
      );
      return m;
    })();
    const gpioMark = lane.gpio?.cursor() ?? 0;
    const facing = (async () => {
      // A late face event is timed from the measurement's actual end, not from where it was due: a
      // busy machine made the thermometer's answer late and the 100 ms skew of the tests 50 ms.
      if (skew >= 0) {
        await measuring;
        await sleep(skew);
      } else await sleep(lead + faceAt);
      const atMs = this.now();
      const r = await lane.terminal.present({
        employeeNo: p.employeeNo,
        name: p.name,
        recognised: p.recognised,
        mask: p.mask,
        healthCode: p.healthCode,
        similarity: p.similarity,
        temperatureTenths: p.temperatureTenths,
      });
      const what = !r.realtime
        ? 'offline: cached'
        : r.verdict
          ? `verdict ${r.verdict.checkResult} open=${r.verdict.open} "${r.verdict.display}"`
          : r.event.remoteCheck
            ? 'no verdict: denied'
            : `local decision open=${r.opened}`;
      this.step(lane.id, `face event #${r.serialNo} → ${what}`, p.employeeNo);
      return { r, atMs };
    })();
    const [measurement, { r: face, atMs: faceAtMs }] = await Promise.all([measuring, facing]);

    const byVerdict = lane.spec.openBy !== 'gpio' && face.opened;
    let gpioReleased = false;
    if (lane.gpio?.isConnected && lane.spec.openBy !== 'verdict') {
      // A verdict decides already: a closed one means no release is coming, an open one has opened
      // the turnstile anyway. Then wait only briefly (the edge pulses as it answers).
      const wait = face.verdict || byVerdict ? Math.min(500, timing.releaseWaitMs) : timing.releaseWaitMs;
      // Only a rising edge after this person stepped up counts: the release may still be high from
      // the person before. The exception is a fire alarm, which holds every gate open.
      const held = lane.activeFaults().includes('fire-alarm') && lane.gpio.output('release') === 1;
      gpioReleased = held || (await lane.gpio.waitForOutput('release', 1, wait, { after: gpioMark }));
    }
    const released = byVerdict || gpioReleased;
    let passed = false;
    if (released) {
      this.step(
        lane.id,
        `turnstile released (${byVerdict ? 'verdict' : 'gpio'}); walking through`,
        p.employeeNo,
      );
      await sleep(timing.walkMs);
      passed = lane.gpio ? await lane.gpio.passage() : true;
      this.step(lane.id, passed ? 'passed' : 'passed (passage pulse lost: gpio offline)', p.employeeNo);
    } else {
      await sleep(timing.deniedDwellMs);
      this.step(lane.id, 'denied; turns away', p.employeeNo);
    }
    lane.thermometer.leave();
    return {
      employeeNo: p.employeeNo,
      name: p.name,
      lane: lane.id,
      arrival: index,
      trueTenths: p.temperatureTenths,
      recognised: p.recognised,
      mask: p.mask,
      scheduledMs: a.atMs,
      startedMs,
      skewMs: skew,
      measurement,
      measuredMs,
      face: {
        serialNo: face.serialNo,
        atMs: faceAtMs,
        realtime: face.realtime,
        verdict: face.verdict,
        opened: face.opened,
        timedOut: face.timedOut,
      },
      gpioReleased,
      released,
      passed,
      faults,
    };
  }

  private scheduleFaults(): void {
    for (const lane of this.lanes.values()) {
      lane.spec.faults.forEach((fault, i) => {
        const key = `${lane.id}#${i}`;
        this.at(fault.atMs, async () => {
          this.faultsOn.set(key, { lane, fault });
          this.step(
            lane.id,
            `fault on: ${fault.kind}${fault.durationMs !== undefined ? ` for ${fault.durationMs} ms` : ''}`,
          );
          await lane.setFault(fault, true);
        });
        if (fault.durationMs !== undefined)
          this.at(fault.atMs + fault.durationMs, async () => {
            this.faultsOn.delete(key);
            this.step(lane.id, `fault off: ${fault.kind}`);
            await lane.setFault(fault, false);
          });
      });
    }
  }

  private at(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn().catch((err) => this.log.error({ err: (err as Error).message }, 'fault injection failed'));
      },
      Math.max(0, this.t0 + ms - Date.now()),
    );
    this.timers.add(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** End of run: pending fault changes are dropped and active faults lifted, so devices end healthy. */
  private async liftFaults(): Promise<void> {
    this.clearTimers();
    for (const [key, { lane, fault }] of this.faultsOn) {
      this.faultsOn.delete(key);
      await lane.setFault(fault, false).catch(() => {});
    }
  }
}
