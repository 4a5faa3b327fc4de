/**
 * The twice-daily log of one person on one local day, built from the readings that count as
 * CHECKS (a temperature inside the site policy's plausible range, a known person, a decision other
 * than `remeasure`: an offline upload of 20.0 °C or a re-measure is no check), in any order:
 * - morning / afternoon: the FIRST check of the window, whatever its source. A gate reading is
 *   not preferred over a manual one: the first check is what the rule asks for, and the store's
 *   firstReadingsByPersonDay means the same (earliest, then site, gate, seq). The source and who
 *   entered it are on the entry, so a manual or self-reported check is always visible as such.
 * - highest: the day's highest temperature of any source (the earliest of equals): a fever
 *   measured between the two checks, or at a re-check, is never hidden by a normal first reading.
 * - checks: complete, morning-missing, afternoon-missing, absent (the windows alone);
 * - status: 'fever' when the highest is at or above the threshold, otherwise `checks`.
 */
import type { ReadingRecord, TemperatureSource } from '../../protocols/gate/messages.ts';
import { defaultSitePolicy, isPlausible, type SiteRules } from '../../protocols/site/policy.ts';
import { compareReadings } from '../store/results.ts';
import type { LogReadingRecord } from '../store/types.ts';
import type { LocalTime } from './local-format.ts';
import type { PersonKind } from './roster.ts';

export type Checks = 'complete' | 'morning-missing' | 'afternoon-missing' | 'absent';
export type DayStatus = Checks | 'fever';
export const DAY_STATUSES: readonly DayStatus[] = [
  'complete',
  'morning-missing',
  'afternoon-missing',
  'absent',
  'fever',
];

export interface LogReading {
  id: string;
  /** Epoch ms. */
  at: number;
  /** Local 'HH:MM:SS' in the site's zone. */
  time: string;
  temperatureTenths: number;
  gateId: string;
  source: TemperatureSource;
  /** Who typed it in (handheld, self-report); null for devices. */
  enteredBy: string | null;
  /** Entered by a person rather than measured by a gate. */
  manual: boolean;
  /** The mask as the face terminal saw it ('unknown' for hand entries). */
  mask?: string;
}

export interface PersonDayLog {
  day: string;
  employeeNo: string;
  name: string;
  department: string;
  kind: PersonKind;
  /** On the roster as an employee valid that day (missing checks count only for them). */
  expected: boolean;
  morning: LogReading | null;
  afternoon: LogReading | null;
  highest: LogReading | null;
  highestTenths: number | null;
  /** Readings with a temperature that day. */
  readings: number;
  checks: Checks;
  status: DayStatus;
  /**
   * HR's notes of the day (reports/hr-records.ts, the alerts): an absence with its reason (then
   * the person is not expected: on leave is not "missing"), the day's health declaration, and how
   * a fever episode of the day ended. Absent when nothing is recorded.
   */
  absence?: { reason: string; note: string } | null;
  declaration?: { symptoms: string[]; travel: string; contact: boolean } | null;
  episode?: { disposition: string | null; note: string | null } | null;
}

export interface DayBounds {
  day: string;
  start: number;
  split: number;
  end: number;
}

export interface Person {
  employeeNo: string;
  name: string;
  department: string;
  kind: PersonKind;
  expected: boolean;
}

const MANUAL_SOURCES: ReadonlySet<TemperatureSource> = new Set(['handheld', 'self-report']);

/** The rules HR's statuses follow: the site policy's threshold and plausible range. */
export type CheckRules = Pick<
  SiteRules,
  'feverThresholdTenths' | 'plausibleMinTenths' | 'plausibleMaxTenths'
>;
export const DEFAULT_CHECK_RULES: CheckRules = defaultSitePolicy().rules;

/** A reading that counts as someone's check: plausible by the policy, and not a re-measure. */
export const isCheck = (
  r: Pick<LogReadingRecord, 'temperatureTenths' | 'decision'>,
  rules: CheckRules,
): boolean => r.decision !== 'remeasure' && isPlausible(rules, r.temperatureTenths);

/** What is kept per person while a day's readings stream by. */
export class DayTally {
  morning: LogReadingRecord | null = null;
  afternoon: LogReadingRecord | null = null;
  highest: LogReadingRecord | null = null;
  /** Readings with a temperature, checks or not. */
  readings = 0;

  constructor(private readonly rules: CheckRules = DEFAULT_CHECK_RULES) {}

  offer(r: LogReadingRecord, split: number): void {
    this.readings += 1;
    // Not a check (implausible, re-measure): counted as a reading, never as a check nor the highest.
    if (!isCheck(r, this.rules)) return;
    const half = r.at < split ? 'morning' : 'afternoon';
    const cur = this[half];
    if (!cur || compareReadings(r, cur) < 0) this[half] = r;
    const h = this.highest;
    const t = r.temperatureTenths;
    if (!h || t > h.temperatureTenths || (t === h.temperatureTenths && compareReadings(r, h) < 0))
      this.highest = r;
  }
}

export function logReading(r: LogReadingRecord | null, clock: LocalTime): LogReading | null {
  if (!r) return null;
  return {
    id: r.id,
    at: r.at,
    time: clock.time(r.at),
    temperatureTenths: r.temperatureTenths,
    gateId: r.gateId,
    source: r.source,
    enteredBy: r.enteredBy,
    manual: MANUAL_SOURCES.has(r.source),
    ...(r.mask ? { mask: r.mask } : {}),
  };
}

export function checksOf(morning: unknown, afternoon: unknown): Checks {
  if (morning && afternoon) return 'complete';
  if (morning) return 'afternoon-missing';
  if (afternoon) return 'morning-missing';
  return 'absent';
}

export function personDayLog(
  day: string,
  p: Person,
  tally: DayTally | undefined,
  clock: LocalTime,
  feverTenths = DEFAULT_CHECK_RULES.feverThresholdTenths,
): PersonDayLog {
  const highestTenths = tally?.highest?.temperatureTenths ?? null;
  const checks = checksOf(tally?.morning, tally?.afternoon);
  return {
    day,
    employeeNo: p.employeeNo,
    name: p.name,
    department: p.department,
    kind: p.kind,
    expected: p.expected,
    morning: logReading(tally?.morning ?? null, clock),
    afternoon: logReading(tally?.afternoon ?? null, clock),
    highest: logReading(tally?.highest ?? null, clock),
    highestTenths,
    readings: tally?.readings ?? 0,
    checks,
    status: dayStatus(tally, feverTenths),
  };
}

/** The day's status from its tally alone (what personDayLog says, without building the row). */
export function dayStatus(
  tally: DayTally | undefined,
  feverTenths = DEFAULT_CHECK_RULES.feverThresholdTenths,
): DayStatus {
  const highestTenths = tally?.highest?.temperatureTenths ?? null;
  if (highestTenths !== null && highestTenths >= feverTenths) return 'fever';
  return checksOf(tally?.morning, tally?.afternoon);
}

/** Counts toward the logs: a temperature, and a known person. */
export const counts = (r: ReadingRecord): r is ReadingRecord & LogReadingRecord =>
  r.temperatureTenths !== null && r.employeeNo !== '';
