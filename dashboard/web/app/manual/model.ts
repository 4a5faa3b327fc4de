/**
 * The manual-reading form and the self-report import as data: what a person typed becomes the
 * body of POST /api/manual-readings (temperature in integer tenths, the time as the site's wall
 * clock, never the browser's), and the server's refusals become a sentence in the user's language.
 * Pure, unit-tested (dashboard/web/manual-model.test.ts).
 */
import { wallClock } from '../../../../protocols/time-zone.ts';
import { parseCelsius } from '../format.ts';
import type { Key } from '../i18n.ts';
import type { ImportResult } from '../types.ts';

/** A clock a little ahead of the server's is not "the future" there either (reports/manual.ts). */
const FUTURE_SLACK_MS = 60_000;

export const INSTRUMENTS = ['handheld', 'contact'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

export interface ManualInput {
  employeeNo: string;
  celsius: string;
  instrument: string;
  /** From <input type=datetime-local>: 'YYYY-MM-DDTHH:MM[:SS]' in the site's time, or '' for now. */
  time: string;
  /** '' for a reading taken at no gate. */
  gateId: string;
}

export interface ManualBody {
  employeeNo: string;
  temperatureTenths: number;
  instrument: Instrument;
  at?: number;
  gateId?: string;
}

export type Message = { key: Key; params?: Record<string, string | number> };

export type ManualCheck =
  | { ok: true; body: ManualBody }
  | { ok: false; field: 'employeeNo' | 'temperature' | 'time'; message: Message };

/**
 * 'YYYY-MM-DDTHH:MM[:SS]' read as the site's local time → epoch ms; null when it is no such time.
 * Two rounds of "subtract the offset" settle any zone, DST days included (a time in a DST gap
 * lands just after it, like the server's own reading of a local time).
 */
export function siteWallToMs(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, hh, mi, ss] = m.slice(1).map((x) => Number(x ?? '0')) as number[];
  if (hh === undefined || mi === undefined || hh > 23 || mi > 59 || (ss ?? 0) > 59) return null;
  const wall = Date.UTC(y as number, (mo as number) - 1, d, hh, mi, ss ?? 0);
  const back = new Date(wall);
  if (back.getUTCMonth() !== (mo as number) - 1 || back.getUTCDate() !== d) return null;
  const first = wall - (wallClock(timeZone, wall) - wall);
  return wall - (wallClock(timeZone, first) - first);
}

/** Checks the form before anything is sent; the server checks again (roster, retention). */
export function checkManualInput(input: ManualInput, timeZone: string, now: number): ManualCheck {
  const employeeNo = input.employeeNo.trim();
  if (employeeNo === '' || employeeNo.length > 64)
    return { ok: false, field: 'employeeNo', message: { key: 'manual.bad.employeeNo' } };
  const c = parseCelsius(input.celsius);
  if (!c.ok) return { ok: false, field: 'temperature', message: { key: `recheck.bad.${c.reason}` } };
  const instrument: Instrument = input.instrument === 'contact' ? 'contact' : 'handheld';
  const body: ManualBody = { employeeNo, temperatureTenths: c.tenths, instrument };
  if (input.time.trim() !== '') {
    const at = siteWallToMs(input.time, timeZone);
    if (at === null) return { ok: false, field: 'time', message: { key: 'manual.bad.time' } };
    if (at > now + FUTURE_SLACK_MS)
      return { ok: false, field: 'time', message: { key: 'manual.bad.future' } };
    body.at = at;
  }
  if (input.gateId !== '') body.gateId = input.gateId;
  return { ok: true, body };
}

/**
 * The server's refusal of one reading, said plainly; null for anything this form cannot explain
 * better than the generic error text. The server's own words stay visible beside it.
 */
export function manualRefusal(code: string, serverMessage: string, employeeNo: string): Message | null {
  switch (code) {
    case 'TG_DASH_REPORT_UNKNOWN_PERSON':
      return { key: 'manual.err.unknownPerson', params: { no: employeeNo } };
    case 'TG_DASH_REPORT_BAD_READING': {
      // The message is "<field>: <reason>" (reports/service.ts recordManual).
      const field = /^(\w+):/.exec(serverMessage)?.[1];
      if (field === 'temperature') return { key: 'manual.err.temperature' };
      if (field === 'employeeNo') return { key: 'manual.bad.employeeNo' };
      if (field === 'at')
        return { key: /retention/.test(serverMessage) ? 'manual.err.tooOld' : 'manual.bad.future' };
      return { key: 'manual.err.refused' };
    }
    case 'TG_DASH_REPORT_BACKDATE_FORBIDDEN':
      return { key: 'manual.err.backdate' };
    case 'TG_DASH_REPORT_STORE_UNAVAILABLE':
    case 'TG_DASH_REPORT_STORE_REFUSED':
      return { key: 'manual.err.store' };
    default:
      return null;
  }
}

export type { ImportResult };

/** The import's answer { lines, imported, duplicates }; missing numbers read as 0. */
export function asImportResult(body: unknown): ImportResult {
  const b = (body ?? {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { imported: n(b.imported), lines: n(b.lines), duplicates: n(b.duplicates) };
}

/** How many lines a refused import had wrong: the full count, even when the list was cut. */
export function refusedCount(body: unknown, listed: number): number {
  const c = (body as { errorCount?: unknown } | null)?.errorCount;
  return typeof c === 'number' && c >= listed ? c : listed;
}
