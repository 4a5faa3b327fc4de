/**
 * ISO 8601 dates and times from HR's spreadsheet, to epoch ms. A value without an offset is a
 * wall-clock time in the site's time zone (HR writes "2026-12-01", not "2026-11-30T16:00:00Z").
 * Accepted: YYYY-MM-DD, YYYY-MM-DDTHH:mm[:ss[.sss]] (or a space for T), with an optional Z or ±HH:MM.
 */
import { offsetAt } from '../../protocols/time-zone.ts';

const RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface ParsedDate {
  ms: number;
  /** Only a date was given (no time): callers decide whether it means the start or the end of that day. */
  dateOnly: boolean;
}

export function parseIsoDate(text: string, timeZone: string): ParsedDate | { error: string } {
  const m = RE.exec(text.trim());
  if (!m)
    return {
      error: `${JSON.stringify(text)} is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:mm[:ss][Z|±HH:MM])`,
    };
  const [y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m
    .slice(1, 8)
    .map((v) => v ?? undefined) as string[];
  const nums = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Number(frac.padEnd(3, '0'));
  const [Y, M, D, H, I, S] = nums;
  if (M < 1 || M > 12 || D < 1 || D > daysIn(Y, M) || H > 23 || I > 59 || S > 59)
    return { error: `${JSON.stringify(text)} is not a real date or time` };
  const wall = Date.UTC(Y, M - 1, D, H, I, S, ms);
  const zone = m[8];
  const dateOnly = m[4] === undefined;
  if (zone === undefined) return { ms: zonedToUtc(wall, timeZone), dateOnly };
  if (zone === 'Z') return { ms: wall, dateOnly };
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return { ms: wall - sign * offsetMin * 60_000, dateOnly };
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** The instant at which the wall clock in `timeZone` shows `wall` (given as if it were UTC). */
export function zonedToUtc(wall: number, timeZone: string): number {
  const first = wall - offsetAt(timeZone, wall);
  const second = wall - offsetAt(timeZone, first);
  return second;
}
