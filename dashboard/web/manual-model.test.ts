import { describe, expect, it } from 'vitest';
import { translate } from './app/i18n.ts';
import {
  asImportResult,
  checkManualInput,
  manualRefusal,
  refusedCount,
  siteWallToMs,
} from './app/manual/model.ts';
import { en } from './app/strings-en.ts';
import { zh } from './app/strings-zh.ts';

const SH = 'Asia/Shanghai';
const NOW = Date.parse('2024-03-05T12:00:00+08:00');
const input = (over: Partial<Parameters<typeof checkManualInput>[0]> = {}) => ({
  employeeNo: ' E1 ',
  celsius: '36.9',
  instrument: 'handheld',
  time: '',
  gateId: '',
  ...over,
});

describe('the site time typed into the form', () => {
  it("reads it in the site's zone, not the browser's", () => {
    expect(siteWallToMs('2024-03-05T08:30', SH)).toBe(Date.parse('2024-03-05T08:30:00+08:00'));
    expect(siteWallToMs('2024-03-05T08:30', 'UTC')).toBe(Date.parse('2024-03-05T08:30:00Z'));
    expect(siteWallToMs('2024-03-05 23:59:30', SH)).toBe(Date.parse('2024-03-05T23:59:30+08:00'));
  });

  it('gets both sides of a DST change right', () => {
    // Berlin: +01:00 before 2024-03-31 02:00, +02:00 after.
    expect(siteWallToMs('2024-03-30T12:00', 'Europe/Berlin')).toBe(Date.parse('2024-03-30T12:00:00+01:00'));
    expect(siteWallToMs('2024-03-31T12:00', 'Europe/Berlin')).toBe(Date.parse('2024-03-31T12:00:00+02:00'));
  });

  it('refuses what is no time', () => {
    expect(siteWallToMs('2024-02-30T08:00', SH)).toBeNull();
    expect(siteWallToMs('2024-03-05T24:00', SH)).toBeNull();
    expect(siteWallToMs('yesterday', SH)).toBeNull();
  });
});

describe('the manual reading form', () => {
  it('sends integer tenths, the instrument, and leaves time and gate to the server when empty', () => {
    expect(checkManualInput(input(), SH, NOW)).toEqual({
      ok: true,
      body: { employeeNo: 'E1', temperatureTenths: 369, instrument: 'handheld' },
    });
    expect(
      checkManualInput(
        input({ celsius: '37,3', instrument: 'contact', time: '2024-03-05T08:30', gateId: 'gate-a' }),
        SH,
        NOW,
      ),
    ).toEqual({
      ok: true,
      body: {
        employeeNo: 'E1',
        temperatureTenths: 373,
        instrument: 'contact',
        at: Date.parse('2024-03-05T08:30:00+08:00'),
        gateId: 'gate-a',
      },
    });
  });

  it('stops typos before anything is sent, naming the field', () => {
    const bad = (over: Parameters<typeof input>[0]) => {
      const r = checkManualInput(input(over), SH, NOW);
      return r.ok ? null : [r.field, r.message.key];
    };
    expect(bad({ employeeNo: '  ' })).toEqual(['employeeNo', 'manual.bad.employeeNo']);
    expect(bad({ celsius: '' })).toEqual(['temperature', 'recheck.bad.empty']);
    expect(bad({ celsius: '3.70' })).toEqual(['temperature', 'recheck.bad.format']);
    expect(bad({ celsius: '36.65' })).toEqual(['temperature', 'recheck.bad.format']);
    expect(bad({ celsius: '47.0' })).toEqual(['temperature', 'recheck.bad.range']);
    expect(bad({ time: '2024-03-05T12:30' })).toEqual(['time', 'manual.bad.future']);
    expect(bad({ time: '2024-13-01T08:00' })).toEqual(['time', 'manual.bad.time']);
  });
});

describe("the server's refusals", () => {
  it('say which problem it was, in both languages', () => {
    const unknown = manualRefusal(
      'TG_DASH_REPORT_UNKNOWN_PERSON',
      'employeeNo: E9 is not on the access list',
      'E9',
    );
    expect(unknown).toEqual({ key: 'manual.err.unknownPerson', params: { no: 'E9' } });
    expect(translate(en, unknown?.key as string, unknown?.params)).toContain('E9 is not on the access list');
    expect(translate(zh, unknown?.key as string, unknown?.params)).toContain('E9');

    const reason = (code: string, message: string) => manualRefusal(code, message, 'E1')?.key;
    // A guard's backdated entry (issue #20) has its own text, in both languages.
    expect(reason('TG_DASH_REPORT_BACKDATE_FORBIDDEN', 'a guard may record readings of today')).toBe(
      'manual.err.backdate',
    );
    expect(zh['manual.err.backdate']).toMatch(/今天/);
    expect(
      reason('TG_DASH_REPORT_BAD_READING', 'temperature: a body temperature from 30 to 45 °C, got 50'),
    ).toBe('manual.err.temperature');
    expect(reason('TG_DASH_REPORT_BAD_READING', 'at: a time that is not in the future')).toBe(
      'manual.bad.future',
    );
    expect(reason('TG_DASH_REPORT_BAD_READING', 'at: older than the 400-day retention of readings')).toBe(
      'manual.err.tooOld',
    );
    expect(reason('TG_DASH_REPORT_BAD_READING', 'gateId: letters')).toBe('manual.err.refused');
    expect(reason('TG_DASH_REPORT_STORE_UNAVAILABLE', 'down')).toBe('manual.err.store');
    // Anything else is left to the generic error text (with its code).
    expect(reason('TG_DASH_FORBIDDEN', 'no')).toBeUndefined();
  });

  it("count a refused import's bad lines in full and read a good one's counts", () => {
    expect(refusedCount({ errors: [], errorCount: 612 }, 500)).toBe(612);
    expect(refusedCount({ errors: [] }, 2)).toBe(2);
    expect(asImportResult({ lines: 3, imported: 2, duplicates: 1 })).toEqual({
      lines: 3,
      imported: 2,
      duplicates: 1,
    });
    expect(asImportResult(null)).toEqual({ lines: 0, imported: 0, duplicates: 0 });
  });
});
