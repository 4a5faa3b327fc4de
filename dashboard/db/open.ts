/**
 * The dashboard's own SQLite database, `<dataDir>/dashboard.db`: users, sessions, audit, alerts,
 * rooms, commands, the live feed. WAL so the CLI (`user add`) can write while the dashboard runs;
 * synchronous=FULL because an acknowledged alert or an audit row must survive a power cut.
 *
 * The high-volume, rebuildable state (the live feed's event log, the gate tiles' counters: one
 * write per passage of every gate) goes through a second connection with synchronous=NORMAL,
 * written once per turn of the event loop (db/turn-writes.ts): a crash of the process loses at
 * most that turn's rows, a power cut the last moments, which the browsers and the tiles re-read
 * anyway. With FULL, each passage cost an fsync and a busy site's feed fell seconds behind
 * (bench/latency.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const DB_FILE = 'dashboard.db';

export function openDatabase(
  dataDir: string,
  opts: { busyTimeoutMs?: number; synchronous?: 'FULL' | 'NORMAL' } = {},
): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
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
