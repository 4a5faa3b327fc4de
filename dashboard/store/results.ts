/** Result shaping shared by both stores, so their answers are equal down to the order. */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import type { Half } from './local-time.ts';
import type { DecisionCount, Period, PersonDay } from './types.ts';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type OrderKey = Pick<ReadingRecord, 'at' | 'siteId' | 'gateId' | 'seq'>;

/** Time, then site, gate and seq: a total order even for readings of the same millisecond. */
export function compareReadings(a: OrderKey, b: OrderKey): number {
  return a.at - b.at || cmp(a.siteId, b.siteId) || cmp(a.gateId, b.gateId) || a.seq - b.seq;
}

export function sortReadings(rows: ReadingRecord[], limit?: number): ReadingRecord[] {
  rows.sort(compareReadings);
  return limit !== undefined && rows.length > limit ? rows.slice(0, limit) : rows;
}

export function sortCounts(rows: DecisionCount[]): DecisionCount[] {
  return rows.sort(
    (a, b) => cmp(a.siteId, b.siteId) || cmp(a.gateId, b.gateId) || cmp(a.decision, b.decision),
  );
}

/** Folds (day, half, reading) winners into one PersonDay per person and day. */
export function assemblePersonDays(
  winners: Iterable<{ day: string; half: Half; record: ReadingRecord }>,
): PersonDay[] {
  const byKey = new Map<string, PersonDay>();
  for (const w of winners) {
    const key = `${w.record.employeeNo}\u0000${w.day}`;
    let pd = byKey.get(key);
    if (!pd) {
      pd = { employeeNo: w.record.employeeNo, day: w.day, morning: null, afternoon: null };
      byKey.set(key, pd);
    }
    pd[w.half] = w.record;
  }
  return [...byKey.values()].sort((a, b) => cmp(a.employeeNo, b.employeeNo) || cmp(a.day, b.day));
}

export function checkPeriod(p: Period, limit?: number): void {
  if (!Number.isFinite(p.from) || !Number.isFinite(p.to) || p.from > p.to) {
    throw new StoreError(StoreErrorCode.QUERY, `bad period [${p.from}, ${p.to})`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new StoreError(StoreErrorCode.QUERY, `limit must be a positive integer, got ${limit}`);
  }
}
