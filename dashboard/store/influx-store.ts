/**
 * Reads readings from InfluxDB 1.x (layout: protocols/storage/influx-schema.ts). Plain HTTP with
 * chunked JSON (influx-http.ts) rather than the `influx` client, whose non-chunked queries can be
 * cut short by the server without a reliable sign. With epoch=ms the point time IS the reading's
 * `at` (the sub-ms digits only keep points of one millisecond apart).
 *
 * Local days are cut with bounds computed in local-time.ts rather than GROUP BY time() tz():
 * that handles any split time and DST days, and gives exactly the SQLite store's answer. One
 * `first()` statement per half-day, GROUP BY employeeNo, all sent in a few requests.
 */
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  decodeEmployeeTag,
  encodeEmployeeTag,
  INFLUX_DEFAULT_DATABASE,
  INFLUX_MEASUREMENT,
  INFLUX_RETENTION_POLICY,
} from '../../protocols/storage/influx-schema.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { InfluxHttp, type Series, type StatementResult } from './influx-http.ts';
import { assertTimeZone, type HalfDay, halfDays, parseSplit } from './local-time.ts';
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

export interface InfluxStoreOptions extends StoreTimeOptions {
  url: string;
  database?: string;
  username?: string;
  password?: string;
  retentionPolicy?: string;
  /** Per HTTP request (default 60 s: a month of a whole site is a big answer). */
  requestTimeoutMs?: number;
}

/** Statements per HTTP request for person-days (a month is 62 half-days). */
const STATEMENTS_PER_REQUEST = 64;

/** An InfluxQL string literal. */
const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class InfluxReadingStore implements ReadingStore {
  readonly kind = 'influx';
  readonly timeZone: string;
  private readonly splitMinutes: number;
  private readonly http: InfluxHttp;
  private readonly from: string;

  constructor(opts: InfluxStoreOptions) {
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    assertTimeZone(this.timeZone);
    this.splitMinutes = parseSplit(opts.split ?? '12:00');
    try {
      new URL(opts.url);
    } catch (err) {
      throw new StoreError(StoreErrorCode.CONFIG, `bad InfluxDB url ${opts.url}`, { cause: err });
    }
    this.from = `${ident(opts.retentionPolicy ?? INFLUX_RETENTION_POLICY)}.${ident(INFLUX_MEASUREMENT)}`;
    this.http = new InfluxHttp({
      url: opts.url,
      database: opts.database ?? INFLUX_DEFAULT_DATABASE,
      username: opts.username,
      password: opts.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
    });
  }

  async readingsByPerson(q: PersonQuery): Promise<ReadingRecord[]> {
    checkPeriod(q, q.limit);
    const employee = encodeEmployeeTag(q.employeeNo) ?? '';
    return this.select(`"employeeNo" = ${lit(employee)}`, q);
  }

  async readingsByGate(q: GateQuery): Promise<ReadingRecord[]> {
    checkPeriod(q, q.limit);
    return this.select(`"gateId" = ${lit(q.gateId)}`, q);
  }

  async firstReadingsByPersonDay(q: PersonDayQuery): Promise<PersonDay[]> {
    const bounds = halfDays(this.timeZone, q.fromDay, q.toDay, this.splitMinutes);
    if (q.employeeNos && q.employeeNos.length === 0) return [];
    const filters = [`"employeeNo" != ''`];
    if (q.siteId !== undefined) filters.push(`"siteId" = ${lit(q.siteId)}`);
    if (q.employeeNos) {
      const tags = q.employeeNos.map((e) => encodeEmployeeTag(e)).filter((t): t is string => t !== null);
      if (tags.length === 0) return [];
      filters.push(`(${tags.map((t) => `"employeeNo" = ${lit(t)}`).join(' OR ')})`);
    }
    // first() only sees points that HAVE the field: readings without a temperature never win.
    const statement = (b: HalfDay) =>
      `SELECT first("temperatureTenths"), * FROM ${this.from} WHERE time >= ${b.from}ms AND time < ${b.to}ms AND ${filters.join(' AND ')} GROUP BY "employeeNo"`;
    const winners: Array<{ day: string; half: HalfDay['half']; record: ReadingRecord }> = [];
    for (let i = 0; i < bounds.length; i += STATEMENTS_PER_REQUEST) {
      const chunk = bounds.slice(i, i + STATEMENTS_PER_REQUEST);
      const results = await this.query(chunk.map(statement));
      results.forEach((res, j) => {
        const b = chunk[j] as HalfDay;
        for (const s of res.series ?? []) {
          for (const record of toRecords(s)) winners.push({ day: b.day, half: b.half, record });
        }
      });
    }
    return assemblePersonDays(winners);
  }

  async decisionCounts(q: CountQuery): Promise<DecisionCount[]> {
    checkPeriod(q);
    const where = [`time >= ${q.from}ms`, `time < ${q.to}ms`];
    if (q.siteId !== undefined) where.push(`"siteId" = ${lit(q.siteId)}`);
    if (q.gateId !== undefined) where.push(`"gateId" = ${lit(q.gateId)}`);
    const [res] = await this.query([
      `SELECT count("seq") FROM ${this.from} WHERE ${where.join(' AND ')} GROUP BY "siteId", "gateId", "decision"`,
    ]);
    const out: DecisionCount[] = [];
    for (const s of res?.series ?? []) {
      const count = Number(s.values[0]?.[s.columns.indexOf('count')] ?? 0);
      if (count === 0) continue;
      out.push({
        siteId: s.tags?.siteId ?? '',
        gateId: s.tags?.gateId ?? '',
        decision: (s.tags?.decision ?? '') as Decision,
        count,
      });
    }
    return sortCounts(out);
  }

  async close(): Promise<void> {
    // The client holds no connections open.
  }

  private async select(match: string, q: { from: number; to: number; siteId?: string; limit?: number }): Promise<ReadingRecord[]> {
    const where = [match, `time >= ${q.from}ms`, `time < ${q.to}ms`];
    if (q.siteId !== undefined) where.push(`"siteId" = ${lit(q.siteId)}`);
    const limit = q.limit !== undefined ? ` LIMIT ${q.limit}` : '';
    const [res] = await this.query([`SELECT * FROM ${this.from} WHERE ${where.join(' AND ')}${limit}`]);
    return sortReadings((res?.series ?? []).flatMap(toRecords), q.limit);
  }

  private query(statements: string[]): Promise<StatementResult[]> {
    return this.http.query(statements);
  }
}

/** Rows of one series → records. Group-by tags come from the series, the rest from the columns. */
function toRecords(s: Series): ReadingRecord[] {
  const at = new Map(s.columns.map((c, i) => [c, i]));
  const tags = s.tags ?? {};
  return s.values.map((row) => {
    const get = (name: string): unknown => {
      if (name in tags) return tags[name];
      const i = at.get(name);
      return i === undefined ? null : (row[i] ?? null);
    };
    const num = (name: string): number | null => {
      const v = get(name);
      return v === null ? null : Number(v);
    };
    return {
      v: (num('v') ?? 1) as 1,
      id: get('id') as string,
      siteId: get('siteId') as string,
      gateId: get('gateId') as string,
      seq: num('seq') as number,
      at: num('time') as number,
      recordedAt: num('recordedAt') as number,
      employeeNo: decodeEmployeeTag(get('employeeNo') as string | null),
      temperatureTenths: num('temperatureTenths'),
      rawTenths: num('rawTenths'),
      offsetTenths: num('offsetTenths') as number,
      ambientTenths: num('ambientTenths'),
      source: get('source') as ReadingRecord['source'],
      sensor: get('sensor') as ReadingRecord['sensor'],
      sensorSeq: num('sensorSeq'),
      decision: get('decision') as Decision,
      reason: get('reason') as ReadingRecord['reason'],
      mask: get('mask') as ReadingRecord['mask'],
      pairingDelayMs: num('pairingDelayMs'),
      terminalId: get('terminalId') as string | null,
      terminalSerialNo: num('terminalSerialNo'),
      realtime: get('realtime') === true,
      released: get('released') === true,
      enteredBy: get('enteredBy') as string | null,
    };
  });
}
