/**
 * Dashboard users' passwords: the kernel's scrypt (kernel/scrypt.ts), stored as a string that
 * names its own parameters (`scrypt$N$r$p$salt$hash`, base64url), so raising the cost later keeps
 * old hashes valid. A password is NFC-normalised first: the same 张伟 typed on two keyboards.
 */
import {
  DEFAULT_SCRYPT,
  SCRYPT_KEY_LEN,
  type ScryptParams,
  scryptMatches,
  scryptNew,
} from '../../kernel/scrypt.ts';

/** ~50 ms on a small site server; tests pass a cheaper one. */
export { DEFAULT_SCRYPT, type ScryptParams };

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

const bytes = (password: string): Buffer => Buffer.from(password.normalize('NFC'), 'utf8');

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const { salt, key } = await scryptNew(bytes(password), params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  if (!(N > 1 && r > 0 && p > 0) || expected.length !== SCRYPT_KEY_LEN) return false;
  return scryptMatches(bytes(password), salt, expected, { N, r, p });
}
