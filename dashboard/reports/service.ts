/**
 * The reports' operations behind the HTTP routes and the scheduler: logs, daily reports (kept or
 * generated), manual readings and imports. Dates are local days of the site; a day after today
 * is refused, since nothing about it is known yet.
 */
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { defaultSitePolicy, isWorkingDay } from '../../protocols/site/policy.ts';
import { decodeCsvBytes } from '../server/csv-decode.ts';
import { DashboardError } from '../server/errors.ts';
import { localDay, parseDay, parseSplit, wallToInstant } from '../store/local-time.ts';
import { type DailyReport, dailyReport } from './daily-report.ts';
import { badRequest, fromStoreError, ReportErrorCode } from './errors.ts';
import type { DayNotes, HrRecords } from './hr-records.ts';
import { type LineError, MAX_LISTED_ERRORS, parseSelfReports } from './import.ts';
import { LocalTime } from './local-format.ts';
import { checkEntry, type ManualEntry, manualRecord } from './manual.ts';
import type { ReportStore } from './report-store.ts';
import { Roster } from './roster.ts';
import {
  dayRange,
  type LogContext,
  type LogNotes,
  type PersonLog,
  personLog,
  type RowsPage,
  type SiteDayLog,
  type SiteDayPage,
  siteDayLog,
  siteDays,
} from './site-log.ts';
import type { DayBounds } from './twice-daily.ts';
import type { ReportsDeps } from './types.ts';

const DAY = 86_400_000;

/** The first instant of a local day of the site. */
const wallDayStart = (timeZone: string, day: string): number => wallToInstant(timeZone, parseDay(day));

/** ISO weekday (1 = Monday … 7 = Sunday) of a local date YYYY-MM-DD. */
export function isoWeekday(day: string): number {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** Two reports say the same (the generation time aside). */
export function sameReport(a: DailyReport, b: DailyReport): boolean {
  return JSON.stringify({ ...a, generatedAt: 0 }) === JSON.stringify({ ...b, generatedAt: 0 });
}

export interface ImportResult {
  /** Data lines in the file. */
  lines: number;
  /** Readings stored (lines that repeat another line of the file are one reading). */
  imported: number;
  duplicates: number;
}

/** Runs a store call; its typed failures become answers (503, 400). */
export async function viaStore<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromStoreError(err);
  }
}

/** The first year a report may ask for: ThermoGate did not exist before, so neither do readings. */
export const MIN_YEAR = 2000;

export class ReportService {
  readonly clock: LocalTime;
  private readonly splitMinutes: number;
  readonly now: () => number;

  constructor(
    private readonly deps: ReportsDeps,
    readonly kept: ReportStore,
    /** Absences and health declarations (HR's notes); without: logs carry no notes. */
    readonly records?: HrRecords,
  ) {
    this.now = deps.now ?? Date.now;
    this.clock = new LocalTime(deps.config.timezone);
    this.splitMinutes = parseSplit(deps.config.reports.split);
  }

  /** Names of gates, rooms and users for the exports (undefined: ids are shown). */
  get names() {
    return this.deps.names;
  }

  get siteId(): string {
    return this.deps.config.siteId;
  }

  /**
   * A fresh view of the roster, the site policy and the store for one request. Until the hub has
   * published a policy (version 0, the built-in one), the day is cut at the config's
   * `reports.split` and every day is a working day, as before there was a policy (a site keeps its
   * split and its reports until an admin sets the calendar); then the policy's `afternoonFrom` and
   * calendar decide. The threshold and plausible range are the policy's in every case.
   */
  context(): LogContext {
    const policy = this.deps.policy?.() ?? defaultSitePolicy();
    const split = policy.version > 0 ? policy.calendar.afternoonFrom : this.deps.config.reports.split;
    return {
      store: this.deps.store,
      siteId: this.deps.config.siteId,
      timeZone: this.deps.config.timezone,
      split,
      splitMinutes: split === this.deps.config.reports.split ? this.splitMinutes : parseSplit(split),
      clock: this.clock,
      roster: this.roster(),
      rules: policy.rules,
      isWorkingDay: (day) => policy.version === 0 || isWorkingDay(policy.calendar, day, isoWeekday(day)),
      policyVersion: policy.version,
      ...(this.records ? { notes: this.notes() } : {}),
    };
  }

  /**
   * The roster of the current snapshot, built once per snapshot: indexing and sorting 50,000
   * entries per request was most of one employee's month at that size (issue 22, bench/NOTES.md).
   */
  private rosterCache: {
    snapshot: AccessListSnapshot | null;
    version: number | null;
    roster: Roster;
  } | null = null;
  private roster(): Roster {
    const snapshot = this.deps.roster();
    const c = this.rosterCache;
    if (c && c.snapshot === snapshot && c.version === (snapshot?.version ?? null)) return c.roster;
    const roster = new Roster(snapshot);
    this.rosterCache = { snapshot, version: snapshot?.version ?? null, roster };
    return roster;
  }

  /**
   * HR's notes for the logs of one request: absences and declarations from the dashboard's
   * database, and how each person's fever episode of a day ended (the alerts), read once per day.
   */
  private notes(): LogNotes {
    const records = this.records as HrRecords;
    const episodes = new Map<string, Map<string, { disposition: string | null; note: string | null }>>();
    const ofDay = (day: string) => {
      let m = episodes.get(day);
      if (m) return m;
      m = new Map();
      const start = wallDayStart(this.deps.config.timezone, day);
      const end = start + 36 * 3_600_000;
      for (const a of this.deps.alerts.list({ state: 'all', since: start, limit: 10_000 })) {
        if (
          a.kind !== 'fever' ||
          a.employeeNo === null ||
          this.dayOf(a.raisedAt) !== day ||
          a.raisedAt >= end
        )
          continue;
        m.set(a.employeeNo, { disposition: a.disposition, note: a.facts?.userNote ?? null });
      }
      episodes.set(day, m);
      return m;
    };
    // Read once per day too: asking the database per person and day cost a month export of
    // 50,000 people 3.1 M queries (issue 22, bench/NOTES.md).
    const dayNotes = new Map<string, DayNotes>();
    const notesOf = (day: string): DayNotes => {
      let n = dayNotes.get(day);
      if (!n) {
        n = records.notesFor(day, day);
        dayNotes.set(day, n);
      }
      return n;
    };
    return {
      absence: (no, day) => {
        const a = notesOf(day).absence(no, day);
        return a ? { reason: a.reason, note: a.note } : null;
      },
      declaration: (no, day) => notesOf(day).declaration(no, day),
      episode: (no, day) => ofDay(day).get(no) ?? null,
    };
  }

  today(): string {
    return localDay(this.deps.config.timezone, this.now());
  }

  /** The site's local day of an instant. */
  dayOf(at: number): string {
    return localDay(this.deps.config.timezone, at);
  }

  /** A valid local day that is not after today (and not before MIN_YEAR). */
  checkDay(day: string): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw badRequest(`not a date (YYYY-MM-DD): '${day}'`);
    try {
      parseDay(day);
    } catch {
      throw badRequest(`not a date (YYYY-MM-DD): '${day}'`);
    }
    if (day > this.today())
      throw new DashboardError(ReportErrorCode.FUTURE_DATE, 400, `${day} is after today (${this.today()})`);
    if (Number(day.slice(0, 4)) < MIN_YEAR) throw badRequest(`no readings before ${MIN_YEAR}: '${day}'`);
    return day;
  }

  /** A valid local day, future ones included (an absence may be planned ahead), not before MIN_YEAR. */
  checkDayAny(day: string): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw badRequest(`not a date (YYYY-MM-DD): '${day}'`);
    try {
      parseDay(day);
    } catch {
      throw badRequest(`not a date (YYYY-MM-DD): '${day}'`);
    }
    if (Number(day.slice(0, 4)) < MIN_YEAR) throw badRequest(`no records before ${MIN_YEAR}: '${day}'`);
    return day;
  }

  /** [from, to] of a person's log: to defaults to today, from to 30 days before `to`. */
  period(from: string | undefined, to: string | undefined): { from: string; to: string } {
    const t = this.checkDay(to ?? this.today());
    const f = this.checkDay(from ?? new Date(parseDay(t) - 30 * DAY).toISOString().slice(0, 10));
    if (f > t) throw new DashboardError(ReportErrorCode.BAD_PERIOD, 400, `from ${f} is after to ${t}`);
    return { from: f, to: t };
  }

  /** The days of a month 'YYYY-MM', up to today. */
  month(month: string): { from: string; to: string } {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw badRequest(`not a month (YYYY-MM): '${month}'`);
    // Year 0000 made the store fail ("not a date") and 1000 scanned a millennium of nothing
    // (issue #20): no reading is older than the product, so anything before MIN_YEAR is a typo.
    if (Number(month.slice(0, 4)) < MIN_YEAR)
      throw badRequest(`no readings before ${MIN_YEAR}: '${month}' is not a month to export`);
    const from = `${month}-01`;
    if (from > this.today())
      throw new DashboardError(ReportErrorCode.FUTURE_DATE, 400, `${month} has not begun yet`);
    const [y, m] = month.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    // The current month: up to today (dates compare as text).
    const today = this.today();
    if (today < last) return { from, to: today };
    return { from, to: last };
  }

  bounds(ctx: LogContext, day: string): DayBounds {
    return dayRange(ctx, day, day)[0] as DayBounds;
  }

  personLog(employeeNo: string, from: string, to: string): Promise<PersonLog> {
    return viaStore(() => personLog(this.context(), employeeNo, from, to));
  }

  siteDay(day: string): Promise<SiteDayLog> {
    const ctx = this.context();
    return viaStore(() => siteDayLog(ctx, this.bounds(ctx, day)));
  }

  /** A page of the site's day (site-log.ts RowsPage): what HR's page asks for at 50,000 people. */
  siteDayPage(day: string, page: RowsPage): Promise<SiteDayPage> {
    const ctx = this.context();
    return viaStore(() => siteDayLog(ctx, this.bounds(ctx, day), page));
  }

  siteDays(from: string, to: string): AsyncGenerator<SiteDayLog> {
    return siteDays(this.context(), from, to);
  }

  generateDaily(day: string): Promise<DailyReport> {
    const ctx = this.context();
    return viaStore(() =>
      dailyReport(
        {
          ctx,
          siteName: this.deps.config.siteName,
          alerts: this.deps.alerts,
          now: this.now,
          ...(this.deps.names ? { names: this.deps.names } : {}),
        },
        this.bounds(ctx, day),
      ),
    );
  }

  /**
   * The daily report as HR sees it and downloads it. `live` (the default, for every day) is
   * generated now, so the page and the export show what the data says at the moment of the
   * request (issue #18: the export used to answer the copy kept at the send time, which had
   * fewer people and no dispositions); `sent` is the copy the scheduler kept and sent, for HR to
   * see what the authorities received. `sent` on a live answer says whether that copy exists and
   * whether it still matches (everything but the generation time).
   */
  async daily(
    day: string,
    version: 'live' | 'sent' = 'live',
  ): Promise<{
    report: DailyReport;
    kept: boolean;
    sent: { generatedAt: number; identical: boolean } | null;
  }> {
    const kept = this.kept.get(day);
    if (version === 'sent') {
      if (!kept)
        throw new DashboardError(
          ReportErrorCode.NOT_SENT,
          404,
          `no daily report of ${day} was kept and sent`,
        );
      return { report: kept, kept: true, sent: { generatedAt: kept.generatedAt, identical: true } };
    }
    const report = await this.generateDaily(day);
    return {
      report,
      kept: false,
      sent: kept ? { generatedAt: kept.generatedAt, identical: sameReport(kept, report) } : null,
    };
  }

  rules(roster = new Roster(this.deps.roster())) {
    return { now: this.now(), retentionDays: this.deps.config.reports.retentionDays, roster };
  }

  async recordManual(entry: ManualEntry, enteredBy: string): Promise<ReadingRecord> {
    const problem = checkEntry(entry, this.rules());
    if (problem)
      throw new DashboardError(
        problem.unknownPerson ? ReportErrorCode.UNKNOWN_PERSON : ReportErrorCode.BAD_READING,
        400,
        `${problem.field}: ${problem.reason}`,
      );
    const r = manualRecord(this.siteId, entry, enteredBy, this.now());
    await viaStore(() => this.deps.manual.write(r));
    return r;
  }

  /** All lines or none; a refused file throws TG_DASH_REPORT_IMPORT_INVALID with every bad line. */
  async importSelfReports(bytes: Uint8Array, enteredBy: string): Promise<ImportResult> {
    // Excel's GBK file as well as UTF-8; a file that is neither is refused, never read with U+FFFD.
    const decoded = decodeCsvBytes(bytes);
    const parsed =
      'error' in decoded
        ? {
            entries: [],
            lines: 0,
            errors: [{ line: 1, reason: 'the file is neither UTF-8 nor GBK/GB18030', problem: 'encoding' }],
          }
        : parseSelfReports(decoded.text, this.deps.config.timezone, this.rules());
    if (parsed.errors.length > 0 || parsed.entries.length === 0) {
      const errors: LineError[] =
        parsed.errors.length > 0
          ? parsed.errors
          : [{ line: 1, reason: 'no readings in the file', problem: 'no-readings' }];
      throw new DashboardError(
        ReportErrorCode.IMPORT_INVALID,
        400,
        `nothing imported: ${errors.length} bad line(s)`,
        { errors: errors.slice(0, MAX_LISTED_ERRORS), errorCount: errors.length },
      );
    }
    const now = this.now();
    const byId = new Map<string, ReadingRecord>();
    for (const { entry } of parsed.entries) {
      const r = manualRecord(this.siteId, entry, enteredBy, now);
      if (!byId.has(r.id)) byId.set(r.id, r);
    }
    const records = [...byId.values()];
    const manual = this.deps.manual;
    await viaStore(async () => {
      if (manual.writeMany) await manual.writeMany(records);
      // A sink without batches: ids are stable, so a failure part-way is repaired by sending the file again.
      else for (const r of records) await manual.write(r);
    });
    return {
      lines: parsed.lines,
      imported: records.length,
      duplicates: parsed.entries.length - records.length,
    };
  }
}
