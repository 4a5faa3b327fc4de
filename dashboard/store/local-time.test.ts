import { describe, expect, it } from 'vitest';
import { halfDays, localDay, parseDay, parseSplit, wallToInstant } from './local-time.ts';

const iso = (t: number) => new Date(t).toISOString();

describe('local days', () => {
  it('cuts Asia/Shanghai days at 16:00 UTC and splits at noon local', () => {
    expect(
      halfDays('Asia/Shanghai', '2024-03-05', '2024-03-05', 12 * 60).map((h) => [
        h.half,
        iso(h.from),
        iso(h.to),
      ]),
    ).toEqual([
      ['morning', '2024-03-04T16:00:00.000Z', '2024-03-05T04:00:00.000Z'],
      ['afternoon', '2024-03-05T04:00:00.000Z', '2024-03-05T16:00:00.000Z'],
    ]);
  });

  it('knows DST: a 23-hour and a 25-hour day in Berlin', () => {
    const spring = halfDays('Europe/Berlin', '2024-03-31', '2024-03-31', 12 * 60);
    expect(iso(spring[0]?.from as number)).toBe('2024-03-30T23:00:00.000Z');
    expect(iso(spring[1]?.to as number)).toBe('2024-03-31T22:00:00.000Z');
    const autumn = halfDays('Europe/Berlin', '2024-10-27', '2024-10-27', 12 * 60);
    expect((autumn[1]?.to as number) - (autumn[0]?.from as number)).toBe(25 * 3_600_000);
  });

  it('maps a wall time in a DST gap to the end of the gap, and an overlap to its first instant', () => {
    // 02:30 does not exist on 2024-03-31 in Berlin; 03:00 CEST = 01:00 UTC.
    expect(iso(wallToInstant('Europe/Berlin', Date.UTC(2024, 2, 31, 2, 30)))).toBe(
      '2024-03-31T01:00:00.000Z',
    );
    // 02:30 happens twice on 2024-10-27; the first is 00:30 UTC.
    expect(iso(wallToInstant('Europe/Berlin', Date.UTC(2024, 9, 27, 2, 30)))).toBe(
      '2024-10-27T00:30:00.000Z',
    );
  });

  it('tells the local day of an instant', () => {
    expect(localDay('Asia/Shanghai', Date.parse('2024-03-04T16:30:00Z'))).toBe('2024-03-05');
    expect(localDay('Asia/Shanghai', Date.parse('2024-03-04T15:59:59Z'))).toBe('2024-03-04');
  });

  it('validates its inputs with typed errors', () => {
    expect(parseSplit('12:00')).toBe(720);
    expect(parseSplit('9:30')).toBe(570);
    for (const bad of ['00:00', '24:00', '12:60', 'noon'])
      expect(() => parseSplit(bad)).toThrow(/TG_STORE_CONFIG/);
    expect(() => parseDay('2024-02-30')).toThrow(/TG_STORE_QUERY/);
    expect(() => halfDays('Mars/Olympus', '2024-03-05', '2024-03-05', 720)).toThrow(/TG_STORE_CONFIG/);
    expect(() => halfDays('UTC', '2024-01-01', '2025-12-31', 720)).toThrow(/TG_STORE_QUERY.*at most/);
  });
});
