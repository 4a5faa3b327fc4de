/**
 * Server-side sessions. The cookie holds a random 32-byte id; the table holds only its SHA-256, so
 * a copy of the database does not let anyone in. A session ends after `idleMs` without a request
 * (the clock is injected so tests can jump past it), at logout, or when its user is disabled or
 * deleted (looked up with the user on every request, so a role change applies at once).
 *
 * CSRF: a synchronizer token, random per session and stored with it, returned by the login and by
 * GET /api/me, expected in `x-csrf-token` on every state-changing request. Chosen over
 * @fastify/csrf-protection because that plugin needs @fastify/session or a signed-cookie secret to
 * bind its secret to someone, while our session is already server-side: a token kept next to it
 * survives a restart, dies with the session and needs no extra cookie or key management.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import type { Lang, Role, SessionUser } from './users.ts';

export interface Session {
  /** SHA-256 of the cookie value (hex). Never the cookie value itself. */
  idHash: string;
  csrfToken: string;
  user: SessionUser;
  createdAt: number;
  lastSeenAt: number;
}

const STEPS = [
  `CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     username TEXT NOT NULL COLLATE NOCASE,
     csrf_token TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   );
   CREATE INDEX sessions_user ON sessions (username);
   CREATE INDEX sessions_seen ON sessions (last_seen_at)`,
];

/** Don't rewrite the row on every request of a busy page: a few seconds of idle-time precision is plenty. */
const TOUCH_EVERY_MS = 5_000;

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex');

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

interface Row {
  id_hash: string;
  username: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  role: Role;
  display_name: string;
  lang: Lang;
  disabled: number;
}

export class SessionStore {
  private readonly byId;
  private readonly touchStmt;
  private readonly deleteStmt;

  constructor(
    private readonly db: Db,
    private readonly opts: { idleMs: number; now?: () => number },
  ) {
    migrate(db, 'sessions', STEPS);
    this.byId = db.prepare(
      `SELECT s.*, u.role, u.display_name, u.lang, u.disabled
         FROM sessions s JOIN users u ON u.username = s.username
        WHERE s.id_hash = ?`,
    );
    this.touchStmt = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?');
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** A new session; returns the cookie value (shown once, never stored) and the session. */
  create(user: SessionUser): { cookie: string; session: Session } {
    const cookie = randomBytes(32).toString('base64url');
    const idHash = hashSessionId(cookie);
    const csrfToken = randomBytes(32).toString('base64url');
    const at = this.now();
    this.db
      .prepare(
        'INSERT INTO sessions (id_hash, username, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(idHash, user.username, csrfToken, at, at);
    this.purgeExpired();
    return { cookie, session: { idHash, csrfToken, user, createdAt: at, lastSeenAt: at } };
  }

  /** The live session for a cookie value, touched (idle timer restarted); undefined when none. */
  lookup(cookie: string): Session | undefined {
    return this.lookupHash(hashSessionId(cookie));
  }

  lookupHash(idHash: string, touch = true): Session | undefined {
    const r = this.byId.get(idHash) as Row | undefined;
    if (!r) return undefined;
    const now = this.now();
    if (r.disabled === 1 || now - r.last_seen_at >= this.opts.idleMs) {
      this.deleteStmt.run(idHash);
      return undefined;
    }
    let lastSeenAt = r.last_seen_at;
    if (touch && now - r.last_seen_at >= TOUCH_EVERY_MS) {
      this.touchStmt.run(now, idHash);
      lastSeenAt = now;
    }
    return {
      idHash,
      csrfToken: r.csrf_token,
      user: { username: r.username, role: r.role, displayName: r.display_name, lang: r.lang },
      createdAt: r.created_at,
      lastSeenAt,
    };
  }

  destroy(idHash: string): void {
    this.deleteStmt.run(idHash);
  }

  /** Ends every session of a user (disabled, deleted, password changed). */
  destroyUser(username: string, exceptIdHash?: string): number {
    return this.db
      .prepare('DELETE FROM sessions WHERE username = ? AND id_hash <> ?')
      .run(username, exceptIdHash ?? '').changes;
  }

  purgeExpired(): number {
    return this.db.prepare('DELETE FROM sessions WHERE last_seen_at <= ?').run(this.now() - this.opts.idleMs)
      .changes;
  }
}
