/**
 * The `opcua` config section, the lazy load of node-opcua, and a server with anonymous access off
 * that only offers SignAndEncrypt and trusts client certificates on first sight (the test flag).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AttributeIds, MessageSecurityMode, StatusCodes } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { loadHubConfig, parseHubConfig } from '../../hub/config/load.ts';
import { OpcuaConfig } from '../../hub/opcua/config.ts';
import { loadUsers } from '../../hub/opcua/users.ts';
import { hashPassword } from '../../hub/auth/password.ts';
import { FAST_SCRYPT, tempDir } from '../hub/fixture.ts';
import { startOpcuaHub, uaSession } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const issues = (raw: unknown) => {
  const r = OpcuaConfig.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('opcua config', () => {
  it('off unless enabled; safe defaults', () => {
    const base = { siteId: 's', credentialsFile: '/x/credentials.json' };
    expect(parseHubConfig(base).opcua).toBeUndefined();
    expect(OpcuaConfig.parse({})).toMatchObject({
      enabled: false,
      port: 4840,
      allowAnonymous: true,
      users: [],
      securityPolicies: ['None', 'Basic256Sha256'],
      securityModes: ['None', 'Sign', 'SignAndEncrypt'],
      operatorSecurityMode: 'Sign',
      trustUnknownClientCertificates: false,
    });
  });

  it('refuses plaintext passwords, users without exactly one secret, and odd security combinations', () => {
    expect(issues({ users: [{ username: 'a', password: 'x', roles: ['operator'] }] }).join()).toContain(
      'plaintext passwords are not accepted',
    );
    expect(issues({ users: [{ username: 'a', roles: ['viewer'] }] }).join()).toContain(
      'exactly one of passwordFile or passwordHash',
    );
    expect(issues({ users: [{ username: 'op:1', passwordFile: '/f', roles: ['viewer'] }] })).toHaveLength(1);
    expect(issues({ securityModes: ['None'], securityPolicies: ['Basic256Sha256'] }).length).toBeGreaterThan(
      0,
    );
    expect(issues({ allowAnonymous: false })).toEqual([
      'users: no anonymous access and no users: nobody could connect',
    ]);
    expect(
      issues({
        users: [
          { username: 'a', passwordFile: '/f', roles: ['viewer'] },
          { username: 'a', passwordFile: '/g', roles: ['operator'] },
        ],
      }),
    ).toEqual(['users: user a listed twice']);
  });

  it('paths in a config file are relative to it', () => {
    const dir = tempDir('tg-opcua-cfg-');
    const file = join(dir, 'hub.yaml');
    writeFileSync(
      file,
      [
        'siteId: s',
        'credentialsFile: credentials.json',
        'opcua:',
        '  enabled: true',
        '  certificateFolder: pki',
        '  users:',
        '    - { username: op1, passwordFile: secrets/op1, roles: [operator] }',
      ].join('\n'),
    );
    const cfg = loadHubConfig(file, {});
    expect(cfg.opcua?.certificateFolder).toBe(join(dir, 'pki'));
    expect(cfg.opcua?.users[0]?.passwordFile).toBe(join(dir, 'secrets/op1'));
  });

  it('a password file that cannot be read stops the start with a code', async () => {
    await expect(
      loadUsers([{ username: 'op1', passwordFile: '/nonexistent/op1', roles: ['operator'] }]),
    ).rejects.toMatchObject({ code: 'TG_OPCUA_PASSWORD_FILE' });
  });

  it('users: right password in, wrong one out; a guesser is throttled, the operator elsewhere is not', async () => {
    const users = await loadUsers([
      { username: 'v', passwordHash: await hashPassword('right', FAST_SCRYPT), roles: ['viewer'] },
      { username: 'w', passwordHash: await hashPassword('right-w', FAST_SCRYPT), roles: ['viewer'] },
    ]);
    expect(await users.verify('v', 'right', '10.0.0.1')).toBe('ok');
    expect(await users.verify('nobody', 'right', '10.0.0.1')).toBe('refused');
    for (let i = 0; i < 10; i++) expect(await users.verify('w', `guess-${i}`, '10.6.6.6')).toBe('refused');
    // The guesser's address is stopped before scrypt and told so, even with the right password ...
    expect(await users.verify('w', 'right-w', '10.6.6.6')).toBe('throttled');
    // ... while the user's own address is not locked out by it (issue #20) ...
    expect(await users.verify('w', 'right-w', '10.0.0.2')).toBe('ok');
    // ... and a password that verified before is recognised from anywhere.
    expect(await users.verify('v', 'right', '10.6.6.6')).toBe('ok');
    expect(users.isOperator('v')).toBe(false);
  });
});

describe('lazy loading', () => {
  it('a hub with OPC UA off never loads node-opcua', () => {
    const dir = tempDir('tg-opcua-lazy-');
    const script = join(dir, 'probe.mts');
    writeFileSync(
      script,
      `
      import { createRequire } from 'node:module';
      const root = ${JSON.stringify(ROOT)};
      const { writeCredentials } = await import(root + '/test/hub/fixture.ts');
      const { parseHubConfig } = await import(root + '/hub/config/load.ts');
      const { createHub } = await import(root + '/hub/hub.ts');
      await writeCredentials(${JSON.stringify(join(dir, 'credentials.json'))});
      const hub = await createHub(parseHubConfig({
        siteId: 'site-1', mqtt: { host: '127.0.0.1', port: 0 },
        credentialsFile: ${JSON.stringify(join(dir, 'credentials.json'))},
        persistenceDir: ${JSON.stringify(join(dir, 'data'))}, logLevel: 'silent',
        opcua: { enabled: false },
      }));
      await hub.listen();
      const cache = createRequire(root + '/package.json').cache;
      const count = () => Object.keys(cache).filter((k) => k.includes('/node-opcua')).length;
      const off = count();
      await hub.close();
      await import(root + '/hub/opcua/server.ts');
      process.stdout.write(JSON.stringify({ off, afterImport: count() }));
      process.exit(0);
      `,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
      off: number;
      afterImport: number;
    };
    expect(out.off).toBe(0);
    // The probe can see node-opcua when it is there.
    expect(out.afterImport).toBeGreaterThan(10);
  }, 60_000);
});

describe('anonymous off, SignAndEncrypt only', () => {
  it('anonymous is refused; a user gets in and reads; None is not offered', async () => {
    const dir = tempDir('tg-opcua-strict-');
    mkdirSync(dir, { recursive: true });
    const t = await startOpcuaHub(
      {
        allowAnonymous: false,
        users: [
          { username: 'scada', passwordHash: await hashPassword('scada-pw', FAST_SCRYPT), roles: ['viewer'] },
        ],
        securityPolicies: ['Basic256Sha256'],
        securityModes: ['SignAndEncrypt'],
        trustUnknownClientCertificates: true,
      },
      dir,
    );
    try {
      const pki = join(dir, 'client-pki');
      await expect(uaSession(t.endpointUrl, { pki, mode: 'SignAndEncrypt' })).rejects.toThrow();
      await expect(
        uaSession(t.endpointUrl, { pki, mode: 'None', user: { userName: 'scada', password: 'scada-pw' } }),
      ).rejects.toThrow();
      const s = await uaSession(t.endpointUrl, {
        pki,
        mode: 'SignAndEncrypt',
        user: { userName: 'scada', password: 'scada-pw' },
      });
      try {
        const endpoints = await s.client.getEndpoints();
        expect(new Set(endpoints.map((e) => e.securityMode))).toEqual(
          new Set([MessageSecurityMode.SignAndEncrypt]),
        );
        const ns = ((await s.session.readNamespaceArray()) as string[]).indexOf('urn:thermogate:site:site-1');
        const online = await s.session.read({
          nodeId: `ns=${ns};s=site-1.gate-a.Online`,
          attributeId: AttributeIds.Value,
        });
        expect(online.statusCode).toBe(StatusCodes.Good);
        expect(online.value.value).toBe(false);
      } finally {
        await s.close();
      }
    } finally {
      await t.close();
    }
  }, 30_000);
});
