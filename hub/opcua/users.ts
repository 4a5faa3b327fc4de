/**
 * OPC UA users: username/password checked with the hub's scrypt (hub/auth/password.ts), roles
 * from the config. Passwords given as a file are hashed in memory at start, so every login costs
 * one scrypt on the thread pool either way. Logins are throttled by the hub's policy
 * (kernel/auth-throttle.ts: per source address and per username, counted before scrypt,
 * successes never count), and a throttled login is told so (BadTooManySessions), not "denied".
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ScryptSecret } from '../../protocols/hub/credentials.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { AuthThrottle } from '../../kernel/auth-throttle.ts';
import type { OpcuaRole, OpcuaUser } from './config.ts';
import { OpcuaError, OpcuaErrorCode } from './errors.ts';

/** Failed logins a minute per address, and per username from addresses that failed recently. */
const FAILURES_PER_MINUTE = 10;
/** A handful of SCADA/MES accounts: two checks in flight per user and eight in all are plenty. */
const CONCURRENT_PER_USER = 2;
const CONCURRENT = 8;

export type LoginResult = 'ok' | 'refused' | 'throttled';

export interface UserDirectory {
  /** 'ok', 'refused' (unknown user, wrong password) or 'throttled' (not checked: too many attempts). */
  verify(username: string, password: string, address: string): Promise<LoginResult>;
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
  const throttle = new AuthThrottle({
    failuresPerAddressPerMinute: FAILURES_PER_MINUTE,
    failuresPerAccountPerMinute: FAILURES_PER_MINUTE,
    maxConcurrentPerAccount: CONCURRENT_PER_USER,
    maxConcurrent: CONCURRENT,
  });
  // Unknown usernames are checked against this, so they cost as long as a wrong password.
  const dummy = await hashPassword(randomBytes(16).toString('hex'));
  let lastSweep = now();
  const cacheKey = randomBytes(32);
  const remembered = new Map<string, Buffer>();
  return {
    async verify(username, password, address) {
      const t = now();
      if (t - lastSweep > 60_000) {
        throttle.sweep(t);
        lastSweep = t;
      }
      const e = entries.get(username);
      const digest = createHmac('sha256', cacheKey).update(password).digest();
      const known = remembered.get(username);
      // A password that verified before is recognised without scrypt and without the throttle: the
      // SCADA client reconnecting is never locked out by a guesser sharing its address. Only the
      // right password matches, so guessers still go through the budget below.
      if (e && known && timingSafeEqual(known, digest)) return 'ok';
      const admission = throttle.admit(username, address, t);
      if (!admission.ok) return 'throttled';
      let ok = false;
      try {
        ok = await verifyPassword(password, e?.secret ?? dummy);
        ok = ok && e !== undefined;
      } finally {
        admission.done(ok, now());
      }
      if (ok) remembered.set(username, digest);
      return ok ? 'ok' : 'refused';
    },
    roles: (username) => entries.get(username)?.roles ?? [],
    isOperator: (username) =>
      username !== null && (entries.get(username)?.roles.includes('operator') ?? false),
  };
}
