/** MQTT over TLS with a self-signed certificate made here by openssl; plaintext can be turned off. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector, connect, SITE, startTestHub, type TestHub, tempDir } from './fixture.ts';

const OPENSSL = '/usr/bin/openssl';
const haveOpenssl = existsSync(OPENSSL);

describe.skipIf(!haveOpenssl)(
  'TLS listener (skipped: no /usr/bin/openssl to make a test certificate)',
  () => {
    let t: TestHub;
    let ca: Buffer;

    beforeAll(async () => {
      const dir = tempDir('tg-hub-tls-');
      const certFile = join(dir, 'cert.pem');
      const keyFile = join(dir, 'key.pem');
      execFileSync(
        OPENSSL,
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        { stdio: 'ignore' },
      );
      ca = readFileSync(certFile);
      t = await startTestHub(
        { mqtt: { host: '127.0.0.1', port: 0, plaintext: false, tls: { port: 0, certFile, keyFile } } },
        { dir },
      );
    });
    afterAll(async () => {
      await t?.close();
    });

    it('serves MQTT over TLS only, with the same credentials and ACLs', async () => {
      expect(t.hub.port).toBeUndefined();
      const url = `mqtts://127.0.0.1:${t.hub.tlsPort}`;
      const dash = await connect(url, t.as('dash', { ca, rejectUnauthorized: true }));
      const { got } = await collector(dash, `tg/${SITE}/gate/+/decision`);
      const gate = await connect(url, t.as('gate-a', { ca }));
      await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, 'over tls', { qos: 1 });
      await expect.poll(() => got.map((m) => m.payload)).toContain('over tls');
      await expect(connect(url, t.as('gate-a', { ca, password: 'wrong' }))).rejects.toMatchObject({
        code: 5,
      });
      gate.end(true);
      dash.end(true);
    });

    it('refuses a client that does not trust the certificate, and plaintext on the TLS port', async () => {
      await expect(
        connect(`mqtts://127.0.0.1:${t.hub.tlsPort}`, t.as('dash', { rejectUnauthorized: true })),
      ).rejects.toThrow(/self-signed|certificate/i);
      await expect(
        connect(`mqtt://127.0.0.1:${t.hub.tlsPort}`, t.as('dash', { connectTimeout: 1000 })),
      ).rejects.toThrow();
    });
  },
);
