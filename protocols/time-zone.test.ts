/**
 * wallClock remembers each zone's offset for the last UTC minute asked about (time-zone.ts): it
 * must give what Intl gives for every instant, second by second across DST changes (whole hours,
 * Lord Howe's half hour), in a zone of 45 minutes, and across an offset with seconds (LMT).
 */
import { describe, expect, it } from 'vitest';
import { wallClock } from './time-zone.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * Intl asked directly, every time, through another route than the code under test (a Swedish
 * date and time, "2026-03-08 01:59:59", rather than formatToParts): the reference.
 */
function reference(timeZone: string, t: number): number {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      dateStyle: 'short',
      timeStyle: 'medium',
      hourCycle: 'h23',
    });
    formats.set(timeZone, f);
  }
  const [y, mo, d, h, mi, s] = f.format(new Date(t)).split(/[- :]/).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

const offset = (zone: string, t: number) =>
  reference(zone, Math.floor(t / 1000) * 1000) - Math.floor(t / 1000) * 1000;

/** The instants (to the second) where the zone's offset changes in [from, to). */
function changes(zone: string, from: number, to: number): number[] {
  const out: number[] = [];
  const HOUR = 3_600_000;
  for (let t = from; t < to; t += HOUR) {
    if (offset(zone, t) === offset(zone, t + HOUR)) continue;
    let lo = t;
    let hi = t + HOUR;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offset(zone, mid) === offset(zone, t)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

describe('wallClock', () => {
  const year2026 = [Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)] as const;

  it.each(['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/St_Johns'])(
    '%s: every second around each change of 2026 is what Intl says, asked in order (the remembered minute in use)',
    (zone) => {
      const at = changes(zone, ...year2026);
      expect(at).toHaveLength(2);
      for (const c of at)
        for (let t = c - 150_000; t <= c + 150_000; t += 997)
          expect(wallClock(zone, t), `${zone} at ${new Date(t).toISOString()}`).toBe(reference(zone, t));
    },
  );

  it('a zone 45 minutes off the hour, and instants far apart, asked in any order', () => {
    let x = 12345;
    const rand = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    for (const zone of ['Asia/Kathmandu', 'Asia/Shanghai', 'Europe/London', 'UTC'])
      for (let i = 0; i < 2000; i++) {
        const t = Math.floor(Date.UTC(1995, 0, 1) + rand() * 40 * 365 * 86_400_000);
        expect(wallClock(zone, t)).toBe(reference(zone, t));
        // The same minute again, a few seconds on: answered from memory.
        expect(wallClock(zone, t + 7_000)).toBe(reference(zone, t + 7_000));
      }
  });

  it('an offset with seconds (local mean time) is never taken from memory', () => {
    const zone = 'Asia/Shanghai';
    const [c] = changes(zone, Date.UTC(1900, 0, 1), Date.UTC(1902, 0, 1));
    expect(c).toBeDefined();
    for (let t = (c as number) - 120_000; t <= (c as number) + 120_000; t += 1000)
      expect(wallClock(zone, t)).toBe(reference(zone, t));
  });
});
