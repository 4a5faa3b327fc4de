/**
 * Self-reported temperatures from a CSV file (a form's export, a spreadsheet HR collected).
 * Header row first; columns by name, in any order, English or Chinese, extra columns ignored:
 *   employeeNo (工号), temperature (体温, °C such as 36.6), and either
 *   at (测温时间: 'YYYY-MM-DD HH:MM[:SS]' in the site's time, or ISO 8601 with an offset)
 *   or date (日期: YYYY-MM-DD or YYYY/M/D) plus time (时间: H:MM[:SS]).
 * Every line is checked before anything is stored; one bad line refuses the whole file, with
 * the reason for each bad line.
 */
import { wallToInstant } from '../store/local-time.ts';
import { CsvSyntaxError, parseCsv } from './csv.ts';
import { checkEntry, type EntryRules, MANUAL_GATE_ID, type ManualEntry } from './manual.ts';

export const MAX_IMPORT_LINES = 20_000;
/** Errors listed in the answer at most (the count is always complete). */
export const MAX_LISTED_ERRORS = 500;

export interface LineError {
  line: number;
  field?: string;
  /** English, for logs and API users; pages say `problem` in their language. */
  reason: string;
  /** Stable code of the problem (the same words as the access-list import where they overlap). */
  problem: string;
  params?: Record<string, string | number>;
}

export interface ParsedImport {
  entries: Array<{ line: number; entry: ManualEntry }>;
  errors: LineError[];
  /** Data lines seen. */
  lines: number;
}

const HEADERS: Record<string, 'employeeNo' | 'temperature' | 'at' | 'date' | 'time'> = {
  employeeno: 'employeeNo',
  employee: 'employeeNo',
  工号: 'employeeNo',
  员工号: 'employeeNo',
  temperature: 'temperature',
  temp: 'temperature',
  temperaturec: 'temperature',
  体温: 'temperature',
  at: 'at',
  datetime: 'at',
  measuredat: 'at',
  测温时间: 'at',
  date: 'date',
  日期: 'date',
  time: 'time',
  时间: 'time',
};
const normalize = (h: string): string =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.()（）°℃]/g, '');

/** '36.6' / '36,6' / '37' → tenths; one decimal at most, as a thermometer shows. */
export function parseCelsius(s: string): number | null {
  const m = /^(\d{2})(?:[.,](\d))?$/.exec(s.trim());
  return m ? Number(m[1]) * 10 + Number(m[2] ?? '0') : null;
}

function parseDate(s: string): [number, number, number] | null {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(s.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? [y, mo, d] : null;
}

function parseTime(s: string): [number, number, number] | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (!m) return null;
  const [h, mi, se] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  return h < 24 && mi < 60 && se < 60 ? [h, mi, se] : null;
}

/** A local wall time of the site, or an ISO time with an explicit offset. */
export function parseInstant(timeZone: string, date: string, time?: string): number | null {
  if (time === undefined) {
    const s = date.trim();
    if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(s) && s.includes('T')) {
      const t = Date.parse(s);
      return Number.isFinite(t) ? t : null;
    }
    const m = /^(\S+)[ T](\S+)$/.exec(s);
    return m ? parseInstant(timeZone, m[1] as string, m[2] as string) : null;
  }
  const d = parseDate(date);
  const t = parseTime(time);
  if (!d || !t) return null;
  return wallToInstant(timeZone, Date.UTC(d[0], d[1] - 1, d[2], t[0], t[1], t[2]));
}

export function parseSelfReports(text: string, timeZone: string, rules: EntryRules): ParsedImport {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      return {
        entries: [],
        errors: [{ line: err.line, reason: err.message, problem: 'csv-syntax' }],
        lines: 0,
      };
    throw err;
  }
  const [head, ...rows] = records;
  if (!head)
    return {
      entries: [],
      errors: [{ line: 1, reason: 'the file is empty', problem: 'empty-file' }],
      lines: 0,
    };
  const at: Partial<Record<(typeof HEADERS)[string], number>> = {};
  head.cells.forEach((h, i) => {
    const key = HEADERS[normalize(h)];
    if (key && at[key] === undefined) at[key] = i;
  });
  const missing: string[] = [];
  if (at.employeeNo === undefined) missing.push('employeeNo (工号)');
  if (at.temperature === undefined) missing.push('temperature (体温)');
  if (at.at === undefined && (at.date === undefined || at.time === undefined))
    missing.push('at (测温时间), or date (日期) and time (时间)');
  if (missing.length > 0)
    return {
      entries: [],
      errors: [
        { line: head.line, reason: `the header row lacks ${missing.join('; ')}`, problem: 'missing-columns' },
      ],
      lines: rows.length,
    };
  if (rows.length > MAX_IMPORT_LINES)
    return {
      entries: [],
      errors: [
        {
          line: head.line,
          reason: `at most ${MAX_IMPORT_LINES} lines per file, got ${rows.length}`,
          problem: 'too-many-lines',
          params: { max: MAX_IMPORT_LINES },
        },
      ],
      lines: rows.length,
    };

  const entries: ParsedImport['entries'] = [];
  const errors: LineError[] = [];
  const cell = (r: string[], i: number | undefined) => (i === undefined ? '' : (r[i] ?? '').trim());
  for (const { line, cells } of rows) {
    const employeeNo = cell(cells, at.employeeNo);
    const celsius = cell(cells, at.temperature);
    const tenths = parseCelsius(celsius);
    if (tenths === null) {
      errors.push({
        line,
        field: 'temperature',
        reason: `not a temperature in °C such as 36.6: '${celsius}'`,
        problem: 'bad-temperature',
        params: { value: celsius },
      });
      continue;
    }
    const when =
      at.at !== undefined && cell(cells, at.at) !== ''
        ? parseInstant(timeZone, cell(cells, at.at))
        : parseInstant(timeZone, cell(cells, at.date), cell(cells, at.time));
    if (when === null) {
      errors.push({
        line,
        field: 'at',
        reason: 'not a date and time such as 2024-03-05 08:30',
        problem: 'bad-time',
      });
      continue;
    }
    const entry: ManualEntry = {
      employeeNo,
      temperatureTenths: tenths,
      source: 'self-report',
      at: when,
      gateId: MANUAL_GATE_ID,
    };
    const problem = checkEntry(entry, rules);
    if (problem)
      errors.push({
        line,
        field: problem.field,
        reason: problem.reason,
        problem: problem.problem,
        ...(problem.params ? { params: problem.params } : {}),
      });
    else entries.push({ line, entry });
  }
  return { entries, errors, lines: rows.length };
}
