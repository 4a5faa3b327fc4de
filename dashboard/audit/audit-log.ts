/**
 * The audit log: who did what, when, to what. Every state-changing route, every export and every
 * gate command seen on the wire writes one row. Rows are never updated or deleted by the app.
 *
 * Stable seam for other modules (reports, alerts): `AuditLog.write(by, action, target, detail?)`.
 */
import type { Actor } from '../alerts/types.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';

export type { Actor };

export interface AuditEntry {
  id: number;
  at: number;
  username: string;
  role: Actor['role'];
  /** Dotted verb, e.g. `user.create`, `gate.command`, `export.site-day`. */
  action: string;
  /** What it was done to (a username, a gate id, an alert id, a date). */
  target: string;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** At most this many (default 100, at most 1000), newest first. */
  limit?: number;
  /** Only rows with an id below this (paging backwards). */
  before?: number;
}

const STEPS = [
  `CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     username TEXT NOT NULL,
     role TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX audit_at ON audit (at)`,
];

interface Row {
  id: number;
  at: number;
  username: string;
  role: Actor['role'];
  action: string;
  target: string;
  detail: string | null;
}

export class AuditLog {
  private readonly insert;
  private readonly page;
  private readonly listeners = new Set<(e: AuditEntry) => void>();

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'audit', STEPS);
    this.insert = db.prepare(
      'INSERT INTO audit (at, username, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.page = db.prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?');
  }

  write(by: Actor, action: string, target: string, detail?: object): AuditEntry {
    const at = this.now();
    const json = detail === undefined ? null : JSON.stringify(detail);
    const r = this.insert.run(at, by.username, by.role, action, target, json);
    const entry: AuditEntry = {
      id: Number(r.lastInsertRowid),
      at,
      username: by.username,
      role: by.role,
      action,
      target,
      detail: (detail as Record<string, unknown> | undefined) ?? null,
    };
    for (const fn of this.listeners) fn(entry);
    return entry;
  }

  list(q: AuditQuery = {}): AuditEntry[] {
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = this.page.all(q.before ?? Number.MAX_SAFE_INTEGER, limit) as Row[];
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : JSON.parse(r.detail) }));
  }

  onWrite(fn: (e: AuditEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The function shape AlertsDeps.audit and the reports plugin take. */
  get fn(): (by: Actor, action: string, target: string, detail?: object) => void {
    return (by, action, target, detail) => {
      this.write(by, action, target, detail);
    };
  }
}
