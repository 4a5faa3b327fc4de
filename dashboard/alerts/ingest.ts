/**
 * What the gates and the hub report, turned into alerts: a new alert, one more occurrence of an
 * open one, or the end of a condition. Messages arrive at least once (MQTT QoS 1) and the decision
 * and the alert about one passage both arrive: every message id and reading id is remembered with
 * the alert it went into, so nothing is ever counted twice.
 */
import { createHash } from 'node:crypto';
import type { AlertKind, AlertMessage } from '../../protocols/gate/messages.ts';
import { type DomainCtx, followToldRoom, placeNewEpisode } from './episodes.ts';
import { conditionKey, episodeKey, isCondition, type Severity, severityOf } from './kinds.ts';
import type { AlertRecord } from './store.ts';

export interface Report {
  kind: AlertKind;
  severity: Severity;
  gateId: string;
  employeeNo: string | null;
  name: string | null;
  temperatureTenths: number | null;
  detail: string;
  /** `msg:<alert message id>`, `reading:<reading id>`. */
  sources: string[];
  /** The reporting device's time. */
  sourceAt: number;
  /** The id a new alert takes (the gate's own alert id, so both sides name it alike). */
  idHint: string;
  /** Fever decisions: the room the gate named to the person (null: none); absent when not said. */
  toldRoom?: string | null;
  /** Which open alert it continues; default: the person's (or the gate's) episode of this kind. */
  dedupe?: { key: string; windowMs: number };
}

const maxTenths = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

function newId(ctx: DomainCtx, hint: string): string {
  let base = hint;
  if (base.length > 150) base = createHash('sha256').update(base).digest('hex').slice(0, 40);
  let id = base;
  for (let n = 2; ctx.store.get(id); n++) id = `${base}:${n}`;
  return id;
}

function newRecord(ctx: DomainCtx, r: Report, dedupeKey: string): AlertRecord {
  const now = ctx.now();
  return {
    id: newId(ctx, r.idHint),
    gateId: r.gateId,
    kind: r.kind,
    severity: r.severity,
    state: 'active-unacknowledged',
    raisedAt: now,
    updatedAt: now,
    occurrences: 1,
    employeeNo: r.employeeNo,
    name: r.name,
    temperatureTenths: r.temperatureTenths,
    roomId: null,
    stage: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    clearedAt: null,
    disposition: null,
    escalated: false,
    detail: '',
    lastSeenAt: now,
    dedupeKey,
    conditionActive: isCondition(r.kind) ? true : null,
    sourceAt: r.sourceAt,
    sourceDetail: r.detail,
    assignedAt: null,
    waitingSince: null,
    rechecks: 0,
    recheckTenths: null,
    note: '',
    userNote: null,
  };
}

function remember(ctx: DomainCtx, rec: AlertRecord, sources: readonly string[]): void {
  for (const s of sources) ctx.store.addSource(s, rec.id, ctx.now());
}

/** A person or passage report (fever, mask, tailgating ...): one alert per episode. */
export function ingestReport(ctx: DomainCtx, r: Report): AlertRecord {
  const now = ctx.now();
  // The same passage again (redelivery, or its decision after its alert): merge what is new.
  for (const s of r.sources) {
    const known = ctx.store.bySource(s);
    if (!known) continue;
    const before = JSON.stringify(known);
    known.name ??= r.name;
    known.temperatureTenths = maxTenths(known.temperatureTenths, r.temperatureTenths);
    if (known.kind === 'fever' && r.toldRoom !== undefined) followToldRoom(ctx, known, r.toldRoom);
    remember(ctx, known, r.sources);
    if (JSON.stringify(known) !== before) {
      known.updatedAt = now;
      ctx.save(known);
    }
    return known;
  }
  const { key, windowMs } = r.dedupe ?? episodeKey(r.kind, r.gateId, r.employeeNo, ctx.d.episodeWindowMs);
  const open = ctx.store.openByKey(key, now - windowMs);
  // Fever: only an episode not yet closed continues (a closed one is cleared, so it is not open).
  if (open) {
    open.occurrences++;
    open.lastSeenAt = now;
    open.updatedAt = now;
    open.sourceAt = r.sourceAt;
    open.name ??= r.name;
    open.temperatureTenths = maxTenths(open.temperatureTenths, r.temperatureTenths);
    if (open.kind === 'fever' && r.toldRoom !== undefined) followToldRoom(ctx, open, r.toldRoom);
    remember(ctx, open, r.sources);
    ctx.save(open);
    return open;
  }
  const rec = newRecord(ctx, r, key);
  const full = r.kind === 'fever' ? placeNewEpisode(ctx, rec, r.toldRoom ?? null).full : false;
  ctx.insert(rec);
  remember(ctx, rec, r.sources);
  ctx.d.log.info(
    { alertId: rec.id, kind: rec.kind, gateId: rec.gateId, roomId: rec.roomId, stage: rec.stage },
    'alert raised',
  );
  if (rec.kind === 'fever') {
    ctx.feverRaised(rec);
    // The hub opened the hold with the room the gate named; a different one (or none named) is ours to tell.
    if (rec.roomId !== null && rec.roomId !== (r.toldRoom ?? null)) ctx.holdRoom(rec);
  }
  if (full) ctx.escalate(rec, 'rooms-full');
  return rec;
}

/**
 * The condition ended. Clearing and acknowledging are independent (as on ThingsBoard): an alert
 * goes to `cleared` only once it is both over and acknowledged. Until a guard acknowledges it, a
 * condition that ended stays `active-unacknowledged` with `conditionActive` false (the detail says
 * "condition over"), so a short outage at night is still seen in the morning; it no longer escalates.
 */
export function conditionOver(ctx: DomainCtx, rec: AlertRecord, sourceAt: number, detail: string): void {
  const now = ctx.now();
  rec.conditionActive = false;
  rec.sourceAt = Math.max(rec.sourceAt, sourceAt);
  rec.updatedAt = now;
  if (detail) rec.note = detail;
  if (rec.state === 'active-acknowledged') {
    rec.state = 'cleared';
    rec.clearedAt = now;
  }
  ctx.save(rec);
  ctx.d.log.info({ alertId: rec.id, kind: rec.kind, gateId: rec.gateId, state: rec.state }, 'condition over');
}

/** A device condition: raised (again) or over. Matched on the message id, else on the condition. */
export function ingestCondition(ctx: DomainCtx, a: AlertMessage): void {
  const now = ctx.now();
  const source = `msg:${a.id}`;
  const byId = ctx.store.bySource(source);
  const key = conditionKey(a);
  if (a.active) {
    if (byId) return; // redelivered raise
    const open = ctx.store.openByKey(key, Number.MIN_SAFE_INTEGER);
    if (open) {
      // Reported again while open (a device restarted, or the condition came back before anyone
      // acknowledged that it had ended): the same alert, once more.
      open.occurrences++;
      open.conditionActive = true;
      open.lastSeenAt = now;
      open.updatedAt = now;
      open.sourceAt = Math.max(open.sourceAt, a.at);
      open.sourceDetail = a.detail;
      open.severity = severityOf(a.kind, a.severity);
      open.note = '';
      remember(ctx, open, [source]);
      ctx.save(open);
      return;
    }
    ingestReport(ctx, {
      kind: a.kind,
      severity: severityOf(a.kind, a.severity),
      gateId: a.gateId,
      employeeNo: null,
      name: null,
      temperatureTenths: null,
      detail: a.detail,
      sources: [source],
      sourceAt: a.at,
      idHint: a.id,
      dedupe: { key, windowMs: 0 },
    });
    return;
  }
  const target = byId && byId.state !== 'cleared' ? byId : ctx.store.openByKey(key, Number.MIN_SAFE_INTEGER);
  if (target?.conditionActive !== true) return; // nothing open: e.g. "fault over" when there was none
  remember(ctx, target, [source]);
  conditionOver(ctx, target, a.at, a.detail);
}
