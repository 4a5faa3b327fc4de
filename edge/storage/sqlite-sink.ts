/**
 * The embedded default sink: a SQLite file on the gate's machine that the dashboard reads.
 * WAL so the dashboard's reads never block our writes (and the other way round); busy_timeout
 * for the moments a checkpoint needs the lock; synchronous=FULL because the outbox deletes a
 * reading as soon as we return, so our commit must survive a power cut on its own.
 * INSERT OR IGNORE by id makes a replayed batch a no-op. If an id is already taken by a
 * DIFFERENT reading (a seq reused after the outbox was lost), the newcomer is refused with
 * TG_STORE_ID_CONFLICT and kept in quarantine, never silently ignored.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  SQLITE_DDL,
  SQLITE_READING_TABLE,
  SQLITE_SCHEMA_VERSION,
  sqliteMigrations,
} from '../../protocols/storage/sqlite-schema.ts';
import type { Logger } from '../log.ts';
import { type RejectedRecord, SinkRejection, StorageError, StorageErrorCode } from './errors.ts';
import { COLUMN_NAMES, ID_INDEX, type SqlValue, sameRow, toRow } from './sqlite-row.ts';
import type { ReadingSink } from './types.ts';

export interface SqliteSinkOptions {
  path: string;
  busyTimeoutMs?: number;
  logger?: Logger;
}

export class SqliteSink implements ReadingSink {
  readonly name = 'sqlite';
  readonly path: string;
  private db: Database.Database | null = null;
  private insertBatch: ((rows: SqlValue[][]) => RejectedRecord[]) | null = null;
  private readonly busyTimeoutMs: number;
  private readonly log: Logger;

  constructor(opts: SqliteSinkOptions) {
    this.path = opts.path;
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  async init(): Promise<void> {
    if (this.db) return;
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path, { timeout: this.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SQLITE_SCHEMA_VERSION) {
        throw new StorageError(
          StorageErrorCode.STORE_SCHEMA,
          `${this.path} has store schema ${version}, newer than ${SQLITE_SCHEMA_VERSION}`,
        );
      }
      db.exec(SQLITE_DDL);
      for (const step of sqliteMigrations(version)) db.exec(step);
      if (version < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      this.prepare(db);
      this.db = db;
      this.log.debug({ path: this.path }, 'embedded store ready');
    } catch (err) {
      db?.close();
      throw classify(err);
    }
  }

  async write(records: readonly ReadingRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.insertBatch) await this.init();
    let rejected: RejectedRecord[];
    try {
      rejected = (this.insertBatch as (rows: SqlValue[][]) => RejectedRecord[])(records.map(toRow));
    } catch (err) {
      throw classify(err);
    }
    if (rejected.length > 0) throw new SinkRejection(rejected);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
    this.insertBatch = null;
  }

  private prepare(db: Database.Database): void {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO ${SQLITE_READING_TABLE} (${COLUMN_NAMES.join(', ')}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')})`,
    );
    const existing = db.prepare(
      `SELECT ${COLUMN_NAMES.join(', ')} FROM ${SQLITE_READING_TABLE} WHERE id = ?`,
    );
    // One transaction per batch: all or nothing, one fsync.
    this.insertBatch = db.transaction((rows: SqlValue[][]) => {
      const rejected: RejectedRecord[] = [];
      for (const row of rows) {
        if (insert.run(row).changes === 1) continue;
        const old = existing.get(row[ID_INDEX]) as Record<string, SqlValue> | undefined;
        if (old && !sameRow(row, old)) {
          rejected.push({
            id: String(row[ID_INDEX]),
            code: StorageErrorCode.STORE_ID_CONFLICT,
            detail: 'the store holds a different reading under this id',
          });
        }
      }
      return rejected;
    });
  }
}

function classify(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const mapped =
    code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
      ? StorageErrorCode.STORE_SERVER
      : StorageErrorCode.STORE_WRITE;
  return new StorageError(mapped, String((err as Error)?.message ?? err), { cause: err });
}
