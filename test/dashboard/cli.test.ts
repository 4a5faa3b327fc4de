/** The dashboard's command line: help, accounts (then a login with them works), bad config exit 2. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp, tempDir } from './fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'dashboard/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, ...opts.env },
    timeout: 30_000,
  });

/** A config file whose dataDir (relative to the file) is where startApp({ dir }) looks. */
function site(): { dir: string; file: string } {
  const dir = tempDir('tg-dash-cli-');
  const file = join(dir, 'dashboard.yaml');
  writeFileSync(
    file,
    [
      'siteId: site-1',
      'dataDir: dash',
      'mqtt: { url: "mqtt://127.0.0.1:9", username: dash, password: pw }',
      'readings: { kind: sqlite, path: readings.sqlite }',
      '',
    ].join('\n'),
  );
  return { dir, file };
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const login = (x: TestApp, username: string, password: string) =>
  x.app.inject({ method: 'POST', url: '/api/login', payload: { username, password } });

describe('npx tsx dashboard/cli.ts', () => {
  it('--help prints usage, also for the user commands', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('user add --config FILE --username NAME --role guard|hr|admin');
    const u = run(['user', '--help']);
    expect(u.status).toBe(0);
    expect(u.stdout).toContain('user passwd');
  });

  it('user add creates the first admin (password on stdin) and the dashboard lets them in', async () => {
    const { dir, file } = site();
    const add = run(
      ['user', 'add', '--config', file, '--username', 'admin', '--role', 'admin', '--lang', 'en'],
      {
        input: 'first-admin-pass\n',
      },
    );
    expect(add.stderr).toContain('added admin (role admin)');
    expect(add.status).toBe(0);
    const list = run(['user', 'list', '--config', file, '--json']);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ username: 'admin', role: 'admin', lang: 'en' }),
    ]);
    // Again: refused, exit 3.
    const dup = run(['user', 'add', '--config', file, '--username', 'admin', '--role', 'hr'], {
      input: 'another-pass-1\n',
    });
    expect(dup.status).toBe(3);
    expect(dup.stderr).toContain('TG_DASH_USER_EXISTS');

    t = await startApp({ dir, seedUsers: false });
    const r = await login(t, 'admin', 'first-admin-pass');
    expect(r.statusCode).toBe(200);
    expect(r.json().user).toEqual({ username: 'admin', role: 'admin', displayName: 'admin', lang: 'en' });
    expect(t.core.audit.list().find((a) => a.action === 'user.create')).toMatchObject({
      role: 'system',
      target: 'admin',
      username: expect.stringMatching(/^cli:/),
    });
  });

  it('user passwd and user disable take effect for a running dashboard', async () => {
    const { dir, file } = site();
    const pwFile = join(dir, 'pw.txt');
    writeFileSync(pwFile, 'guard-password-1\n');
    expect(
      run(['user', 'add', '--config', file, '--username', 'g1', '--role', 'guard', '--password-file', pwFile])
        .status,
    ).toBe(0);
    t = await startApp({ dir, seedUsers: false });
    const session = await login(t, 'g1', 'guard-password-1');
    expect(session.statusCode).toBe(200);
    const cookie = `tg_session=${session.cookies.find((c) => c.name === 'tg_session')?.value}`;

    writeFileSync(pwFile, 'guard-password-2\n');
    const pw = run(['user', 'passwd', '--config', file, '--username', 'g1', '--password-file', pwFile]);
    expect(pw.status).toBe(0);
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await login(t, 'g1', 'guard-password-1')).statusCode).toBe(401);
    expect((await login(t, 'g1', 'guard-password-2')).statusCode).toBe(200);

    expect(run(['user', 'disable', '--config', file, '--username', 'g1']).status).toBe(0);
    expect((await login(t, 'g1', 'guard-password-2')).statusCode).toBe(401);
    expect(run(['user', 'enable', '--config', file, '--username', 'g1']).status).toBe(0);
    expect((await login(t, 'g1', 'guard-password-2')).statusCode).toBe(200);
  });

  it('refuses a weak password, an unknown user and bad arguments', () => {
    const { file } = site();
    const weak = run(['user', 'add', '--config', file, '--username', 'x', '--role', 'guard'], {
      input: 'short\n',
    });
    expect(weak.status).toBe(3);
    expect(weak.stderr).toContain('TG_DASH_WEAK_PASSWORD');
    expect(run(['user', 'disable', '--config', file, '--username', 'ghost']).stderr).toContain(
      'TG_DASH_USER_NOT_FOUND',
    );
    const role = run(['user', 'add', '--config', file, '--username', 'x', '--role', 'boss'], {
      input: 'long-enough-1\n',
    });
    expect(role.status).toBe(2);
    expect(role.stderr).toContain('--role must be guard, hr or admin');
    expect(run(['user', 'add', '--username', 'x']).status).toBe(2);
    expect(run(['--bogus']).status).toBe(2);
  });

  it('a bad config exits 2 with every key path, env overrides included; a good one passes --check', () => {
    const { dir, file } = site();
    const ok = run(['--config', file, '--check']);
    expect(ok.stdout).toContain('valid (site site-1)');
    expect(ok.status).toBe(0);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'siteId: "site/1"\nmqtt: { url: x, username: d }\nreadings: { kind: sqlite, path: r }\nsession: { idleMinutes: 0 }\n',
    );
    const r = run(['--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`TG_CONFIG_INVALID: invalid configuration in ${bad}`);
    expect(r.stderr).toMatch(/^ {2}siteId: .*MQTT topics/m);
    expect(r.stderr).toMatch(/^ {2}session\.idleMinutes: /m);
    expect(r.stderr).toMatch(/^ {2}mqtt\.passwordFile: set passwordFile or password/m);

    const env = run(['user', 'list', '--config', file], { env: { TG_DASH__SESSION__IDLE_MINUTES: '0' } });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/session\.idleMinutes: /);
    const missing = run(['--config', join(dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read file: ENOENT');
  });
});
