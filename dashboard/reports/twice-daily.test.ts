import { describe, expect, it } from 'vitest';
import type { LogReadingRecord } from '../store/types.ts';
import { LocalTime } from './local-format.ts';
import { checksOf, DayTally, personDayLog } from './twice-daily.ts';

const SPLIT = Date.parse('2024-03-05T12:00:00+08:00');
const at = (hhmmss: string) => Date.parse(`2024-03-05T${hhmmss}+08:00`);
let seq = 0;
const r = (time: string, tenths: number, over: Partial<LogReadingRecord> = {}): LogReadingRecord => ({
  id: `s:g:${++seq}`,
  siteId: 's',
  gateId: 'g',
  seq,
  at: at(time),
  employeeNo: 'E1',
  temperatureTenths: tenths,
  source: 'gate-thermometer',
  enteredBy: null,
  decision: 'pass',
  ...over,
});
const clock = new LocalTime('Asia/Shanghai');
const p = { employeeNo: 'E1', name: '张三', department: 'R&D', kind: 'employee' as const, expected: true };

function log(...rs: LogReadingRecord[]) {
  const t = new DayTally();
  for (const x of rs) t.offer(x, SPLIT);
  return personDayLog('2024-03-05', p, t, clock);
}

describe('the twice-daily log of a person-day', () => {
  it('the first reading of each window counts, whatever its source, in any order of arrival', () => {
    const gate = r('08:10:00', 365);
    const hand = r('08:00:00', 366, { source: 'handheld', gateId: 'manual', enteredBy: 'hr1' });
    const l = log(gate, hand, r('12:00:00', 364), r('11:59:59', 367));
    expect([l.morning?.time, l.morning?.source, l.morning?.manual, l.morning?.enteredBy]).toEqual([
      '08:00:00',
      'handheld',
      true,
      'hr1',
    ]);
    expect([l.afternoon?.time, l.afternoon?.manual]).toEqual(['12:00:00', false]);
    expect([l.highestTenths, l.highest?.time, l.readings, l.checks, l.status]).toEqual([
      367,
      '11:59:59',
      4,
      'complete',
      'complete',
    ]);
  });

  it('fever wins the status; the checks still say which window is missing; equal highs: the earliest', () => {
    const l = log(r('13:00:00', 365), r('15:00:00', 380), r('14:00:00', 380));
    expect([l.status, l.checks, l.highest?.time]).toEqual(['fever', 'morning-missing', '14:00:00']);
    expect(log(r('11:00:00', 373)).status).toBe('fever');
    expect(log(r('11:00:00', 372)).status).toBe('afternoon-missing');
  });

  it('nobody measured: absent', () => {
    const l = personDayLog('2024-03-05', p, undefined, clock);
    expect([l.morning, l.afternoon, l.highest, l.readings, l.status]).toEqual([
      null,
      null,
      null,
      0,
      'absent',
    ]);
    expect([checksOf(1, 1), checksOf(1, null), checksOf(null, 1), checksOf(null, null)]).toEqual([
      'complete',
      'afternoon-missing',
      'morning-missing',
      'absent',
    ]);
  });
});
