/**
 * One gate's behaviour: pair a face event with a measurement, decide, actuate, answer the
 * terminal, record, tell the site. Every dependency is injected (devices, clock, storage, bus) so
 * the whole chain runs in tests and benchmarks without hardware. Nothing here waits on the
 * network: the bus queues, the recorder commits locally.
 *
 * The parts: the passage (this file: event → pairing → `decide()` → actuate → record), the alerts
 * (gate-alerts.ts), where flagged people go (isolation-memory.ts), the site's lists the gate holds
 * (site-lists.ts: access list, person holds, site policy), status and heartbeat (gate-status.ts),
 * commands (commands.ts), and how old an event is (terminal-clock.ts).
 */
import {
  type FaceAck,
  type FaceEvent,
  type FaceVerdict,
  parseFaceEvent,
} from '../../protocols/face-mqtt/index.ts';
import type { Counters, DecisionMessage, ReadingRecord } from '../../protocols/gate/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import type { HoldRoom } from '../../protocols/site/holds.ts';
import { formatTenths } from '../../protocols/temperature.ts';
import { FaceTopic, GateTopic, SiteTopic } from '../../protocols/topics.ts';
import type { Clock, Timer } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { describeFill, type FillEvent } from '../storage/fill-level.ts';
import type { ReadingRecorder } from '../storage/types.ts';
import type { Measurement, ThermometerLinkState } from '../thermometer/types.ts';
import type { AccessList } from './access-list.ts';
import { executeCommand } from './commands.ts';
import { GateAlerts } from './gate-alerts.ts';
import type { GateActuator, Publisher, TerminalReply, TerminalStatusInfo } from './gate-io-types.ts';
import { buildHeartbeat, buildStatus } from './gate-status.ts';
import { type HoldView, SiteHolds } from './holds.ts';
import { IsolationMemory } from './isolation-memory.ts';
import { MeasurementPairing, type PairingResult } from './pairing.ts';
import { type DecisionOutcome, decide, type EventMode, type TemperatureInput } from './policy.ts';
import { SiteLists } from './site-lists.ts';
import { SitePolicyCopy, siteRuleOverrides } from './site-policy.ts';
import { StuckReadingDetector } from './stuck-reading.ts';
import { TerminalClock } from './terminal-clock.ts';
import { displayText, heldText, notRecordingText, terminalClockText } from './texts.ts';

export type {
  GateActuator,
  GateState,
  Publisher,
  TerminalReply,
  TerminalStatusInfo,
} from './gate-io-types.ts';

/** Time kept in hand before the terminal's deadline for the verdict and the release to land. */
export const VERDICT_MARGIN_MS = 500;
/**
 * After the broker link (re)connects, events may be the broker's backlog for this long past the
 * terminal's deadline (see terminal-clock.ts for why that bounds the backlog).
 */
const LINK_SETTLE_EXTRA_MS = 1000;

export interface GateDeps {
  cfg: EdgeConfig;
  clock: Clock;
  log: Logger;
  io: GateActuator;
  recorder: ReadingRecorder;
  bus: Publisher;
  accessList: AccessList;
  /** The site's person holds; in memory only when not given (tests, benchmarks). */
  holds?: SiteHolds;
  /** The site policy as held; the built-in default with the config's overrides when not given. */
  policy?: SitePolicyCopy;
  thermometerState: () => ThermometerLinkState | 'none';
  requestMeasurement: () => void;
  softwareVersion?: string;
  configVersion?: string;
  /** Where the terminal's learned clock offset is kept across restarts. */
  terminalClockPath?: string;
  /** Where verdicts and acks go (edge/terminal/drivers.ts); the §3 MQTT topics when not given. */
  reply?: TerminalReply;
  /** The terminal's model, firmware and reachability for the status, when its driver knows them. */
  terminalStatus?: () => TerminalStatusInfo | null;
  /**
   * Fetches a retained list snapshot once (the link's on-demand subscription to one of
   * `onDemandTopics()`); not given: the snapshot topics are subscribed to for good.
   */
  fetch?: (topic: string) => void;
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

/** Status re-publications after list changes are coalesced to one per this (statusSoon). */
export const STATUS_COALESCE_MS = 1000;

export class Gate {
  private statusTimer: Timer | undefined;
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
  readonly alerts: GateAlerts;
  readonly rooms: IsolationMemory;
  readonly lists: SiteLists;
  readonly terminalClock: TerminalClock;
  private readonly pairing: MeasurementPairing;
  private readonly stuck: StuckReadingDetector;
  private readonly startedAt: number;
  private readonly topics: { verdict: string; ack: string };
  /** Serial numbers being decided right now: a redelivery during the wait is a duplicate too. */
  private readonly inFlight = new Set<number>();
  private lastThermometerState: ThermometerLinkState | undefined;
  private readonly reply: TerminalReply;

  private readonly d: Required<Pick<GateDeps, 'holds' | 'policy'>> & GateDeps;

  constructor(deps: GateDeps) {
    const d = {
      ...deps,
      holds: deps.holds ?? new SiteHolds(undefined, undefined, deps.cfg.policy.localHoldExpiryMs),
      policy: deps.policy ?? new SitePolicyCopy(siteRuleOverrides(deps.cfg)),
    };
    this.d = d;
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
    this.reply = deps.reply ?? {
      verdict: (v) => d.bus.publish(this.topics.verdict, JSON.stringify(v), { qos: 1 }),
      ack: (serialNo) =>
        d.bus.publish(this.topics.ack, JSON.stringify({ serialNo } satisfies FaceAck), { qos: 1 }),
    };
    this.alerts = new GateAlerts(d);
    this.rooms = new IsolationMemory(d.cfg.siteId, d.cfg.gateId, d.clock);
    this.lists = new SiteLists({
      accessList: d.accessList,
      holds: d.holds,
      policy: d.policy,
      log: d.log,
      onChange: () => this.statusSoon(),
      onBadPayload: () => this.counters.badPayloads++,
      onRejected: (active, detail) => {
        this.alerts.raise('site-list-rejected', active, detail);
        this.statusSoon();
      },
      fetchSnapshot: (which) =>
        d.fetch?.(
          which === 'access list' ? SiteTopic.accessList(d.cfg.siteId) : SiteTopic.holds(d.cfg.siteId),
        ),
    });
    this.terminalClock = new TerminalClock(
      {
        settleMs: d.cfg.policy.verdictDeadlineMs + LINK_SETTLE_EXTRA_MS,
        toleranceMs: d.cfg.policy.terminalClockToleranceMs,
        persistPath: d.terminalClockPath,
      },
      d.clock,
    );
    this.terminalClock.load();
  }

  /** Face events waiting for their measurement right now. */
  get waitingEvents(): number {
    return this.inFlight.size;
  }

  /** The broker link came up: what arrives in the next moments may be what the broker held. */
  /** `sessionPresent`: the broker kept this gate's session (false when not known). */
  onLinkUp(c: { sessionPresent: boolean } = { sessionPresent: false }): void {
    this.terminalClock.linkUp();
    this.publishStatus(true);
    this.lists.onConnect(c.sessionPresent);
  }

  /** The list snapshots, fetched on demand (`fetch`) rather than subscribed to for good. */
  onDemandTopics(): Set<string> {
    return new Set([SiteTopic.accessList(this.d.cfg.siteId), SiteTopic.holds(this.d.cfg.siteId)]);
  }

  onLinkDown(): void {
    this.terminalClock.linkDown();
  }

  onMeasurement(m: Measurement): void {
    const s = this.stuck.observe(m);
    if (s.changed)
      this.alerts.raise(
        'sensor-fault',
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
    this.alerts.raise('sensor-fault', state === 'fault', `thermometer ${state}`);
    this.alerts.raise('thermometer-offline', state === 'offline', `thermometer ${state}`);
    this.publishStatus(true);
  }

  onFireAlarm(active: boolean): void {
    this.d.log.warn({ active }, 'fire alarm');
    this.alerts.raise(
      'fire-alarm',
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
    this.alerts.raise(
      'outbox-filling',
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
      {},
      e.severity,
    );
  }

  onTailgating(): void {
    this.alerts.raise('tailgating', true, 'two passages for one release');
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
    return this.onTerminalEvent(parsed.value, receivedAt);
  }

  /**
   * Entry point for an event some terminal driver already parsed (edge/terminal/: the ISAPI
   * listener and alert stream); answers go to `reply`. Never throws.
   */
  async onTerminalEvent(ev: FaceEvent, receivedAt = this.d.clock.now()): Promise<HandledEvent> {
    if (this.inFlight.has(ev.serialNo) || this.d.recorder.hasEvent(this.eventKey(ev)))
      return this.duplicate(ev);
    if (!ev.isRealtime) return this.decideAndAct(ev, receivedAt, 'offline', noTemperature(ev), 0);

    const age = this.terminalClock.judge(ev.at, receivedAt, this.actBeforeMs(), this.inFlight.size > 0);
    this.checkTerminalClock();
    if (!age.live) {
      // Past the terminal's deadline nobody waits for this verdict any more (the broker held it
      // while the gate was away): pairing it now would take the next person's measurement.
      this.counters.staleEvents++;
      this.d.log.warn(
        { serialNo: ev.serialNo, ageMs: age.ageMs, offsetMs: this.terminalClock.offsetMs() },
        'stale realtime event: stored, answered, not acted on',
      );
      return this.decideAndAct(ev, receivedAt, 'late', noTemperature(ev), age.ageMs);
    }

    // When the temperature is already at hand the whole decision runs synchronously, inside the
    // MQTT message callback: the reading is committed before mqtt.js acknowledges the event, so a
    // crash can lose no acknowledged event. Only a wait for a late measurement goes async.
    const paired = this.temperatureFor(ev, age.ageMs);
    if (!(paired instanceof Promise)) return this.decideAndAct(ev, receivedAt, 'live', paired, age.ageMs);
    this.inFlight.add(ev.serialNo);
    try {
      return this.decideAndAct(ev, receivedAt, 'live', await paired, age.ageMs);
    } finally {
      this.inFlight.delete(ev.serialNo);
    }
  }

  /**
   * `ageAtArrivalMs`: how old the event was when it arrived, by the gate's reckoning. A wait for a
   * late measurement can carry the decision past the terminal's deadline: then the person has been
   * turned away already and the turnstile must stay shut for whoever is next.
   */
  private decideAndAct(
    ev: FaceEvent,
    receivedAt: number,
    arrived: EventMode,
    paired: Paired,
    ageAtArrivalMs: number,
  ): HandledEvent {
    const { temperature, measurement, delayMs } = paired;
    const now = this.d.clock.now();
    const mode: EventMode =
      arrived === 'live' && now - receivedAt + ageAtArrivalMs > this.actBeforeMs() ? 'late' : arrived;
    if (this.d.log.isLevelEnabled('debug'))
      this.d.log.debug(
        {
          serialNo: ev.serialNo,
          eventAt: ev.at,
          receivedAt,
          sensorSeq: measurement?.sensorSeq ?? null,
          delayMs,
          mode,
        },
        'paired',
      );
    const hold = this.d.holds.holdFor(ev.employeeNo, now);
    const rules = this.d.policy.rules;
    const outcome = decide(
      {
        employeeNo: ev.employeeNo,
        similarity: ev.similarity,
        mask: ev.mask,
        healthCode: ev.healthCode,
        admitted: this.d.accessList.admitted(ev.employeeNo, mode === 'offline' ? ev.at : receivedAt),
        held: hold !== null,
        temperature,
        thermometerOffline: mode === 'live' && this.d.thermometerState() === 'offline',
        lockdown: this.d.io.state === 'lockdown',
        fireAlarm: this.d.io.fireAlarm,
        // Asked before actuating, since the reading is committed after.
        recordable: mode !== 'live' || this.d.recorder.accepting(),
        mode,
      },
      rules,
    );
    const drive = this.d.cfg.turnstile.drive;
    const live = mode === 'live';
    // Actuate first: the person is waiting at the turnstile; storage and the bus come after.
    if (outcome.release && drive !== 'verdict') this.d.io.release(this.d.cfg.turnstile.openMs);
    if (live)
      this.d.io.signal(
        outcome.decision === 'pass' ? 'pass' : outcome.decision === 'flagged' ? 'flag' : 'deny',
      );
    const finalTenths = temperature ? temperature.tenths : null;
    const room =
      outcome.decision === 'flagged'
        ? this.rooms.roomFor(ev.employeeNo)
        : outcome.reason === 'held'
          ? (hold?.room ?? null)
          : null;
    const place = room?.name ?? this.d.cfg.isolation.area;
    const display = this.displayFor(outcome, finalTenths, place, hold);
    let verdict: FaceVerdict | undefined;
    // Every realtime event is answered, a late one too (with `open: false`): a terminal that still
    // waits gets a reason, and one that gave up ignores a verdict for a serial it no longer waits on.
    if (ev.remoteCheck && ev.isRealtime) {
      verdict = {
        serialNo: ev.serialNo,
        checkResult: outcome.decision === 'pass' ? 'success' : 'failed',
        open: outcome.release && drive !== 'gpio',
        display,
        lang: this.d.cfg.lang,
      };
      this.reply.verdict(verdict);
    }
    let record: ReadingRecord | undefined;
    try {
      // A realtime event happened when it arrived, less its age by the gate's reckoning; an offline
      // record keeps the terminal's own time.
      const at = ev.isRealtime ? receivedAt - ageAtArrivalMs : ev.at;
      record = this.record(
        ev,
        at,
        receivedAt,
        outcome,
        temperature,
        measurement,
        delayMs,
        rules.feverThresholdTenths,
      );
    } catch (err) {
      // Not acknowledged: a terminal re-sends unacknowledged records, bringing it back once there is room.
      return this.notRecorded(ev, err, outcome, finalTenths, verdict);
    }
    if (!record) return this.duplicate(ev);
    if (!ev.remoteCheck || !ev.isRealtime) this.ack(ev.serialNo);
    if (mode === 'offline') this.counters.offlineRecords++;
    else this.count(outcome);
    if (arrived === 'late') this.d.log.debug({ serialNo: ev.serialNo }, 'late event recorded');
    // The gate holds the person itself at once; the hub's list takes over when it names this reading.
    if (outcome.decision === 'flagged' && ev.employeeNo)
      this.d.holds.flag({
        employeeNo: ev.employeeNo,
        readingId: record.id,
        at: record.at,
        temperatureTenths: record.temperatureTenths,
        room,
      });
    this.publishDecision(record, ev.name, mode === 'offline' ? '' : display, room);
    if (mode !== 'offline' || outcome.decision === 'flagged') this.alerts.forPassage(record, ev.name, place);
    return {
      kind: mode === 'offline' ? 'offline-record' : 'decided',
      record,
      outcome,
      released: outcome.release,
      ...(verdict ? { verdict } : {}),
    };
  }

  private displayFor(
    o: DecisionOutcome,
    tenths: number | null,
    place: string,
    hold: HoldView | null,
  ): string {
    const lang = this.d.cfg.lang;
    if (o.reason === 'not-recording') return notRecordingText(lang, tenths);
    if (o.reason === 'held' && hold) return heldText(lang, hold.stage, tenths, place);
    return displayText(lang, o.decision, o.reason, tenths, place);
  }

  private checkTerminalClock(): void {
    const c = this.terminalClock.alertChange();
    if (!c) return;
    this.d.log.warn(
      { code: 'TG_EDGE_TERMINAL_CLOCK', offsetMs: c.offsetMs, active: c.active },
      'terminal clock',
    );
    this.alerts.raise('terminal-clock', c.active, terminalClockText(this.d.cfg.lang, c.offsetMs, c.active));
    this.publishStatus(true);
  }

  onCommand(payload: Uint8Array | string): void {
    const done = executeCommand(payload, {
      cfg: this.d.cfg,
      clock: this.d.clock,
      log: this.d.log,
      io: this.d.io,
      bus: this.d.bus,
    });
    if (done === 'bad-payload') this.counters.badPayloads++;
    else this.publishStatus(true);
  }

  onIsolationPlan(payload: Uint8Array | string): void {
    const r = this.rooms.onPlan(payload);
    if (!r.ok) {
      this.counters.badPayloads++;
      this.d.log.warn({ code: r.error.code, reason: r.error.message }, 'isolation plan rejected');
      return;
    }
    this.d.log.info({ room: r.value?.room?.id ?? null }, 'isolation plan');
  }

  status(online: boolean) {
    return buildStatus(this.statusDeps(), online);
  }

  publishStatus(online: boolean): void {
    // Whatever was pending is covered by this one (and must not follow a last "offline").
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
    this.d.bus.publish(
      GateTopic.status(this.d.cfg.siteId, this.d.cfg.gateId),
      JSON.stringify(this.status(online)),
      {
        qos: 1,
        retain: true,
      },
    );
  }

  /**
   * The status after a list change (it carries the versions), at most once per
   * STATUS_COALESCE_MS: each fever changes the site's holds (opened, then its room), and every
   * gate re-publishing its retained status per change kept the hub writing retained messages —
   * bench/latency.ts, 100 gates with 5 fevers a second: verdict p99 468 ms, hub 52 % of a core.
   * The fleet view shows a new version at most this much later; decisions use it at once.
   */
  private statusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = this.d.clock.setTimeout(() => {
      this.statusTimer = undefined;
      this.publishStatus(true);
    }, STATUS_COALESCE_MS);
  }

  heartbeat() {
    return buildHeartbeat(this.statusDeps(), this.startedAt, this.counters);
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

  private statusDeps() {
    return {
      ...this.d,
      terminalClockOffsetMs: this.terminalClock.offsetMs(),
      listsRejected: () => this.lists.rejected(),
    };
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
      [SiteTopic.accessList(siteId), (p) => this.lists.onAccessList(p)],
      [SiteTopic.accessListChanges(siteId), (p) => this.lists.onAccessListChange(p)],
      [SiteTopic.holds(siteId), (p) => this.lists.onHolds(p)],
      [SiteTopic.holdsChanges(siteId), (p) => this.lists.onHoldsChange(p)],
      [SiteTopic.policy(siteId), (p) => this.lists.onPolicy(p)],
    ];
  }

  /**
   * How old (by the gate's reckoning) an event may be for the gate still to act on it. The verdict
   * and the release need time to reach the terminal and the turnstile; found by the soak: an event
   * decided 7 ms before the terminal's 3 s deadline opened the turnstile for the person after.
   */
  private actBeforeMs(): number {
    return this.d.cfg.policy.verdictDeadlineMs - VERDICT_MARGIN_MS;
  }

  private temperatureFor(ev: FaceEvent, ageAtArrivalMs: number): Paired | Promise<Paired> {
    if (this.d.cfg.terminal.temperatureSource === 'terminal') return noTemperature(ev);
    // Waiting past the terminal's own deadline would only find the next person's measurement: a
    // held (late) event waits no longer than its person could still be standing there.
    const waitMs = Math.min(this.d.cfg.policy.waitForMeasurementMs, this.actBeforeMs() - ageAtArrivalMs);
    const paired = this.pairing.pair(this.d.clock.now(), () => this.d.requestMeasurement(), waitMs);
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

  private record(
    ev: FaceEvent,
    at: number,
    receivedAt: number,
    outcome: DecisionOutcome,
    temperature: TemperatureInput | undefined,
    m: Measurement | undefined,
    delayMs: number | null,
    thresholdTenths: number,
  ): ReadingRecord | undefined {
    return this.d.recorder.recordEvent(
      {
        siteId: this.d.cfg.siteId,
        gateId: this.d.cfg.gateId,
        at,
        recordedAt: receivedAt,
        employeeNo: ev.employeeNo,
        temperatureTenths: temperature ? temperature.tenths : null,
        rawTenths: m ? m.rawTenths : (ev.temperatureTenths ?? null),
        offsetTenths: m ? this.d.cfg.thermometer.offsetTenths : 0,
        ambientTenths: m ? m.ambientTenths : null,
        source: m ? 'gate-thermometer' : 'terminal',
        sensor: m ? m.sensor : 'terminal',
        sensorSeq: m ? m.sensorSeq : ev.serialNo,
        decision: outcome.decision,
        reason: outcome.reason,
        mask: ev.mask,
        pairingDelayMs: delayMs,
        terminalId: this.d.cfg.terminal.deviceId,
        terminalSerialNo: ev.serialNo,
        realtime: ev.isRealtime,
        released: outcome.release,
        enteredBy: null,
        policyVersion: this.d.policy.version,
        thresholdTenths,
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
        policyVersion: this.d.policy.version,
        thresholdTenths: this.d.policy.rules.feverThresholdTenths,
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
        released: outcome.release,
      },
      'reading NOT recorded',
    );
    return { kind: 'not-recorded', outcome, released: outcome.release, ...(verdict ? { verdict } : {}) };
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
    this.reply.ack(serialNo);
  }

  private publishDecision(record: ReadingRecord, name: string, display: string, room: HoldRoom | null): void {
    const msg: DecisionMessage = {
      v: SCHEMA_VERSION,
      reading: record,
      name,
      display,
      isolationRoom: room?.id ?? null,
      isolationRoomName: room?.name ?? null,
    };
    const { siteId, gateId } = this.d.cfg;
    this.d.bus.publish(GateTopic.decision(siteId, gateId), JSON.stringify(msg), { qos: 1 });
    this.d.bus.publish(GateTopic.reading(siteId, gateId), JSON.stringify(record), { qos: 1 });
  }
}

/** The terminal's own temperature (its built-in thermometer), or none. */
function noTemperature(ev: FaceEvent): Paired {
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
