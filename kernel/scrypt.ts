/**
 * scrypt (node:crypto, libuv's thread pool: a login never blocks an event loop) for every
 * password the site keeps: device credentials and OPC UA users (hub/auth/password.ts) and
 * dashboard users (dashboard/auth/password.ts). Each package keeps its own stored format (the
 * hub's credentials file holds JSON objects, the dashboard's database a `scrypt$…` string); the
 * derivation, the memory bound and the comparison are here once. They had been written twice and
 * had drifted (two spellings of the same `maxmem`).
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** For a password a person chose: ~50 ms and 16 MiB per hash on a small site server. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
export const SCRYPT_KEY_LEN = 32;
const SALT_LEN = 16;

/** The derived key; `maxmem` leaves room for N up to what the stored parameters name. */
export function scryptKey(password: Buffer, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password,
      salt,
      SCRYPT_KEY_LEN,
      { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** A fresh random salt and the key derived with it. */
export async function scryptNew(password: Buffer, p: ScryptParams): Promise<{ salt: Buffer; key: Buffer }> {
  const salt = randomBytes(SALT_LEN);
  return { salt, key: await scryptKey(password, salt, p) };
}

/** Derives and compares in constant time; a stored key of the wrong length never matches. */
export async function scryptMatches(
  password: Buffer,
  salt: Buffer,
  expected: Buffer,
  p: ScryptParams,
): Promise<boolean> {
  const key = await scryptKey(password, salt, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
