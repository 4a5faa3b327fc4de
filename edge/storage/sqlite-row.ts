/** ReadingRecord ↔ row of the embedded store, per protocols/storage/sqlite-schema.ts. */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { SQLITE_COLUMNS } from '../../protocols/storage/sqlite-schema.ts';

type Key = keyof typeof SQLITE_COLUMNS;
export const RECORD_KEYS = Object.keys(SQLITE_COLUMNS) as Key[];
export const COLUMN_NAMES = RECORD_KEYS.map((k) => SQLITE_COLUMNS[k]);
/** Position of the id in a row. */
export const ID_INDEX = COLUMN_NAMES.indexOf('id');

export type SqlValue = string | number | null;

/** Values in COLUMN_NAMES order. */
export function toRow(r: ReadingRecord): SqlValue[] {
  return RECORD_KEYS.map((k) => {
    const v = r[k];
    return typeof v === 'boolean' ? (v ? 1 : 0) : (v as SqlValue);
  });
}

export function sameRow(a: readonly SqlValue[], b: Record<string, SqlValue>): boolean {
  return COLUMN_NAMES.every((c, i) => a[i] === b[c]);
}
