/**
 * The daily report to the authorities for one site and local day: who was expected, screened,
 * checked twice; the missing checks by name; every fever with what became of it (the isolation
 * episodes of that day, closed with a disposition or still open, plus fevers that raised no
 * episode, e.g. a manual reading); the visitors screened. A day without a case is a valid
 * report: `zeroReport` says so explicitly.
 */
import type { AlertLifecycle, Disposition, EpisodeStage } from '../../protocols/dashboard/messages.ts';
import type { TemperatureSource } from '../../protocols/gate/messages.ts';
import type { AlertsService } from '../alerts/types.ts';
import type { PersonKind } from './roster.ts';
import type { LogContext, SiteDayLog } from './site-log.ts';
import { siteDayLog } from './site-log.ts';
import {
  type Checks,
  DAY_STATUSES,
  type DayBounds,
  type DayStatus,
  type LogReading,
  type PersonDayLog,
} from './twice-daily.ts';

export interface MissingCheck {
  employeeNo: string;
  name: string;
  department: string;
  checks: Exclude<Checks, 'complete'>;
  morning: LogReading | null;
  afternoon: LogReading | null;
}

export interface FeverCase {
  employeeNo: string | null;
  name: string | null;
  department: string;
  kind: PersonKind | null;
  /** When the episode was raised, or when the fever reading was taken. */
  at: number;
  time: string;
  temperatureTenths: number | null;
  gateId: string;
  /** The reading's source for fevers without an episode; null for episodes. */
  source: TemperatureSource | null;
  /** The isolation episode (null: a fever reading that raised none, e.g. entered by hand). */
  alertId: string | null;
  state: AlertLifecycle | null;
  stage: EpisodeStage | null;
  /** How the episode was closed; null while it is open (or without an episode). */
  disposition: Disposition | null;
  roomId: string | null;
  closedAt: number | null;
}

export interface VisitorScreened {
  employeeNo: string;
  name: string;
  department: string;
  first: LogReading | null;
  highest: LogReading | null;
  status: DayStatus;
}

/**
 * Names for the ids a report mentions (gates, rooms, the users who entered readings), resolved
 * when it is generated: the page and the export print names, never raw ids (issue #18), and a
 * kept copy keeps the names of its day.
 */
export interface ReportNames {
  gates: Record<string, string>;
  rooms: Record<string, string>;
  users: Record<string, string>;
}

export interface NameLookup {
  gate(id: string): string | undefined;
  room(id: string): string | undefined;
  user(username: string): string | undefined;
}

/** One department's line of the daily report (the plans' per-department daily submission). */
export interface DepartmentLine {
  department: string;
  expected: number;
  screened: number;
  complete: number;
  /** People with a missing check, and the checks they missed. */
  missingChecks: number;
  missedChecks: number;
  feverCount: number;
}

export interface DailyReport {
  v: 1;
  siteId: string;
  siteName: string;
  date: string;
  timeZone: string;
  split: string;
  generatedAt: number;
  rosterVersion: number | null;
  /** Employees on the roster valid that day. */
  expected: number;
  /** Of them, measured at least once. */
  screened: number;
  /** Of them, morning and afternoon both checked. */
  complete: number;
  /** Of them, not complete (the length of `missing`): people, 缺测人数. */
  missingChecks: number;
  /** Checks those people missed (an absent person missed two): 缺测次数. */
  missedChecks: number;
  missing: MissingCheck[];
  /** Expected employees by status (fever counted as fever whatever the windows). */
  statusCounts: Record<DayStatus, number>;
  /** Morning/afternoon checks that came from a hand entry or a self-report. */
  manualChecks: number;
  fevers: FeverCase[];
  feverCount: number;
  /** No fever at all that day: the "zero report". */
  zeroReport: boolean;
  visitorsScreened: number;
  visitors: VisitorScreened[];
  /** Measured people who are neither expected employees nor visitors on the roster. */
  othersScreened: number;
  /** Employees recorded as absent that day (leave, sick leave, …): not expected, not missing. */
  absent?: number;
  /** Health declarations of the day that declare a symptom or a contact. */
  declaredSymptoms?: number;
  names: ReportNames;
  /** The same counts per department of the expected employees (absent from reports kept before). */
  departments?: DepartmentLine[];
}

export interface DailyReportDeps {
  ctx: LogContext;
  siteName: string;
  alerts: Pick<AlertsService, 'list'>;
  now: () => number;
  names?: NameLookup;
}

const first = (d: PersonDayLog): LogReading | null => {
  const { morning: m, afternoon: a } = d;
  return m && (!a || m.at <= a.at) ? m : a;
};

export async function dailyReport(deps: DailyReportDeps, b: DayBounds): Promise<DailyReport> {
  const log: SiteDayLog = await siteDayLog(deps.ctx, b);
  const expected = log.rows.filter((r) => r.expected);
  const statusCounts = Object.fromEntries(DAY_STATUSES.map((s) => [s, 0])) as Record<DayStatus, number>;
  let manualChecks = 0;
  for (const r of expected) {
    statusCounts[r.status] += 1;
    if (r.morning?.manual) manualChecks += 1;
    if (r.afternoon?.manual) manualChecks += 1;
  }
  const missing: MissingCheck[] = expected
    .filter((r) => r.checks !== 'complete')
    .map((r) => ({
      employeeNo: r.employeeNo,
      name: r.name,
      department: r.department,
      checks: r.checks as MissingCheck['checks'],
      morning: r.morning,
      afternoon: r.afternoon,
    }));
  const fevers = feverCases(deps, b, [...log.rows, ...log.visitors]);
  const missedChecks = missing.reduce((n, m) => n + (m.checks === 'absent' ? 2 : 1), 0);
  const visitors = log.visitors.map((v) => ({
    employeeNo: v.employeeNo,
    name: v.name,
    department: v.department,
    first: first(v),
    highest: v.highest,
    status: v.status,
  }));
  const names = resolveNames(
    deps.names,
    [...missing.flatMap((m) => [m.morning, m.afternoon]), ...visitors.flatMap((v) => [v.first, v.highest])],
    fevers,
  );
  return {
    v: 1,
    siteId: log.siteId,
    siteName: deps.siteName,
    date: b.day,
    timeZone: log.timeZone,
    split: log.split,
    generatedAt: deps.now(),
    rosterVersion: log.rosterVersion,
    expected: expected.length,
    screened: expected.filter((r) => r.readings > 0).length,
    complete: expected.filter((r) => r.checks === 'complete').length,
    missingChecks: missing.length,
    missedChecks,
    missing,
    statusCounts,
    manualChecks,
    fevers,
    feverCount: fevers.length,
    zeroReport: fevers.length === 0,
    visitorsScreened: log.visitors.length,
    visitors,
    othersScreened: log.rows.filter((r) => !r.expected && !r.absence && r.readings > 0).length,
    absent: log.rows.filter((r) => r.absence).length,
    declaredSymptoms: [...log.rows, ...log.visitors].filter(
      (r) => r.declaration && (r.declaration.symptoms.length > 0 || r.declaration.contact),
    ).length,
    names,
    departments: departmentLines(expected, fevers),
  };
}

function departmentLines(expected: PersonDayLog[], fevers: FeverCase[]): DepartmentLine[] {
  const by = new Map<string, DepartmentLine>();
  const line = (department: string): DepartmentLine => {
    let l = by.get(department);
    if (!l) {
      l = {
        department,
        expected: 0,
        screened: 0,
        complete: 0,
        missingChecks: 0,
        missedChecks: 0,
        feverCount: 0,
      };
      by.set(department, l);
    }
    return l;
  };
  for (const r of expected) {
    const l = line(r.department);
    l.expected += 1;
    if (r.readings > 0) l.screened += 1;
    if (r.checks === 'complete') l.complete += 1;
    else {
      l.missingChecks += 1;
      l.missedChecks += r.checks === 'absent' ? 2 : 1;
    }
  }
  const expectedNos = new Set(expected.map((r) => r.employeeNo));
  for (const f of fevers)
    if (f.employeeNo && expectedNos.has(f.employeeNo)) line(f.department).feverCount += 1;
  return [...by.values()].sort((a, b) => a.department.localeCompare(b.department, 'zh-CN'));
}

function resolveNames(
  lookup: NameLookup | undefined,
  readings: Array<LogReading | null>,
  fevers: FeverCase[],
): ReportNames {
  const names: ReportNames = { gates: {}, rooms: {}, users: {} };
  const put = (table: Record<string, string>, id: string | null, name: string | undefined) => {
    if (id && name && name !== id) table[id] = name;
  };
  for (const r of readings) {
    if (!r) continue;
    put(names.gates, r.gateId, lookup?.gate(r.gateId));
    if (r.enteredBy) put(names.users, r.enteredBy, lookup?.user(r.enteredBy));
  }
  for (const f of fevers) {
    put(names.gates, f.gateId, lookup?.gate(f.gateId));
    if (f.roomId) put(names.rooms, f.roomId, lookup?.room(f.roomId));
  }
  return names;
}

/** The day's fever episodes, then fever readings of people who had no episode that day. */
function feverCases(deps: DailyReportDeps, b: DayBounds, people: PersonDayLog[]): FeverCase[] {
  const byNo = new Map(people.map((p) => [p.employeeNo, p]));
  const clock = deps.ctx.clock;
  // `since` filters on the last change, which is never before the raise: no episode of the day is missed.
  const episodes = deps.alerts
    .list({ state: 'all', since: b.start, limit: 10_000 })
    .filter((a) => a.kind === 'fever' && a.raisedAt >= b.start && a.raisedAt < b.end);
  const out: FeverCase[] = episodes.map((a) => {
    const p = a.employeeNo === null ? undefined : byNo.get(a.employeeNo);
    return {
      employeeNo: a.employeeNo,
      name: a.name ?? p?.name ?? null,
      department: p?.department ?? deps.ctx.roster.get(a.employeeNo ?? '')?.department ?? '',
      kind: a.employeeNo === null ? null : deps.ctx.roster.kindOf(a.employeeNo),
      at: a.raisedAt,
      time: clock.time(a.raisedAt),
      temperatureTenths: a.temperatureTenths,
      gateId: a.gateId,
      source: null,
      alertId: a.id,
      state: a.state,
      stage: a.stage,
      disposition: a.disposition,
      roomId: a.roomId,
      closedAt: a.clearedAt,
    };
  });
  const withEpisode = new Set(episodes.map((a) => a.employeeNo));
  for (const p of people) {
    if (p.status !== 'fever' || withEpisode.has(p.employeeNo) || !p.highest) continue;
    out.push({
      employeeNo: p.employeeNo,
      name: p.name,
      department: p.department,
      kind: p.kind,
      at: p.highest.at,
      time: p.highest.time,
      temperatureTenths: p.highest.temperatureTenths,
      gateId: p.highest.gateId,
      source: p.highest.source,
      alertId: null,
      state: null,
      stage: null,
      disposition: null,
      roomId: null,
      closedAt: null,
    });
  }
  return out.sort((x, y) => x.at - y.at);
}
