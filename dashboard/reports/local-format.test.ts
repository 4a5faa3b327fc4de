import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTime } from './local-format.ts';

function viaIntl(timeZone: string, t: number): string {
  const p: Record<string, string> = {};
  for (const x of new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(t))
    p[x.type] = x.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

describe('LocalTime', () => {
  it('agrees with Intl everywhere, DST changes and half-hour zones included', () => {
    for (const tz of [
      'Asia/Shanghai',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
    ]) {
      const lt = new LocalTime(tz);
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), (t) => {
          expect(lt.dateTime(t)).toBe(viaIntl(tz, t));
        }),
        { numRuns: 300 },
      );
      // Around the 2024 transitions, second by second at the edges.
      for (const edge of [
        Date.UTC(2024, 2, 31, 1),
        Date.UTC(2024, 9, 27, 1),
        Date.UTC(2024, 2, 10, 7),
        Date.UTC(2024, 10, 3, 6),
      ])
        for (let d = -2000; d <= 2000; d += 500) expect(lt.dateTime(edge + d)).toBe(viaIntl(tz, edge + d));
    }
  });

  it('00:10 in Shanghai is that local day although it is the previous day in UTC', () => {
    const t = Date.parse('2024-03-05T00:10:00+08:00');
    const lt = new LocalTime('Asia/Shanghai');
    expect([lt.day(t), lt.time(t), new Date(t).toISOString().slice(0, 10)]).toEqual([
      '2024-03-05',
      '00:10:00',
      '2024-03-04',
    ]);
  });
});
