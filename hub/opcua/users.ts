/**
 * OPC UA users: username/password checked with the hub's scrypt (hub/auth/password.ts), roles
 * from the config. Passwords given as a file are hashed in memory at start, so every login costs
 * one scrypt on the thread pool either way; failures are budgeted per username.
 */
import { readFileSync } from 'node:fs';
import type { ScryptSecret } from '../../protocols/hub/credentials.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { OpcuaRole, OpcuaUser } from './config.ts';
import { OpcuaError, OpcuaErrorCode } from './errors.ts';

/** Failed logins per username per minute before further tries are refused without checking. */
const FAILURES_PER_MINUTE = 10;

export interface UserDirectory {
  /** true when the password is right; false otherwise (unknown user, wrong password, throttled). */
  verify(username: string, password: string): Promise<boolean>;
  roles(username: string): readonly OpcuaRole[];
  isOperator(username: string | null): boolean;
}

export async function loadUsers(users: OpcuaUser[], now: () => number = Date.now): Promise<UserDirectory> {
  const entries = new Map<string, { secret: ScryptSecret; roles: OpcuaRole[] }>();
  for (const u of users) {
    let secret = u.passwordHash;
    if (!secret) {
      const file = u.passwordFile as string;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new OpcuaError(
          OpcuaErrorCode.PASSWORD_FILE,
          `user ${u.username}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`,
        );
      }
      const password = text.split(/\r?\n/)[0] ?? '';
      if (!password)
        throw new OpcuaError(OpcuaErrorCode.PASSWORD_FILE, `user ${u.username}: ${file} is empty`);
      secret = await hashPassword(password);
    }
    entries.set(u.username, { secret, roles: u.roles });
  }
  const failures = new Map<string, number[]>();
  const recent = (username: string) => {
    const t = now();
    const list = (failures.get(username) ?? []).filter((at) => t - at < 60_000);
    failures.set(username, list);
    return list;
  };
  return {
    async verify(username, password) {
      const e = entries.get(username);
      if (!e || recent(username).length >= FAILURES_PER_MINUTE) return false;
      const ok = await verifyPassword(password, e.secret);
      if (!ok) recent(username).push(now());
      return ok;
    },
    roles: (username) => entries.get(username)?.roles ?? [],
    isOperator: (username) =>
      username !== null && (entries.get(username)?.roles.includes('operator') ?? false),
  };
}
