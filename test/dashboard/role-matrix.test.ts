/**
 * Every registered route × guard, hr, admin and anonymous: 401 for anonymous on non-public routes,
 * 403 for a role the route does not declare, anything else (the route ran) when declared. The app
 * is the production one (createDashboard, with the reports plugin and whatever else it registers);
 * the routes are those it registered (collected by its onRoute hook), so a new route is walked as
 * soon as it exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeclaredRoute } from '../../dashboard/auth/guard.ts';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import type { SiteAdmin } from '../../dashboard/server/site-admin.ts';
import { FAST_SCRYPT, PASSWORD, type RoleName, tempDir, testConfig, USERS } from './fixture.ts';

const ROLES: RoleName[] = ['guard', 'hr', 'admin'];

const siteAdmin: SiteAdmin = {
  importAccessList: async () => ({ version: 1, entries: 0 }),
  listDevices: async () => [],
  addDevice: async () => ({ password: 'x' }),
  revokeDevice: async () => {},
};

/** The routes of the README's table this app serves itself (reports and pages come from plugins). */
const EXPECTED = [
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'POST /api/login',
  'POST /api/logout',
  'GET /api/me',
  'GET /api/gates',
  'GET /api/alerts',
  'POST /api/alerts/:id/ack',
  'POST /api/alerts/:id/arrival',
  'POST /api/alerts/:id/recheck',
  'POST /api/alerts/:id/close',
  'POST /api/alerts/:id/clear',
  'POST /api/alerts/:id/room',
  'GET /api/policy',
  'PUT /api/policy',
  'GET /api/holds',
  'POST /api/holds',
  'POST /api/holds/:employeeNo/lift',
  'GET /api/rooms',
  'PUT /api/rooms/:id',
  'DELETE /api/rooms/:id',
  'POST /api/gates/:gateId/commands',
  'GET /api/commands',
  'GET /api/feed',
  'GET /api/users',
  'POST /api/users',
  'PATCH /api/users/:username',
  'DELETE /api/users/:username',
  'GET /api/audit',
  'GET /api/access-list',
  'POST /api/access-list/import',
  'GET /api/devices',
  'POST /api/devices',
  'POST /api/devices/:id/revoke',
  // From the reports plugin.
  'GET /api/reports/person/:employeeNo',
  'GET /api/reports/site-day/:date',
  'GET /api/reports/daily/:date',
  'GET /api/exports/person/:file',
  'GET /api/exports/site-day/:file',
  'GET /api/exports/site-month/:file',
  'GET /api/exports/daily/:file',
  'POST /api/manual-readings',
  'POST /api/manual-readings/import',
];

let t: Dashboard;
beforeAll(async () => {
  t = await createDashboard(testConfig(tempDir()), { siteAdmin, log: silentLogger(), scrypt: FAST_SCRYPT });
  for (const role of ROLES) await t.core.users.create({ username: USERS[role], password: PASSWORD, role });
});
afterAll(async () => {
  await t.close();
});

/** A fresh session per request: a logout in the walk must not log the next request out. */
function session(role: RoleName): { cookie: string; csrf: string } {
  const u = t.core.users.get(USERS[role]);
  if (!u) throw new Error(`no ${role}`);
  const { cookie, session } = t.core.sessions.create(u);
  return { cookie: `tg_session=${cookie}`, csrf: session.csrfToken };
}

async function request(route: DeclaredRoute, role: RoleName | null) {
  // Parameters point at nothing, so an allowed request changes nothing that later ones depend on.
  const url = route.url.replace(/:[A-Za-z]+/g, 'zz-none');
  const who = role ? session(role) : null;
  return t.app.inject({
    method: route.method as 'GET',
    url,
    headers: {
      ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}),
      // The feed would stream forever; a bad resume id makes an allowed request answer 400 at once.
      ...(route.url === '/api/feed' ? { 'last-event-id': 'not-a-number' } : {}),
    },
    ...(route.method === 'GET' || route.method === 'HEAD' ? {} : { payload: {} }),
  });
}

describe('role matrix', () => {
  it('covers every route of the API table', () => {
    const registered = t.app.declaredRoutes.map((r) => `${r.method} ${r.url}`);
    expect(registered).toEqual(expect.arrayContaining(EXPECTED));
  });

  it('walks every registered route × every role × anonymous', async () => {
    const results: string[] = [];
    const wrong: string[] = [];
    for (const route of t.app.declaredRoutes) {
      for (const role of [null, ...ROLES]) {
        const r = await request(route, role);
        const allowed = route.roles === 'public' || (role !== null && route.roles.includes(role));
        const expected = allowed ? 'allowed' : role === null ? 401 : 403;
        const got = r.statusCode === 401 || r.statusCode === 403 ? r.statusCode : 'allowed';
        const line = `${route.method} ${route.url} as ${role ?? 'anonymous'}: expected ${expected}, got ${r.statusCode}`;
        results.push(line);
        if (got !== expected) wrong.push(`${line} ${r.body.slice(0, 120)}`);
        if (got !== 'allowed') {
          expect(r.json().code).toBe(got === 401 ? 'TG_DASH_UNAUTHENTICATED' : 'TG_DASH_FORBIDDEN');
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(results.length).toBe(t.app.declaredRoutes.length * 4);
  });

  it('declares HR data and admin functions as the README says', () => {
    // (HR's reports and exports are hr/admin only.)
    const roles = (key: string) => {
      const r = t.app.declaredRoutes.find((x) => `${x.method} ${x.url}` === key);
      return r?.roles === 'public' ? 'public' : [...(r?.roles ?? [])].sort().join(',');
    };
    expect(roles('GET /api/feed')).toBe('admin,guard');
    expect(roles('GET /api/access-list')).toBe('admin,hr');
    expect(roles('POST /api/gates/:gateId/commands')).toBe('admin,guard');
    expect(roles('GET /api/audit')).toBe('admin');
    expect(roles('DELETE /api/rooms/:id')).toBe('admin');
    expect(roles('GET /api/gates')).toBe('admin,guard,hr');
    expect(roles('POST /api/login')).toBe('public');
    expect(roles('GET /api/reports/person/:employeeNo')).toBe('admin,hr');
    expect(roles('GET /api/exports/site-month/:file')).toBe('admin,hr');
    // The site policy: everybody reads it, only admins change it (through the hub).
    expect(roles('GET /api/policy')).toBe('admin,guard,hr');
    expect(roles('PUT /api/policy')).toBe('admin');
    // Holds: guards see them on the board; only HR and admins open or lift one.
    expect(roles('GET /api/holds')).toBe('admin,guard,hr');
    expect(roles('POST /api/holds')).toBe('admin,hr');
    expect(roles('POST /api/holds/:employeeNo/lift')).toBe('admin,hr');
    expect(roles('POST /api/alerts/:id/room')).toBe('admin,guard');
  });
});
