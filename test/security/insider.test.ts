/**
 * Hostile insiders and strangers against the real site process (hub + dashboard in one process, as
 * shipped): issue #20's findings, each pinned to what the product intends.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { type HubProcess, loopback, SITE, startHubProcess } from './harness.ts';

let site: HubProcess;
const TZ = 'Asia/Shanghai';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): Record<string, unknown> & { code?: string; message?: string };
}

/** One HTTP request from a chosen loopback address (fetch cannot pick its source address). */
function request(
  method: string,
  path: string,
  o: { body?: unknown; raw?: string; cookie?: string; csrf?: string; from?: string } = {},
): Promise<Answer> {
  const url = new URL(path, site.dashboardUrl);
  const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        localAddress: o.from ?? '127.0.0.1',
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.cookie ? { cookie: o.cookie } : {}),
          ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    r.on('error', reject);
    if (payload !== undefined) r.end(payload);
    else r.end();
  });
}

interface Who {
  cookie: string;
  csrf: string;
}

async function login(username: string, from = '127.0.0.1'): Promise<Who> {
  const r = await request('POST', '/api/login', { body: { username, password: site.users[username] }, from });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  const cookie = String(r.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
  return { cookie, csrf: String(r.json().csrfToken) };
}

const call = (who: Who, method: string, path: string, body?: unknown) =>
  request(method, path, { body, cookie: who.cookie, csrf: who.csrf });

/** YYYY-MM-DD of an instant in the site's zone. */
const dayIn = (at: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(at);

let admin: Who;
let guard: Who;
let hr: Who;

beforeAll(async () => {
  site = await startHubProcess({
    devices: [
      { id: 'gate-1', role: 'gate', site: SITE, gate: 'gate-1', terminal: 'T1' },
      { id: 'dashboard', role: 'dashboard', site: SITE },
    ],
    dashboard: {
      users: [
        { username: 'admin', role: 'admin' },
        { username: 'guard', role: 'guard' },
        { username: 'hr', role: 'hr' },
      ],
    },
  });
  [admin, guard, hr] = [await login('admin'), await login('guard'), await login('hr')];
  // HR's list through the admin route (text/csv), as an admin would.
  const csv = await new Promise<number>((resolve, reject) => {
    const url = new URL('/api/access-list/import', site.dashboardUrl);
    const r = http.request(
      {
        method: 'POST',
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: { 'content-type': 'text/csv', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    r.on('error', reject);
    r.end('employeeNo,name\nE1,张伟\nE2,Anna Schmidt\n');
  });
  expect(csv).toBe(200);
  // The dashboard knows the roster once the hub's retained snapshot reaches it.
  await waitFor(
    async () => ((await call(hr, 'GET', '/api/access-list')).json().entries as unknown[])?.length === 2,
    {
      what: 'the access list on the dashboard',
      timeoutMs: 15_000,
    },
  );
}, 120_000);
afterAll(async () => {
  await site?.stop();
});

describe('logins: a stranger cannot lock admin out', () => {
  it('ten wrong passwords for admin from each of 20 addresses; admin from a clean address gets in', async () => {
    for (let a = 0; a < 20; a++)
      for (let i = 0; i < 10; i++) {
        const r = await request('POST', '/api/login', {
          body: { username: 'admin', password: `guess-${a}-${i}` },
          from: loopback(a),
        });
        // Wrong, or throttled: never a session.
        expect([401, 429]).toContain(r.status);
        if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    await login('admin', loopback(100));
  });
});

describe('manual readings: only HR backdates, everything is audited', () => {
  const yesterday = () => Date.now() - 36 * 3600_000;

  it("a guard's self-report dated 30 days back is refused (403) and the attempt audited", async () => {
    const r = await call(guard, 'POST', '/api/manual-readings', {
      employeeNo: 'E1',
      temperatureTenths: 366,
      instrument: 'self-report',
      at: Date.now() - 30 * 24 * 3600_000,
    });
    expect(r.status).toBe(403);
    expect(r.json().code).toBe('TG_DASH_REPORT_BACKDATE_FORBIDDEN');
    const audit = (await call(admin, 'GET', '/api/audit?limit=20')).json() as unknown as Array<{
      action: string;
      username: string;
    }>;
    expect(audit.find((a) => a.action === 'reading.manual-refused')).toMatchObject({ username: 'guard' });
  });

  it('a guard may not date one yesterday either (site time), but may record now', async () => {
    const y = await call(guard, 'POST', '/api/manual-readings', {
      employeeNo: 'E1',
      temperatureTenths: 366,
      instrument: 'handheld',
      at: yesterday(),
    });
    expect(dayIn(yesterday())).not.toBe(dayIn(Date.now()));
    expect(y.status).toBe(403);
    const now = await call(guard, 'POST', '/api/manual-readings', {
      employeeNo: 'E1',
      temperatureTenths: 366,
      instrument: 'handheld',
    });
    expect(now.status, now.text).toBe(201);
  });

  it('HR may backdate; the entry is audited with who and when', async () => {
    const at = yesterday();
    const r = await call(hr, 'POST', '/api/manual-readings', {
      employeeNo: 'E2',
      temperatureTenths: 365,
      instrument: 'self-report',
      at,
    });
    expect(r.status, r.text).toBe(201);
    const audit = (await call(admin, 'GET', '/api/audit?limit=50')).json() as unknown as Array<{
      action: string;
      username: string;
      target: string;
    }>;
    expect(audit.find((a) => a.action === 'reading.manual' && a.target === 'E2')).toMatchObject({
      username: 'hr',
    });
  });
});

describe('admin input has limits; unknown targets are 404', () => {
  it('PUT /api/rooms with 40,000 distances is refused with a 4xx, not stored', async () => {
    const distances = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`gate-${i}`, i]));
    const r = await call(admin, 'PUT', '/api/rooms/r-big', { name: 'Big', distances });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(['TG_DASH_TOO_LARGE', 'TG_DASH_BAD_REQUEST']).toContain(r.json().code);
    const rooms = (await call(admin, 'GET', '/api/rooms')).json() as unknown as Array<{ id: string }>;
    expect(rooms.some((x) => x.id === 'r-big')).toBe(false);
  });

  it('a room with a sane number of gates is accepted; 1001 gates is a 400', async () => {
    const ok = await call(admin, 'PUT', '/api/rooms/r1', { name: 'Room 1', distances: { 'gate-1': 30 } });
    expect(ok.status, ok.text).toBe(200);
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`g${i}`, 1]));
    const r = await call(admin, 'PUT', '/api/rooms/r2', { name: 'Room 2', distances: many });
    expect(r.status).toBe(400);
  });

  it('a command to a gate that does not exist is 404, never a command pending forever', async () => {
    const r = await call(guard, 'POST', '/api/gates/no-such-gate/commands', {
      kind: 'lockdown',
      reason: 'x',
    });
    expect(r.status).toBe(404);
    expect(r.json().code).toBe('TG_DASH_NOT_FOUND');
    // A gate of the site (in the credentials, so in the fleet even before it connects) is known: while
    // it has never connected it is refused as offline (409, issue #18), never as unknown.
    await waitFor(
      async () => {
        const r = await call(guard, 'POST', '/api/gates/gate-1/commands', { kind: 'lockdown' });
        return r.status === 409 && r.json().code === 'TG_DASH_GATE_OFFLINE';
      },
      { what: 'gate-1 known to the dashboard, refused as offline', timeoutMs: 10_000, intervalMs: 200 },
    );
  });

  it('revoking an unknown device is 404', async () => {
    const r = await call(admin, 'POST', '/api/devices/no-such-device/revoke');
    expect(r.status).toBe(404);
    expect(r.json().code).toBe('TG_DASH_NOT_FOUND');
  });

  it('site-month exports of year 0000 and 1000 are 400 with a clear message; this month is 200', async () => {
    for (const m of ['0000-01', '1000-01']) {
      const r = await call(hr, 'GET', `/api/exports/site-month/${m}.csv`);
      expect(r.status).toBe(400);
      expect(r.json().code).toBe('TG_DASH_BAD_REQUEST');
      expect(r.json().message).toContain(m);
    }
    const month = dayIn(Date.now()).slice(0, 7);
    expect((await call(hr, 'GET', `/api/exports/site-month/${month}.csv`)).status).toBe(200);
  });

  it('a state-changing request without the CSRF token is refused', async () => {
    const r = await request('PUT', '/api/rooms/r3', { body: { name: 'R3' }, cookie: admin.cookie });
    expect(r.status).toBe(403);
    expect(r.json().code).toBe('TG_DASH_CSRF');
  });

  it('a JSON body over 256 KB is 413 before it is parsed', async () => {
    const r = await call(admin, 'POST', '/api/users', { username: 'x', password: 'y'.repeat(300 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json().code).toBe('TG_DASH_TOO_LARGE');
  });
});
