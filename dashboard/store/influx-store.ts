/**
 * Reads readings from InfluxDB 1.x (layout: protocols/storage/influx-schema.ts). Plain HTTP with
 * chunked JSON (influx-http.ts) rather than the `influx` client, whose non-chunked queries can be
 * cut short by the server without a reliable sign. With epoch=ms the point time IS the reading's
 * `at` (the sub-ms digits only keep points of one millisecond apart).
 *
 * First readings per person-day: one streamed scan of the period, the picker (first-picker.ts)
 * keeping each half-day's earliest, with local days cut in local-time.ts. Measured at HR's scale
 * this is ~5x faster than one `first(), * ... GROUP BY employeeNo` per half-day (InfluxDB builds
 * an iterator per series and field for those), handles any split time and DST day, and means
 * exactly what the SQLite store means by "first". Not GROUP BY time() tz() for the same reasons.
 */
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  decodeEmployeeTag,
  encodeEmployeeTag,
  INFLUX_DEFAULT_DATABASE,
  INFLUX_LOG_MEASUREMENT,
  INFLUX_MEASUREMENT,
  INFLUX_RETENTION_POLICY,
} from '../../protocols/storage/influx-schema.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { InfluxHttp, type Series, type StatementResult } from './influx-http.ts';
import { FirstReadingPicker } from './first-picker.ts';
import { assertTimeZone, halfDays, parseSplit } from './local-time.ts';
import { assemblePersonDays, checkPeriod, compareReadings, sortCounts, sortReadings } from './results.ts';
import type {
  CountQuery,
  DecisionCount,
  GateQuery,
  LogReadingRecord,
  LogScanQuery,
  PersonDay,
  PersonDayQuery,
  Period,
  PersonQuery,
  ReadingStore,
  ScanQuery,
  StoreTimeOptions,
} from './types.ts';
import { DEFAULT_PLAUSIBLE } from './types.ts';

export interface InfluxStoreOptions extends StoreTimeOptions {
  url: string;
  database?: string;
  username?: string;
  password?: string;
  retentionPolicy?: string;
  /** Per HTTP request (default 60 s: a month of a whole site is a big answer). */
  requestTimeoutMs?: number;
  /**
   * scanLogReadings from HR's log projection (INFLUX_LOG_MEASUREMENT, a few series per site)
   * instead of `reading` (a series per person): at 50,000 people a site's day in about a third of
   * the time. Only when every writer keeps it and older readings are backfilled (default false).
   */
  logMeasurement?: boolean;
}

/**
 * scanReadings asks for one slice of the period at a time: InfluxQL has no keyset paging (and
 * OFFSET rescans). Slices are whole UTC days, joined while they hold at most SCAN_SLICE_ROWS
 * readings (one count per day first), so empty stretches cost nothing and what is held at once
 * is one slice: at most SCAN_SLICE_ROWS readings, or one day of the site when a day holds more.
 * A period of one day or less is one slice without the count (HR's logs ask a local day at a time).
 */
export const SCAN_SLICE_ROWS = 20_000;
const DAY_MS = 86_400_000;
const DEFAULT_PAGE = 5000;

/** An InfluxQL string literal. */
const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class InfluxReadingStore implements ReadingStore {
  readonly kind = 'influx';
  readonly timeZone: string;
  private readonly splitMinutes: number;
  private readonly http: InfluxHttp;
  private readonly from: string;
  /** Where scanLogReadings reads: the projection when logMeasurement, otherwise `reading`. */
  private readonly logFrom: string | null;

  constructor(opts: InfluxStoreOptions) {
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    assertTimeZone(this.timeZone);
    this.splitMinutes = parseSplit(opts.split ?? '12:00');
    try {
      new URL(opts.url);
    } catch (err) {
      throw new StoreError(StoreErrorCode.CONFIG, `bad InfluxDB url ${opts.url}`, { cause: err });
    }
    const rp = ident(opts.retentionPolicy ?? INFLUX_RETENTION_POLICY);
    this.from = `${rp}.${ident(INFLUX_MEASUREMENT)}`;
    this.logFrom = opts.logMeasurement ? `${rp}.${ident(INFLUX_LOG_MEASUREMENT)}` : null;
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
    const picker = new FirstReadingPicker<{ s: Series; row: unknown[] }>(
      halfDays(this.timeZone, q.fromDay, q.toDay, q.split ? parseSplit(q.split) : this.splitMinutes),
    );
    if (q.employeeNos?.length === 0) return [];
    const { from, to } = picker.period;
    const plausible = q.plausible ?? DEFAULT_PLAUSIBLE;
    // Only checks (as the SQLite store): a plausible temperature (a field condition also drops
    // readings that have none), a known person, no re-measure.
    const where = [
      `time >= ${from}ms`,
      `time < ${to}ms`,
      `"employeeNo" != ''`,
      `"temperatureTenths" >= ${Math.trunc(plausible.minTenths)}`,
      `"temperatureTenths" <= ${Math.trunc(plausible.maxTenths)}`,
      `"decision" != 'remeasure'`,
    ];
    if (q.siteId !== undefined) where.push(`"siteId" = ${lit(q.siteId)}`);
    if (q.employeeNos) {
      const tags = q.employeeNos.map((e) => encodeEmployeeTag(e)).filter((t): t is string => t !== null);
      if (tags.length === 0) return [];
      where.push(`(${tags.map((t) => `"employeeNo" = ${lit(t)}`).join(' OR ')})`);
    }
    await this.http.stream([`SELECT * FROM ${this.from} WHERE ${where.join(' AND ')}`], (res) => {
      for (const s of res.series ?? []) {
        const col = (name: string) => s.columns.indexOf(name);
        const [t, e, site, gate, seq] = [
          col('time'),
          col('employeeNo'),
          col('siteId'),
          col('gateId'),
          col('seq'),
        ];
        for (const row of s.values) {
          picker.offer(
            {
              at: row[t] as number,
              employeeNo: decodeEmployeeTag(row[e] as string),
              siteId: row[site] as string,
              gateId: row[gate] as string,
              seq: row[seq] as number,
            },
            { s, row },
          );
        }
      }
    });
    return assemblePersonDays(
      picker
        .winners()
        .map((w) => ({ day: w.day, half: w.half, record: toRecord(w.payload.s, w.payload.row) })),
    );
  }

  scanReadings(q: ScanQuery): AsyncIterable<ReadingRecord[]> {
    return this.scan(q, '*', toRecords);
  }

  scanLogReadings(q: LogScanQuery): AsyncIterable<LogReadingRecord[]> {
    // The projection holds only measured readings of known people: no condition needed for that.
    if (this.logFrom) return this.scan(q, LOG_SELECT, toLogRecords, this.logFrom, LOG_GROUP_BY);
    return this.scan({ ...q, measuredOnly: true }, LOG_SELECT, toLogRecords, this.from, LOG_GROUP_BY);
  }

  private async *scan<R extends ReadingRecord | LogReadingRecord>(
    q: ScanQuery,
    select: string,
    map: (s: Series) => R[],
    from = this.from,
    groupBy = '',
  ): AsyncIterable<R[]> {
    checkPeriod(q, q.pageSize);
    if (q.employeeNos?.length === 0) return;
    const pageSize = q.pageSize ?? DEFAULT_PAGE;
    const where: string[] = [];
    if (q.siteId !== undefined) where.push(`"siteId" = ${lit(q.siteId)}`);
    if (q.employeeNos) {
      const tags = q.employeeNos.map((e) => encodeEmployeeTag(e)).filter((t): t is string => t !== null);
      if (tags.length === 0) return;
      where.push(`(${tags.map((t) => `"employeeNo" = ${lit(t)}`).join(' OR ')})`);
    }
    // As in firstReadingsByPersonDay: a field condition also drops readings without a temperature.
    if (q.measuredOnly) where.push(`"employeeNo" != ''`, `"temperatureTenths" >= -1000`);
    // A period of a day at most (a site's day, each day of a month export) is one slice as it
    // is: no count first, and one query rather than two where the local day crosses UTC midnight.
    const slices =
      q.to - q.from <= DAY_MS ? [{ from: q.from, to: q.to }] : await this.slices(q.from, q.to, where, from);
    for (const slice of slices) {
      const [res] = await this.query([
        `SELECT ${select} FROM ${from} WHERE ${[`time >= ${slice.from}ms`, `time < ${slice.to}ms`, ...where].join(' AND ')}${groupBy}`,
      ]);
      const rows = (res?.series ?? []).flatMap(map).sort(compareReadings);
      for (let i = 0; i < rows.length; i += pageSize) yield rows.slice(i, i + pageSize);
    }
  }

  /** Consecutive non-empty days of [from, to), joined up to SCAN_SLICE_ROWS readings per slice. */
  private async slices(from: number, to: number, where: string[], measurement: string): Promise<Period[]> {
    if (from >= to) return [];
    const [res] = await this.query([
      `SELECT count("seq") FROM ${measurement} WHERE ${[`time >= ${from}ms`, `time < ${to}ms`, ...where].join(' AND ')} GROUP BY time(1d) fill(none)`,
    ]);
    const out: Array<Period & { rows: number }> = [];
    for (const [t, n] of (res?.series?.[0]?.values ?? []) as Array<[number, number]>) {
      const day = { from: Math.max(from, t), to: Math.min(to, t + DAY_MS), rows: n };
      const last = out[out.length - 1];
      if (last && last.rows + n <= SCAN_SLICE_ROWS) {
        last.to = day.to;
        last.rows += n;
      } else out.push(day);
    }
    return out;
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

  private async select(
    match: string,
    q: { from: number; to: number; siteId?: string; limit?: number },
  ): Promise<ReadingRecord[]> {
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

/**
 * Tags and fields of a LogReadingRecord: a fraction of SELECT * for InfluxDB to produce. Site and
 * gate come once per series (LOG_GROUP_BY) rather than on each row: a site's day at 50,000 people
 * is an 11 MB answer, and the JSON is most of its time (bench/NOTES.md, issue 22).
 */
const LOG_FIELDS = [
  'id',
  'seq',
  'temperatureTenths',
  'enteredBy',
  'employeeNo',
  'source',
  'decision',
  'mask',
] as const;
const LOG_SELECT = LOG_FIELDS.map(ident).join(', ');
const LOG_GROUP_BY = ' GROUP BY "siteId", "gateId"';

function toLogRecords(s: Series): LogReadingRecord[] {
  const c = Object.fromEntries(s.columns.map((name, i) => [name, i])) as Record<string, number>;
  const siteId = s.tags?.siteId ?? '';
  const gateId = s.tags?.gateId ?? '';
  const [time, id, seq, temp, by, employee, source, decision, mask] = [
    c.time,
    c.id,
    c.seq,
    c.temperatureTenths,
    c.enteredBy,
    c.employeeNo,
    c.source,
    c.decision,
    c.mask,
  ] as number[];
  return s.values.map((row) => ({
    id: row[id as number] as string,
    siteId,
    gateId,
    seq: row[seq as number] as number,
    at: row[time as number] as number,
    employeeNo: decodeEmployeeTag(row[employee as number] as string),
    temperatureTenths: row[temp as number] as number,
    source: row[source as number] as ReadingRecord['source'],
    enteredBy: (row[by as number] as string | null | undefined) ?? null,
    decision: row[decision as number] as Decision,
    ...(mask === undefined ? {} : { mask: row[mask] as ReadingRecord['mask'] }),
  }));
}

/** Rows of one series → records. Group-by tags come from the series, the rest from the columns. */
function toRecords(s: Series): ReadingRecord[] {
  return s.values.map((row) => toRecord(s, row));
}

const columnIndex = new WeakMap<Series, Map<string, number>>();

function toRecord(s: Series, row: unknown[]): ReadingRecord {
  let index = columnIndex.get(s);
  if (!index) {
    index = new Map(s.columns.map((c, i) => [c, i]));
    columnIndex.set(s, index);
  }
  const at = index;
  const tags = s.tags ?? {};
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
    policyVersion: num('policyVersion'),
    thresholdTenths: num('thresholdTenths'),
  };
}
