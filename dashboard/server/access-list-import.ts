/**
 * HR's access-list file as the dashboard takes it before the hub does: decoded from whatever
 * Excel saved (UTF-8 or GBK/GB18030, csv-decode.ts), headers in Chinese or English
 * (工号, 姓名, 部门, 类型/类别, 生效时间, 失效时间), kinds 员工/访客, dates as Excel writes them
 * (2026/3/5, 2026/3/5 8:00) — and checked line by line with stable problem codes, so a page can
 * say each problem in its own language (issue #18: the hub's English reasons reached the Chinese
 * page). What passes is handed to the hub as the canonical file (English headers, ISO dates,
 * UTF-8); the hub checks again and stays the owner of the list.
 */
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
import { CsvSyntaxError, parseCsv } from '../reports/csv.ts';
import { decodeCsvBytes } from './csv-decode.ts';

export const ACCESS_COLUMNS = [
  'employeeNo',
  'name',
  'department',
  'kind',
  'validFrom',
  'validUntil',
] as const;
type Column = (typeof ACCESS_COLUMNS)[number];

const HEADERS: Record<string, Column> = {
  employeeno: 'employeeNo',
  工号: 'employeeNo',
  员工号: 'employeeNo',
  员工编号: 'employeeNo',
  name: 'name',
  姓名: 'name',
  department: 'department',
  部门: 'department',
  kind: 'kind',
  类型: 'kind',
  类别: 'kind',
  人员类型: 'kind',
  validfrom: 'validFrom',
  生效时间: 'validFrom',
  生效日期: 'validFrom',
  有效期起: 'validFrom',
  validuntil: 'validUntil',
  失效时间: 'validUntil',
  失效日期: 'validUntil',
  有效期止: 'validUntil',
};
const KINDS: Record<string, 'employee' | 'visitor'> = {
  employee: 'employee',
  员工: 'employee',
  职工: 'employee',
  visitor: 'visitor',
  访客: 'visitor',
  来访人员: 'visitor',
};
const normalize = (h: string): string =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.()（）]/g, '');

/** What is wrong with a line; `params` fill the page's sentence. */
export type ImportProblem =
  | 'encoding'
  | 'csv-syntax'
  | 'empty-file'
  | 'no-employee-no-column'
  | 'duplicate-column'
  | 'field-count'
  | 'employee-no-empty'
  | 'employee-no-too-long'
  | 'text-too-long'
  | 'bad-kind'
  | 'bad-date'
  | 'dates-reversed'
  | 'duplicate-employee'
  | 'no-rows'
  | 'hub';

export interface ImportLineError {
  line: number;
  problem: ImportProblem;
  field?: string;
  params?: Record<string, string | number>;
  /** English, for logs and API users. */
  message: string;
}

export interface ParsedAccessList {
  rows: Array<Record<Column, string>>;
  /** The file line of each row (for the hub's line numbers). */
  lines: number[];
  encoding: string;
}

/** '2026/3/5' → '2026-03-05'; '2026/3/5 8:00' → '2026-03-05T08:00'; ISO stays; null: not a date. */
export function normalizeDate(s: string): string | null {
  const t = s.trim();
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (!m) return /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(t) ? t : null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const back = new Date(Date.UTC(y, mo - 1, d));
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  const day = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (m[4] === undefined) return day;
  const [h, mi, se] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || se > 59) return null;
  return `${day}T${String(h).padStart(2, '0')}:${m[5]}${m[6] ? `:${m[6]}` : ''}`;
}

export function parseAccessListFile(bytes: Uint8Array): ParsedAccessList | { errors: ImportLineError[] } {
  const decoded = decodeCsvBytes(bytes);
  if ('error' in decoded)
    return {
      errors: [
        {
          line: 1,
          problem: 'encoding',
          message: 'the file is neither UTF-8 nor GBK/GB18030: nothing imported',
        },
      ],
    };
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(decoded.text).filter((r) => r.cells.some((c) => c.trim() !== ''));
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      return { errors: [{ line: err.line, problem: 'csv-syntax', message: err.message }] };
    throw err;
  }
  const [head, ...data] = records;
  if (!head) return { errors: [{ line: 1, problem: 'empty-file', message: 'the file is empty' }] };
  const errors: ImportLineError[] = [];
  const at: Partial<Record<Column, number>> = {};
  head.cells.forEach((raw, i) => {
    const c = HEADERS[normalize(raw)];
    // Other columns (序号, 备注, …) are HR's own and ignored.
    if (!c) return;
    if (at[c] !== undefined)
      errors.push({
        line: head.line,
        problem: 'duplicate-column',
        field: c,
        message: `column ${c} appears twice`,
      });
    else at[c] = i;
  });
  if (at.employeeNo === undefined)
    errors.push({
      line: head.line,
      problem: 'no-employee-no-column',
      message: 'the header has no employeeNo (工号) column',
    });
  if (errors.length > 0) return { errors };

  const rows: ParsedAccessList['rows'] = [];
  const lines: number[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of data) {
    const bad = (
      problem: ImportProblem,
      message: string,
      field?: string,
      params?: ImportLineError['params'],
    ) => errors.push({ line, problem, message, ...(field ? { field } : {}), ...(params ? { params } : {}) });
    if (cells.length < head.cells.length && cells.length < Math.max(...Object.values(at)) + 1) {
      bad('field-count', `${cells.length} fields, the header has ${head.cells.length}`, undefined, {
        got: cells.length,
        want: head.cells.length,
      });
      continue;
    }
    const v = (c: Column) => (at[c] === undefined ? '' : (cells[at[c] as number] ?? '').trim());
    const before = errors.length;
    const employeeNo = v('employeeNo');
    if (!employeeNo) bad('employee-no-empty', 'employeeNo is empty', 'employeeNo');
    else if (employeeNo.length > 64)
      bad('employee-no-too-long', 'employeeNo is longer than 64', 'employeeNo');
    for (const c of ['name', 'department'] as const)
      if (v(c).length > 128) bad('text-too-long', `${c} is longer than 128 characters`, c, { max: 128 });
    const kindText = v('kind');
    const kind = kindText === '' ? 'employee' : KINDS[kindText.toLowerCase()];
    if (!kind)
      bad('bad-kind', `kind must be employee or visitor, got '${kindText}'`, 'kind', { value: kindText });
    const dates: Partial<Record<'validFrom' | 'validUntil', string>> = {};
    for (const c of ['validFrom', 'validUntil'] as const) {
      const text = v(c);
      if (!text) continue;
      const d = normalizeDate(text);
      if (d === null) bad('bad-date', `${c}: not a date such as 2026-03-05: '${text}'`, c, { value: text });
      else dates[c] = d;
    }
    if (dates.validFrom && dates.validUntil && dates.validFrom > dates.validUntil)
      bad('dates-reversed', 'validFrom is after validUntil', 'validFrom');
    if (employeeNo && seen.has(employeeNo))
      bad(
        'duplicate-employee',
        `employeeNo ${employeeNo} is already on line ${seen.get(employeeNo)}`,
        'employeeNo',
        {
          first: seen.get(employeeNo) as number,
          no: employeeNo,
        },
      );
    if (errors.length > before) continue;
    seen.set(employeeNo, line);
    rows.push({
      employeeNo,
      name: v('name'),
      department: v('department'),
      kind: kind as string,
      validFrom: dates.validFrom ?? '',
      validUntil: dates.validUntil ?? '',
    });
    lines.push(line);
  }
  if (errors.length === 0 && rows.length === 0)
    errors.push({
      line: head.line + 1,
      problem: 'no-rows',
      message: 'no rows: an empty list would turn everybody away at every gate',
    });
  return errors.length > 0 ? { errors } : { rows, lines, encoding: decoded.encoding };
}

const field = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The canonical file the hub reads (its own format: English headers, ISO dates, UTF-8). */
export function canonicalCsv(rows: ParsedAccessList['rows']): string {
  return `${[ACCESS_COLUMNS.join(','), ...rows.map((r) => ACCESS_COLUMNS.map((c) => field(r[c])).join(','))].join('\n')}\n`;
}

/** An instant the hub holds, written back exactly (with Z: no time zone to guess). */
const isoOrEmpty = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

/** The roster the gates hold now, as rows (for a merge: the file's rows win, the others stay). */
export function rowsFromEntries(entries: readonly AccessEntry[]): ParsedAccessList['rows'] {
  return entries.map((e) => ({
    employeeNo: e.employeeNo,
    name: e.name,
    department: e.department,
    kind: e.kind,
    validFrom: isoOrEmpty(e.validFrom),
    validUntil: isoOrEmpty(e.validUntil),
  }));
}

/** The current roster with the file's rows laid over it (same employee number: the file's row). */
export function mergeRows(
  current: ParsedAccessList['rows'],
  incoming: ParsedAccessList['rows'],
): ParsedAccessList['rows'] {
  const byNo = new Map(current.map((r) => [r.employeeNo, r]));
  for (const r of incoming) byNo.set(r.employeeNo, r);
  return [...byNo.values()];
}

/**
 * A file much smaller than the roster is more often a partial list (a new department, today's
 * visitors) than a new roster: replacing with it would turn everybody else away at every gate.
 * Such a file is applied only when the admin says replace or merge.
 */
export function shrinksTooMuch(current: number, incoming: number): boolean {
  return current >= 4 && incoming < current / 2;
}
