/**
 * HR's CSV → access list entries, all or nothing: every bad line is reported (line number and
 * reason) and no entry is returned unless the whole file is good.
 *
 * Columns (header line, any order, names case-insensitive): employeeNo (required), name,
 * department, kind (employee | visitor, default employee), validFrom, validUntil (ISO 8601; a date
 * without a time means the start of that day for validFrom and the END of that day for validUntil,
 * i.e. "valid until 2026-12-31" admits on the 31st; without an offset, in the site's time zone).
 */
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
import type { Issue } from '../errors.ts';
import { decodeUtf8, parseCsv } from './csv.ts';
import { parseIsoDate } from './iso-date.ts';

export const COLUMNS = ['employeeNo', 'name', 'department', 'kind', 'validFrom', 'validUntil'] as const;
type Column = (typeof COLUMNS)[number];
const MAX_ISSUES = 200;
const DAY_MS = 86_400_000;

export interface RowsOptions {
  timeZone: string;
  maxEntries?: number;
}

export function entriesFromCsv(
  bytes: Uint8Array,
  o: RowsOptions,
): { entries: AccessEntry[] } | { issues: Issue[] } {
  const decoded = decodeUtf8(bytes);
  if ('problem' in decoded)
    return { issues: [{ where: String(decoded.problem.line), reason: decoded.problem.reason }] };
  const { records, problems } = parseCsv(decoded.text);
  const issues: Issue[] = problems.map((p) => ({ where: String(p.line), reason: p.reason }));
  const header = records.shift();
  if (!header)
    return { issues: [{ where: '1', reason: `empty file: expected the header ${COLUMNS.join(',')}` }] };

  const columns: Array<Column | undefined> = [];
  for (const raw of header.fields) {
    const name = COLUMNS.find((c) => c.toLowerCase() === raw.trim().toLowerCase());
    if (!name)
      issues.push({
        where: String(header.line),
        reason: `unknown column ${JSON.stringify(raw.trim())} (expected ${COLUMNS.join(',')})`,
      });
    else if (columns.includes(name))
      issues.push({ where: String(header.line), reason: `column ${name} appears twice` });
    columns.push(name);
  }
  if (!columns.includes('employeeNo'))
    issues.push({ where: String(header.line), reason: 'the header has no employeeNo column' });
  if (issues.length) return { issues };

  const entries: AccessEntry[] = [];
  const firstLine = new Map<string, number>();
  for (const rec of records) {
    const where = String(rec.line);
    const bad = (reason: string) => issues.push({ where, reason });
    if (rec.fields.length !== columns.length) {
      bad(`${rec.fields.length} fields, the header has ${columns.length}`);
      continue;
    }
    const v = (c: Column) => {
      const i = columns.indexOf(c);
      return i === -1 ? '' : (rec.fields[i] as string).trim();
    };
    const before = issues.length;
    const employeeNo = v('employeeNo');
    if (!employeeNo) bad('employeeNo is empty');
    else if (employeeNo.length > 64) bad('employeeNo is longer than 64 characters');
    else if (/\p{Cc}/u.test(employeeNo)) bad('employeeNo contains control characters');
    const name = v('name');
    if (name.length > 128) bad('name is longer than 128 characters');
    const department = v('department');
    if (department.length > 128) bad('department is longer than 128 characters');
    const kindText = v('kind').toLowerCase() || 'employee';
    if (kindText !== 'employee' && kindText !== 'visitor')
      bad(`kind must be employee or visitor, got ${JSON.stringify(v('kind'))}`);
    const date = (c: 'validFrom' | 'validUntil') => {
      const text = v(c);
      if (!text) return null;
      const d = parseIsoDate(text, o.timeZone);
      if ('error' in d) {
        bad(`${c}: ${d.error}`);
        return null;
      }
      // Date-only "until" means through that day: the list's interval is [from, until).
      return c === 'validUntil' && d.dateOnly ? d.ms + DAY_MS : d.ms;
    };
    const validFrom = date('validFrom');
    const validUntil = date('validUntil');
    if (validFrom !== null && validUntil !== null && validFrom >= validUntil)
      bad('validFrom is not before validUntil');
    if (employeeNo && firstLine.has(employeeNo))
      bad(`employeeNo ${employeeNo} is already on line ${firstLine.get(employeeNo)}`);
    if (issues.length > before) {
      if (issues.length >= MAX_ISSUES) break;
      continue;
    }
    firstLine.set(employeeNo, rec.line);
    entries.push({
      employeeNo,
      name,
      department,
      kind: kindText as AccessEntry['kind'],
      validFrom,
      validUntil,
    });
  }
  if (issues.length >= MAX_ISSUES) issues.push({ where: '', reason: `stopped after ${MAX_ISSUES} problems` });
  if (!issues.length && entries.length === 0)
    issues.push({
      where: String(header.line + 1),
      reason: 'no rows: an empty list would turn everybody away at every gate',
    });
  if (!issues.length && o.maxEntries !== undefined && entries.length > o.maxEntries)
    issues.push({ where: '', reason: `${entries.length} rows, more than the limit of ${o.maxEntries}` });
  return issues.length ? { issues } : { entries };
}
