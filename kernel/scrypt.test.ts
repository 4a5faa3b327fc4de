import { describe, expect, it } from 'vitest';
import { SCRYPT_KEY_LEN, scryptKey, scryptMatches, scryptNew } from './scrypt.ts';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('kernel scrypt', () => {
  it('is scrypt: RFC 7914 §12 vector ("password", "NaCl", N=1024, r=8, p=16), first 32 bytes', async () => {
    const key = await scryptKey(Buffer.from('password'), Buffer.from('NaCl'), { N: 1024, r: 8, p: 16 });
    expect(key.toString('hex')).toBe('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162');
  });

  it('a fresh salt each time; the right password matches, a wrong one or a cut key does not', async () => {
    const pw = Buffer.from('门卫室-2号');
    const a = await scryptNew(pw, CHEAP);
    const b = await scryptNew(pw, CHEAP);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.key).toHaveLength(SCRYPT_KEY_LEN);
    expect(await scryptMatches(pw, a.salt, a.key, CHEAP)).toBe(true);
    expect(await scryptMatches(Buffer.from('门卫室-3号'), a.salt, a.key, CHEAP)).toBe(false);
    expect(await scryptMatches(pw, a.salt, a.key.subarray(0, 16), CHEAP)).toBe(false);
    expect(await scryptMatches(pw, b.salt, a.key, CHEAP)).toBe(false);
  });
});
