/**
 * Prints the scrypt hash of a password (first line of stdin) as JSON, for `opcua.users[].passwordHash`:
 *   npx tsx hub/opcua/hash-password.ts < /etc/thermogate/opcua-scada.pw
 */
import { text } from 'node:stream/consumers';
import { hashPassword } from '../auth/password.ts';

const password = (await text(process.stdin)).split(/\r?\n/)[0] ?? '';
if (!password) {
  process.stderr.write('TG_OPCUA_PASSWORD_FILE: no password on stdin\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await hashPassword(password))}\n`);
