/** Login, sessions (idle expiry on an injected clock), CSRF, login rate limiting, roles' 401/403, audit. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dashboard/server/app.ts';
import { PASSWORD, sessionCookie, startApp, type TestApp, USERS } from './fixture.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('login', () => {
  it('sets an httpOnly SameSite=Strict session cookie and returns the user and a CSRF token', async () => {
    t = await startApp();
    const r = await t.call(null, 'POST', '/api/login', { username: 'guard1', password: PASSWORD });
    expect(r.statusCode).toBe(200);
    const c = r.cookies.find((x) => x.name === 'tg_session');
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(c?.secure).toBeFalsy();
    expect(r.json()).toMatchObject({ user: { username: 'guard1', role: 'guard', lang: 'zh-CN' } });
    expect(r.json().csrfToken).toMatch(/^[\w-]{40,}$/);

    const me = await t.call({ cookie: sessionCookie(r), csrf: '' }, 'GET', '/api/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      user: { username: 'guard1', role: 'guard', displayName: 'guard1', lang: 'zh-CN' },
      csrfToken: r.json().csrfToken,
      site: { siteId: 'site-1', siteName: 'Test site', timezone: 'Asia/Shanghai' },
    });
  });

  it('marks the cookie Secure when http.secureCookies is on', async () => {
    t = await startApp({ config: { http: { secureCookies: true } } });
    const r = await t.call(null, 'POST', '/api/login', { username: 'hr1', password: PASSWORD });
    expect(r.cookies.find((x) => x.name === 'tg_session')?.secure).toBe(true);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('behind a trusted proxy that says https: Secure cookie and HSTS; an untrusted peer cannot claim https', async () => {
    const viaProxy = (headers: Record<string, string>) =>
      (t as TestApp).app.inject({
        method: 'POST',
        url: '/api/login',
        remoteAddress: '10.9.9.9',
        headers,
        payload: { username: 'hr1', password: PASSWORD },
      });
    t = await startApp({ config: { http: { trustProxy: ['10.9.9.9'] } } });
    const r = await viaProxy({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
    expect(r.cookies.find((x) => x.name === 'tg_session')?.secure).toBe(true);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    // The proxy said plain http: no Secure (the browser would drop the cookie), no HSTS.
    const plain = await viaProxy({ 'x-forwarded-proto': 'http' });
    expect(plain.cookies.find((x) => x.name === 'tg_session')?.secure).toBeFalsy();
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    await t.close();
    // trustProxy off (the default): the header is anybody's word and ignored.
    t = await startApp();
    const forged = await viaProxy({ 'x-forwarded-proto': 'https' });
    expect(forged.cookies.find((x) => x.name === 'tg_session')?.secure).toBeFalsy();
    expect(forged.headers['strict-transport-security']).toBeUndefined();
  });

  it('/metrics with a bearer token: the token or an admin, nobody else', async () => {
    const token = 'metrics-token-0123456789abcdef';
    t = await startApp({ config: { http: { publicMetrics: false, metricsToken: token } } });
    const get = (headers: Record<string, string>) =>
      (t as TestApp).app.inject({ method: 'GET', url: '/metrics', headers });
    expect((await get({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    const wrong = await get({ authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('Bearer');
    expect((await get({})).statusCode).toBe(401);
    const guard = await t.login('guard');
    expect((await get({ cookie: guard.cookie })).statusCode).toBe(401);
    const admin = await t.login('admin');
    expect((await get({ cookie: admin.cookie })).statusCode).toBe(200);
  });

  it('refuses a wrong password, an unknown user and a disabled account alike, and audits the attempts', async () => {
    t = await startApp();
    for (const body of [
      { username: 'guard1', password: 'wrong-password' },
      { username: 'nobody', password: PASSWORD },
    ]) {
      const r = await t.call(null, 'POST', '/api/login', body);
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ code: 'TG_DASH_LOGIN_FAILED', message: 'wrong username or password' });
      expect(r.cookies).toHaveLength(0);
    }
    await t.core.users.update('guard1', { disabled: true });
    const r = await t.call(null, 'POST', '/api/login', { username: 'guard1', password: PASSWORD });
    expect(r.json().code).toBe('TG_DASH_LOGIN_FAILED');
    const failed = t.core.audit.list().filter((a) => a.action === 'login.failed');
    expect(failed.map((a) => a.target).sort()).toEqual(['guard1', 'guard1', 'nobody']);
  });

  it('validates the body with a stable code', async () => {
    t = await startApp();
    const r = await t.call(null, 'POST', '/api/login', { username: 'guard1' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('TG_DASH_BAD_REQUEST');
    expect(r.json().message).toMatch(/password/);
  });
});

describe('sessions', () => {
  it('ends after idleMinutes without a request; activity keeps it alive', async () => {
    t = await startApp({ config: { session: { idleMinutes: 30 } } });
    const who = await t.login('guard');
    t.clock.advance(29 * 60_000);
    expect((await t.call(who, 'GET', '/api/me')).statusCode).toBe(200);
    t.clock.advance(29 * 60_000);
    expect((await t.call(who, 'GET', '/api/me')).statusCode).toBe(200);
    t.clock.advance(30 * 60_000);
    const r = await t.call(who, 'GET', '/api/me');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('TG_DASH_UNAUTHENTICATED');
    // Gone for good: going back in time does not revive it.
    t.clock.advance(-30 * 60_000);
    expect((await t.call(who, 'GET', '/api/me')).statusCode).toBe(401);
  });

  it('logout ends the session and clears the cookie', async () => {
    t = await startApp();
    const who = await t.login('hr');
    const r = await t.call(who, 'POST', '/api/logout', {});
    expect(r.statusCode).toBe(200);
    expect(r.cookies.find((c) => c.name === 'tg_session')?.value).toBe('');
    expect((await t.call(who, 'GET', '/api/me')).statusCode).toBe(401);
    expect(t.core.audit.list().map((a) => a.action)).toEqual(['logout', 'login']);
  });

  it('stores only a hash of the session id', async () => {
    t = await startApp();
    const who = await t.login('admin');
    const raw = who.cookie.split('=')[1] as string;
    const rows = t.db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
    expect(JSON.stringify(rows)).not.toContain(raw);
  });

  it('a disabled user is logged out at once; a role change applies to the running session', async () => {
    t = await startApp();
    const admin = await t.login('admin');
    const guard = await t.login('guard');
    expect((await t.call(guard, 'GET', '/api/alerts')).statusCode).toBe(200);
    expect((await t.call(admin, 'PATCH', '/api/users/guard1', { role: 'hr' })).statusCode).toBe(200);
    expect((await t.call(guard, 'GET', '/api/alerts')).statusCode).toBe(403);
    expect((await t.call(admin, 'PATCH', '/api/users/guard1', { disabled: true })).statusCode).toBe(200);
    expect((await t.call(guard, 'GET', '/api/me')).statusCode).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses state-changing requests without the session token, accepts them with it', async () => {
    t = await startApp();
    const who = await t.login('admin');
    const body = { username: 'guard2', password: PASSWORD, role: 'guard' };
    for (const csrf of ['', 'not-the-token', `${who.csrf.slice(0, -1)}x`]) {
      const r = await t.call({ cookie: who.cookie, csrf }, 'POST', '/api/users', body);
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('TG_DASH_CSRF');
    }
    // Another session's token is no good either.
    const other = await t.login('admin');
    const cross = await t.call({ cookie: who.cookie, csrf: other.csrf }, 'POST', '/api/users', body);
    expect(cross.json().code).toBe('TG_DASH_CSRF');
    expect(t.core.users.get('guard2')).toBeUndefined();
    const ok = await t.call(who, 'POST', '/api/users', body);
    expect(ok.statusCode).toBe(201);
    // Reads need no token.
    expect((await t.call({ cookie: who.cookie, csrf: '' }, 'GET', '/api/users')).statusCode).toBe(200);
  });
});

describe('login throttling (issue #20: it must not be usable to lock people out)', () => {
  const attempt = (username: string, password: string, ip: string) =>
    (t as TestApp).app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: ip,
      payload: { username, password },
    });

  it("a stranger's failures from other addresses never lock admin out of a clean address", async () => {
    t = await startApp({ config: { session: { loginAttemptsPerMinute: 3 } } });
    // Ten wrong passwords for admin from one address, then one from each of 20 more.
    for (let i = 0; i < 10; i++) await attempt(USERS.admin, 'wrong-password', '10.6.6.6');
    for (let i = 0; i < 20; i++) await attempt(USERS.admin, 'wrong-password', `10.7.0.${i + 1}`);
    expect((await attempt(USERS.admin, PASSWORD, '10.0.0.9')).statusCode).toBe(200);
  });

  it('an address that failed is throttled (429, Retry-After, both languages) once the account budget is spent', async () => {
    t = await startApp({ config: { session: { loginAttemptsPerMinute: 3 } } });
    for (let i = 0; i < 3; i++)
      expect((await attempt('guard1', 'wrong-password', `10.0.0.${i + 1}`)).statusCode).toBe(401);
    // The attacking address, even with the right password, is told to wait, not "wrong password".
    const r = await attempt('guard1', PASSWORD, '10.0.0.2');
    expect(r.statusCode).toBe(429);
    expect(r.json().code).toBe('TG_DASH_RATE_LIMITED');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(r.json().retryAfterS).toBe(Number(r.headers['retry-after']));
    expect(r.json().message).toMatch(/请.*秒后再试/);
    expect(r.json().message).toMatch(/retry in \d+ s/);
    // Another user is not affected, from anywhere clean.
    expect((await attempt('hr1', PASSWORD, '10.0.0.10')).statusCode).toBe(200);
    // The budget refills: one failure is forgiven every 20 s at 3 a minute.
    (t as TestApp).clock.advance(20_000);
    expect((await attempt('guard1', PASSWORD, '10.0.0.2')).statusCode).toBe(200);
  });

  it('limits failures per address, whatever the username', async () => {
    t = await startApp({ config: { session: { loginAttemptsPerMinute: 3 } } });
    for (const u of ['a1', 'a2', 'a3'])
      expect((await attempt(u, 'whatever-1', '10.1.1.1')).statusCode).toBe(401);
    expect((await attempt(USERS.admin, PASSWORD, '10.1.1.1')).statusCode).toBe(429);
  });

  it('successful logins never count: a guard room behind one address logs in all day', async () => {
    t = await startApp({ config: { session: { loginAttemptsPerMinute: 3 } } });
    for (let i = 0; i < 30; i++) {
      const who = i % 3 === 0 ? USERS.admin : i % 3 === 1 ? 'guard1' : 'hr1';
      expect((await attempt(who, PASSWORD, '10.2.2.2')).statusCode).toBe(200);
    }
  });
});

describe('role declarations', () => {
  it('an app with a route that declares no roles refuses to start', async () => {
    t = await startApp();
    const { core, config, db, clock } = t;
    await expect(
      buildApp({
        config,
        db,
        now: clock.now,
        ...core,
        plugins: [
          async (app) => {
            app.get('/api/forgotten', async () => 'oops');
          },
        ],
      }),
    ).rejects.toThrow(/TG_DASH_ROUTE_ROLES: GET \/api\/forgotten declares no roles/);
  });
});
