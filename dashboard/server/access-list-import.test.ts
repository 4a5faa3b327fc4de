/**
 * The access-list file as Excel saves it: GBK without a BOM, BOM-less UTF-8, UTF-8 with a BOM;
 * Chinese headers and values; a file that is neither encoding is refused, never read with U+FFFD;
 * problems come with stable codes; a merge keeps the roster and lays the file over it.
 */
import { describe, expect, it } from 'vitest';
import { GBK_ONE_VISITOR, GBK_ROSTER } from '../../test/dashboard/web/gbk.ts';
import {
  canonicalCsv,
  mergeRows,
  normalizeDate,
  parseAccessListFile,
  rowsFromEntries,
  shrinksTooMuch,
} from './access-list-import.ts';
import { decodeCsvBytes } from './csv-decode.ts';

describe('decoding what Excel saved', () => {
  it('GBK (GB18030) without a BOM, which is not valid UTF-8', () => {
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(GBK_ROSTER)).toThrow();
    const d = decodeCsvBytes(GBK_ROSTER);
    expect(d).toMatchObject({ encoding: 'gb18030' });
    expect('text' in d && d.text.startsWith('工号,姓名,部门,类型,生效时间,失效时间\r\n')).toBe(true);
  });

  it('UTF-8 with or without a BOM', () => {
    const text = '工号,姓名\r\nE1,张伟\r\n';
    expect(decodeCsvBytes(Buffer.from(text))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsvBytes(Buffer.from(`\uFEFF${text}`))).toEqual({ text, encoding: 'utf-8' });
  });

  it('refuses bytes that are neither, instead of replacing them with U+FFFD', () => {
    expect(decodeCsvBytes(Buffer.from([0x45, 0x31, 0x2c, 0x81, 0x20, 0x0d, 0x0a]))).toEqual({
      error: 'encoding',
    });
    const r = parseAccessListFile(Buffer.from([0x81, 0x20]));
    expect('errors' in r && r.errors.map((e) => e.problem)).toEqual(['encoding']);
  });
});

describe('the access-list file', () => {
  it('reads Chinese headers and values and writes the hub’s own format', () => {
    const r = parseAccessListFile(GBK_ROSTER);
    if ('errors' in r) throw new Error(JSON.stringify(r.errors));
    expect(r.rows.map((x) => [x.employeeNo, x.name, x.kind, x.validFrom, x.validUntil])).toEqual([
      ['E1', '张伟', 'employee', '', ''],
      ['E2', '李娜', 'employee', '', ''],
      ['E3', 'Anna Schmidt', 'employee', '', ''],
      ['E4', '刘洋', 'employee', '', ''],
      ['E5', '赵磊', 'employee', '2026-01-05', ''],
      ['V2', '周芳', 'visitor', '2026-01-01', '2099-12-31'],
    ]);
    expect(canonicalCsv(r.rows).split('\n')[0]).toBe('employeeNo,name,department,kind,validFrom,validUntil');
  });

  it('says each problem with a code, a field and the line', () => {
    const r = parseAccessListFile(
      Buffer.from(
        '工号,姓名,类型,生效时间\nE1,张伟,机器人,\nE2,李娜,员工,明天\nE1,重复,员工,\n,无号,员工,\n',
      ),
    );
    expect('errors' in r && r.errors.map((e) => [e.line, e.problem, e.field])).toEqual([
      [2, 'bad-kind', 'kind'],
      [3, 'bad-date', 'validFrom'],
      [5, 'employee-no-empty', 'employeeNo'],
    ]);
    const noCol = parseAccessListFile(Buffer.from('姓名\n张伟\n'));
    expect('errors' in noCol && noCol.errors[0]?.problem).toBe('no-employee-no-column');
  });

  it('dates as Excel writes them', () => {
    expect(
      ['2026/1/5', '2026-01-05', '2026/1/5 8:00', '2026年1月5日', '2026/2/30', 'tomorrow'].map(normalizeDate),
    ).toEqual(['2026-01-05', '2026-01-05', '2026-01-05T08:00', '2026-01-05', null, null]);
  });

  it('a much smaller file asks first; a merge keeps everybody else, the file’s rows win', () => {
    expect(shrinksTooMuch(6, 1)).toBe(true);
    expect(shrinksTooMuch(6, 3)).toBe(false);
    expect(shrinksTooMuch(2, 1)).toBe(false);
    const one = parseAccessListFile(GBK_ONE_VISITOR);
    if ('errors' in one) throw new Error('refused');
    const current = rowsFromEntries([
      {
        employeeNo: 'E1',
        name: '张伟',
        department: '质检部',
        kind: 'employee',
        validFrom: null,
        validUntil: null,
      },
      {
        employeeNo: 'V3',
        name: '旧名',
        department: '',
        kind: 'visitor',
        validFrom: 0,
        validUntil: 86_400_000,
      },
    ]);
    expect(mergeRows(current, one.rows).map((r) => [r.employeeNo, r.name, r.validUntil])).toEqual([
      ['E1', '张伟', ''],
      ['V3', '孙丽', '2099-12-31'],
    ]);
  });
});
