/**
 * The dashboard's own SQLite database, `<dataDir>/dashboard.db`: users, sessions, audit, alerts,
 * rooms, commands, the live feed. WAL so the CLI (`user add`) can write while the dashboard runs;
 * synchronous=FULL because an acknowledged alert or an audit row must survive a power cut.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const DB_FILE = 'dashboard.db';

export function openDatabase(dataDir: string, opts: { busyTimeoutMs?: number } = {}): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  return db;
}

/** An in-memory database with the same settings, for unit tests. */
export function openMemoryDatabase(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  return db;
}

/** True when a trivial query answers (for /healthz). */
export function dbHealthy(db: Db): boolean {
  try {
    return db.prepare('SELECT 1 AS ok').get() !== undefined;
  } catch {
    return false;
  }
}
