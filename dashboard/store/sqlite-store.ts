/**
 * Reads the embedded store the gate's SqliteSink writes (same machine, WAL, so reads never block
 * the writer). The connection is query_only: the dashboard cannot modify health records. The
 * file is opened on first use and again after a failure, so a dashboard started before the gate
 * recovers by itself.
 */
import Database from 'better-sqlite3';
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  SQLITE_BOOLEAN_COLUMNS,
  SQLITE_COLUMNS,
  SQLITE_READING_TABLE,
  SQLITE_SCHEMA_VERSION,
} from '../../protocols/storage/sqlite-schema.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { assertTimeZone, type Half, halfDays, parseSplit } from './local-time.ts';
import { assemblePersonDays, checkPeriod, sortCounts, sortReadings } from './results.ts';
import type {
  CountQuery,
  DecisionCount,
  GateQuery,
  PersonDay,
  PersonDayQuery,
  PersonQuery,
  ReadingStore,
  StoreTimeOptions,
} from './types.ts';

export interface SqliteStoreOptions extends StoreTimeOptions {
  path: string;
  busyTimeoutMs?: number;
}

type Row = Record<string, string | number | null>;
const KEYS = Object.keys(SQLITE_COLUMNS) as Array<keyof typeof SQLITE_COLUMNS>;
const SELECT_COLUMNS = KEYS.map((k) => `r.${SQLITE_COLUMNS[k]}`).join(', ');
const BOOLEANS = new Set<string>(SQLITE_BOOLEAN_COLUMNS);
const T = SQLITE_READING_TABLE;
const ORDER = 'ORDER BY r.at, r.site_id, r.gate_id, r.seq';

function toRecord(row: Row): ReadingRecord {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const col = SQLITE_COLUMNS[k];
    const v = row[col];
    out[k] = BOOLEANS.has(col) ? v === 1 : v;
  }
  return out as ReadingRecord;
}

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
    return this.select(`r.employee_no = ?`, [q.employeeNo], q);
  }

  async readingsByGate(q: GateQuery): Promise<ReadingRecord[]> {
    checkPeriod(q, q.limit);
    return this.select(`r.gate_id = ?`, [q.gateId], q);
  }

  async firstReadingsByPersonDay(q: PersonDayQuery): Promise<PersonDay[]> {
    const bounds = halfDays(this.timeZone, q.fromDay, q.toDay, this.splitMinutes);
    const where = ['r.temperature_tenths IS NOT NULL', "r.employee_no <> ''"];
    const params: Array<string | number> = [JSON.stringify(bounds.map((b) => [b.day, b.half, b.from, b.to]))];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      params.push(q.siteId);
    }
    if (q.employeeNos) {
      if (q.employeeNos.length === 0) return [];
      where.push('r.employee_no IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.employeeNos));
    }
    // Rank inside the covering index (at, employee_no, temperature, seq, site, gate), then fetch
    // only the winners' rows. The half-day bounds come from local-time.ts, not from SQLite,
    // which knows no IANA zones.
    const sql = `
      WITH h(day, half, t0, t1) AS (
        SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)
      ),
      ranked AS (
        SELECT r.rowid AS rid, h.day AS day, h.half AS half,
               row_number() OVER (
                 PARTITION BY r.employee_no, h.day, h.half
                 ORDER BY r.at, r.seq % 1000000, r.site_id, r.gate_id
               ) AS rn
        FROM h JOIN ${T} r ON r.at >= h.t0 AND r.at < h.t1
        WHERE ${where.join(' AND ')}
      )
      SELECT ranked.day AS _day, ranked.half AS _half, ${SELECT_COLUMNS}
      FROM ranked JOIN ${T} r ON r.rowid = ranked.rid
      WHERE ranked.rn = 1`;
    const rows = this.all(sql, params);
    return assemblePersonDays(rows.map((row) => ({ day: row._day as string, half: row._half as Half, record: toRecord(row) })));
  }

  async decisionCounts(q: CountQuery): Promise<DecisionCount[]> {
    checkPeriod(q);
    const where = ['r.at >= ?', 'r.at < ?'];
    const params: Array<string | number> = [q.from, q.to];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      params.push(q.siteId);
    }
    if (q.gateId !== undefined) {
      where.push('r.gate_id = ?');
      params.push(q.gateId);
    }
    const rows = this.all(
      `SELECT r.site_id, r.gate_id, r.decision, count(*) AS n FROM ${T} r
       WHERE ${where.join(' AND ')} GROUP BY r.site_id, r.gate_id, r.decision`,
      params,
    );
    return sortCounts(
      rows.map((r) => ({
        siteId: r.site_id as string,
        gateId: r.gate_id as string,
        decision: r.decision as Decision,
        count: r.n as number,
      })),
    );
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private select(
    match: string,
    params: Array<string | number>,
    q: { from: number; to: number; siteId?: string; limit?: number },
  ): ReadingRecord[] {
    const where = [match, 'r.at >= ?', 'r.at < ?'];
    const all = [...params, q.from, q.to];
    if (q.siteId !== undefined) {
      where.push('r.site_id = ?');
      all.push(q.siteId);
    }
    const limit = q.limit !== undefined ? ` LIMIT ${q.limit}` : '';
    const rows = this.all(`SELECT ${SELECT_COLUMNS} FROM ${T} r WHERE ${where.join(' AND ')} ${ORDER}${limit}`, all);
    return sortReadings(rows.map(toRecord));
  }

  private all(sql: string, params: Array<string | number>): Row[] {
    const db = this.open();
    try {
      return db.prepare(sql).all(...params) as Row[];
    } catch (err) {
      // Drop the connection: the next query reopens (file replaced, lock trouble).
      this.db?.close();
      this.db = null;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `query failed on ${this.opts.path}: ${String(err)}`, { cause: err });
    }
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    let db: Database.Database;
    try {
      db = new Database(this.opts.path, { fileMustExist: true, timeout: this.opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `cannot open ${this.opts.path}: ${String(err)}`, { cause: err });
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SQLITE_SCHEMA_VERSION) {
      db.close();
      throw new StoreError(
        version === 0 ? StoreErrorCode.UNAVAILABLE : StoreErrorCode.SCHEMA,
        version === 0
          ? `${this.opts.path} has no readings table yet (the gate has not written to it)`
          : `${this.opts.path} has store schema ${version}; this dashboard reads ${SQLITE_SCHEMA_VERSION}`,
      );
    }
    db.pragma('query_only = ON');
    this.db = db;
    return db;
  }
}
