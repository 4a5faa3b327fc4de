/** Generated device passwords are pasted on command lines (`--password VALUE`): never a leading "-". */
import { expect, it } from 'vitest';
import { generatePassword } from '../../hub/auth/password.ts';

it('a generated password is 32 URL-safe characters and never starts with "-" (read as an option)', () => {
  // One in 64 base64url strings starts with "-": 2,000 draws meet about 31 of them.
  for (let i = 0; i < 2000; i++) {
    const pw = generatePassword();
    expect(pw).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{31}$/);
  }
});
