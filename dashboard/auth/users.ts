/**
 * Dashboard accounts: guards, HR and admins. Passwords are scrypt hashes; a disabled account keeps
 * its row (the audit log names it) but cannot log in, and its sessions end.
 */
import { z } from 'zod';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  PASSWORD_MAX,
  PASSWORD_MIN,
  type ScryptParams,
  verifyPassword,
} from './password.ts';

export const Role = z.enum(['guard', 'hr', 'admin']);
export type Role = z.infer<typeof Role>;
export const Lang = z.enum(['zh-CN', 'en']);
export type Lang = z.infer<typeof Lang>;
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, ".", "_", "@" or "-" (1 to 64)');

/** What a session knows about its user (request.user). */
export interface SessionUser {
  username: string;
  role: Role;
  displayName: string;
  lang: Lang;
}

export interface UserView extends SessionUser {
  disabled: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName?: string;
  lang?: Lang;
}

export interface UserPatch {
  role?: Role;
  displayName?: string;
  lang?: Lang;
  disabled?: boolean;
  password?: string;
}

const STEPS = [
  `CREATE TABLE users (
     username TEXT PRIMARY KEY COLLATE NOCASE,
     role TEXT NOT NULL CHECK (role IN ('guard', 'hr', 'admin')),
     display_name TEXT NOT NULL,
     lang TEXT NOT NULL CHECK (lang IN ('zh-CN', 'en')),
     password_hash TEXT NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     last_login_at INTEGER
   )`,
];

interface Row {
  username: string;
  role: Role;
  display_name: string;
  lang: Lang;
  password_hash: string;
  disabled: number;
  created_at: number;
  last_login_at: number | null;
}

const view = (r: Row): UserView => ({
  username: r.username,
  role: r.role,
  displayName: r.display_name,
  lang: r.lang,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  lastLoginAt: r.last_login_at,
});

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
    throw new DashboardError(
      DashErrorCode.WEAK_PASSWORD,
      400,
      `a password has ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
    );
}

export class UserStore {
  private readonly scrypt: ScryptParams;
  /** Compared against when the user does not exist, so a wrong username costs as much as a wrong password. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Db,
    opts: { now?: () => number; scrypt?: ScryptParams } = {},
  ) {
    migrate(db, 'users', STEPS);
    this.now = opts.now ?? Date.now;
    this.scrypt = opts.scrypt ?? DEFAULT_SCRYPT;
  }
  private readonly now: () => number;

  private row(username: string): Row | undefined {
    return this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
  }

  get(username: string): UserView | undefined {
    const r = this.row(username);
    return r ? view(r) : undefined;
  }

  list(): UserView[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(view);
  }

  async create(u: NewUser): Promise<UserView> {
    const name = Username.safeParse(u.username);
    if (!name.success)
      throw new DashboardError(
        DashErrorCode.BAD_REQUEST,
        400,
        `username: ${name.error.issues[0]?.message ?? 'invalid'}`,
      );
    checkPassword(u.password);
    const hash = await hashPassword(u.password, this.scrypt);
    try {
      this.db
        .prepare(
          'INSERT INTO users (username, role, display_name, lang, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(u.username, u.role, u.displayName || u.username, u.lang ?? 'zh-CN', hash, this.now());
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new DashboardError(DashErrorCode.USER_EXISTS, 409, `user ${u.username} exists`);
      throw e;
    }
    return this.get(u.username) as UserView;
  }

  async update(username: string, patch: UserPatch): Promise<UserView> {
    const before = this.get(username);
    if (!before) throw new DashboardError(DashErrorCode.USER_NOT_FOUND, 404, `no user ${username}`);
    const losesAdmin =
      before.role === 'admin' &&
      !before.disabled &&
      ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
    if (losesAdmin) this.assertAnotherAdmin(username);
    let hash: string | undefined;
    if (patch.password !== undefined) {
      checkPassword(patch.password);
      hash = await hashPassword(patch.password, this.scrypt);
    }
    this.db
      .prepare(
        `UPDATE users SET role = ?, display_name = ?, lang = ?, disabled = ?,
           password_hash = COALESCE(?, password_hash) WHERE username = ?`,
      )
      .run(
        patch.role ?? before.role,
        patch.displayName ?? before.displayName,
        patch.lang ?? before.lang,
        (patch.disabled ?? before.disabled) ? 1 : 0,
        hash ?? null,
        username,
      );
    return this.get(username) as UserView;
  }

  remove(username: string): void {
    const before = this.get(username);
    if (!before) throw new DashboardError(DashErrorCode.USER_NOT_FOUND, 404, `no user ${username}`);
    if (before.role === 'admin' && !before.disabled) this.assertAnotherAdmin(username);
    this.db.prepare('DELETE FROM users WHERE username = ?').run(username);
  }

  /** The user if the password is right and the account enabled; undefined otherwise. */
  async verify(username: string, password: string): Promise<UserView | undefined> {
    const r = this.row(username);
    if (!r) {
      this.dummyHash ??= hashPassword('not-a-password', this.scrypt);
      await verifyPassword(password, await this.dummyHash);
      return undefined;
    }
    const ok = await verifyPassword(password, r.password_hash);
    if (!ok || r.disabled === 1) return undefined;
    this.db.prepare('UPDATE users SET last_login_at = ? WHERE username = ?').run(this.now(), r.username);
    return view({ ...r, last_login_at: this.now() });
  }

  private assertAnotherAdmin(username: string): void {
    const others = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND username <> ? COLLATE NOCASE",
      )
      .get(username) as { n: number };
    if (others.n === 0)
      throw new DashboardError(
        DashErrorCode.LAST_ADMIN,
        409,
        `${username} is the last enabled admin: add another admin first`,
      );
  }
}
