/**
 * Twice-daily logs from the store: the site on one day (every expected employee, absent ones
 * included), the site day after day (a month export never holds more than one day), and one
 * person over a period. Readings of this site only; local days cut in the site's zone.
 */
import { halfDays } from '../store/local-time.ts';
import type { ReadingStore } from '../store/types.ts';
import type { LocalTime } from './local-format.ts';
import { byDepartment, type Roster } from './roster.ts';
import {
  type CheckRules,
  counts,
  DAY_STATUSES,
  type DayBounds,
  type DayStatus,
  DayTally,
  dayStatus,
  type LogReading,
  logReading,
  type Person,
  type PersonDayLog,
  personDayLog,
} from './twice-daily.ts';

export interface LogContext {
  store: ReadingStore;
  siteId: string;
  timeZone: string;
  /** 'HH:MM' */
  split: string;
  splitMinutes: number;
  clock: LocalTime;
  roster: Roster;
  /** The site policy's threshold and plausible range (HR's statuses follow the policy). */
  rules: CheckRules;
  /** The policy's calendar: on a day off, nobody is expected, so nobody misses a check. */
  isWorkingDay: (day: string) => boolean;
  /** The site policy version these logs were made with (0: the built-in one). */
  policyVersion: number;
  /** HR's notes per person and day (absences, declarations, episodes); none: no notes. */
  notes?: LogNotes;
}

export interface LogNotes {
  absence(employeeNo: string, day: string): { reason: string; note: string } | null;
  declaration(
    employeeNo: string,
    day: string,
  ): { symptoms: string[]; travel: string; contact: boolean } | null;
  episode(employeeNo: string, day: string): { disposition: string | null; note: string | null } | null;
}

/**
 * A day's row with HR's notes. Somebody recorded as absent (leave, sick leave, a trip, a day off)
 * is not expected that day, so never "missing" a check (issue #18, the plans' attendance rule).
 */
function annotate(ctx: LogContext, r: PersonDayLog): PersonDayLog {
  const n = ctx.notes;
  if (!n) return r;
  const absence = n.absence(r.employeeNo, r.day);
  const d = n.declaration(r.employeeNo, r.day);
  const episode = n.episode(r.employeeNo, r.day);
  // Spelled out rather than `{ ...r, … }`: a month export builds 1.55 M of these at 50,000 people,
  // and a literal of fixed shape costs a fraction of the spread (bench/NOTES.md, issue 22).
  return {
    day: r.day,
    employeeNo: r.employeeNo,
    name: r.name,
    department: r.department,
    kind: r.kind,
    expected: r.expected && !absence,
    morning: r.morning,
    afternoon: r.afternoon,
    highest: r.highest,
    highestTenths: r.highestTenths,
    readings: r.readings,
    checks: r.checks,
    status: r.status,
    absence: absence ? { reason: absence.reason, note: absence.note } : null,
    declaration: d ? { symptoms: d.symptoms, travel: d.travel, contact: d.contact } : null,
    episode,
  };
}

export interface SiteDayLog {
  day: string;
  siteId: string;
  timeZone: string;
  split: string;
  rosterVersion: number | null;
  /** A working day by the policy's calendar (otherwise nobody is expected). */
  workingDay: boolean;
  /** The fever threshold and policy version the statuses were made with. */
  thresholdTenths: number;
  policyVersion: number;
  /** Employees: the expected ones first (department order), then anyone else measured. */
  rows: PersonDayLog[];
  /** Visitors on the roster who were screened that day. */
  visitors: PersonDayLog[];
}

export interface PersonLog {
  employeeNo: string;
  name: string;
  department: string;
  kind: Person['kind'];
  from: string;
  to: string;
  timeZone: string;
  split: string;
  thresholdTenths: number;
  policyVersion: number;
  /** One row per local day of the period, oldest first. */
  days: PersonDayLog[];
  /** Every reading with a temperature in the period (for the chart), oldest first. */
  readings: LogReading[];
}

export function dayRange(ctx: LogContext, fromDay: string, toDay: string): DayBounds[] {
  const halves = halfDays(ctx.timeZone, fromDay, toDay, ctx.splitMinutes);
  const out: DayBounds[] = [];
  for (let i = 0; i + 1 < halves.length; i += 2) {
    const m = halves[i];
    const a = halves[i + 1];
    if (m && a) out.push({ day: m.day, start: m.from, split: m.to, end: a.to });
  }
  return out;
}

function person(ctx: LogContext, employeeNo: string, b: DayBounds): Person {
  const e = ctx.roster.get(employeeNo);
  const expected =
    ctx.isWorkingDay(b.day) &&
    e?.kind === 'employee' &&
    (e.validFrom === null || e.validFrom < b.end) &&
    (e.validUntil === null || e.validUntil > b.start);
  return {
    employeeNo,
    name: e?.name ?? '',
    department: e?.department ?? '',
    kind: ctx.roster.kindOf(employeeNo),
    expected,
  };
}

/** A row of a site's day before it is built: who, their readings' tally, their status. */
interface DayEntry {
  p: Person;
  tally: DayTally | undefined;
  status: DayStatus;
}

/**
 * Which rows of a site's day to answer: `limit` rows from `offset` of the employees' rows (in their
 * order: expected ones by department, then anyone else measured), only those of `status` if given.
 * At 50,000 people the whole day is a 40 MB answer whose serialisation alone misses HR's 2 s
 * (bench/NOTES.md, issue 22): the page asks for a page at a time.
 */
export interface RowsPage {
  offset: number;
  limit: number;
  status?: DayStatus;
}

/** A page of a site's day: the rows asked for, where they are among all, and the day's counts. */
export interface SiteDayPage extends SiteDayLog {
  page: { offset: number; limit: number; status: DayStatus | null; total: number };
  /** Employees' rows of the whole day by status (visitors not counted), whatever the page. */
  counts: Record<DayStatus, number>;
}

export async function siteDayLog(ctx: LogContext, b: DayBounds): Promise<SiteDayLog>;
export async function siteDayLog(ctx: LogContext, b: DayBounds, page: RowsPage): Promise<SiteDayPage>;
export async function siteDayLog(
  ctx: LogContext,
  b: DayBounds,
  page?: RowsPage,
): Promise<SiteDayLog | SiteDayPage> {
  const tallies = new Map<string, DayTally>();
  for await (const page of ctx.store.scanLogReadings({ from: b.start, to: b.end, siteId: ctx.siteId })) {
    for (const r of page) {
      let t = tallies.get(r.employeeNo);
      if (!t) {
        t = new DayTally(ctx.rules);
        tallies.set(r.employeeNo, t);
      }
      t.offer(r, b.split);
    }
  }
  // Each row's status first (cheap: the tally alone); the row itself (its readings' local times)
  // only for the rows answered: a page of 500 of 50,000 people builds 500 rows, not 50,000.
  const fever = ctx.rules.feverThresholdTenths;
  const entry = (p: Person, tally: DayTally | undefined): DayEntry => ({
    p,
    tally,
    status: dayStatus(tally, fever),
  });
  const rows: DayEntry[] = [];
  const seen = new Set<string>();
  const workingDay = ctx.isWorkingDay(b.day);
  for (const e of workingDay ? ctx.roster.expected(b.start, b.end) : []) {
    seen.add(e.employeeNo);
    rows.push(
      entry(
        {
          employeeNo: e.employeeNo,
          name: e.name,
          department: e.department,
          kind: 'employee',
          expected: true,
        },
        tallies.get(e.employeeNo),
      ),
    );
  }
  const others: DayEntry[] = [];
  const visitors: DayEntry[] = [];
  for (const [employeeNo, tally] of tallies) {
    if (seen.has(employeeNo)) continue;
    const p = person(ctx, employeeNo, b);
    (p.kind === 'visitor' ? visitors : others).push(entry(p, tally));
  }
  others.sort((x, y) => byDepartment(x.p, y.p));
  visitors.sort((x, y) => byDepartment(x.p, y.p));
  const all = rows.concat(others);
  const show = (x: DayEntry) => annotate(ctx, personDayLog(b.day, x.p, x.tally, ctx.clock, fever));
  const head = {
    day: b.day,
    siteId: ctx.siteId,
    timeZone: ctx.timeZone,
    split: ctx.split,
    rosterVersion: ctx.roster.version,
    workingDay,
    thresholdTenths: ctx.rules.feverThresholdTenths,
    policyVersion: ctx.policyVersion,
  };
  const shownVisitors = visitors.map(show);
  if (!page) return { ...head, rows: all.map(show), visitors: shownVisitors };
  const counts = Object.fromEntries(DAY_STATUSES.map((s) => [s, 0])) as Record<DayStatus, number>;
  for (const r of all) counts[r.status] += 1;
  // A status does not depend on HR's notes (an absence changes `expected`, not the checks), so
  // the page is cut first and only its rows are built and annotated.
  const matching = page.status ? all.filter((r) => r.status === page.status) : all;
  return {
    ...head,
    rows: matching.slice(page.offset, page.offset + page.limit).map(show),
    visitors: shownVisitors,
    page: { offset: page.offset, limit: page.limit, status: page.status ?? null, total: matching.length },
    counts,
  };
}

/**
 * The site day after day. The next day is read from the store while the caller writes this one
 * out (the store and the export then work side by side), so at most two days are in memory.
 */
export async function* siteDays(ctx: LogContext, fromDay: string, toDay: string): AsyncGenerator<SiteDayLog> {
  const days = dayRange(ctx, fromDay, toDay);
  let next: Promise<SiteDayLog> | undefined = days[0] ? siteDayLog(ctx, days[0]) : undefined;
  try {
    for (let i = 0; next; i++) {
      const log = await next;
      const after = days[i + 1];
      next = after ? siteDayLog(ctx, after) : undefined;
      // A failure of the day read ahead surfaces when it is awaited, not as an unhandled rejection.
      next?.catch(() => {});
      yield log;
    }
  } finally {
    // Abandoned early (client gone, store down): let the read ahead finish quietly.
    await next?.catch(() => {});
  }
}

export async function personLog(
  ctx: LogContext,
  employeeNo: string,
  fromDay: string,
  toDay: string,
): Promise<PersonLog> {
  const days = dayRange(ctx, fromDay, toDay);
  const first = days[0] as DayBounds;
  const last = days[days.length - 1] as DayBounds;
  const rs = (
    await ctx.store.readingsByPerson({ employeeNo, from: first.start, to: last.end, siteId: ctx.siteId })
  ).filter(counts);
  const out: PersonDayLog[] = [];
  let i = 0;
  for (const b of days) {
    let tally: DayTally | undefined;
    // Readings come in time order and days are contiguous: one pass.
    while (i < rs.length && (rs[i]?.at as number) < b.end) {
      tally ??= new DayTally(ctx.rules);
      tally.offer(rs[i++] as (typeof rs)[number], b.split);
    }
    out.push(
      annotate(
        ctx,
        personDayLog(b.day, person(ctx, employeeNo, b), tally, ctx.clock, ctx.rules.feverThresholdTenths),
      ),
    );
  }
  const e = ctx.roster.get(employeeNo);
  return {
    employeeNo,
    name: e?.name ?? '',
    department: e?.department ?? '',
    kind: ctx.roster.kindOf(employeeNo),
    from: fromDay,
    to: toDay,
    timeZone: ctx.timeZone,
    split: ctx.split,
    thresholdTenths: ctx.rules.feverThresholdTenths,
    policyVersion: ctx.policyVersion,
    days: out,
    readings: rs.map((r) => logReading(r, ctx.clock) as LogReading),
  };
}
