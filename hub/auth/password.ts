/**
 * Password hashing for device credentials: scrypt (node:crypto) with a random per-entry salt,
 * compared in constant time. Hashing runs on libuv's thread pool, so a login never blocks the
 * broker's event loop.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { ScryptSecret } from '../../protocols/hub/credentials.ts';

/**
 * For a password a person chose (`device add --password-file`): ~50 ms and 16 MiB per hash on a
 * small ARM/x86 box, slow for guessing, fine for logins.
 */
export const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/**
 * For a password the hub generated (generatePassword: 192 random bits): no work factor adds
 * anything against guessing 2^192, even with the credentials file in hand, so it is kept cheap
 * (~3 ms). At N = 16384 the first logins of a site after a power cut were 1,000 × 50 ms of CPU
 * on the hub's small box: ~25 s until every gate was back (bench/NOTES.md, restart), where the
 * target is 10 s. Unknown usernames are checked at this cost too (hub/broker/guard.ts), so a
 * generated device's name and a stranger's guess take equally long.
 */
export const GENERATED_SCRYPT = { N: 1024, r: 8, p: 1 } as const;
const KEY_LEN = 32;

function scrypt(password: Buffer, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password,
      salt,
      KEY_LEN,
      { N: p.N, r: p.r, p: p.p, maxmem: 128 * p.N * p.r * 2 + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
): Promise<ScryptSecret> {
  const salt = randomBytes(16);
  const hash = await scrypt(Buffer.from(password, 'utf8'), salt, params);
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
  const expected = Buffer.from(secret.hash, 'base64');
  const got = await scrypt(pw, Buffer.from(secret.salt, 'base64'), secret);
  return got.length === expected.length && timingSafeEqual(got, expected);
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
