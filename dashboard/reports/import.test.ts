import { describe, expect, it } from 'vitest';
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import { parseCelsius, parseInstant, parseSelfReports } from './import.ts';
import { Roster } from './roster.ts';

const TZ = 'Asia/Shanghai';
const NOW = Date.parse('2024-03-05T20:00:00+08:00');
const snapshot: AccessListSnapshot = {
  v: 1,
  version: 1,
  issuedAt: 0,
  entries: [
    { employeeNo: 'E1', name: '张三', department: '', kind: 'employee', validFrom: null, validUntil: null },
    { employeeNo: 'E2', name: '李四', department: '', kind: 'employee', validFrom: null, validUntil: null },
  ],
};
const rules = { now: NOW, retentionDays: 400, roster: new Roster(snapshot) };

describe('parseSelfReports', () => {
  it('takes columns by name in any order, English or Chinese, and ignores extra columns', () => {
    const zh = parseSelfReports('备注,体温,工号,日期,时间\n早,36.6,E1,2024/3/5,8:05\n', TZ, rules);
    expect(zh.errors).toEqual([]);
    expect(zh.entries).toEqual([
      {
        line: 2,
        entry: {
          employeeNo: 'E1',
          temperatureTenths: 366,
          source: 'self-report',
          at: Date.parse('2024-03-05T08:05:00+08:00'),
          gateId: 'manual',
        },
      },
    ]);
    const en = parseSelfReports(
      'Employee No,Temperature (°C),At\r\nE2,"37,0",2024-03-05T11:00:00Z\r\n',
      TZ,
      rules,
    );
    expect(en.entries[0]?.entry).toMatchObject({
      employeeNo: 'E2',
      temperatureTenths: 370,
      at: Date.parse('2024-03-05T11:00:00Z'),
    });
  });

  it('reports every bad line with its line number and field', () => {
    const csv = [
      'employeeNo,at,temperature',
      'E1,2024-03-05 08:00,36.5',
      'E1,2024-03-05 08:00,36.55',
      'E9,2024-03-05 08:00,36.5',
      'E1,2024-02-30 08:00,36.5',
      'E1,2024-03-06 08:00,36.5',
      'E1,2022-01-01 08:00,36.5',
      'E1,2024-03-05 08:00,29.9',
      '"E2",2024-03-05 25:00,36.5',
    ].join('\n');
    const r = parseSelfReports(csv, TZ, rules);
    expect(r.lines).toBe(8);
    expect(r.entries.map((e) => e.line)).toEqual([2]);
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'temperature'],
      [4, 'employeeNo'],
      [5, 'at'],
      [6, 'at'],
      [7, 'at'],
      [8, 'temperature'],
      [9, 'at'],
    ]);
    expect(r.errors[1]?.reason).toBe('E9 is not on the access list');
  });

  it('refuses a file without the columns it needs, or broken CSV, at the right line', () => {
    expect(parseSelfReports('工号,体温\nE1,36.5\n', TZ, rules).errors).toEqual([
      {
        line: 1,
        reason: 'the header row lacks at (测温时间), or date (日期) and time (时间)',
        problem: 'missing-columns',
      },
    ]);
    expect(
      parseSelfReports('工号,体温,测温时间\nE1,"36.5,2024-03-05 08:00\n', TZ, rules).errors[0]?.line,
    ).toBe(2);
    expect(parseSelfReports('', TZ, rules).errors).toEqual([
      { line: 1, reason: 'the file is empty', problem: 'empty-file' },
    ]);
  });

  it('accepts anyone while there is no roster yet', () => {
    const r = parseSelfReports('工号,体温,测温时间\nX1,36.5,2024-03-05 08:00\n', TZ, {
      ...rules,
      roster: new Roster(null),
    });
    expect(r.errors).toEqual([]);
  });
});

describe('parsing pieces', () => {
  it('celsius: one decimal at most, point or comma', () => {
    expect(['36.6', '36,6', '37', ' 36.6 ', '36.66', '3.7', '366', ''].map(parseCelsius)).toEqual([
      366,
      366,
      370,
      366,
      null,
      null,
      null,
      null,
    ]);
  });

  it('instants: local wall time of the site, or ISO with an offset', () => {
    expect(parseInstant(TZ, '2024-03-05 00:10')).toBe(Date.parse('2024-03-04T16:10:00Z'));
    expect(parseInstant(TZ, '2024-03-05T08:00:00+02:00')).toBe(Date.parse('2024-03-05T06:00:00Z'));
    expect(parseInstant('Europe/Berlin', '2024-03-31', '12:00')).toBe(Date.parse('2024-03-31T10:00:00Z'));
    expect(parseInstant(TZ, 'yesterday')).toBeNull();
  });
});
