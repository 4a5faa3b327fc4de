/**
 * Reads readings from InfluxDB 1.x (layout: protocols/storage/influx-schema.ts). Raw JSON with
 * epoch=ms: the point time at ms precision IS the reading's `at` (the sub-ms digits only keep
 * points apart), and skipping the client's row objects matters at HR's scale.
 *
 * Local days are cut with bounds computed in local-time.ts rather than GROUP BY time() tz():
 * that handles any split time and DST days, and gives exactly the SQLite store's answer. One
 * `first()` statement per half-day, GROUP BY employeeNo, all sent in a few requests.
 */
import { InfluxDB } from 'influx';
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  decodeEmployeeTag,
  encodeEmployeeTag,
  INFLUX_DEFAULT_DATABASE,
  INFLUX_MEASUREMENT,
  INFLUX_RETENTION_POLICY,
} from '../../protocols/storage/influx-schema.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
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

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
  partial?: boolean;
}
interface StatementResult {
  statement_id: number;
  series?: Series[];
  error?: string;
  partial?: boolean;
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
  private readonly influx: InfluxDB;
  private readonly database: string;
  private readonly from: string;

  constructor(opts: InfluxStoreOptions) {
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    assertTimeZone(this.timeZone);
    this.splitMinutes = parseSplit(opts.split ?? '12:00');
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch (err) {
      throw new StoreError(StoreErrorCode.CONFIG, `bad InfluxDB url ${opts.url}`, { cause: err });
    }
    this.database = opts.database ?? INFLUX_DEFAULT_DATABASE;
    this.from = `${ident(opts.retentionPolicy ?? INFLUX_RETENTION_POLICY)}.${ident(INFLUX_MEASUREMENT)}`;
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    this.influx = new InfluxDB({
      host: url.hostname,
      port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 8086,
      protocol,
      ...(url.pathname !== '/' ? { path: url.pathname } : {}),
      database: this.database,
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      pool: { maxRetries: 1, requestTimeout: opts.requestTimeoutMs ?? 60_000 },
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

  private async query(statements: string[]): Promise<StatementResult[]> {
    let body: { results?: StatementResult[]; error?: string };
    try {
      body = (await this.influx.queryRaw(statements.join(';\n'), { precision: 'ms', database: this.database })) as typeof body;
    } catch (err) {
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB query failed: ${String(err)}`, { cause: err });
    }
    if (body.error) throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB: ${body.error}`);
    const results = body.results ?? [];
    for (const r of results) {
      if (r.error && !/database not found/i.test(r.error)) {
        throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB: ${r.error}`);
      }
      if (r.partial || r.series?.some((s) => s.partial)) {
        throw new StoreError(StoreErrorCode.TRUNCATED, 'InfluxDB cut the answer short: set [http] max-row-limit = 0');
      }
    }
    return results;
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
