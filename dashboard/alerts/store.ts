/**
 * The alerts' SQLite tables in the dashboard's database. Everything that decides what happens next
 * (lifecycle, episode stage, room, escalation) is a column here, so a dashboard restarted on the
 * same file carries on exactly where the old one stopped.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import type { AlertLifecycle } from '../../protocols/dashboard/messages.ts';
import { parseConditionKey } from '../../protocols/gate/alert-kinds.ts';
import { migrate } from '../db/migrate.ts';
import type { AlertQuery } from './types.ts';

/** An alert as stored: the published state plus what the domain needs to carry on. */
export interface AlertRecord extends Omit<AlertState, 'v' | 'siteId'> {
  /** Last time the condition or the person was reported (the episode window runs from here). */
  lastSeenAt: number;
  /** Which later reports continue this alert (kinds.ts); only open alerts are matched. */
  dedupeKey: string;
  /** Condition alerts: the device still reports the condition. null for person alerts. */
  conditionActive: boolean | null;
  /** The reporting device's own time of the last report (compared with its status, same clock). */
  sourceAt: number;
  /** The text the gate (or hub) sent; `detail` adds the dashboard's part (room, stage). */
  sourceDetail: string;
  assignedAt: number | null;
  waitingSince: number | null;
  /** Re-check numbers handed out so far (reading ids stay unique even when a write failed). */
  rechecks: number;
  recheckTenths: number | null;
  /** The dashboard's word on the last step (re-check result, disposition note, guard's clear note). */
  note: string;
  /** Only what the guard typed when closing or clearing (pages show it as is, in any language). */
  userNote: string | null;
}

const COLUMNS: Array<[keyof AlertRecord, string]> = [
  ['id', 'id'],
  ['gateId', 'gate_id'],
  ['kind', 'kind'],
  ['severity', 'severity'],
  ['state', 'state'],
  ['raisedAt', 'raised_at'],
  ['updatedAt', 'updated_at'],
  ['occurrences', 'occurrences'],
  ['employeeNo', 'employee_no'],
  ['name', 'name'],
  ['temperatureTenths', 'temperature_tenths'],
  ['roomId', 'room_id'],
  ['stage', 'stage'],
  ['acknowledgedBy', 'acknowledged_by'],
  ['acknowledgedAt', 'acknowledged_at'],
  ['clearedAt', 'cleared_at'],
  ['disposition', 'disposition'],
  ['escalated', 'escalated'],
  ['detail', 'detail'],
  ['lastSeenAt', 'last_seen_at'],
  ['dedupeKey', 'dedupe_key'],
  ['conditionActive', 'condition_active'],
  ['sourceAt', 'source_at'],
  ['sourceDetail', 'source_detail'],
  ['assignedAt', 'assigned_at'],
  ['waitingSince', 'waiting_since'],
  ['rechecks', 'rechecks'],
  ['recheckTenths', 'recheck_tenths'],
  ['note', 'note'],
  ['userNote', 'user_note'],
];
const BOOLEAN = new Set<keyof AlertRecord>(['escalated', 'conditionActive']);

/** Append-only (db/migrate.ts): add a step, never edit a shipped one. */
export const ALERT_STORE_STEPS = [
  `
CREATE TABLE IF NOT EXISTS alert (
  id                 TEXT    PRIMARY KEY,
  gate_id            TEXT    NOT NULL,
  kind               TEXT    NOT NULL,
  severity           TEXT    NOT NULL,
  state              TEXT    NOT NULL,
  raised_at          INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  occurrences        INTEGER NOT NULL,
  employee_no        TEXT,
  name               TEXT,
  temperature_tenths INTEGER,
  room_id            TEXT,
  stage              TEXT,
  acknowledged_by    TEXT,
  acknowledged_at    INTEGER,
  cleared_at         INTEGER,
  disposition        TEXT,
  escalated          INTEGER NOT NULL,
  detail             TEXT    NOT NULL,
  last_seen_at       INTEGER NOT NULL,
  dedupe_key         TEXT    NOT NULL,
  condition_active   INTEGER,
  source_at          INTEGER NOT NULL,
  source_detail      TEXT    NOT NULL,
  assigned_at        INTEGER,
  waiting_since      INTEGER,
  rechecks           INTEGER NOT NULL,
  recheck_tenths     INTEGER,
  note               TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_open_key ON alert (dedupe_key, last_seen_at) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS alert_state ON alert (state, raised_at);
CREATE INDEX IF NOT EXISTS alert_raised ON alert (raised_at);
CREATE INDEX IF NOT EXISTS alert_room ON alert (room_id) WHERE stage IN ('assigned', 'arrived', 'rechecked');
-- Message ids and reading ids already merged into an alert: a redelivered message (QoS 1) or the
-- decision and the alert about one passage never count twice, and a clear finds its raise by id.
CREATE TABLE IF NOT EXISTS alert_source (
  source   TEXT    PRIMARY KEY,
  alert_id TEXT    NOT NULL,
  at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_source_at ON alert_source (at);
CREATE TABLE IF NOT EXISTS alert_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  // Issue #18: the guard's own words apart from the English summary, for the pages' languages.
  'ALTER TABLE alert ADD COLUMN user_note TEXT',
  // Issue #21: gate-offline alerts are keyed by the protocol's condition key
  // (`gate-offline|terminal|<id>`, `gate-offline|gate|<id>`), no longer by the hub's message id
  // without its time (`gate-offline|<site>:terminal/<id>:gate-offline`, `gate-offline|<site>:<gate>:gate-offline`).
  `UPDATE alert SET dedupe_key = 'gate-offline|terminal|' ||
     substr(dedupe_key, instr(dedupe_key, ':terminal/') + 10,
            length(dedupe_key) - instr(dedupe_key, ':terminal/') - 9 - length(':gate-offline'))
   WHERE kind = 'gate-offline' AND instr(dedupe_key, ':terminal/') > 0 AND dedupe_key LIKE '%:gate-offline';
   UPDATE alert SET dedupe_key = 'gate-offline|gate|' || gate_id
   WHERE kind = 'gate-offline' AND dedupe_key NOT LIKE 'gate-offline|terminal|%';`,
];

type Row = Record<string, string | number | null>;

function toRow(r: AlertRecord): Row {
  const row: Row = {};
  for (const [k, col] of COLUMNS) {
    const v = r[k] as unknown;
    row[col] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as string | number | null);
  }
  return row;
}

function fromRow(row: Row): AlertRecord {
  const r: Record<string, unknown> = {};
  for (const [k, col] of COLUMNS) {
    const v = row[col] ?? null;
    r[k] = BOOLEAN.has(k) && v !== null ? v === 1 : v;
  }
  return r as unknown as AlertRecord;
}

export interface Occupant {
  alertId: string;
  roomId: string;
  employeeNo: string | null;
  name: string | null;
  since: number;
}

const OPEN_STAGES = `('assigned', 'arrived', 'rechecked')`;
const SEVERITY_ORDER = `CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END`;

export class AlertStore {
  private readonly s: {
    get: Statement;
    insert: Statement;
    update: Statement;
    openByKey: Statement;
    source: Statement;
    readingSources: Statement;
    addSource: Statement;
    occupants: Statement;
    waiting: Statement;
    dueEscalation: Statement;
    openConditions: Statement;
    counts: Statement;
    pruneSources: Statement;
    getMeta: Statement;
    setMeta: Statement;
  };

  constructor(private readonly db: Database) {
    migrate(db, 'alerts', ALERT_STORE_STEPS);
    const cols = COLUMNS.map(([, c]) => c);
    this.s = {
      get: db.prepare('SELECT * FROM alert WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO alert (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
      ),
      update: db.prepare(
        `UPDATE alert SET ${cols
          .filter((c) => c !== 'id')
          .map((c) => `${c} = @${c}`)
          .join(', ')} WHERE id = @id`,
      ),
      openByKey: db.prepare(
        `SELECT * FROM alert WHERE dedupe_key = ? AND state <> 'cleared' AND last_seen_at >= ?
         ORDER BY last_seen_at DESC LIMIT 1`,
      ),
      source: db.prepare('SELECT alert_id FROM alert_source WHERE source = ?'),
      readingSources: db.prepare(
        `SELECT source FROM alert_source WHERE alert_id = ? AND source LIKE 'reading:%' ORDER BY at, source`,
      ),
      addSource: db.prepare('INSERT OR IGNORE INTO alert_source (source, alert_id, at) VALUES (?, ?, ?)'),
      occupants: db.prepare(
        `SELECT id, room_id, employee_no, name, assigned_at FROM alert
         WHERE room_id IS NOT NULL AND stage IN ${OPEN_STAGES} ORDER BY assigned_at, id`,
      ),
      waiting: db.prepare(
        `SELECT * FROM alert WHERE stage = 'waiting-for-room' ORDER BY waiting_since, raised_at, id`,
      ),
      dueEscalation: db.prepare(
        `SELECT * FROM alert WHERE state = 'active-unacknowledged' AND escalated = 0
           AND severity IN ('critical', 'major') AND (condition_active IS NULL OR condition_active = 1)
           AND raised_at <= ? ORDER BY raised_at, id`,
      ),
      openConditions: db.prepare(
        `SELECT * FROM alert WHERE gate_id = ? AND kind = ? AND state <> 'cleared' AND condition_active = 1`,
      ),
      counts: db.prepare('SELECT state, COUNT(*) AS n FROM alert GROUP BY state'),
      pruneSources: db.prepare('DELETE FROM alert_source WHERE at < ?'),
      getMeta: db.prepare('SELECT value FROM alert_meta WHERE key = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO alert_meta (key, value) VALUES (?, ?)'),
    };
  }

  get(id: string): AlertRecord | undefined {
    const row = this.s.get.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  insert(r: AlertRecord): void {
    this.s.insert.run(toRow(r));
  }

  update(r: AlertRecord): void {
    this.s.update.run(toRow(r));
  }

  /** The open alert a report with this key continues, if it was last seen at or after `since`. */
  openByKey(key: string, since: number): AlertRecord | undefined {
    const row = this.s.openByKey.get(key, since) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  bySource(source: string): AlertRecord | undefined {
    const hit = this.s.source.get(source) as { alert_id: string } | undefined;
    return hit ? this.get(hit.alert_id) : undefined;
  }

  /** The reading ids merged into an alert (a fever episode's flagged readings), oldest first. */
  readingIds(alertId: string): string[] {
    return (this.s.readingSources.all(alertId) as Array<{ source: string }>).map((r) =>
      r.source.slice('reading:'.length),
    );
  }

  addSource(source: string, alertId: string, at: number): void {
    this.s.addSource.run(source, alertId, at);
  }

  /** Sources older than this are never redelivered any more; clears fall back to the condition key. */
  pruneSources(before: number): number {
    return this.s.pruneSources.run(before).changes;
  }

  occupants(): Occupant[] {
    return (this.s.occupants.all() as Row[]).map((r) => ({
      alertId: r.id as string,
      roomId: r.room_id as string,
      employeeNo: (r.employee_no as string | null) ?? null,
      name: (r.name as string | null) ?? null,
      since: (r.assigned_at as number | null) ?? 0,
    }));
  }

  waiting(): AlertRecord[] {
    return (this.s.waiting.all() as Row[]).map(fromRow);
  }

  /** Unacknowledged critical/major alerts raised at or before `raisedBy`, not escalated yet. */
  dueForEscalation(raisedBy: number): AlertRecord[] {
    return (this.s.dueEscalation.all(raisedBy) as Row[]).map(fromRow);
  }

  openConditions(gateId: string, kind: string): AlertRecord[] {
    return (this.s.openConditions.all(gateId, kind) as Row[]).map(fromRow);
  }

  list(q: AlertQuery = {}): AlertRecord[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if ((q.state ?? 'open') === 'open') where.push(`state <> 'cleared'`);
    if (q.gateId) {
      where.push('gate_id = ?');
      args.push(q.gateId);
    }
    if (q.since !== undefined) {
      where.push('updated_at >= ?');
      args.push(q.since);
    }
    const order =
      (q.state ?? 'open') === 'open' ? `${SEVERITY_ORDER}, raised_at DESC, id` : 'raised_at DESC, id';
    const limit = Math.max(1, Math.min(q.limit ?? 200, 10_000));
    const sql = `SELECT * FROM alert ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(fromRow);
  }

  counts(): Record<AlertLifecycle, number> {
    const out: Record<AlertLifecycle, number> = {
      'active-unacknowledged': 0,
      'active-acknowledged': 0,
      cleared: 0,
    };
    for (const r of this.s.counts.all() as Array<{ state: AlertLifecycle; n: number }>) out[r.state] = r.n;
    return out;
  }

  meta(key: string): string | undefined {
    return (this.s.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.s.setMeta.run(key, value);
  }
}

export function toAlertState(siteId: string, r: AlertRecord): AlertState {
  return {
    v: SCHEMA_VERSION,
    id: r.id,
    siteId,
    gateId: r.gateId,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    raisedAt: r.raisedAt,
    updatedAt: r.updatedAt,
    occurrences: r.occurrences,
    employeeNo: r.employeeNo,
    name: r.name,
    temperatureTenths: r.temperatureTenths,
    roomId: r.roomId,
    stage: r.stage,
    acknowledgedBy: r.acknowledgedBy,
    acknowledgedAt: r.acknowledgedAt,
    clearedAt: r.clearedAt,
    disposition: r.disposition,
    escalated: r.escalated,
    detail: r.detail,
    facts: {
      conditionActive: r.conditionActive,
      ...offlineDevice(r),
      recheckTenths: r.recheckTenths,
      userNote: r.userNote ?? null,
    },
  };
}

/** Which device a `gate-offline` alert is about: its condition key says (alert-kinds.ts conditionKey). */
function offlineDevice(r: AlertRecord): { device: 'gate' | 'terminal' | null; deviceId: string | null } {
  if (r.kind !== 'gate-offline') return { device: null, deviceId: null };
  const k = parseConditionKey(r.dedupeKey);
  return k ? { device: k.device, deviceId: k.deviceId } : { device: 'gate', deviceId: r.gateId };
}
