/**
 * Password hashing for device credentials and OPC UA users: the kernel's scrypt (kernel/scrypt.ts:
 * a random per-entry salt, constant-time comparison, libuv's thread pool so a login never blocks
 * the broker's event loop), stored as the credentials file's `ScryptSecret` object.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT, type ScryptParams, scryptMatches, scryptNew } from '../../kernel/scrypt.ts';
import type { ScryptSecret } from '../../protocols/hub/credentials.ts';

/** For a password a person chose (`device add --password-file`): slow for guessing, fine for logins. */
export { DEFAULT_SCRYPT };

/**
 * For a password the hub generated (generatePassword: 192 random bits): no work factor adds
 * anything against guessing 2^192, even with the credentials file in hand, so it is kept cheap
 * (~3 ms). At N = 16384 the first logins of a site after a power cut were 1,000 × 50 ms of CPU
 * on the hub's small box: ~25 s until every gate was back (bench/NOTES.md, restart), where the
 * target is 10 s. Unknown usernames are checked at this cost too (hub/broker/guard.ts), so a
 * generated device's name and a stranger's guess take equally long.
 */
export const GENERATED_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<ScryptSecret> {
  const { salt, key: hash } = await scryptNew(Buffer.from(password, 'utf8'), params);
  return {
    alg: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  };
}

export async function verifyPassword(password: Buffer | string, secret: ScryptSecret): Promise<boolean> {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  return scryptMatches(pw, Buffer.from(secret.salt, 'base64'), Buffer.from(secret.hash, 'base64'), secret);
}

/**
 * A new device password: 24 random bytes, URL-safe base64 (32 characters), never starting with
 * "-": pasted after `--password` a leading dash reads as an option (a CI run failed on one, 1 in 64).
 */
export function generatePassword(): string {
  for (;;) {
    const pw = randomBytes(24).toString('base64url');
    if (!pw.startsWith('-')) return pw;
  }
}
