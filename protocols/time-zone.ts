/**
 * Site time zones without a time-zone library: Intl knows every IANA zone and its DST rules.
 * One copy for everything that turns an instant into the site's wall clock or back (HR's days,
 * the access list's dates, a terminal's local validity times) and that checks a configured zone.
 * Pure; no zod here, so a page bundle may import it.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's formatter; throws a RangeError naming the zone when Intl does not know it. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the IANA zone (Asia/Shanghai, Europe/Berlin). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** What a config says when a zone is not one: the same words in every package. */
export const TIME_ZONE_MESSAGE = 'not a known IANA time zone, e.g. Asia/Shanghai or Europe/Berlin';

/**
 * Each zone's offset in the last UTC minute asked about. formatToParts costs ~5 µs, and the
 * dashboard asks for the day of every decision: at 1,000 gates a second that was 5 % of its
 * busiest turns (bench/scale.ts, profile of 2026-12-07). Only whole-minute offsets are kept: a
 * zone whose offsets are whole minutes changes them only on a whole UTC minute, so one minute
 * has one offset; a historical offset with seconds (LMT) may change inside a minute.
 */
const lastMinute = new Map<string, { minute: number; offset: number }>();

/** The zone's wall clock at instant t, written as if it were UTC (ms, whole seconds). */
export function wallClock(timeZone: string, t: number): number {
  const second = Math.floor(t / 1000) * 1000;
  const minute = Math.floor(t / 60_000);
  const known = lastMinute.get(timeZone);
  if (known && known.minute === minute) return second + known.offset;
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year as number, (p.month as number) - 1, p.day, p.hour, p.minute, p.second);
  const offset = wall - second;
  if (offset % 60_000 === 0) lastMinute.set(timeZone, { minute, offset });
  return wall;
}

/** Offset of the zone's wall clock from UTC at instant t, ms. */
export function offsetAt(timeZone: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  return wallClock(timeZone, whole) - whole;
}
