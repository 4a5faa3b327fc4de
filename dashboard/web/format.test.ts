import { describe, expect, it } from 'vitest';
import { addDays, fmtDateTime, fmtTemp, fmtTempC, fmtTime, localDate, parseCelsius } from './app/format.ts';

describe('temperatures (integer tenths, formatted only for display)', () => {
  it('formats tenths with one decimal', () => {
    expect(fmtTemp(373)).toBe('37.3');
    expect(fmtTemp(370)).toBe('37.0');
    expect(fmtTemp(-5)).toBe('-0.5');
    expect(fmtTempC(365)).toBe('36.5 °C');
    expect(fmtTemp(null)).toBe('—');
    expect(fmtTempC(undefined)).toBe('—');
  });

  it('reads what a guard types from a handheld into tenths', () => {
    expect(parseCelsius('37.1')).toEqual({ ok: true, tenths: 371 });
    expect(parseCelsius(' 36,8 ')).toEqual({ ok: true, tenths: 368 });
    expect(parseCelsius('37')).toEqual({ ok: true, tenths: 370 });
    // 37.3 must come out as exactly 373, never 372.99999 (no float arithmetic on the way).
    expect(parseCelsius('37.3')).toEqual({ ok: true, tenths: 373 });
    expect(parseCelsius('')).toEqual({ ok: false, reason: 'empty' });
    expect(parseCelsius('37.25')).toEqual({ ok: false, reason: 'format' });
    expect(parseCelsius('abc')).toEqual({ ok: false, reason: 'format' });
    expect(parseCelsius('373')).toEqual({ ok: false, reason: 'format' });
    expect(parseCelsius('29.9')).toEqual({ ok: false, reason: 'range' });
    expect(parseCelsius('45.1')).toEqual({ ok: false, reason: 'range' });
  });
});

describe('times in the site time zone, not the browser one', () => {
  // 2024-03-04T16:30:00Z is 00:30 on 5 March in Shanghai, still 4 March in UTC.
  const t = Date.UTC(2024, 2, 4, 16, 30, 0);

  it('formats clock time and date in the site zone', () => {
    expect(fmtTime(t, 'Asia/Shanghai', 'zh')).toBe('00:30:00');
    expect(fmtTime(t, 'UTC', 'en')).toBe('16:30:00');
    expect(fmtDateTime(t, 'Asia/Shanghai')).toBe('2024-03-05 00:30');
    expect(localDate(t, 'Asia/Shanghai')).toBe('2024-03-05');
    expect(localDate(t, 'Europe/Berlin')).toBe('2024-03-04');
    expect(fmtTime(null, 'UTC', 'en')).toBe('—');
  });

  it('does calendar arithmetic on dates', () => {
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
  });
});
