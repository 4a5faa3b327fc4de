/**
 * Local days of the site without a time-zone library: Intl knows every IANA zone and its DST
 * rules. Both stores cut periods with these bounds (computed here, not by the database), so a
 * reading at 00:30 local on day D is on day D everywhere, DST days included.
 */
import {
  isTimeZone,
  offsetAt as zoneOffsetAt,
  wallClock as zoneWallClock,
} from '../../protocols/time-zone.ts';
import { StoreError, StoreErrorCode } from './errors.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
export function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new StoreError(StoreErrorCode.CONFIG, `unknown time zone ${timeZone}`);
}

/** protocols/time-zone.ts, with an unknown zone a TG_STORE_CONFIG error as the stores report it. */
function wallClock(timeZone: string, t: number): number {
  assertTimeZone(timeZone);
  return zoneWallClock(timeZone, t);
}

/** Offset of the zone's wall clock from UTC at instant t, ms (TG_STORE_CONFIG for an unknown zone). */
export function offsetAt(timeZone: string, t: number): number {
  assertTimeZone(timeZone);
  return zoneOffsetAt(timeZone, t);
}

/**
 * The instant at which the local clock shows `wall` (a local time written as UTC ms). In a DST
 * overlap the earlier instant; in a DST gap the instant the gap ends (the first existing time
 * after it), so day and half-day bounds never skip or double a reading.
 */
export function wallToInstant(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY);
  const after = offsetAt(timeZone, wall + DAY);
  const candidates = [wall - before, wall - after].filter((t) => wallClock(timeZone, t) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  // Gap: find the transition between the two candidate instants.
  let lo = Math.min(wall - before, wall - after);
  let hi = Math.max(wall - before, wall - after);
  const offLo = offsetAt(timeZone, lo);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(timeZone, mid) === offLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Minutes after local midnight from 'HH:MM'; the split must leave both halves non-empty. */
export function parseSplit(split: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(split);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || !(minutes > 0 && minutes < 24 * 60)) {
    throw new StoreError(
      StoreErrorCode.CONFIG,
      `split must be 'HH:MM' between 00:01 and 23:59, got '${split}'`,
    );
  }
  return minutes;
}

/** 'YYYY-MM-DD' → a calendar date as UTC midnight ms (a label, not an instant). */
export function parseDay(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || new Date(t).toISOString().slice(0, 10) !== day) {
    throw new StoreError(StoreErrorCode.QUERY, `not a date (YYYY-MM-DD): '${day}'`);
  }
  return t;
}

export const formatDay = (calendarMs: number): string => new Date(calendarMs).toISOString().slice(0, 10);

/** The local day (YYYY-MM-DD) an instant falls on. */
export function localDay(timeZone: string, t: number): string {
  const wall = wallClock(timeZone, t);
  return formatDay(wall - (wall % DAY));
}

export type Half = 'morning' | 'afternoon';

export interface HalfDay {
  day: string;
  half: Half;
  /** [from, to) instants, epoch ms. */
  from: number;
  to: number;
}

/** The most local days one query may span (a bit over a year). */
export const MAX_DAYS = 400;

/** Morning [00:00, split) and afternoon [split, next 00:00) of every local day in [fromDay, toDay]. */
export function halfDays(timeZone: string, fromDay: string, toDay: string, splitMinutes: number): HalfDay[] {
  const first = parseDay(fromDay);
  const last = parseDay(toDay);
  const days = (last - first) / DAY + 1;
  if (days < 1) throw new StoreError(StoreErrorCode.QUERY, `toDay ${toDay} is before fromDay ${fromDay}`);
  if (days > MAX_DAYS)
    throw new StoreError(StoreErrorCode.QUERY, `at most ${MAX_DAYS} days per query, asked ${days}`);
  const out: HalfDay[] = [];
  for (let d = first; d <= last; d += DAY) {
    const start = wallToInstant(timeZone, d);
    const split = wallToInstant(timeZone, d + splitMinutes * MINUTE);
    const end = wallToInstant(timeZone, d + DAY);
    const day = formatDay(d);
    out.push(
      { day, half: 'morning', from: start, to: split },
      { day, half: 'afternoon', from: split, to: end },
    );
  }
  return out;
}
