/** HR's CSV: parsing, encodings, dates in the site's time zone, per-line errors. */
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../hub/access-list/csv.ts';
import { parseIsoDate } from '../../hub/access-list/iso-date.ts';
import { entriesFromCsv } from '../../hub/access-list/rows.ts';

const SH = 'Asia/Shanghai';
const bytes = (s: string) => Buffer.from(s, 'utf8');
const HEADER = 'employeeNo,name,department,kind,validFrom,validUntil';

describe('CSV records', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF, and line numbers', () => {
    const { records, problems } = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",z\n\nlast,1');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 6, fields: ['last', '1'] },
    ]);
  });

  it('reports an unclosed quote and a stray quote', () => {
    expect(parseCsv('a,"b\n').problems).toEqual([{ line: 1, reason: 'a quoted field is never closed' }]);
    expect(parseCsv('a,b"c\n').problems[0]?.reason).toMatch(/quote inside an unquoted field/);
  });
});

describe('ISO 8601 in the site time zone', () => {
  it('reads a bare date as local midnight, an offset as given', () => {
    expect(parseIsoDate('2026-12-01', SH)).toEqual({
      ms: Date.parse('2026-11-30T16:00:00Z'),
      dateOnly: true,
    });
    expect(parseIsoDate('2026-12-01T08:30', SH)).toEqual({
      ms: Date.parse('2026-12-01T00:30:00Z'),
      dateOnly: false,
    });
    expect(parseIsoDate('2026-12-01 08:30:15.5+02:00', SH)).toMatchObject({
      ms: Date.parse('2026-12-01T06:30:15.500Z'),
    });
    expect(parseIsoDate('2026-12-01T00:00Z', SH)).toMatchObject({ ms: Date.parse('2026-12-01T00:00:00Z') });
  });

  it('follows daylight saving time where the zone has it', () => {
    expect(parseIsoDate('2026-07-01T12:00', 'Europe/Berlin')).toMatchObject({
      ms: Date.parse('2026-07-01T10:00:00Z'),
    });
    expect(parseIsoDate('2026-01-01T12:00', 'Europe/Berlin')).toMatchObject({
      ms: Date.parse('2026-01-01T11:00:00Z'),
    });
  });

  it('refuses impossible dates and other formats', () => {
    for (const t of ['2026-02-30', '2026-13-01', '01/12/2026', '2026-12-01T25:00', 'tomorrow'])
      expect(parseIsoDate(t, SH)).toHaveProperty('error');
  });
});

describe('access list rows', () => {
  it('accepts a BOM, any column order, case-insensitive names and fills defaults', () => {
    const r = entriesFromCsv(bytes(`\ufeffName,EMPLOYEENO\n张伟,E1\n`), { timeZone: SH });
    expect(r).toEqual({
      entries: [
        {
          employeeNo: 'E1',
          name: '张伟',
          department: '',
          kind: 'employee',
          validFrom: null,
          validUntil: null,
        },
      ],
    });
  });

  it('a date-only validUntil admits through the end of that day', () => {
    const r = entriesFromCsv(bytes(`${HEADER}\nV1,Guest,,visitor,2026-12-01,2026-12-01\n`), { timeZone: SH });
    expect(r).toMatchObject({
      entries: [
        { validFrom: Date.parse('2026-11-30T16:00:00Z'), validUntil: Date.parse('2026-12-01T16:00:00Z') },
      ],
    });
  });

  it('lists every bad line with its reason', () => {
    const csv = [
      HEADER,
      'E1,a,,,,',
      'E2,b,,robot,,',
      'E3,c,,,,2026-02-30',
      'E4,d,,',
      'E1,dup,,,,',
      ',e,,,,',
      'E5,f,,visitor,2027-01-01,2026-01-01',
    ].join('\n');
    const r = entriesFromCsv(bytes(csv), { timeZone: SH });
    expect(r).toHaveProperty('issues');
    const issues = (r as { issues: { where: string; reason: string }[] }).issues;
    expect(issues.map((i) => i.where)).toEqual(['3', '4', '5', '6', '7', '8']);
    expect(issues.map((i) => i.reason)).toEqual([
      'kind must be employee or visitor, got "robot"',
      expect.stringMatching(/^validUntil: "2026-02-30" is not a real date/),
      '4 fields, the header has 6',
      'employeeNo E1 is already on line 2',
      'employeeNo is empty',
      'validFrom is not before validUntil',
    ]);
  });

  it('refuses a bad header, an empty list, and a file that is not UTF-8', () => {
    expect(entriesFromCsv(bytes('employee,name\nE1,a\n'), { timeZone: SH })).toMatchObject({
      issues: [
        { where: '1', reason: expect.stringMatching(/unknown column "employee"/) },
        { where: '1', reason: 'the header has no employeeNo column' },
      ],
    });
    expect(entriesFromCsv(bytes(`${HEADER}\n`), { timeZone: SH })).toMatchObject({
      issues: [{ reason: expect.stringMatching(/no rows/) }],
    });
    const gbk = Buffer.concat([bytes(`${HEADER}\nE1,`), Buffer.from([0xd5, 0xc5]), bytes(',QA,,,\n')]);
    expect(entriesFromCsv(gbk, { timeZone: SH })).toEqual({
      issues: [{ where: '2', reason: 'not valid UTF-8 (save the file as "CSV UTF-8")' }],
    });
  });
});
