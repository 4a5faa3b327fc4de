/**
 * Face events already handled, by terminal, serialNo and event time. A terminal re-sends
 * unacknowledged offline records after reconnecting, and QoS 1 may redeliver: a handled event is
 * acknowledged again and otherwise ignored, across edge restarts too. The event time is part of
 * the key because a replaced or factory-reset terminal starts its serialNo again from 1: its new
 * events must not be mistaken for old ones (a re-sent event keeps both its number and its time).
 */
import Database from 'better-sqlite3';

/** Kept long enough to cover any terminal's offline cache; older entries are pruned. */
const RETAIN_MS = 45 * 24 * 3600 * 1000;

export class SeenEvents {
  private readonly db: Database.Database;
  private readonly hasStmt: Database.Statement;
  private readonly addStmt: Database.Statement;
  private readonly pruneStmt: Database.Statement;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS seen_events (terminal TEXT NOT NULL, serial INTEGER NOT NULL, event_at INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (terminal, serial, event_at)) WITHOUT ROWID',
    );
    this.hasStmt = this.db.prepare(
      'SELECT 1 FROM seen_events WHERE terminal = ? AND serial = ? AND event_at = ?',
    );
    this.addStmt = this.db.prepare(
      'INSERT OR IGNORE INTO seen_events (terminal, serial, event_at, at) VALUES (?, ?, ?, ?)',
    );
    this.pruneStmt = this.db.prepare('DELETE FROM seen_events WHERE at < ?');
  }

  has(terminal: string, serialNo: number, eventAt: number): boolean {
    return this.hasStmt.get(terminal, serialNo, eventAt) !== undefined;
  }

  add(terminal: string, serialNo: number, eventAt: number, now: number): void {
    this.addStmt.run(terminal, serialNo, eventAt, now);
  }

  prune(now: number): number {
    return this.pruneStmt.run(now - RETAIN_MS).changes;
  }

  close(): void {
    this.db.close();
  }
}
