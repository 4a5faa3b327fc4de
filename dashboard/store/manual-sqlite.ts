/**
 * Manual readings into the embedded store the gates write (protocols/storage/sqlite-schema.ts):
 * same table, same columns, same `INSERT OR IGNORE` on the unique id, so a repeated write is a
 * no-op. The dashboard's reader is query_only; this is its one writing connection, opened on
 * first use (and again after a failure). WAL lets it take turns with the gate's writer
 * (busy_timeout covers the wait); synchronous=FULL because a recorded health reading must
 * survive a power cut. If the gate has not created the file yet, the DDL it would apply is
 * applied here, which the gate's own init() then finds in place.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  SQLITE_COLUMNS,
  SQLITE_DDL,
  SQLITE_READING_TABLE,
  SQLITE_SCHEMA_VERSION,
  sqliteMigrations,
} from '../../protocols/storage/sqlite-schema.ts';
import { WriteError, WriteErrorCode } from './write-errors.ts';

type Key = keyof typeof SQLITE_COLUMNS;
type SqlValue = string | number | null;
const KEYS = Object.keys(SQLITE_COLUMNS) as Key[];
const COLUMNS = KEYS.map((k) => SQLITE_COLUMNS[k]);
/** What makes a reading the same reading; recordedAt and enteredBy may differ on a repeat. */
const IDENTITY: Key[] = ['siteId', 'gateId', 'seq', 'at', 'employeeNo', 'temperatureTenths', 'source'];

const toRow = (r: ReadingRecord): SqlValue[] =>
  KEYS.map((k) => {
    const v = r[k];
    return typeof v === 'boolean' ? (v ? 1 : 0) : (v as SqlValue);
  });

export interface SqliteManualSinkOptions {
  path: string;
  busyTimeoutMs?: number;
}

export class SqliteManualSink {
  private db: Database.Database | null = null;
  private insertAll: ((rs: readonly ReadingRecord[]) => void) | null = null;

  constructor(private readonly opts: SqliteManualSinkOptions) {}

  /** One transaction: all of them or none. */
  async writeMany(rs: readonly ReadingRecord[]): Promise<void> {
    if (rs.length === 0) return;
    const insertAll = this.open();
    try {
      insertAll(rs);
    } catch (err) {
      if (err instanceof WriteError) throw err;
      this.drop();
      throw new WriteError(WriteErrorCode.UNAVAILABLE, `write to ${this.opts.path} failed: ${String(err)}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    this.drop();
  }

  private drop(): void {
    this.db?.close();
    this.db = null;
    this.insertAll = null;
  }

  private open(): (rs: readonly ReadingRecord[]) => void {
    if (this.insertAll) return this.insertAll;
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(this.opts.path), { recursive: true });
      db = new Database(this.opts.path, { timeout: this.opts.busyTimeoutMs ?? 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SQLITE_SCHEMA_VERSION)
        throw new WriteError(
          WriteErrorCode.SCHEMA,
          `${this.opts.path} has store schema ${version}, newer than ${SQLITE_SCHEMA_VERSION}`,
        );
      db.exec(SQLITE_DDL);
      for (const step of sqliteMigrations(version)) db.exec(step);
      if (version < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      const insert = db.prepare(
        `INSERT OR IGNORE INTO ${SQLITE_READING_TABLE} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      );
      const existing = db
        .prepare(
          `SELECT ${IDENTITY.map((k) => SQLITE_COLUMNS[k]).join(', ')} FROM ${SQLITE_READING_TABLE} WHERE id = ?`,
        )
        .raw(true);
      const insertAll = db.transaction((rs: readonly ReadingRecord[]) => {
        for (const r of rs) {
          if (insert.run(toRow(r)).changes === 1) continue;
          const old = existing.get(r.id) as SqlValue[] | undefined;
          if (old && IDENTITY.some((k, i) => old[i] !== r[k]))
            throw new WriteError(
              WriteErrorCode.ID_CONFLICT,
              `the store holds a different reading under id ${r.id}: nothing written`,
            );
        }
      });
      this.db = db;
      this.insertAll = insertAll;
      return insertAll;
    } catch (err) {
      db?.close();
      if (err instanceof WriteError) throw err;
      throw new WriteError(WriteErrorCode.UNAVAILABLE, `cannot open ${this.opts.path}: ${String(err)}`, {
        cause: err,
      });
    }
  }
}
