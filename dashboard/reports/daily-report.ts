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
  /** Of them, not complete (the length of `missing`). */
  missingChecks: number;
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
}

export interface DailyReportDeps {
  ctx: LogContext;
  siteName: string;
  alerts: Pick<AlertsService, 'list'>;
  now: () => number;
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
    missing,
    statusCounts,
    manualChecks,
    fevers,
    feverCount: fevers.length,
    zeroReport: fevers.length === 0,
    visitorsScreened: log.visitors.length,
    visitors: log.visitors.map((v) => ({
      employeeNo: v.employeeNo,
      name: v.name,
      department: v.department,
      first: first(v),
      highest: v.highest,
      status: v.status,
    })),
    othersScreened: log.rows.filter((r) => !r.expected && r.readings > 0).length,
  };
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
