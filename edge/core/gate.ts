/**
 * One gate's behaviour: pair a face event with a measurement, decide, actuate, answer the
 * terminal, record, tell the site. Every dependency is injected (devices, clock, storage, bus) so
 * the whole chain runs in tests and benchmarks without hardware. Nothing here waits on the
 * network: the bus queues, the recorder commits locally.
 */
import {
  type FaceAck,
  type FaceEvent,
  type FaceVerdict,
  parseFaceEvent,
} from '../../protocols/face-mqtt/index.ts';
import { AccessListChange, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import {
  type AlertKind,
  type AlertMessage,
  type Counters,
  type DecisionMessage,
  GateCommand,
  type GateCommandAck,
  type GateStatus,
  type Heartbeat,
  type ReadingRecord,
  SCHEMA_VERSION,
} from '../../protocols/gate/messages.ts';
import { IsolationPlan } from '../../protocols/dashboard/messages.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { formatTenths } from '../../protocols/temperature.ts';
import { FaceTopic, GateTopic, SiteTopic } from '../../protocols/topics.ts';
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { describeFill, type FillEvent } from '../storage/fill-level.ts';
import type { ReadingRecorder } from '../storage/types.ts';
import type { Measurement, ThermometerLinkState } from '../thermometer/types.ts';
import type { AccessList } from './access-list.ts';
import { MeasurementPairing, type PairingResult } from './pairing.ts';
import { type DecisionOutcome, decide, releases, type TemperatureInput } from './policy.ts';
import { StuckReadingDetector } from './stuck-reading.ts';
import { displayText, notRecordingText } from './texts.ts';

/** Time kept in hand before the terminal's deadline for the verdict and the release to land. */
export const VERDICT_MARGIN_MS = 500;

export type GateState = 'locked' | 'released' | 'lockdown' | 'fire';

/** What the gate needs from the turnstile I/O. */
export interface GateActuator {
  release(openMs: number): void;
  signal(kind: 'pass' | 'deny' | 'flag'): void;
  setLockdown(on: boolean): void;
  readonly state: GateState;
  readonly fireAlarm: boolean;
}

export interface Publisher {
  publish(topic: string, payload: string, opts?: { qos?: 0 | 1; retain?: boolean }): void;
}

export interface GateDeps {
  cfg: EdgeConfig;
  clock: Clock;
  log: Logger;
  io: GateActuator;
  recorder: ReadingRecorder;
  bus: Publisher;
  accessList: AccessList;
  thermometerState: () => ThermometerLinkState | 'none';
  requestMeasurement: () => void;
  softwareVersion?: string;
  configVersion?: string;
}

interface Paired {
  temperature: TemperatureInput | undefined;
  measurement: Measurement | undefined;
  delayMs: number | null;
}

/** What happened to one face event; returned for tests and benchmarks. */
export interface HandledEvent {
  /** 'not-recorded': the recorder could not keep the reading (logged; the event is not acknowledged). */
  kind: 'decided' | 'offline-record' | 'duplicate' | 'not-recorded';
  record?: ReadingRecord;
  outcome?: DecisionOutcome;
  released?: boolean;
  verdict?: FaceVerdict;
}

/** As long as the dashboard's default episode window: a retry within it is the same episode. */
const TOLD_ROOM_MEMORY_MS = 30 * 60_000;

export class Gate {
  readonly counters: Counters = {
    passed: 0,
    flagged: 0,
    remeasure: 0,
    denied: 0,
    unpaired: 0,
    offlineRecords: 0,
    staleEvents: 0,
    duplicateEvents: 0,
    badFrames: 0,
    badPayloads: 0,
  };
  private readonly pairing: MeasurementPairing;
  private readonly stuck: StuckReadingDetector;
  private readonly remeasures = new Map<string, number[]>();
  private readonly startedAt: number;
  private readonly topics: { verdict: string; ack: string };
  /** Serial numbers being decided right now: a redelivery during the wait is a duplicate too. */
  private readonly inFlight = new Set<number>();
  private lastThermometerState: ThermometerLinkState | undefined;
  /**
   * The room the dashboard keeps ready for this gate's next flagged person (retained, so it is
   * back at once after a restart). Without one, or when every room is full, the configured area
   * is named: the gate never waits for the dashboard to decide.
   */
  private isolationPlan: IsolationPlan | null = null;
  /**
   * The room each flagged person was told, so that a person who tries again is sent to the same
   * room (the plan has moved on to the next free one by then). Kept as long as the dashboard
   * keeps an episode open for a retry.
   */
  private readonly toldRooms = new Map<string, { room: NonNullable<IsolationPlan['room']>; at: number }>();

  constructor(private readonly d: GateDeps) {
    this.pairing = new MeasurementPairing(
      { beforeMs: d.cfg.policy.pairingWindowMs, waitMs: d.cfg.policy.waitForMeasurementMs },
      d.clock,
      (m) => this.recordUnpaired(m),
    );
    this.stuck = new StuckReadingDetector(d.cfg.thermometer.stuckAfter);
    this.startedAt = d.clock.now();
    this.topics = {
      verdict: FaceTopic.verdict(d.cfg.terminal.deviceId),
      ack: FaceTopic.ack(d.cfg.terminal.deviceId),
    };
  }

  onMeasurement(m: Measurement): void {
    const s = this.stuck.observe(m);
    if (s.changed)
      this.alert(
        'sensor-fault',
        s.stuck ? 'major' : 'info',
        s.stuck,
        s.stuck
          ? `thermometer stuck: ${s.run} people in a row at exactly ${formatTenths(m.rawTenths)} °C`
          : 'thermometer readings vary again',
      );
    // Pairing faults are found by replaying this trail against the people who passed (test/soak);
    // the decision path builds it only when asked for.
    if (this.d.log.isLevelEnabled('debug'))
      this.d.log.debug(
        { sensorSeq: m.sensorSeq, rawTenths: m.rawTenths, at: m.at, valid: m.valid },
        'measurement',
      );
    // A stuck value is no measurement of this person: the policy asks for a re-measure.
    this.pairing.add(s.stuck ? { ...m, sensorFault: true } : m);
  }

  /**
   * The person walked away from the thermometer: a measurement nobody claimed by now was theirs
   * (their face event was an offline record, or never came). Left in the buffer it would be paired
   * with the next person whenever that person's own measurement is read a moment after their face.
   */
  onTargetLeft(seenAt?: number): void {
    // A face event that came before the person was last seen, still waiting for a measurement:
    // that person left unmeasured, and the next measurement is the next person's.
    const abandoned = seenAt === undefined ? 0 : this.pairing.abandonWaitersBefore(seenAt);
    this.d.log.debug({ seenAt, abandoned }, 'target left');
    this.pairing.clear();
  }

  onThermometerState(state: ThermometerLinkState): void {
    if (state === this.lastThermometerState) return;
    this.lastThermometerState = state;
    // Readings from before an outage must not pair with whoever comes next.
    if (state !== 'online') this.pairing.clear();
    this.alert(
      'sensor-fault',
      state === 'fault' ? 'major' : 'info',
      state === 'fault',
      `thermometer ${state}`,
    );
    this.alert(
      'thermometer-offline',
      state === 'offline' ? 'major' : 'info',
      state === 'offline',
      `thermometer ${state}`,
    );
    this.publishStatus(true);
  }

  onFireAlarm(active: boolean): void {
    this.d.log.warn({ active }, 'fire alarm');
    this.alert(
      'fire-alarm',
      'critical',
      active,
      active ? 'fire alarm active: gate held open' : 'fire alarm cleared',
    );
    this.publishStatus(true);
  }

  /**
   * The outbox crossed a fill level (readings queued, free disk space, or readings held in
   * memory because the disk is full): warn long before anything could be lost. The detail says
   * which, so a guard knows whether to look at the database link or at the gate's disk.
   */
  onOutboxFill(e: Pick<FillEvent, 'active' | 'severity' | 'depth' | 'capacity'> & Partial<FillEvent>): void {
    this.alert(
      'outbox-filling',
      e.severity,
      e.active,
      describeFill({
        level: e.level ?? 'ok',
        cause: e.cause ?? (e.active ? 'readings' : null),
        depth: e.depth,
        capacity: e.capacity,
        freeBytes: e.freeBytes ?? null,
        reserveBytes: e.reserveBytes ?? null,
        spilled: e.spilled ?? 0,
        writeError: e.writeError ?? null,
      }),
    );
  }

  onTailgating(): void {
    this.alert('tailgating', 'minor', true, 'two passages for one release');
  }

  /** Entry point for `face/{deviceId}/event`. Never throws. */
  async onFaceEvent(payload: Uint8Array | string): Promise<HandledEvent | undefined> {
    const receivedAt = this.d.clock.now();
    const parsed = parseFaceEvent(payload);
    if (!parsed.ok) {
      this.counters.badPayloads++;
      this.d.log.warn({ code: parsed.error.code, reason: parsed.error.message }, 'face event rejected');
      return undefined;
    }
    const ev = parsed.value;
    if (this.inFlight.has(ev.serialNo) || this.d.recorder.hasEvent(this.eventKey(ev)))
      return this.duplicate(ev);
    if (!ev.isRealtime) return this.handleOfflineRecord(ev, receivedAt);
    const ageMs = receivedAt - ev.at;
    // Past the terminal's own deadline nobody waits for this verdict any more (the broker or the
    // terminal's reconnect held it): pairing it now would take the next person's measurement.
    if (ageMs > Math.min(this.d.cfg.policy.staleEventMs, this.actBeforeMs())) {
      // The terminal gave up on this one long ago: keep the reading, move nothing.
      this.counters.staleEvents++;
      this.d.log.warn(
        { serialNo: ev.serialNo, ageMs },
        'stale realtime event stored, not acted on (or the terminal clock is off)',
      );
      return this.handleOfflineRecord({ ...ev, isRealtime: false }, receivedAt);
    }

    // When the temperature is already at hand the whole decision runs synchronously, inside the
    // MQTT message callback: the reading is committed before mqtt.js acknowledges the event, so a
    // crash can lose no acknowledged event. Only a wait for a late measurement goes async.
    const paired = this.temperatureFor(ev, receivedAt);
    if (!(paired instanceof Promise)) return this.act(ev, receivedAt, paired);
    this.inFlight.add(ev.serialNo);
    try {
      return this.act(ev, receivedAt, await paired);
    } finally {
      this.inFlight.delete(ev.serialNo);
    }
  }

  private act(ev: FaceEvent, receivedAt: number, paired: Paired): HandledEvent {
    const { temperature, measurement, delayMs } = paired;
    if (this.d.log.isLevelEnabled('debug'))
      this.d.log.debug(
        {
          serialNo: ev.serialNo,
          eventAt: ev.at,
          receivedAt,
          sensorSeq: measurement?.sensorSeq ?? null,
          delayMs,
        },
        'paired',
      );
    const lockdown = this.d.io.state === 'lockdown';
    const outcome = decide(
      {
        employeeNo: ev.employeeNo,
        mask: ev.mask,
        ...(ev.healthCode ? { healthCode: ev.healthCode } : {}),
        admitted: this.d.accessList.admitted(ev.employeeNo, receivedAt),
        temperature,
        thermometerOffline: this.d.thermometerState() === 'offline',
        lockdown,
      },
      this.d.cfg.policy,
    );
    // A wait for a late measurement can carry the decision past the terminal's deadline: then the
    // person has been turned away already and the turnstile must stay shut for whoever is next.
    const late = this.d.clock.now() - ev.at > this.actBeforeMs();
    // Nobody passes unrecorded: asked before actuating, since the reading is committed after.
    // A fire alarm still opens (safety first); the reading is then kept as far as possible.
    const held = outcome.decision === 'pass' && !this.d.recorder.accepting() && !this.d.io.fireAlarm;
    const released = releases(outcome, this.d.io.fireAlarm) && !late && !held;
    const drive = this.d.cfg.turnstile.drive;
    // Actuate first: the person is waiting at the turnstile; storage and the bus come after.
    if (released && drive !== 'verdict') this.d.io.release(this.d.cfg.turnstile.openMs);
    this.d.io.signal(
      outcome.decision === 'pass' && !held ? 'pass' : outcome.decision === 'flagged' ? 'flag' : 'deny',
    );
    const finalTenths = temperature ? temperature.tenths : null;
    const room = outcome.decision === 'flagged' ? this.roomFor(ev.employeeNo) : null;
    const display = held
      ? notRecordingText(this.d.cfg.lang, finalTenths)
      : displayText(
          this.d.cfg.lang,
          outcome.decision,
          outcome.reason,
          finalTenths,
          room?.name ?? this.d.cfg.isolation.area,
        );
    let verdict: FaceVerdict | undefined;
    if (ev.remoteCheck) {
      verdict = {
        serialNo: ev.serialNo,
        checkResult: outcome.decision === 'pass' && !held ? 'success' : 'failed',
        open: released && drive !== 'gpio',
        display,
        lang: this.d.cfg.lang,
      };
      this.d.bus.publish(this.topics.verdict, JSON.stringify(verdict), { qos: 1 });
    }
    let record: ReadingRecord | undefined;
    try {
      record = this.record(ev, receivedAt, outcome, released, temperature, measurement, delayMs);
    } catch (err) {
      return this.notRecorded(ev, err, outcome, released, finalTenths, verdict);
    }
    if (!record) return this.duplicate(ev);
    if (!ev.remoteCheck) this.ack(ev.serialNo);
    this.count(outcome);
    this.publishDecision(record, ev.name, display, room?.id ?? null);
    this.alertsFor(record, ev);
    return { kind: 'decided', record, outcome, released, ...(verdict ? { verdict } : {}) };
  }

  onCommand(payload: Uint8Array | string): void {
    const r = parsePayload(GateCommand, payload);
    if (!r.ok) {
      this.counters.badPayloads++;
      this.d.log.warn({ code: r.error.code, reason: r.error.message }, 'command rejected');
      return;
    }
    const cmd = r.value;
    const now = this.d.clock.now();
    const ageMs = now - cmd.at;
    let error: string | null = null;
    // Both ways: a command from the future means a skewed clock, and a skewed clock can make an old
    // open-once look fresh.
    if (Math.abs(ageMs) > this.d.cfg.policy.staleEventMs)
      error = `stale command (${Math.round(ageMs / 1000)} s old by the gate's clock): not executed`;
    else if (cmd.kind === 'open-once' && this.d.io.state === 'lockdown')
      error = 'gate in lockdown: release it first';
    this.d.log.info({ id: cmd.id, kind: cmd.kind, by: cmd.by, reason: cmd.reason, ageMs, error }, 'command');
    if (error === null) {
      if (cmd.kind === 'open-once') this.d.io.release(this.d.cfg.turnstile.openMs);
      else this.d.io.setLockdown(cmd.kind === 'lockdown');
    }
    const ack: GateCommandAck = { v: SCHEMA_VERSION, id: cmd.id, ok: error === null, error, at: now };
    this.d.bus.publish(GateTopic.commandAck(this.d.cfg.siteId, this.d.cfg.gateId), JSON.stringify(ack), {
      qos: 1,
    });
    this.publishStatus(true);
  }

  private roomFor(employeeNo: string): NonNullable<IsolationPlan['room']> | null {
    const now = this.d.clock.now();
    for (const [who, t] of this.toldRooms) if (now - t.at > TOLD_ROOM_MEMORY_MS) this.toldRooms.delete(who);
    const told = employeeNo ? this.toldRooms.get(employeeNo) : undefined;
    const room = told?.room ?? this.isolationPlan?.room ?? null;
    if (room && employeeNo) this.toldRooms.set(employeeNo, { room, at: now });
    return room;
  }

  onIsolationPlan(payload: Uint8Array | string): void {
    // An empty retained payload deletes the plan (the dashboard was removed from the site).
    if (payload.length === 0) {
      this.isolationPlan = null;
      return;
    }
    const r = parsePayload(IsolationPlan, payload);
    const { siteId, gateId } = this.d.cfg;
    if (!r.ok || r.value.siteId !== siteId || r.value.gateId !== gateId) {
      this.counters.badPayloads++;
      this.d.log.warn(
        r.ok
          ? { code: 'TG_MSG_SCHEMA', reason: 'plan for another gate' }
          : { code: r.error.code, reason: r.error.message },
        'isolation plan rejected',
      );
      return;
    }
    this.isolationPlan = r.value;
    this.d.log.info({ room: r.value.room?.id ?? null }, 'isolation plan');
  }

  onAccessList(payload: Uint8Array | string): void {
    const r = parsePayload(AccessListSnapshot, payload, 32 * 1024 * 1024);
    if (!r.ok) {
      this.counters.badPayloads++;
      this.d.log.warn({ code: r.error.code, reason: r.error.message }, 'access list rejected');
      return;
    }
    if (this.d.accessList.apply(r.value)) {
      this.d.log.info({ version: r.value.version, entries: r.value.entries.length }, 'access list updated');
      this.publishStatus(true);
    }
  }

  onAccessListChange(payload: Uint8Array | string): void {
    const r = parsePayload(AccessListChange, payload, 32 * 1024 * 1024);
    if (!r.ok) {
      this.counters.badPayloads++;
      this.d.log.warn({ code: r.error.code, reason: r.error.message }, 'access list change rejected');
      return;
    }
    const held = this.d.accessList.version;
    if (this.d.accessList.applyChange(r.value)) {
      this.d.log.info({ from: r.value.fromVersion, to: r.value.toVersion }, 'access list changed');
      this.publishStatus(true);
    } else
      this.d.log.info(
        { held, from: r.value.fromVersion, to: r.value.toVersion },
        'access list change skipped: waiting for a snapshot',
      );
  }

  status(online: boolean): GateStatus {
    return {
      v: SCHEMA_VERSION,
      siteId: this.d.cfg.siteId,
      gateId: this.d.cfg.gateId,
      online,
      at: this.d.clock.now(),
      thermometer: this.d.thermometerState(),
      gateState: this.d.io.state,
      softwareVersion: this.d.softwareVersion ?? '0.0.0',
      configVersion: this.d.configVersion ?? '',
      accessListVersion: this.d.accessList.version,
      policyVersion: null,
      policyOverrides: [],
      holdsVersion: null,
      terminalClockOffsetMs: null,
    };
  }

  publishStatus(online: boolean): void {
    this.d.bus.publish(
      GateTopic.status(this.d.cfg.siteId, this.d.cfg.gateId),
      JSON.stringify(this.status(online)),
      {
        qos: 1,
        retain: true,
      },
    );
  }

  heartbeat(): Heartbeat {
    const o = this.d.recorder.stats();
    return {
      v: SCHEMA_VERSION,
      siteId: this.d.cfg.siteId,
      gateId: this.d.cfg.gateId,
      at: this.d.clock.now(),
      uptimeS: (this.d.clock.now() - this.startedAt) / 1000,
      thermometer: this.d.thermometerState(),
      gateState: this.d.io.state,
      counters: { ...this.counters },
      outbox: {
        depth: o.depth,
        oldestAgeS: o.oldestAgeS,
        ...(o.freeDiskBytes !== undefined ? { freeDiskBytes: o.freeDiskBytes } : {}),
        ...(o.spilled !== undefined ? { spilled: o.spilled } : {}),
      },
      accessListVersion: this.d.accessList.version,
    };
  }

  publishHeartbeat(): void {
    this.d.bus.publish(
      GateTopic.heartbeat(this.d.cfg.siteId, this.d.cfg.gateId),
      JSON.stringify(this.heartbeat()),
      {
        qos: 0,
      },
    );
  }

  /** Topics the daemon subscribes to and the handler for each. */
  subscriptions(): Array<[string, (payload: Buffer) => unknown]> {
    const { siteId, gateId } = this.d.cfg;
    return [
      [
        FaceTopic.event(this.d.cfg.terminal.deviceId),
        // Returned, so the link acknowledges the event only once it is decided and recorded; a
        // rejection here would end the process.
        (p) =>
          this.onFaceEvent(p).catch((err: unknown) =>
            this.d.log.error(
              { code: 'TG_EDGE_EVENT_FAILED', err: String(err) },
              'face event handling failed',
            ),
          ),
      ],
      [GateTopic.command(siteId, gateId), (p) => this.onCommand(p)],
      [GateTopic.isolation(siteId, gateId), (p) => this.onIsolationPlan(p)],
      [SiteTopic.accessList(siteId), (p) => this.onAccessList(p)],
      [SiteTopic.accessListChanges(siteId), (p) => this.onAccessListChange(p)],
    ];
  }

  /**
   * How old (by the terminal's time) an event may be for the gate still to act on it. The verdict
   * and the release need time to reach the terminal and the turnstile; found by the soak: an event
   * decided 7 ms before the terminal's 3 s deadline opened the turnstile for the person after.
   */
  private actBeforeMs(): number {
    return this.d.cfg.policy.verdictDeadlineMs - VERDICT_MARGIN_MS;
  }

  private temperatureFor(ev: FaceEvent, receivedAt: number): Paired | Promise<Paired> {
    if (this.d.cfg.terminal.temperatureSource === 'terminal') {
      if (ev.temperatureTenths === undefined)
        return { temperature: undefined, measurement: undefined, delayMs: null };
      return {
        temperature: {
          tenths: ev.temperatureTenths,
          valid: true,
          sensorFault: false,
          belowRange: false,
          aboveRange: false,
        },
        measurement: undefined,
        delayMs: 0,
      };
    }
    // Waiting past the terminal's own deadline would only find the next person's measurement: a
    // held (late) event waits no longer than its person could still be standing there.
    const waitMs = Math.min(this.d.cfg.policy.waitForMeasurementMs, ev.at + this.actBeforeMs() - receivedAt);
    const paired = this.pairing.pair(receivedAt, () => this.d.requestMeasurement(), waitMs);
    return paired instanceof Promise
      ? paired.then((p) => this.fromMeasurement(p))
      : this.fromMeasurement(paired);
  }

  private fromMeasurement(paired: PairingResult): Paired {
    const m = paired.measurement;
    if (!m) return { temperature: undefined, measurement: undefined, delayMs: null };
    return {
      temperature: {
        tenths: m.rawTenths + this.d.cfg.thermometer.offsetTenths,
        valid: m.valid,
        sensorFault: m.sensorFault,
        belowRange: m.belowRange,
        aboveRange: m.aboveRange,
      },
      measurement: m,
      delayMs: paired.delayMs,
    };
  }

  private handleOfflineRecord(ev: FaceEvent, receivedAt: number): HandledEvent {
    // Stored with the terminal's own time; decided for the record (HR sees a fever) but never actuated.
    const temperature: TemperatureInput | undefined =
      ev.temperatureTenths === undefined
        ? undefined
        : {
            tenths: ev.temperatureTenths,
            valid: true,
            sensorFault: false,
            belowRange: false,
            aboveRange: false,
          };
    const outcome = decide(
      {
        employeeNo: ev.employeeNo,
        mask: ev.mask,
        ...(ev.healthCode ? { healthCode: ev.healthCode } : {}),
        admitted: this.d.accessList.admitted(ev.employeeNo, ev.at),
        temperature,
        thermometerOffline: false,
        lockdown: false,
      },
      this.d.cfg.policy,
    );
    let record: ReadingRecord | undefined;
    try {
      record = this.record(ev, receivedAt, outcome, false, temperature, undefined, null);
    } catch (err) {
      // Not acknowledged: the terminal keeps the record and uploads it again later.
      return this.notRecorded(ev, err, outcome, false, temperature?.tenths ?? null, undefined);
    }
    if (!record) return this.duplicate(ev);
    this.ack(ev.serialNo);
    this.counters.offlineRecords++;
    this.publishDecision(record, ev.name, '');
    if (outcome.decision === 'flagged') this.alertsFor(record, ev);
    return { kind: 'offline-record', record, outcome, released: false };
  }

  private record(
    ev: FaceEvent,
    receivedAt: number,
    outcome: DecisionOutcome,
    released: boolean,
    temperature: TemperatureInput | undefined,
    m: Measurement | undefined,
    delayMs: number | null,
  ): ReadingRecord | undefined {
    const fromTerminal = !m;
    return this.d.recorder.recordEvent(
      {
        siteId: this.d.cfg.siteId,
        gateId: this.d.cfg.gateId,
        at: ev.isRealtime ? receivedAt : ev.at,
        recordedAt: receivedAt,
        employeeNo: ev.employeeNo,
        temperatureTenths: temperature ? temperature.tenths : null,
        rawTenths: m ? m.rawTenths : (ev.temperatureTenths ?? null),
        offsetTenths: m ? this.d.cfg.thermometer.offsetTenths : 0,
        ambientTenths: m ? m.ambientTenths : null,
        source: fromTerminal ? 'terminal' : 'gate-thermometer',
        sensor: m ? m.sensor : 'terminal',
        sensorSeq: m ? m.sensorSeq : ev.serialNo,
        decision: outcome.decision,
        reason: ev.isRealtime ? outcome.reason : outcome.decision === 'flagged' ? 'fever' : 'offline-record',
        mask: ev.mask,
        pairingDelayMs: delayMs,
        terminalId: this.d.cfg.terminal.deviceId,
        terminalSerialNo: ev.serialNo,
        realtime: ev.isRealtime,
        released,
        enteredBy: null,
        policyVersion: null,
        thresholdTenths: null,
      },
      this.eventKey(ev),
    );
  }

  /** Identity of a face event: a re-sent one keeps its serialNo and time; a reset terminal does not. */
  private eventKey(ev: FaceEvent): string {
    return `face:${this.d.cfg.terminal.deviceId}:${ev.serialNo}:${ev.at}`;
  }

  /**
   * A discrete measurement (one with a device sequence) that no face event claimed is still a
   * reading of somebody: it is stored, marked unpaired. Streamed frames (UART module in continuous
   * mode) are samples, not measurements, and are not stored one by one.
   */
  private recordUnpaired(m: Measurement): void {
    if (m.sensorSeq === null || !m.valid) return;
    const tenths = m.rawTenths + this.d.cfg.thermometer.offsetTenths;
    this.counters.unpaired++;
    let record: ReadingRecord;
    try {
      record = this.d.recorder.record({
        siteId: this.d.cfg.siteId,
        gateId: this.d.cfg.gateId,
        at: m.at,
        recordedAt: this.d.clock.now(),
        employeeNo: '',
        temperatureTenths: tenths,
        rawTenths: m.rawTenths,
        offsetTenths: this.d.cfg.thermometer.offsetTenths,
        ambientTenths: m.ambientTenths,
        source: 'gate-thermometer',
        sensor: m.sensor,
        sensorSeq: m.sensorSeq,
        decision: 'unpaired',
        reason: 'no-face-event',
        mask: 'unknown',
        pairingDelayMs: null,
        terminalId: null,
        terminalSerialNo: null,
        realtime: true,
        released: false,
        enteredBy: null,
        policyVersion: null,
        thresholdTenths: null,
      });
    } catch (err) {
      this.d.log.error(
        { code: (err as { code?: string }).code, sensorSeq: m.sensorSeq, rawTenths: m.rawTenths, at: m.at },
        'unpaired measurement NOT recorded',
      );
      return;
    }
    this.d.bus.publish(GateTopic.reading(this.d.cfg.siteId, this.d.cfg.gateId), JSON.stringify(record), {
      qos: 1,
    });
  }

  /** Periodic housekeeping: unclaimed measurements age out of the pairing window. */
  sweep(): void {
    this.pairing.sweep(this.d.clock.now());
  }

  /**
   * The recorder could not keep the reading (TG_OUTBOX_SPILL_FULL: the disk is full and so is the
   * memory holding readings). Logged in full; the event is not acknowledged, so a terminal that
   * re-sends unacknowledged records brings it back once there is room.
   */
  private notRecorded(
    ev: FaceEvent,
    err: unknown,
    outcome: DecisionOutcome,
    released: boolean,
    temperatureTenths: number | null,
    verdict: FaceVerdict | undefined,
  ): HandledEvent {
    this.d.log.error(
      {
        code: (err as { code?: string }).code ?? 'TG_OUTBOX_WRITE',
        err: String(err),
        serialNo: ev.serialNo,
        eventAt: ev.at,
        employeeNo: ev.employeeNo,
        temperatureTenths,
        decision: outcome.decision,
        reason: outcome.reason,
        released,
      },
      'reading NOT recorded',
    );
    return { kind: 'not-recorded', outcome, released, ...(verdict ? { verdict } : {}) };
  }

  private duplicate(ev: FaceEvent): HandledEvent {
    this.counters.duplicateEvents++;
    this.ack(ev.serialNo);
    return { kind: 'duplicate' };
  }

  private count(o: DecisionOutcome): void {
    if (o.decision === 'pass') this.counters.passed++;
    else if (o.decision === 'flagged') this.counters.flagged++;
    else if (o.decision === 'remeasure') this.counters.remeasure++;
    else this.counters.denied++;
  }

  private ack(serialNo: number): void {
    const ack: FaceAck = { serialNo };
    this.d.bus.publish(this.topics.ack, JSON.stringify(ack), { qos: 1 });
  }

  private publishDecision(
    record: ReadingRecord,
    name: string,
    display: string,
    isolationRoom: string | null = null,
  ): void {
    const msg: DecisionMessage = { v: SCHEMA_VERSION, reading: record, name, display, isolationRoom };
    const { siteId, gateId } = this.d.cfg;
    this.d.bus.publish(GateTopic.decision(siteId, gateId), JSON.stringify(msg), { qos: 1 });
    this.d.bus.publish(GateTopic.reading(siteId, gateId), JSON.stringify(record), { qos: 1 });
  }

  private alertsFor(r: ReadingRecord, ev: FaceEvent): void {
    const who = {
      employeeNo: r.employeeNo || null,
      name: ev.name || null,
      temperatureTenths: r.temperatureTenths,
      readingId: r.id,
    };
    switch (r.reason) {
      case 'fever':
        this.alert('fever', 'critical', true, r.realtime ? 'fever' : 'fever in an offline record', who);
        return;
      case 'unknown-face':
        this.alert('unknown-person', 'minor', true, 'face not recognised', who);
        return;
      case 'not-on-access-list':
        this.alert('not-on-access-list', 'minor', true, 'not on the access list', who);
        return;
      case 'mask-missing':
        this.alert('mask-missing', 'minor', true, 'mask missing', who);
        return;
    }
    if (r.decision === 'remeasure' && r.employeeNo) {
      const now = this.d.clock.now();
      const recent = (this.remeasures.get(r.employeeNo) ?? []).filter(
        (t) => now - t < this.d.cfg.policy.remeasureAlertWindowMs,
      );
      recent.push(now);
      this.remeasures.set(r.employeeNo, recent);
      if (recent.length >= this.d.cfg.policy.remeasureAlertCount) {
        this.alert('remeasure-repeated', 'major', true, `${recent.length} re-measures (${r.reason})`, who);
        this.remeasures.delete(r.employeeNo);
      }
    }
  }

  private alert(
    kind: AlertKind,
    severity: AlertMessage['severity'],
    active: boolean,
    detail: string,
    who: Partial<Pick<AlertMessage, 'employeeNo' | 'name' | 'temperatureTenths' | 'readingId'>> = {},
  ): void {
    const { siteId, gateId } = this.d.cfg;
    const at = this.d.clock.now();
    const msg: AlertMessage = {
      v: SCHEMA_VERSION,
      id: `${siteId}:${gateId}:${kind}:${who.readingId ?? at}`,
      siteId,
      gateId,
      kind,
      severity,
      at,
      active,
      employeeNo: who.employeeNo ?? null,
      name: who.name ?? null,
      temperatureTenths: who.temperatureTenths ?? null,
      readingId: who.readingId ?? null,
      detail,
    };
    this.d.bus.publish(GateTopic.alert(siteId, gateId), JSON.stringify(msg), { qos: 1 });
  }
}
