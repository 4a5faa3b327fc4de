/**
 * Every registered route × guard, hr, admin and anonymous against the pinned table of intent
 * below: 401 for anonymous on non-public routes, 403 for a role the table does not allow, and
 * for an allowed one an answer from the route itself (2xx-4xx other than 401/403; a 5xx is a
 * failure, never "allowed": a crash past the role check proves nothing). The app
 * is the production one (createDashboard, with the reports plugin and whatever else it registers);
 * the routes are those it registered (collected by its onRoute hook), so a new route is walked as
 * soon as it exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeclaredRoute } from '../../dashboard/auth/guard.ts';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import type { SiteAdmin } from '../../dashboard/server/site-admin.ts';
import { FAST_SCRYPT, PASSWORD, type RoleName, tempDir, testConfig, USERS } from './fixture.ts';

const ROLES: RoleName[] = ['guard', 'hr', 'admin'];

const siteAdmin: SiteAdmin = {
  importAccessList: async () => ({ version: 1, entries: 0 }),
  putAccessEntries: async () => ({ version: 1, entries: 0 }),
  listDevices: async () => [],
  addDevice: async () => ({ password: 'x' }),
  revokeDevice: async () => {},
};

type Intent = 'public' | readonly RoleName[];

/**
 * Who may call what: the intent, written down here once (dashboard/README.md's API table), NOT
 * read from the routes' own declarations, so a route that declares the wrong roles fails this
 * test instead of passing it. Every registered route must be in this table (a new route is a
 * decision about who may use it); 'public' means anonymous too. The default test config: /metrics
 * is public unless `http.publicMetrics: false` (then admin or the bearer token; auth.test.ts).
 */
const INTENDED: Record<string, Intent> = {
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'POST /api/login': 'public',
  'POST /api/logout': ['admin', 'guard', 'hr'],
  'GET /api/me': ['admin', 'guard', 'hr'],
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'PATCH /api/users/:username': ['admin'],
  'DELETE /api/users/:username': ['admin'],
  'GET /api/gates': ['admin', 'guard', 'hr'],
  'POST /api/gates/:gateId/commands': ['admin', 'guard'],
  'GET /api/commands': ['admin', 'guard'],
  'GET /api/alerts': ['admin', 'guard'],
  'POST /api/alerts/:id/ack': ['admin', 'guard'],
  'POST /api/alerts/:id/arrival': ['admin', 'guard'],
  'POST /api/alerts/:id/recheck': ['admin', 'guard'],
  'POST /api/alerts/:id/close': ['admin', 'guard'],
  'POST /api/alerts/:id/clear': ['admin', 'guard'],
  'POST /api/alerts/:id/room': ['admin', 'guard'],
  // The site policy: everybody reads it, only admins change it (through the hub).
  'GET /api/policy': ['admin', 'guard', 'hr'],
  'PUT /api/policy': ['admin'],
  // Holds: guards see them on the board; only HR and admins open or lift one.
  'GET /api/holds': ['admin', 'guard', 'hr'],
  'POST /api/holds': ['admin', 'hr'],
  'POST /api/holds/:employeeNo/lift': ['admin', 'hr'],
  'GET /api/rooms': ['admin', 'guard'],
  'PUT /api/rooms/:id': ['admin'],
  'DELETE /api/rooms/:id': ['admin'],
  'GET /api/feed': ['admin', 'guard'],
  'GET /api/audit': ['admin'],
  'GET /api/access-list': ['admin', 'hr'],
  'POST /api/access-list/import': ['admin'],
  'GET /api/devices': ['admin'],
  'POST /api/devices': ['admin'],
  'POST /api/devices/:id/revoke': ['admin'],
  'GET /': 'public',
  'GET /assets/:file': 'public',
  'GET /api/reports/person/:employeeNo': ['admin', 'hr'],
  'GET /api/reports/site-day/:date': ['admin', 'hr'],
  'GET /api/reports/daily/:date': ['admin', 'hr'],
  'GET /api/exports/person/:file': ['admin', 'hr'],
  'GET /api/exports/site-day/:file': ['admin', 'hr'],
  'GET /api/exports/site-month/:file': ['admin', 'hr'],
  'GET /api/exports/daily/:file': ['admin', 'hr'],
  'POST /api/manual-readings': ['admin', 'guard', 'hr'],
  'POST /api/manual-readings/import': ['admin', 'hr'],
  // HR's notes: absences and health declarations are HR data.
  'GET /api/absences': ['admin', 'hr'],
  'POST /api/absences': ['admin', 'hr'],
  'DELETE /api/absences/:id': ['admin', 'hr'],
  'GET /api/declarations': ['admin', 'hr'],
  'POST /api/declarations': ['admin', 'hr'],
  'POST /api/declarations/import': ['admin', 'hr'],
  // The gate house's visitor register: guards register and sign out; HR reads and exports it.
  'GET /api/visitors': ['admin', 'guard', 'hr'],
  'POST /api/visitors': ['admin', 'guard'],
  'POST /api/visitors/:id/exit': ['admin', 'guard'],
  'GET /api/exports/visitors/:file': ['admin', 'hr'],
};

let t: Dashboard;
beforeAll(async () => {
  const config = testConfig(tempDir());
  // An empty readings store, as a gate's sink creates it: without one the report routes answer 503
  // whoever asks, which would say nothing about their roles.
  if (config.readings.kind === 'sqlite') {
    const sink = new SqliteSink({ path: config.readings.path });
    await sink.init();
    await sink.close();
  }
  t = await createDashboard(config, { siteAdmin, log: silentLogger(), scrypt: FAST_SCRYPT });
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
  it('the table of intent names exactly the registered routes', () => {
    const registered = t.app.declaredRoutes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(INTENDED).sort());
  });

  it('walks every registered route × every role × anonymous', async () => {
    const results: string[] = [];
    const wrong: string[] = [];
    for (const route of t.app.declaredRoutes) {
      for (const role of [null, ...ROLES]) {
        const r = await request(route, role);
        const intent = INTENDED[`${route.method} ${route.url}`];
        if (intent === undefined) throw new Error(`${route.method} ${route.url} is not in INTENDED`);
        const allowed = intent === 'public' || (role !== null && intent.includes(role));
        const expected = allowed ? 'allowed' : role === null ? 401 : 403;
        const got =
          r.statusCode === 401 || r.statusCode === 403
            ? r.statusCode
            : r.statusCode >= 500
              ? `error ${r.statusCode}`
              : 'allowed';
        const line = `${route.method} ${route.url} as ${role ?? 'anonymous'}: expected ${expected}, got ${r.statusCode}`;
        results.push(line);
        if (got !== expected) wrong.push(`${line} ${r.body.slice(0, 120)}`);
        if (got === 401 || got === 403) {
          expect(r.json().code).toBe(got === 401 ? 'TG_DASH_UNAUTHENTICATED' : 'TG_DASH_FORBIDDEN');
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(results.length).toBe(t.app.declaredRoutes.length * 4);
  });
});
