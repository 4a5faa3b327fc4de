/**
 * The AlertsService: alert lifecycle, fever episodes with their isolation rooms, escalation.
 *
 * Every step runs in one SQLite transaction and collects what it changed; only after it committed
 * are the alert states, the retained list, the gates' plans and the listeners told. So a failing
 * step changes nothing and announces nothing, and a batch (a room freed, a waiting person placed)
 * goes out as one consistent picture.
 *
 * Lifecycle: active-unacknowledged → active-acknowledged → cleared.
 * - Fever episodes are cleared when a guard closes them (after the re-check).
 * - Device conditions end when the device says so, but `cleared` needs both the end and an
 *   acknowledgement, in either order (ingest.ts, conditionOver).
 * - Other person and passage alerts are cleared by a guard (`clear`), which also acknowledges.
 * Times are the dashboard's clock: escalation must run on one clock, whatever the gates' say.
 */
import type { Database } from 'better-sqlite3';
import type { AlertState, Disposition } from '../../protocols/dashboard/messages.ts';
import { Disposition as DispositionSchema } from '../../protocols/dashboard/messages.ts';
import type { AlertAckRequest } from '../../protocols/dashboard/messages.ts';
import type {
  AlertMessage,
  DecisionMessage,
  GateStatus,
  ReadingRecord,
} from '../../protocols/gate/messages.ts';
import { defaultSitePolicy } from '../../protocols/site/policy.ts';
import { RoomConfig } from '../config/schema.ts';
import { PlanPublisher } from '../isolation/plans.ts';
import { RoomStore } from '../isolation/room-store.ts';
import { describe } from './detail.ts';
import { assignWaiting, type DomainCtx, occupancy } from './episodes.ts';
import { AlertsError, AlertsErrorCode } from './errors.ts';
import { DEFAULT_RETRY, Escalator, type RetryPolicy } from './escalation.ts';
import { conditionOver, ingestCondition, ingestReport } from './ingest.ts';
import { isCondition, severityOf } from './kinds.ts';
import { OncePerTurn } from '../../kernel/turn.ts';
import { AlertPublisher, DEFAULT_MAX_LIST_BYTES } from './publisher.ts';
import { recheckReading, validateRecheck } from './recheck.ts';
import { type AlertRecord, AlertStore, toAlertState } from './store.ts';
import type { Actor, AlertQuery, AlertsDeps, AlertsService, RecheckInput, Room, RoomView } from './types.ts';
import { declaredText, type EscalationReason, escalationText, raisedText } from './webhooks.ts';

/** Remembered message ids older than this are never redelivered by a broker any more. */
const SOURCE_KEEP_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Who asks the hub for what the dashboard itself did (a waiting person placed in a freed room). */
const DASHBOARD: Actor = { username: 'dashboard', role: 'system' };
const DEFAULT_THRESHOLD = defaultSitePolicy().rules.feverThresholdTenths;

export function createAlertsService(deps: AlertsDeps): AlertsService {
  return new Service(deps);
}

class Service implements AlertsService, DomainCtx {
  readonly store: AlertStore;
  readonly roomStore: RoomStore;
  private readonly db: Database;
  private readonly plans: PlanPublisher;
  private readonly publisher: AlertPublisher;
  /** The retained list, once per turn after changes (listSoon). */
  private readonly retainedList = new OncePerTurn(() => {
    if (this.closed) return;
    try {
      this.publishList();
    } catch (e) {
      this.d.log.error({ err: e }, 'publishing the alert list failed');
    }
  });
  private readonly escalator: Escalator;
  private readonly alertListeners = new Set<(a: AlertState) => void>();
  private readonly roomListeners = new Set<(rooms: RoomView[]) => void>();
  private readonly seenGates = new Set<string>();
  private readonly abort = new AbortController();
  // What the step in progress changed, announced once it committed.
  private changed = new Map<string, AlertRecord>();
  private roomsTouched = false;
  private escalations = 0;
  /** Hold requests of the step in progress, sent once it committed. */
  private afterCommit: Array<() => void> = [];
  private depth = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private lastPrune = 0;
  private closed = false;
  /**
   * The gates' isolation plans, made once per turn of the event loop from the rooms as they are
   * then, after room changes (announce) and for gates first seen (plansForNewGates).
   */
  private readonly plansSoon = new OncePerTurn(() => {
    if (this.closed) return;
    try {
      this.publishPlans(false);
    } catch (e) {
      this.d.log.error({ err: e }, 'publishing isolation plans failed');
    }
  });

  constructor(readonly d: AlertsDeps) {
    this.db = d.db;
    this.store = new AlertStore(d.db);
    this.roomStore = new RoomStore(d.db);
    this.escalator = new Escalator(d.db, {
      webhooks: d.webhooks,
      now: d.now,
      log: d.log,
      fetch: d.fetch ?? globalThis.fetch,
      retry: { ...DEFAULT_RETRY, ...d.webhookRetry } satisfies RetryPolicy,
    });
    this.publisher = new AlertPublisher({ ...d, maxListBytes: d.maxListBytes ?? DEFAULT_MAX_LIST_BYTES });
    this.plans = new PlanPublisher(d);
    if (this.roomStore.seedOnce(d.seedRooms))
      d.log.info({ rooms: d.seedRooms.length }, 'isolation rooms seeded');
    // Nothing is published here: the server calls republish() once the broker link is up.
  }

  // ---- DomainCtx -------------------------------------------------------------------------

  now(): number {
    return this.d.now();
  }

  gates(): string[] {
    return [...new Set([...this.d.gates(), ...this.seenGates])];
  }

  insert(rec: AlertRecord): void {
    rec.detail = this.describe(rec);
    this.store.insert(rec);
    this.changed.set(rec.id, rec);
  }

  save(rec: AlertRecord): void {
    rec.detail = this.describe(rec);
    this.store.update(rec);
    this.changed.set(rec.id, rec);
  }

  roomsChanged(): void {
    this.roomsTouched = true;
  }

  escalate(rec: AlertRecord, reason: Exclude<EscalationReason, 'raised'>): void {
    if (rec.escalated) return;
    rec.escalated = true;
    rec.updatedAt = this.now();
    this.save(rec);
    const alert = toAlertState(this.d.siteId, rec);
    this.escalator.enqueue({
      reason,
      alert,
      text: escalationText(alert, reason, this.d.escalateAfterMs, this.d.language ?? 'zh-CN', {
        siteName: this.d.siteName ?? '',
        roomName: rec.roomId ? (this.roomStore.get(rec.roomId)?.name ?? rec.roomId) : null,
      }),
    });
    this.escalations++;
    this.d.log.warn({ alertId: rec.id, kind: rec.kind, reason }, 'alert escalated');
  }

  feverRaised(rec: AlertRecord): void {
    const alert = toAlertState(this.d.siteId, rec);
    const person = rec.employeeNo ? this.d.person?.(rec.employeeNo) : undefined;
    const text = raisedText(alert, {
      language: this.d.language ?? 'zh-CN',
      siteName: this.d.siteName ?? '',
      department: person?.department || null,
      roomName: rec.roomId ? (this.roomStore.get(rec.roomId)?.name ?? rec.roomId) : null,
      time: this.localTime(rec.sourceAt),
    });
    this.escalator.enqueue({ reason: 'raised', alert, text });
    // Delivered by the tick that announce() starts at once, not at the next second.
    this.escalations++;
  }

  holdRoom(rec: AlertRecord): void {
    this.holdAfterCommit(DASHBOARD, rec, (employeeNo) => {
      const room = rec.roomId ? this.roomStore.get(rec.roomId) : undefined;
      return { action: 'room', employeeNo, room: room ? { id: room.id, name: room.name } : null };
    });
  }

  /** Queues a hold request about the episode's person, sent after the step committed. */
  private holdAfterCommit(
    by: Actor,
    rec: AlertRecord,
    make: (employeeNo: string) => Parameters<NonNullable<AlertsDeps['holds']>['episodeHold']>[1],
  ): void {
    const holds = this.d.holds;
    if (!holds || !rec.employeeNo) return;
    const a = make(rec.employeeNo);
    this.afterCommit.push(() => {
      const id = holds.episodeHold(by, a);
      this.d.log.info(
        { alertId: rec.id, requestId: id, action: a.action },
        'hold request queued for the hub',
      );
    });
  }

  private localTime(at: number): string | null {
    try {
      return new Intl.DateTimeFormat('en-GB', {
        timeZone: this.d.timeZone ?? 'Asia/Shanghai',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }).format(at);
    } catch {
      return null;
    }
  }

  private describe(rec: AlertRecord): string {
    return describe(rec, (id) => this.roomStore.get(id)?.name, this.roomStore.all().length > 0);
  }

  // ---- one step = one transaction, then announcements -------------------------------------

  private step<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth++;
    let out: T;
    try {
      out = this.db.transaction(fn)();
    } catch (e) {
      this.changed.clear();
      this.roomsTouched = false;
      this.escalations = 0;
      this.afterCommit = [];
      throw e;
    } finally {
      this.depth--;
    }
    this.announce();
    return out;
  }

  private announce(): void {
    const changed = [...this.changed.values()];
    const rooms = this.roomsTouched;
    const escalations = this.escalations;
    const after = this.afterCommit;
    this.changed = new Map();
    this.roomsTouched = false;
    this.escalations = 0;
    this.afterCommit = [];
    for (const fn of after) {
      try {
        fn();
      } catch (e) {
        this.d.log.error({ err: e }, 'hold request not queued');
      }
    }
    for (const rec of changed) {
      const state = toAlertState(this.d.siteId, rec);
      this.publisher.state(state);
      for (const fn of this.alertListeners) this.notify(fn, state);
    }
    if (changed.length) this.listSoon();
    if (rooms) {
      // Once per turn, not per step: a room that fills changes the plan of every gate that named
      // it (all 1,000 where no room lists distances), and a dashboard catching up on a backlog
      // takes many fevers in one turn. Per step, that was a burst of thousands of retained
      // publishes, over the hub's rate limit for the dashboard: the hub cut it off for 10 s
      // (TG_HUB_RATE_LIMIT, bench/scale.ts at 1,000 gates). Only each gate's last plan matters.
      this.plansSoon.request();
      const views = this.rooms();
      for (const fn of this.roomListeners) this.notify(fn, views);
    }
    // A fever raised, or rooms full: the webhooks go now, not at the next tick.
    if (escalations && !this.closed) void this.tick();
  }

  private notify<T>(fn: (x: T) => void, x: T): void {
    try {
      fn(x);
    } catch (e) {
      this.d.log.error({ err: e }, 'alert listener failed');
    }
  }

  /**
   * The retained list of open alerts goes out once per turn of the event loop at most. It was
   * re-read (every open alert, up to 10,000) and published (up to 60 KB, retained) after every
   * change: a site whose 1,000 gates drop off together made that a thousand times over, and the
   * hub cut the dashboard off for its publish rate (bench/NOTES.md § Scale, third round).
   */
  private listSoon(): void {
    this.retainedList.request();
  }

  /** Publishes the retained list now if a change is waiting for it (tests; before a stop). */
  flushAlertList(): void {
    this.retainedList.flush();
  }

  private publishList(): void {
    this.publisher.list(
      this.store.list({ state: 'open', limit: 10_000 }).map((r) => toAlertState(this.d.siteId, r)),
    );
  }

  private publishPlans(force: boolean): void {
    this.plans.update(this.roomStore.all(), occupancy(this.store), this.gates(), force);
  }

  /** MQTT handlers never throw: a bad message is logged and the next one is handled. */
  private safely(what: string, fn: () => void): void {
    try {
      this.step(fn);
    } catch (e) {
      this.d.log.error({ err: e, code: (e as AlertsError).code }, `${what} failed`);
    }
  }

  private seeGate(gateId: string): void {
    if (this.seenGates.has(gateId)) return;
    this.seenGates.add(gateId);
    this.plansForNewGates();
  }

  /**
   * A gate heard of for the first time needs its isolation plan. A site's gates come online
   * together (a thousand statuses after a restart, bench/scale.ts) and planRooms covers every
   * gate, so the plans are made once for all the gates seen in this turn of the event loop, not
   * once per gate (which kept a 1,000-gate dashboard seconds behind, and the hub's deliveries with
   * it). Rooms and occupancy do not change with a new gate: the room views are not announced.
   */
  private plansForNewGates(): void {
    this.plansSoon.request();
  }

  private foreign(siteId: string, what: string): boolean {
    if (siteId === this.d.siteId) return false;
    this.d.log.warn({ code: 'TG_DASH_FOREIGN_SITE', siteId }, `${what} for another site ignored`);
    return true;
  }

  // ---- fed from MQTT -----------------------------------------------------------------------

  onGateAlert(a: AlertMessage): void {
    if (this.foreign(a.siteId, 'alert')) return;
    this.safely('gate alert', () => {
      this.seeGate(a.gateId);
      if (isCondition(a.kind)) return ingestCondition(this, a);
      // The gate never ends a person alert; a guard does.
      if (!a.active) return;
      ingestReport(this, {
        kind: a.kind,
        severity: severityOf(a.kind, a.severity),
        gateId: a.gateId,
        employeeNo: a.employeeNo || null,
        name: a.name || null,
        temperatureTenths: a.temperatureTenths,
        detail: a.detail,
        sources: [`msg:${a.id}`, ...(a.readingId ? [`reading:${a.readingId}`] : [])],
        sourceAt: a.at,
        idHint: a.id,
      });
    });
  }

  declared(d: {
    employeeNo: string;
    name: string | null;
    day: string;
    what: string;
    at: number;
  }): AlertState {
    return this.step(() => {
      const source = `declaration:${d.employeeNo}:${d.day}`;
      // The same declaration again (imported twice, HR saving it again) is no news.
      const known = this.store.bySource(source) !== undefined;
      const open = this.store.openByKey(
        `declared-symptom|person|${d.employeeNo}`,
        this.now() - this.d.episodeWindowMs,
      );
      const rec = ingestReport(this, {
        kind: 'declared-symptom',
        severity: 'major',
        // At no gate: the same id as manual readings taken at no gate.
        gateId: 'manual',
        employeeNo: d.employeeNo,
        name: d.name,
        temperatureTenths: null,
        detail: `declared: ${d.what}`,
        sources: [source],
        sourceAt: d.at,
        idHint: `${this.d.siteId}:declaration:${d.employeeNo}:${d.day}`,
      });
      if (!known && !open) {
        const alert = toAlertState(this.d.siteId, rec);
        const person = this.d.person?.(d.employeeNo);
        this.escalator.enqueue({
          reason: 'raised',
          alert,
          text: declaredText(alert, {
            language: this.d.language ?? 'zh-CN',
            siteName: this.d.siteName ?? '',
            department: person?.department || null,
            what: d.what,
          }),
        });
        this.escalations++;
      }
      return toAlertState(this.d.siteId, rec);
    });
  }

  onDecision(m: DecisionMessage): void {
    const r = m.reading;
    if (r.decision !== 'flagged' || r.reason !== 'fever') return;
    if (this.foreign(r.siteId, 'decision')) return;
    this.safely('fever decision', () => {
      this.seeGate(r.gateId);
      ingestReport(this, {
        kind: 'fever',
        severity: 'critical',
        gateId: r.gateId,
        employeeNo: r.employeeNo || null,
        name: m.name || null,
        temperatureTenths: r.temperatureTenths,
        detail: r.realtime ? 'fever' : 'fever in an offline record',
        sources: [`reading:${r.id}`],
        sourceAt: r.at,
        idHint: `${r.siteId}:${r.gateId}:fever:${r.id}`,
        toldRoom: m.isolationRoom,
      });
    });
  }

  /**
   * A gate's own status ends conditions whose end message was missed (the dashboard was away).
   * Only a status at least as new as the condition's last report counts (same clock: the gate's),
   * and only from a gate that is online (its last will says nothing about the thermometer).
   */
  onGateStatus(s: GateStatus): void {
    if (this.foreign(s.siteId, 'gate status')) return;
    this.safely('gate status', () => {
      this.seeGate(s.gateId);
      if (!s.online) return;
      const over: Array<[string, boolean]> = [
        ['sensor-fault', s.thermometer !== 'fault'],
        ['thermometer-offline', s.thermometer !== 'offline'],
        ['fire-alarm', s.gateState !== 'fire'],
        // Also ends one the gate forgot in a restart (the condition lives in its memory only).
        ['site-list-rejected', s.listsRejected.length === 0],
      ];
      for (const [kind, ended] of over) {
        if (!ended) continue;
        for (const rec of this.store.openConditions(s.gateId, kind))
          if (s.at >= rec.sourceAt) conditionOver(this, rec, s.at, `gate status: ${kind} over`);
      }
    });
  }

  onAckRequest(r: AlertAckRequest): void {
    try {
      this.acknowledge(r.alertId, { username: r.by, role: 'system' }, r.comment);
    } catch (e) {
      this.d.log.warn(
        { code: (e as AlertsError).code ?? 'TG_DASH_ALERT_ACK_FAILED', alertId: r.alertId, by: r.by, err: e },
        'acknowledgement request not applied',
      );
    }
  }

  // ---- guards' actions ---------------------------------------------------------------------

  private mustGet(alertId: string): AlertRecord {
    const rec = this.store.get(alertId) ?? this.store.bySource(`msg:${alertId}`);
    if (!rec) throw new AlertsError(AlertsErrorCode.ALERT_NOT_FOUND, `no alert ${alertId}`);
    return rec;
  }

  private mustBeEpisode(rec: AlertRecord, action: string): void {
    if (rec.kind !== 'fever')
      throw new AlertsError(
        AlertsErrorCode.ALERT_BAD_STAGE,
        `${action}: ${rec.id} is a ${rec.kind} alert, not a fever episode`,
      );
  }

  private badStage(rec: AlertRecord, action: string, expected: string): AlertsError {
    return new AlertsError(
      AlertsErrorCode.ALERT_BAD_STAGE,
      `${action}: the episode is ${rec.stage ?? rec.state}, it must be ${expected}`,
    );
  }

  private ackBy(rec: AlertRecord, by: Actor): void {
    if (rec.acknowledgedBy !== null) return;
    rec.acknowledgedBy = by.username.slice(0, 64);
    rec.acknowledgedAt = this.now();
  }

  acknowledge(alertId: string, by: Actor, comment?: string): AlertState {
    return this.step(() => {
      const rec = this.mustGet(alertId);
      // Twice, or after it was cleared: nothing to do (OPC UA and a guard may both press it).
      if (rec.state !== 'active-unacknowledged') return toAlertState(this.d.siteId, rec);
      this.ackBy(rec, by);
      rec.state = rec.conditionActive === false ? 'cleared' : 'active-acknowledged';
      if (rec.state === 'cleared') rec.clearedAt = this.now();
      rec.updatedAt = this.now();
      this.save(rec);
      this.d.audit(by, 'alert.acknowledge', rec.id, {
        kind: rec.kind,
        gateId: rec.gateId,
        ...(comment ? { comment } : {}),
        ...(by.role === 'system' ? { via: 'mqtt alert-ack' } : {}),
      });
      return toAlertState(this.d.siteId, rec);
    });
  }

  confirmArrival(alertId: string, by: Actor): AlertState {
    return this.step(() => {
      const rec = this.mustGet(alertId);
      this.mustBeEpisode(rec, 'arrival');
      if (rec.stage !== 'assigned' && rec.stage !== 'waiting-for-room')
        throw this.badStage(rec, 'arrival', 'assigned or waiting for a room');
      // No room free (or none set up): the person is with a guard at the gate's isolation area, and
      // the re-check and the disposition must not wait for a room (a site without rooms could
      // otherwise never close an episode). A guard can still move them to a room that frees up.
      const inArea = rec.stage === 'waiting-for-room';
      rec.stage = 'arrived';
      rec.waitingSince = null;
      rec.updatedAt = this.now();
      rec.note = inArea
        ? `at the isolation area (no room), confirmed by ${by.username}`
        : `arrived, confirmed by ${by.username}`;
      this.save(rec);
      this.d.audit(by, 'alert.arrival', rec.id, { roomId: rec.roomId, employeeNo: rec.employeeNo });
      return toAlertState(this.d.siteId, rec);
    });
  }

  async recordRecheck(
    alertId: string,
    by: Actor,
    input: RecheckInput,
  ): Promise<{ alert: AlertState; reading: ReadingRecord }> {
    validateRecheck(input, this.now());
    // The number is taken before the write, so two re-checks at once get two readings.
    const { rec, n } = this.step(() => {
      const rec = this.mustGet(alertId);
      this.mustBeEpisode(rec, 're-check');
      if (rec.stage !== 'arrived' && rec.stage !== 'rechecked')
        throw this.badStage(rec, 're-check', 'arrived');
      rec.rechecks++;
      this.store.update(rec);
      return { rec, n: rec.rechecks };
    });
    const reading = recheckReading(this.d.siteId, rec, by, input, n, this.now());
    try {
      await this.d.readings.write(reading);
    } catch (e) {
      this.d.log.error(
        { code: AlertsErrorCode.READINGS_UNAVAILABLE, alertId, readingId: reading.id, err: e },
        're-check not stored',
      );
      throw new AlertsError(
        AlertsErrorCode.READINGS_UNAVAILABLE,
        'the re-check could not be stored: try again',
        [],
        {
          cause: e,
        },
      );
    }
    const alert = this.step(() => {
      const cur = this.mustGet(rec.id);
      const t = (input.temperatureTenths / 10).toFixed(1);
      // Closed meanwhile: the reading is stored all the same, the episode stays as it is.
      if (cur.stage === 'arrived' || cur.stage === 'rechecked') {
        cur.stage = 'rechecked';
        cur.recheckTenths = input.temperatureTenths;
        cur.note = `re-check ${t} °C (${input.instrument}) by ${by.username}`;
        cur.updatedAt = this.now();
        this.save(cur);
      }
      this.d.audit(by, 'alert.recheck', cur.id, {
        readingId: reading.id,
        employeeNo: reading.employeeNo,
        temperatureTenths: input.temperatureTenths,
        instrument: input.instrument,
        at: reading.at,
      });
      return toAlertState(this.d.siteId, cur);
    });
    return { alert, reading };
  }

  close(): void;
  close(alertId: string, by: Actor, disposition: Disposition, note?: string): AlertState;
  close(alertId?: string, by?: Actor, disposition?: Disposition, note?: string): AlertState | undefined {
    if (alertId === undefined) {
      this.shutdown();
      return undefined;
    }
    const actor = by as Actor;
    if (!DispositionSchema.safeParse(disposition).success)
      throw new AlertsError(
        AlertsErrorCode.ALERT_INPUT_INVALID,
        `disposition must be one of ${DispositionSchema.options.join(', ')}`,
        [{ where: 'disposition', reason: `got ${String(disposition)}` }],
      );
    return this.step(() => {
      const rec = this.mustGet(alertId);
      this.mustBeEpisode(rec, 'close');
      if (rec.stage !== 'rechecked') throw this.badStage(rec, 'close', 'rechecked');
      const threshold = this.d.policy?.().rules.feverThresholdTenths ?? DEFAULT_THRESHOLD;
      if (
        disposition === 'cleared-to-enter' &&
        (rec.recheckTenths === null || rec.recheckTenths >= threshold)
      )
        throw new AlertsError(
          AlertsErrorCode.RECHECK_NOT_NORMAL,
          `复测体温 ${rec.recheckTenths === null ? '—' : (rec.recheckTenths / 10).toFixed(1)} °C 不低于 ${(threshold / 10).toFixed(1)} °C，不能以“复测正常，准予进入”处置完毕：请送回家或送发热门诊 / the re-check is not below the fever threshold: the person cannot be cleared to enter`,
          [{ where: 'disposition', reason: `re-check ${rec.recheckTenths} ≥ threshold ${threshold}` }],
        );
      const now = this.now();
      rec.stage = 'closed';
      rec.state = 'cleared';
      rec.clearedAt = now;
      rec.updatedAt = now;
      rec.disposition = disposition as Disposition;
      this.ackBy(rec, actor);
      rec.note = [`closed by ${actor.username}: ${disposition}`, note?.trim()].filter(Boolean).join(' — ');
      rec.userNote = note?.trim() || null;
      this.save(rec);
      this.roomsChanged();
      this.d.audit(actor, 'alert.close', rec.id, {
        disposition,
        roomId: rec.roomId,
        recheckTenths: rec.recheckTenths,
        thresholdTenths: threshold,
        ...(note ? { note } : {}),
      });
      const holdNote = (note?.trim() ?? '').slice(0, 200);
      if (disposition === 'cleared-to-enter')
        this.holdAfterCommit(actor, rec, (employeeNo) => ({
          action: 'lift',
          employeeNo,
          reason: 'recheck-normal',
          note: holdNote,
          // The flags this episode knows: a hold that covers a newer one (flagged again meanwhile) stays.
          readingIds: this.store.readingIds(rec.id).slice(-64),
        }));
      else
        this.holdAfterCommit(actor, rec, (employeeNo) => ({
          action: 'stage',
          employeeNo,
          stage: disposition as 'sent-home' | 'referred-to-hospital',
          note: holdNote,
        }));
      assignWaiting(this);
      return toAlertState(this.d.siteId, rec);
    });
  }

  moveToRoom(alertId: string, by: Actor, roomId: string): AlertState {
    return this.step(() => {
      const rec = this.mustGet(alertId);
      this.mustBeEpisode(rec, 'move');
      if (rec.stage !== 'assigned' && rec.stage !== 'waiting-for-room' && rec.stage !== 'arrived')
        throw this.badStage(rec, 'move', 'assigned, waiting for a room or arrived');
      const room = this.roomStore.get(roomId);
      if (!room) throw new AlertsError(AlertsErrorCode.ROOM_NOT_FOUND, `no room ${roomId}`);
      if (rec.roomId === roomId && rec.stage !== 'waiting-for-room') return toAlertState(this.d.siteId, rec);
      const occ = occupancy(this.store);
      if (rec.roomId && rec.stage !== 'waiting-for-room')
        occ.set(rec.roomId, Math.max(0, (occ.get(rec.roomId) ?? 0) - 1));
      if ((occ.get(roomId) ?? 0) >= room.capacity)
        throw new AlertsError(AlertsErrorCode.ROOM_OCCUPIED, `room ${roomId} is full`);
      const from = rec.roomId;
      const now = this.now();
      rec.roomId = roomId;
      rec.stage = 'assigned';
      rec.assignedAt = now;
      rec.waitingSince = null;
      rec.updatedAt = now;
      rec.note = `moved to ${room.name} by ${by.username}`;
      this.save(rec);
      this.roomsChanged();
      this.holdAfterCommit(by, rec, (employeeNo) => ({
        action: 'room',
        employeeNo,
        room: { id: room.id, name: room.name },
      }));
      this.d.audit(by, 'alert.move', rec.id, { from, to: roomId, employeeNo: rec.employeeNo });
      assignWaiting(this);
      return toAlertState(this.d.siteId, rec);
    });
  }

  clear(alertId: string, by: Actor, note?: string): AlertState {
    return this.step(() => {
      const rec = this.mustGet(alertId);
      if (rec.kind === 'fever')
        throw new AlertsError(
          AlertsErrorCode.ALERT_BAD_STAGE,
          'a fever episode ends with close (after the re-check)',
        );
      if (rec.state === 'cleared')
        throw new AlertsError(AlertsErrorCode.ALERT_BAD_STAGE, `${rec.id} is already cleared`);
      // A device that is still down cannot be declared fine: the alert would vanish from the
      // board while the gate cannot screen anyone (issue #18). It clears when the device says so.
      if (rec.conditionActive === true)
        throw new AlertsError(
          AlertsErrorCode.CONDITION_ACTIVE,
          `${rec.kind} at ${rec.gateId} is still reported by the device: acknowledge it; it clears when it ends`,
        );
      const now = this.now();
      this.ackBy(rec, by);
      rec.state = 'cleared';
      rec.clearedAt = now;
      rec.updatedAt = now;
      rec.note = [`cleared by ${by.username}`, note?.trim()].filter(Boolean).join(' — ');
      rec.userNote = note?.trim() || null;
      this.save(rec);
      this.d.audit(by, 'alert.clear', rec.id, {
        kind: rec.kind,
        gateId: rec.gateId,
        ...(note ? { note } : {}),
      });
      return toAlertState(this.d.siteId, rec);
    });
  }

  // ---- reading ------------------------------------------------------------------------------

  list(q?: AlertQuery): AlertState[] {
    return this.store.list(q).map((r) => toAlertState(this.d.siteId, r));
  }

  get(alertId: string): AlertState | undefined {
    const rec = this.store.get(alertId) ?? this.store.bySource(`msg:${alertId}`);
    return rec ? toAlertState(this.d.siteId, rec) : undefined;
  }

  counts() {
    return this.store.counts();
  }

  // ---- rooms -----------------------------------------------------------------------------

  rooms(): RoomView[] {
    const occupants = this.store.occupants();
    return this.roomStore.all().map((room) => {
      const inRoom = occupants
        .filter((o) => o.roomId === room.id)
        .map(({ alertId, employeeNo, name, since }) => ({ alertId, employeeNo, name, since }));
      return { ...room, occupants: inRoom, free: Math.max(0, room.capacity - inRoom.length) };
    });
  }

  upsertRoom(room: Room, by: Actor): RoomView {
    const parsed = RoomConfig.safeParse(room);
    if (!parsed.success)
      throw new AlertsError(
        AlertsErrorCode.ROOM_INVALID,
        'invalid room',
        parsed.error.issues.map((i) => ({ where: i.path.join('.'), reason: i.message })),
      );
    const next = parsed.data;
    return this.step(() => {
      const before = this.roomStore.get(next.id);
      const inRoom = occupancy(this.store).get(next.id) ?? 0;
      if (inRoom > next.capacity)
        throw new AlertsError(
          AlertsErrorCode.ROOM_OCCUPIED,
          `room ${next.id} has ${inRoom} occupant(s): its capacity cannot go below that`,
        );
      this.roomStore.upsert(next);
      this.roomsChanged();
      this.d.audit(by, 'room.upsert', next.id, { before: before ?? null, after: next });
      // The room may make places: somebody may be waiting for one.
      assignWaiting(this);
      // Names in the details of open episodes in the room follow a rename.
      for (const o of this.store.occupants()) {
        if (o.roomId !== next.id || !before || before.name === next.name) continue;
        const rec = this.store.get(o.alertId);
        if (rec) this.save(rec);
      }
      const view = this.rooms().find((r) => r.id === next.id);
      if (!view) throw new Error(`room ${next.id} vanished`);
      return view;
    });
  }

  removeRoom(roomId: string, by: Actor): void {
    this.step(() => {
      const room = this.roomStore.get(roomId);
      if (!room) throw new AlertsError(AlertsErrorCode.ROOM_NOT_FOUND, `no room ${roomId}`);
      const inRoom = occupancy(this.store).get(roomId) ?? 0;
      if (inRoom > 0)
        throw new AlertsError(
          AlertsErrorCode.ROOM_OCCUPIED,
          `room ${roomId} has ${inRoom} occupant(s): close their episodes first`,
        );
      this.roomStore.remove(roomId);
      this.roomsChanged();
      this.d.audit(by, 'room.remove', roomId, { room });
    });
  }

  // ---- listeners, timers, lifecycle --------------------------------------------------------

  onAlertChange(fn: (a: AlertState) => void): () => void {
    this.alertListeners.add(fn);
    return () => this.alertListeners.delete(fn);
  }

  onRoomsChange(fn: (rooms: RoomView[]) => void): () => void {
    this.roomListeners.add(fn);
    return () => this.roomListeners.delete(fn);
  }

  /**
   * Escalates what is due and sends due webhook deliveries. Calls while one runs are folded into
   * one more round after it, so a slow webhook never piles up concurrent rounds.
   */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // Yield first: `running` must be set before a round runs, since a round's own announcements
      // may call tick() again (and must then only ask for one more round).
      await Promise.resolve();
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.closed);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const now = this.now();
      this.step(() => {
        for (const rec of this.store.dueForEscalation(now - this.d.escalateAfterMs))
          this.escalate(rec, 'unacknowledged');
        if (now - this.lastPrune >= PRUNE_EVERY_MS) {
          this.lastPrune = now;
          this.store.pruneSources(now - Math.max(SOURCE_KEEP_MS, 2 * this.d.episodeWindowMs));
        }
      });
      await this.escalator.deliverDue(this.abort.signal);
    } catch (e) {
      this.d.log.error({ err: e }, 'alert tick failed');
    }
  }

  republish(): void {
    if (this.closed) return;
    // The list now, which also answers a change of this turn waiting for it.
    this.retainedList.now();
    try {
      this.publishPlans(true);
    } catch (e) {
      this.d.log.error({ err: e }, 'republishing isolation plans failed');
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.flushAlertList();
    this.closed = true;
    this.abort.abort();
    this.alertListeners.clear();
    this.roomListeners.clear();
  }
}
