import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
/**
 * Reads the embedded store the gate's SqliteSink writes (same machine, WAL, so reads never block
 * the writer). The connection is query_only: the dashboard cannot modify health records. The
 * file is opened on first use and again after a failure, so a dashboard started before the gate
 * recovers by itself. Rows come back as arrays (.raw()): at HR's scale, building one object per
 * row in better-sqlite3 costs more than the query itself.
 */
import Database from 'better-sqlite3';
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  SQLITE_COLUMNS,
  SQLITE_DDL,
  SQLITE_READING_TABLE,
  SQLITE_READS_FROM,
  SQLITE_SCHEMA_VERSION,
} from '../../protocols/storage/sqlite-schema.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { FirstReadingPicker } from './first-picker.ts';
import { assertTimeZone, halfDays, parseSplit } from './local-time.ts';
import { assemblePersonDays, checkPeriod, sortCounts, sortReadings } from './results.ts';
import type {
  CountQuery,
  DecisionCount,
  GateQuery,
  LogReadingRecord,
  LogScanQuery,
  PersonDay,
  PersonDayQuery,
  PersonQuery,
  ReadingStore,
  ScanQuery,
  StoreTimeOptions,
} from './types.ts';
import { DEFAULT_PLAUSIBLE } from './types.ts';

export interface SqliteStoreOptions extends StoreTimeOptions {
  path: string;
  busyTimeoutMs?: number;
}

type Value = string | number | null;
type Param = string | number;
type Key = keyof typeof SQLITE_COLUMNS;
const KEYS = Object.keys(SQLITE_COLUMNS) as Key[];
const COLUMNS = KEYS.map((k) => `r.${SQLITE_COLUMNS[k]}`).join(', ');
/** Position of each record key in a row selected as COLUMNS. */
const I = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<Key, number>;
const T = SQLITE_READING_TABLE;
/** Rows fetched by rowid per statement in the second phase of person-days. */
const ROWID_CHUNK = 10_000;
const DEFAULT_PAGE = 5000;

/**
 * A row selected as COLUMNS (after `o` leading columns) → record. Spelled out as one object
 * literal on purpose: V8 gives it a fixed shape, several times faster to build than a loop.
 */
function toRecord(row: readonly Value[], o = 0): ReadingRecord {
  const at = (k: Key) => row[o + I[k]] ?? null;
  return {
    v: at('v') as 1,
    id: at('id') as string,
    siteId: at('siteId') as string,
    gateId: at('gateId') as string,
    seq: at('seq') as number,
    at: at('at') as number,
    recordedAt: at('recordedAt') as number,
    employeeNo: at('employeeNo') as string,
    temperatureTenths: at('temperatureTenths') as number | null,
    rawTenths: at('rawTenths') as number | null,
    offsetTenths: at('offsetTenths') as number,
    ambientTenths: at('ambientTenths') as number | null,
    source: at('source') as ReadingRecord['source'],
    sensor: at('sensor') as ReadingRecord['sensor'],
    sensorSeq: at('sensorSeq') as number | null,
    decision: at('decision') as Decision,
    reason: at('reason') as ReadingRecord['reason'],
    mask: at('mask') as ReadingRecord['mask'],
    pairingDelayMs: at('pairingDelayMs') as number | null,
    terminalId: at('terminalId') as string | null,
    terminalSerialNo: at('terminalSerialNo') as number | null,
    // SQLITE_BOOLEAN_COLUMNS: stored as 0/1.
    realtime: at('realtime') === 1,
    released: at('released') === 1,
    enteredBy: at('enteredBy') as string | null,
    policyVersion: at('policyVersion') as number | null,
    thresholdTenths: at('thresholdTenths') as number | null,
  };
}

const LOG_COLUMNS =
  'r.id, r.site_id, r.gate_id, r.seq, r.at, r.employee_no, r.temperature_tenths, r.source, r.entered_by, r.decision, r.mask';
const toLogRecord = (row: Value[]): LogReadingRecord => ({
  id: row[0] as string,
  siteId: row[1] as string,
  gateId: row[2] as string,
  seq: row[3] as number,
  at: row[4] as number,
  employeeNo: row[5] as string,
  temperatureTenths: row[6] as number,
  source: row[7] as ReadingRecord['source'],
  enteredBy: row[8] as string | null,
  decision: row[9] as Decision,
  mask: row[10] as ReadingRecord['mask'],
});

export class SqliteReadingStore implements ReadingStore {
  readonly kind = 'sqlite';
  readonly timeZone: string;
  private readonly splitMinutes: number;
  private db: Database.Database | null = null;

  constructor(private readonly opts: SqliteStoreOptions) {
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    assertTimeZone(this.timeZone);
    this.splitMinutes = parseSplit(opts.split ?? '12:00');
  }

  async readingsByPerson(q: PersonQuery): Promise<ReadingRecord[]> {
    checkPeriod(q, q.limit);
    return this.select('r.employee_no = ?', [q.employeeNo], q);
  }

  async readingsByGate(q: GateQuery): Promise<ReadingRecord[]> {
    checkPeriod(q, q.limit);
    return this.select('r.gate_id = ?', [q.gateId], q);
  }

  async firstReadingsByPersonDay(q: PersonDayQuery): Promise<PersonDay[]> {
    const picker = new FirstReadingPicker<number>(
      halfDays(this.timeZone, q.fromDay, q.toDay, q.split ? parseSplit(q.split) : this.splitMinutes),
    );
    if (q.employeeNos?.length === 0) return [];
    const { from, to } = picker.period;
    const plausible = q.plausible ?? DEFAULT_PLAUSIBLE;
    // Only checks: a plausible temperature (which is never NULL), a known person, no re-measure.
    const where = [
      'r.at >= ?',
      'r.at < ?',
      'r.temperature_tenths BETWEEN ? AND ?',
      "r.employee_no <> ''",
      "r.decision <> 'remeasure'",
    ];
    const params: Param[] = [from, to, plausible.minTenths, plausible.maxTenths];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      params.push(q.siteId);
    }
    if (q.employeeNos) {
      where.push('r.employee_no IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.employeeNos));
    }
    // Phase 1: the candidates straight from the covering index (at, employee_no, temperature,
    // seq, site, gate); the picker keeps the rowid of each half-day's first.
    const scan = this.statement(
      `SELECT r.rowid, r.at, r.employee_no, r.site_id, r.gate_id, r.seq FROM ${T} r WHERE ${where.join(' AND ')}`,
    );
    this.guard(() => {
      for (const row of scan.iterate(...params) as IterableIterator<Value[]>) {
        const [rowid, at, employeeNo, siteId, gateId, seq] = row as [
          number,
          number,
          string,
          string,
          string,
          number,
        ];
        picker.offer({ at, employeeNo, siteId, gateId, seq }, rowid);
      }
    });
    // Phase 2: the winners' full rows.
    const winners = picker.winners();
    const byRowid = new Map<number, ReadingRecord>();
    const fetch = this.statement(
      `SELECT r.rowid, ${COLUMNS} FROM ${T} r WHERE r.rowid IN (SELECT value FROM json_each(?))`,
    );
    for (let i = 0; i < winners.length; i += ROWID_CHUNK) {
      const ids = JSON.stringify(winners.slice(i, i + ROWID_CHUNK).map((w) => w.payload));
      for (const row of this.guard(() => fetch.all(ids) as Value[][]))
        byRowid.set(row[0] as number, toRecord(row, 1));
    }
    return assemblePersonDays(
      winners.map((w) => ({ day: w.day, half: w.half, record: byRowid.get(w.payload) as ReadingRecord })),
    );
  }

  scanReadings(q: ScanQuery): AsyncIterable<ReadingRecord[]> {
    return this.scan(q, COLUMNS, (row) => toRecord(row));
  }

  scanLogReadings(q: LogScanQuery): AsyncIterable<LogReadingRecord[]> {
    return this.scan({ ...q, measuredOnly: true }, LOG_COLUMNS, toLogRecord);
  }

  /**
   * Keyset paging on (at, site, gate, seq): each page is one bounded query that starts where the
   * last one ended, so a month of a large site streams in constant memory and no page is ever
   * skipped or repeated by readings of the same millisecond.
   */
  private async *scan<R extends { at: number; siteId: string; gateId: string; seq: number }>(
    q: ScanQuery,
    columns: string,
    map: (row: Value[]) => R,
  ): AsyncIterable<R[]> {
    checkPeriod(q, q.pageSize);
    if (q.employeeNos?.length === 0) return;
    const pageSize = q.pageSize ?? DEFAULT_PAGE;
    const where = ['r.at < ?'];
    const params: Param[] = [q.to];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      params.push(q.siteId);
    }
    if (q.employeeNos) {
      where.push('r.employee_no IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.employeeNos));
    }
    if (q.measuredOnly) where.push('r.temperature_tenths IS NOT NULL', "r.employee_no <> ''");
    const order = 'ORDER BY r.at, r.site_id, r.gate_id, r.seq LIMIT ?';
    const first = this.statement(
      `SELECT ${columns} FROM ${T} r WHERE r.at >= ? AND ${where.join(' AND ')} ${order}`,
    );
    // `r.at >= ?` alongside the row value keeps the at-index range scan.
    const next = this.statement(
      `SELECT ${columns} FROM ${T} r WHERE r.at >= ? AND (r.at, r.site_id, r.gate_id, r.seq) > (?, ?, ?, ?) AND ${where.join(' AND ')} ${order}`,
    );
    let last: R | undefined;
    for (;;) {
      const rows = last
        ? this.guard(
            () =>
              next.all(
                last?.at,
                last?.at,
                last?.siteId,
                last?.gateId,
                last?.seq,
                ...params,
                pageSize,
              ) as Value[][],
          )
        : this.guard(() => first.all(q.from, ...params, pageSize) as Value[][]);
      if (rows.length === 0) return;
      const page = rows.map(map);
      last = page[page.length - 1];
      yield page;
      if (rows.length < pageSize) return;
    }
  }

  async decisionCounts(q: CountQuery): Promise<DecisionCount[]> {
    checkPeriod(q);
    const where = ['r.at >= ?', 'r.at < ?'];
    const params: Param[] = [q.from, q.to];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      params.push(q.siteId);
    }
    if (q.gateId !== undefined) {
      where.push('r.gate_id = ?');
      params.push(q.gateId);
    }
    const stmt = this.statement(
      `SELECT r.site_id, r.gate_id, r.decision, count(*) FROM ${T} r
       WHERE ${where.join(' AND ')} GROUP BY r.site_id, r.gate_id, r.decision`,
    );
    const rows = this.guard(() => stmt.all(...params) as Value[][]);
    return sortCounts(
      rows.map(([siteId, gateId, decision, count]) => ({
        siteId: siteId as string,
        gateId: gateId as string,
        decision: decision as Decision,
        count: count as number,
      })),
    );
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private select(
    match: string,
    params: Param[],
    q: { from: number; to: number; siteId?: string; limit?: number },
  ): ReadingRecord[] {
    const where = [match, 'r.at >= ?', 'r.at < ?'];
    const all = [...params, q.from, q.to];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      all.push(q.siteId);
    }
    const limit = q.limit !== undefined ? ` LIMIT ${q.limit}` : '';
    const stmt = this.statement(
      `SELECT ${COLUMNS} FROM ${T} r WHERE ${where.join(' AND ')} ORDER BY r.at, r.site_id, r.gate_id, r.seq${limit}`,
    );
    return sortReadings(this.guard(() => stmt.all(...all) as Value[][]).map((row) => toRecord(row)));
  }

  /** A prepared statement returning arrays. */
  private statement(sql: string): Database.Statement {
    const db = this.open();
    return this.guard(() => db.prepare(sql).raw(true));
  }

  /** Runs a database call; on failure drops the connection (the next query reopens) and throws a typed error. */
  private guard<R>(fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      this.db?.close();
      this.db = null;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `query failed on ${this.opts.path}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    // The gates create the store with their first reading: until then there are no readings,
    // which is an answer (an empty site), not a failure. A fresh demo's report scheduler asked
    // before the first gate had started and logged a level-50 error (issue #18). Not kept: the
    // next query looks for the file again. A missing folder is another matter (a wrong path, a
    // volume not mounted): that stays an error.
    if (!existsSync(this.opts.path) && existsSync(dirname(this.opts.path))) return emptyStore();
    let db: Database.Database;
    try {
      db = new Database(this.opts.path, { fileMustExist: true, timeout: this.opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `cannot open ${this.opts.path}: ${String(err)}`, {
        cause: err,
      });
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      // Created, but the gate has not written its schema yet: still empty.
      db.close();
      return emptyStore();
    }
    if (version < SQLITE_READS_FROM || version > SQLITE_SCHEMA_VERSION) {
      db.close();
      throw new StoreError(
        version === 0 ? StoreErrorCode.UNAVAILABLE : StoreErrorCode.SCHEMA,
        version === 0
          ? `${this.opts.path} has no readings table yet (the gate has not written to it)`
          : `${this.opts.path} has store schema ${version}; this dashboard reads ${SQLITE_READS_FROM} to ${SQLITE_SCHEMA_VERSION}`,
      );
    }
    db.pragma('query_only = ON');
    this.db = db;
    return db;
  }
}

/** An empty readings store (in memory, the gates' own schema): what a site has before any reading. */
function emptyStore(): Database.Database {
  const db = new Database(':memory:');
  db.exec(SQLITE_DDL);
  db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  db.pragma('query_only = ON');
  return db;
}
