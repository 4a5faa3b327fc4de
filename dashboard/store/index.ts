/**
 * The dashboard's entry point to stored readings:
 *   const store = createReadingStore({ kind: 'sqlite', path }, { timeZone: 'Asia/Shanghai' });
 * Never imports edge/: the layout both sides agree on is in protocols/storage/.
 */
import { InfluxReadingStore, type InfluxStoreOptions } from './influx-store.ts';
import { SqliteReadingStore, type SqliteStoreOptions } from './sqlite-store.ts';
import type { ReadingStore, StoreTimeOptions } from './types.ts';

export type StoreConfig =
  | ({ kind: 'sqlite' } & Omit<SqliteStoreOptions, keyof StoreTimeOptions>)
  | ({ kind: 'influx' } & Omit<InfluxStoreOptions, keyof StoreTimeOptions>);

export function createReadingStore(config: StoreConfig, time: StoreTimeOptions = {}): ReadingStore {
  const { kind, ...rest } = config;
  return kind === 'sqlite'
    ? new SqliteReadingStore({ ...(rest as SqliteStoreOptions), ...time })
    : new InfluxReadingStore({ ...(rest as InfluxStoreOptions), ...time });
}

export { StoreError, StoreErrorCode } from './errors.ts';
export { InfluxReadingStore } from './influx-store.ts';
export { SqliteReadingStore } from './sqlite-store.ts';
export type * from './types.ts';
