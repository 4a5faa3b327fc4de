/** inject() tests for each route family, on the real modules (real alerts service, SQLite on disk). */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import type { GateCommand } from '../../protocols/gate/messages.ts';
import type { NewDeviceInput, SiteAdmin } from '../../dashboard/server/site-admin.ts';
import { decision, feverAlert, fleet, SITE, startApp, type TestApp, T0, wire } from './fixture.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const audits = (x: TestApp, action: string) => x.core.audit.list().filter((a) => a.action === action);

describe('users (admin)', () => {
  it('adds, lists, changes and deletes accounts, audited, without password hashes', async () => {
    t = await startApp();
    const admin = await t.login('admin');
    const add = await t.call(admin, 'POST', '/api/users', {
      username: 'wang.fang',
      password: 'a-long-password',
      role: 'guard',
      displayName: '王芳',
      lang: 'zh-CN',
    });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({
      username: 'wang.fang',
      role: 'guard',
      displayName: '王芳',
      disabled: false,
    });
    const list = await t.call(admin, 'GET', '/api/users');
    expect(list.json().map((u: { username: string }) => u.username)).toEqual([
      'admin1',
      'guard1',
      'hr1',
      'wang.fang',
    ]);
    expect(list.body).not.toContain('scrypt');
    expect(
      (
        await t.call(admin, 'POST', '/api/users', {
          username: 'wang.fang',
          password: 'another-pass',
          role: 'hr',
        })
      ).json().code,
    ).toBe('TG_DASH_USER_EXISTS');
    const weak = await t.call(admin, 'POST', '/api/users', { username: 'x', password: 'short', role: 'hr' });
    expect(weak.statusCode).toBe(400);
    const patch = await t.call(admin, 'PATCH', '/api/users/wang.fang', {
      role: 'hr',
      password: 'changed-password',
    });
    expect(patch.json()).toMatchObject({ role: 'hr' });
    expect((await t.call(admin, 'DELETE', '/api/users/wang.fang')).statusCode).toBe(204);
    expect((await t.call(admin, 'DELETE', '/api/users/wang.fang')).json().code).toBe(
      'TG_DASH_USER_NOT_FOUND',
    );
    expect(audits(t, 'user.create')[0]).toMatchObject({
      username: 'admin1',
      role: 'admin',
      target: 'wang.fang',
    });
    expect(audits(t, 'user.update')[0]?.detail).toEqual({ role: 'hr', passwordChanged: true });
    expect(JSON.stringify(t.core.audit.list())).not.toContain('changed-password');
    expect(audits(t, 'user.delete')).toHaveLength(1);
  });

  it('never leaves the site without an enabled admin', async () => {
    t = await startApp();
    const admin = await t.login('admin');
    for (const [method, body] of [
      ['PATCH', { role: 'guard' }],
      ['PATCH', { disabled: true }],
      ['DELETE', undefined],
    ] as const) {
      const r = await t.call(admin, method, '/api/users/admin1', body);
      expect(r.statusCode).toBe(409);
      expect(r.json().code).toBe('TG_DASH_LAST_ADMIN');
    }
  });
});

describe('gates and commands', () => {
  it('tiles join the fleet, the last passage and today’s counts, and the counts survive a restart', async () => {
    t = await startApp();
    const guard = await t.login('guard');
    wire(
      t.core,
      `tg/${SITE}/fleet`,
      fleet([
        { gateId: 'gate-a', online: true },
        { gateId: 'gate-b', online: false },
      ]),
    );
    const pass1 = decision({ gateId: 'gate-a', at: T0 - 3000 });
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass1);
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass1); // a QoS 1 redelivery counts once
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, decision({ gateId: 'gate-a', at: T0 - 2000 }));
    const fever = decision(
      { gateId: 'gate-a', at: T0 - 1000, decision: 'flagged', reason: 'fever', temperatureTenths: 381 },
      '李娜',
    );
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, fever);
    // Yesterday (local time) does not count today.
    wire(t.core, `tg/${SITE}/gate/gate-b/decision`, decision({ gateId: 'gate-b', at: T0 - 11 * 3600_000 }));
    const r = await t.call(guard, 'GET', '/api/gates');
    expect(r.statusCode).toBe(200);
    const [a, b] = r.json();
    expect(a).toMatchObject({
      gateId: 'gate-a',
      online: true,
      thermometer: 'online',
      outbox: { depth: 7, oldestAgeS: 3 },
      passedToday: 2,
      flaggedToday: 1,
      lastPassage: {
        at: T0 - 1000,
        name: '李娜',
        temperatureTenths: 381,
        decision: 'flagged',
        reason: 'fever',
      },
    });
    expect(b).toMatchObject({ gateId: 'gate-b', online: false, offlineReason: 'last-will', passedToday: 0 });
    // A redelivery turns later (the first long written) still counts once.
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass1);
    expect((await t.call(guard, 'GET', '/api/gates')).json()[0]).toMatchObject({ passedToday: 2 });

    const dir = t.dir;
    const clock = t.clock;
    // Passages are written at the end of a turn: one that comes just before the stop is kept too.
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, decision({ gateId: 'gate-a', at: T0 - 1500 }));
    await t.close();
    t = await startApp({ dir, clock, seedUsers: false });
    const again = (await t.call(await t.login('hr'), 'GET', '/api/gates')).json();
    expect(again[0]).toMatchObject({
      gateId: 'gate-a',
      passedToday: 3,
      flaggedToday: 1,
      lastPassage: { name: '李娜' },
    });
    // The next local day starts at zero.
    t.clock.advance(24 * 3600_000);
    expect((await t.call(await t.login('hr'), 'GET', '/api/gates')).json()[0]).toMatchObject({
      passedToday: 0,
      flaggedToday: 0,
    });
  });

  it("tiles show each gate's face terminal: protocol, model, serial number and firmware (fleet view)", async () => {
    t = await startApp();
    const snap = fleet([
      { gateId: 'gate-a', online: true },
      { gateId: 'gate-b', online: true },
    ]);
    const isapi = {
      protocol: 'hik-isapi',
      online: true,
      model: 'DS-K1T671TM-3XF',
      serialNumber: 'DS-K1T671TM-3XF20230101V030200ENF12345678',
      firmwareVersion: 'V3.2.0 build 230101',
    };
    // gate-a runs an ISAPI terminal (its gate reports deviceInfo); gate-b an MQTT one (nothing reported).
    snap.gates[0] = { ...snap.gates[0], terminalId: 'T-ISAPI', terminal: isapi } as (typeof snap.gates)[0];
    wire(t.core, `tg/${SITE}/fleet`, snap);
    for (const role of ['admin', 'guard', 'hr'] as const) {
      const [a, b] = (await t.call(await t.login(role), 'GET', '/api/gates')).json();
      expect(a).toMatchObject({ gateId: 'gate-a', terminalId: 'T-ISAPI', terminal: isapi });
      expect(b).toMatchObject({ gateId: 'gate-b', terminalId: 'T1', terminal: null });
    }
  });

  it('a command is published QoS 1 and pending until the ack; audited; open-once needs a reason', async () => {
    t = await startApp({ config: { commands: { ackTimeoutMs: 5000 } } });
    const guard = await t.login('guard');
    // Commands go to gates of the site only (a gate nobody heard of is a 404).
    wire(
      t.core,
      `tg/${SITE}/fleet`,
      fleet([
        { gateId: 'gate-a', online: true },
        { gateId: 'gate-b', online: true },
      ]),
    );
    const unknown = await t.call(guard, 'POST', '/api/gates/gate-x/commands', { kind: 'lockdown' });
    expect(unknown.statusCode).toBe(404);
    const none = await t.call(guard, 'POST', '/api/gates/gate-a/commands', {
      kind: 'open-once',
      reason: '  ',
    });
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('TG_DASH_REASON_REQUIRED');
    expect(t.published).toHaveLength(0);

    const sent = await t.call(guard, 'POST', '/api/gates/gate-a/commands', {
      kind: 'open-once',
      reason: 'wheelchair',
    });
    expect(sent.statusCode).toBe(202);
    const cmd = sent.json();
    expect(cmd).toMatchObject({ gateId: 'gate-a', kind: 'open-once', state: 'pending', by: 'guard1' });
    const pub = t.published.find((p) => p.topic === `tg/${SITE}/gate/gate-a/command`);
    expect(pub?.opts.qos).toBe(1);
    const wireCmd = JSON.parse(pub?.payload ?? '{}') as GateCommand;
    expect(wireCmd).toMatchObject({
      v: 1,
      id: cmd.id,
      kind: 'open-once',
      reason: 'wheelchair',
      by: 'guard1',
    });
    expect(audits(t, 'gate.command')[0]).toMatchObject({ username: 'guard1', target: 'gate-a' });

    // Our own command comes back on the subscription: not recorded twice.
    wire(t.core, pub?.topic ?? '', wireCmd);
    wire(t.core, `tg/${SITE}/gate/gate-a/command-ack`, { v: 1, id: cmd.id, ok: true, error: null, at: T0 });
    const lock = (await t.call(guard, 'POST', '/api/gates/gate-a/commands', { kind: 'lockdown' })).json();
    wire(t.core, `tg/${SITE}/gate/gate-a/command-ack`, {
      v: 1,
      id: lock.id,
      ok: false,
      error: "stale command (90 s old by the gate's clock): not executed",
      code: 'stale',
      at: T0,
    });
    const release = (
      await t.call(guard, 'POST', '/api/gates/gate-b/commands', { kind: 'release-lockdown' })
    ).json();
    t.clock.advance(5000);
    await t.core.tick();
    const list = (await t.call(guard, 'GET', '/api/commands')).json();
    const state = Object.fromEntries(list.map((c: { id: string; state: string }) => [c.id, c.state]));
    expect(state).toEqual({ [cmd.id]: 'acknowledged', [lock.id]: 'failed', [release.id]: 'timed-out' });
    expect(list.find((c: { id: string }) => c.id === lock.id)).toMatchObject({
      error: "stale command (90 s old by the gate's clock): not executed",
      errorCode: 'stale',
    });
    expect((await t.call(guard, 'GET', '/api/commands?gateId=gate-b')).json()).toHaveLength(1);
    // Each change went out on the live feed: three sent, then acknowledged, failed, timed out.
    // (The feed writes its rows at the end of the turn: let this one end.)
    await new Promise((r) => setImmediate(r));
    const states = (
      t.db.prepare("SELECT data FROM feed_events WHERE type = 'command' ORDER BY id").all() as Array<{
        data: string;
      }>
    ).map((r) => JSON.parse(r.data).state);
    expect(states).toEqual(['pending', 'acknowledged', 'pending', 'failed', 'pending', 'timed-out']);
  });

  it('audits commands another surface sent (OPC UA) as a system actor, and tracks their ack', async () => {
    t = await startApp();
    const opc: GateCommand = {
      v: 1,
      id: 'opc-1',
      kind: 'lockdown',
      reason: 'drill',
      by: 'opcua:op1',
      at: T0,
    };
    wire(t.core, `tg/${SITE}/gate/gate-a/command`, opc);
    wire(t.core, `tg/${SITE}/gate/gate-a/command`, opc);
    expect(audits(t, 'gate.command')).toEqual([
      expect.objectContaining({ username: 'opcua:op1', role: 'system', target: 'gate-a' }),
    ]);
    wire(t.core, `tg/${SITE}/gate/gate-a/command-ack`, { v: 1, id: 'opc-1', ok: true, error: null, at: T0 });
    const list = (await t.call(await t.login('admin'), 'GET', '/api/commands')).json();
    expect(list).toEqual([
      expect.objectContaining({ id: 'opc-1', origin: 'wire', state: 'acknowledged', by: 'opcua:op1' }),
    ]);
  });
});

describe('alerts and rooms', () => {
  it('a fever passage becomes an alert the guard works through; each action is audited', async () => {
    t = await startApp();
    const guard = await t.login('guard');
    const d = decision(
      { decision: 'flagged', reason: 'fever', temperatureTenths: 383, employeeNo: 'E7' },
      '刘洋',
    );
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, d);
    wire(t.core, `tg/${SITE}/gate/gate-a/alert`, feverAlert(d));
    const open = (await t.call(guard, 'GET', '/api/alerts')).json() as AlertState[];
    expect(open).toHaveLength(1);
    const a = open[0] as AlertState;
    expect(a).toMatchObject({
      kind: 'fever',
      state: 'active-unacknowledged',
      employeeNo: 'E7',
      roomId: 'r1',
    });
    const rooms = (await t.call(guard, 'GET', '/api/rooms')).json();
    expect(rooms[0]).toMatchObject({ id: 'r1', free: 0 });

    const ack = await t.call(guard, 'POST', `/api/alerts/${encodeURIComponent(a.id)}/ack`, {
      comment: 'on my way',
    });
    expect(ack.json()).toMatchObject({ state: 'active-acknowledged', acknowledgedBy: 'guard1' });
    expect(
      (await t.call(guard, 'POST', `/api/alerts/${encodeURIComponent(a.id)}/arrival`, {})).json().stage,
    ).toBe('arrived');
    const re = await t.call(guard, 'POST', `/api/alerts/${encodeURIComponent(a.id)}/recheck`, {
      temperatureTenths: 368,
      instrument: 'handheld',
    });
    expect(re.statusCode).toBe(200);
    expect(t.manual).toEqual([
      expect.objectContaining({ temperatureTenths: 368, source: 'handheld', enteredBy: 'guard1' }),
    ]);
    const closed = await t.call(guard, 'POST', `/api/alerts/${encodeURIComponent(a.id)}/close`, {
      disposition: 'cleared-to-enter',
    });
    expect(closed.json()).toMatchObject({ state: 'cleared', disposition: 'cleared-to-enter' });
    expect((await t.call(guard, 'GET', '/api/rooms')).json()[0].free).toBe(1);
    expect((await t.call(guard, 'GET', '/api/alerts?state=all')).json()).toHaveLength(1);
    expect((await t.call(guard, 'GET', '/api/alerts')).json()).toHaveLength(0);
    const actions = t.core.audit
      .list()
      .filter((x) => x.action.startsWith('alert.'))
      .map((x) => `${x.username}:${x.action}`);
    expect(actions.reverse()).toEqual([
      'guard1:alert.acknowledge',
      'guard1:alert.arrival',
      'guard1:alert.recheck',
      'guard1:alert.close',
    ]);
  });

  it('domain errors keep their codes; bad input is a 400 with TG_DASH_BAD_REQUEST', async () => {
    t = await startApp();
    const guard = await t.login('guard');
    const missing = await t.call(guard, 'POST', '/api/alerts/nope/ack', {});
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 'TG_DASH_ALERT_NOT_FOUND', message: expect.any(String) });
    const bad = await t.call(guard, 'POST', '/api/alerts/x/close', { disposition: 'went-shopping' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('TG_DASH_BAD_REQUEST');
    expect(bad.json().message).toMatch(/disposition/);
  });

  it('admins add, change and remove rooms', async () => {
    t = await startApp();
    const admin = await t.login('admin');
    const put = await t.call(admin, 'PUT', '/api/rooms/tent-2', {
      name: 'Tent 2',
      capacity: 3,
      shared: true,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ id: 'tent-2', capacity: 3, free: 3 });
    const notShared = await t.call(admin, 'PUT', '/api/rooms/tent-3', { name: 'Tent 3', capacity: 2 });
    expect(notShared.statusCode).toBe(400);
    expect(notShared.json().code).toBe('TG_DASH_ROOM_INVALID');
    expect((await t.call(admin, 'DELETE', '/api/rooms/tent-2')).statusCode).toBe(204);
    expect((await t.call(admin, 'GET', '/api/rooms')).json().map((r: { id: string }) => r.id)).toEqual([
      'r1',
    ]);
    expect(audits(t, 'room.upsert')).toHaveLength(1);
    expect(audits(t, 'room.remove')).toHaveLength(1);
  });
});

describe('audit', () => {
  it('pages newest first with limit and before', async () => {
    t = await startApp();
    for (let i = 0; i < 5; i++)
      t.core.audit.write({ username: 'x', role: 'system' }, 'test.step', `n${i}`, { i });
    const admin = await t.login('admin');
    const page1 = (await t.call(admin, 'GET', '/api/audit?limit=2')).json();
    expect(page1.map((a: { action: string; target: string }) => a.action)).toEqual(['login', 'test.step']);
    const page2 = (await t.call(admin, 'GET', `/api/audit?limit=3&before=${page1[1].id}`)).json();
    expect(page2.map((a: { target: string }) => a.target)).toEqual(['n3', 'n2', 'n1']);
    expect(page2[0].detail).toEqual({ i: 3 });
  });
});

describe('access list and devices', () => {
  const fake = (): SiteAdmin & { imported: string[]; revoked: string[] } => {
    const imported: string[] = [];
    const revoked: string[] = [];
    // Devices added through the API are listed (revoking an unlisted one is a 404).
    const added: NewDeviceInput[] = [];
    return {
      imported,
      revoked,
      async importAccessList(csv) {
        imported.push(csv);
        if (csv.includes('bad'))
          return { errors: [{ line: 2, message: 'kind: expected employee or visitor' }] };
        return { version: 5, entries: csv.trim().split('\n').length - 1 };
      },
      async putAccessEntries(entries) {
        return { version: 6, entries: entries.length };
      },
      async listDevices() {
        return [
          ...added.map((d) => ({ ...d, createdAt: T0, revokedAt: null })),
          {
            id: 'gate-a',
            role: 'gate',
            site: SITE,
            gate: 'gate-a',
            terminal: 'T1',
            createdAt: T0,
            revokedAt: null,
          },
        ];
      },
      async addDevice(input) {
        if (input.id === 'gate-a')
          throw Object.assign(new Error('TG_HUB_DEVICE_CONFLICT: gate-a exists'), {
            code: 'TG_HUB_DEVICE_CONFLICT',
          });
        added.push(input);
        return { password: 'generated-secret' };
      },
      async revokeDevice(id) {
        revoked.push(id);
      },
    };
  };

  it('answers 503 without the hub adapter', async () => {
    t = await startApp();
    const admin = await t.login('admin');
    for (const [method, url, body] of [
      ['GET', '/api/devices', undefined],
      ['POST', '/api/devices', { id: 'gate-c', role: 'gate' }],
      ['POST', '/api/devices/gate-a/revoke', {}],
    ] as const) {
      const r = await t.call(admin, method, url, body);
      expect(r.statusCode).toBe(503);
      expect(r.json().code).toBe('TG_DASH_SITE_ADMIN_UNAVAILABLE');
    }
    const imp = await t.call(admin, 'POST', '/api/access-list/import', 'employeeNo,name\nE1,A\n', {
      'content-type': 'text/csv',
    });
    expect(imp.json().code).toBe('TG_DASH_SITE_ADMIN_UNAVAILABLE');
  });

  it('imports CSV (per-line errors on a bad file), manages devices, audits it all', async () => {
    const site = fake();
    t = await startApp({ siteAdmin: site });
    const admin = await t.login('admin');
    const csv = 'employeeNo,name,department,kind\nE1,张伟,QA,employee\nE2,李娜,QA,employee\n';
    const ok = await t.call(admin, 'POST', '/api/access-list/import', csv, { 'content-type': 'text/csv' });
    expect(ok.json()).toMatchObject({ version: 5, entries: 2 });
    // The hub gets its own format whatever the file looked like (headers, order, encoding).
    expect(site.imported).toEqual([
      'employeeNo,name,department,kind,validFrom,validUntil\nE1,张伟,QA,employee,,\nE2,李娜,QA,employee,,\n',
    ]);
    const bad = await t.call(admin, 'POST', '/api/access-list/import', 'employeeNo\nbad\n', {
      'content-type': 'text/csv',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      code: 'TG_DASH_ACCESS_LIST_INVALID',
      message: 'nothing imported: 1 bad line(s)',
      errors: [{ line: 2, problem: 'hub', message: 'kind: expected employee or visitor' }],
    });
    expect((await t.call(admin, 'GET', '/api/devices')).json()[0]).toMatchObject({
      id: 'gate-a',
      role: 'gate',
    });
    const added = await t.call(admin, 'POST', '/api/devices', {
      id: 'gate-c',
      role: 'gate',
      site: SITE,
      gate: 'gate-c',
      terminal: 'T3',
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ id: 'gate-c', password: 'generated-secret' });
    const dup = await t.call(admin, 'POST', '/api/devices', { id: 'gate-a', role: 'gate' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('TG_DASH_SITE_ADMIN_CONFLICT');
    expect((await t.call(admin, 'POST', '/api/devices/gate-c/revoke', {})).json()).toEqual({ ok: true });
    expect(site.revoked).toEqual(['gate-c']);
    const acts = t.core.audit.list().map((a) => a.action);
    expect(acts).toEqual(
      expect.arrayContaining([
        'access-list.import',
        'access-list.import-refused',
        'device.add',
        'device.revoke',
      ]),
    );
    expect(JSON.stringify(t.core.audit.list())).not.toContain('generated-secret');
  });

  it('serves the roster from the retained access list snapshot (HR and admins)', async () => {
    t = await startApp();
    const hr = await t.login('hr');
    expect((await t.call(hr, 'GET', '/api/access-list')).json()).toMatchObject({
      version: null,
      entries: [],
    });
    const snap = {
      v: 1,
      version: 3,
      issuedAt: T0,
      entries: [
        {
          employeeNo: 'E1',
          name: '张伟',
          department: 'QA',
          kind: 'employee',
          validFrom: null,
          validUntil: null,
        },
      ],
    };
    wire(t.core, `tg/${SITE}/access-list`, snap);
    expect((await t.call(hr, 'GET', '/api/access-list')).json()).toEqual(snap);
    // An older snapshot (a stale retained copy) does not replace a newer one.
    wire(t.core, `tg/${SITE}/access-list`, { ...snap, version: 2, entries: [] });
    expect((await t.call(hr, 'GET', '/api/access-list')).json().version).toBe(3);
  });
});

describe('system routes', () => {
  it('healthz, metrics and the OpenAPI description', async () => {
    t = await startApp();
    const h = await t.call(null, 'GET', '/healthz');
    expect(h.statusCode).toBe(200);
    expect(h.json()).toEqual({ ok: true, db: true, mqtt: false, readings: true });

    wire(
      t.core,
      `tg/${SITE}/fleet`,
      fleet([
        { gateId: 'gate-a', online: true },
        { gateId: 'gate-b', online: false },
      ]),
    );
    const d = decision({ decision: 'flagged', reason: 'fever', temperatureTenths: 390 });
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, d);
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, decision());
    const m = await t.call(null, 'GET', '/metrics');
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/text\/plain/);
    expect(m.body).toMatch(/^tg_dash_gates_online 1$/m);
    expect(m.body).toMatch(/^tg_dash_alerts_open\{state="active-unacknowledged",severity="critical"\} 1$/m);
    expect(m.body).toMatch(/^tg_dash_gate_passed_today\{gate="gate-a"\} 1$/m);
    expect(m.body).toMatch(/^tg_dash_gate_flagged_today\{gate="gate-a"\} 1$/m);
    expect(m.body).toMatch(/^tg_dash_decisions_total\{gate="gate-a",decision="flagged"\} 1$/m);
    expect(m.body).toMatch(/^tg_dash_gate_outbox_depth\{gate="gate-b"\} 7$/m);
    expect(m.body).toMatch(/^tg_dash_feed_clients 0$/m);

    const o = await t.call(null, 'GET', '/openapi.json');
    expect(o.statusCode).toBe(200);
    const paths = o.json().paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/api/login', '/api/gates/{gateId}/commands', '/api/alerts']),
    );
    expect(JSON.stringify(paths['/api/gates/{gateId}/commands'])).toContain('release-lockdown');
  });

  it('metrics are admin-only when publicMetrics is off', async () => {
    t = await startApp({ config: { http: { publicMetrics: false } } });
    expect((await t.call(null, 'GET', '/metrics')).statusCode).toBe(401);
    expect((await t.call(await t.login('guard'), 'GET', '/metrics')).statusCode).toBe(403);
    expect((await t.call(await t.login('admin'), 'GET', '/metrics')).statusCode).toBe(200);
  });

  it('unknown routes answer { code, message }', async () => {
    t = await startApp();
    const r = await t.call(null, 'GET', '/api/nothing-here');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 'TG_DASH_NOT_FOUND', message: 'no route GET /api/nothing-here' });
  });
});

describe('bad MQTT payloads', () => {
  it('are refused, counted and logged, never crash, and do not disturb valid ones', async () => {
    t = await startApp();
    const before = await t.core.metrics.badPayloadCount();
    const bad: Array<[string, string]> = [
      [`tg/${SITE}/gate/gate-a/decision`, 'not json'],
      [`tg/${SITE}/gate/gate-a/decision`, JSON.stringify({ v: 1, reading: { id: 3 } })],
      [`tg/${SITE}/gate/gate-a/alert`, JSON.stringify({ v: 99 })],
      [`tg/${SITE}/gate/gate-a/status`, '[]'],
      [`tg/${SITE}/gate/gate-a/command-ack`, '{"v":1}'],
      [`tg/${SITE}/fleet`, '{"v":1,"gates":"many"}'],
      [`tg/${SITE}/access-list`, '\u0000\u0001'],
      [`tg/${SITE}/dashboard/alert-ack`, '{}'],
      // A decision of gate-b on gate-a's topic.
      [`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(decision({ gateId: 'gate-b' }))],
      // Another site's message on ours.
      [`tg/other/gate/gate-a/decision`, JSON.stringify(decision())],
      [`tg/${SITE}/gate/gate-a/heartbeat`, 'x'.repeat(64 * 1024)],
    ];
    for (const [topic, payload] of bad)
      expect(() => t?.core.onMessage(topic, Buffer.from(payload))).not.toThrow();
    expect((await t.core.metrics.badPayloadCount()) - before).toBe(bad.length);
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, decision());
    const tiles = (await t.call(await t.login('guard'), 'GET', '/api/gates')).json();
    expect(tiles).toEqual([expect.objectContaining({ gateId: 'gate-a', passedToday: 1 })]);
    const m = (await t.call(null, 'GET', '/metrics')).body;
    expect(m).toMatch(/tg_dash_mqtt_bad_payloads_total\{kind="decision",code="TG_MSG_NOT_JSON"\} 1/);
    expect(m).toMatch(/tg_dash_mqtt_bad_payloads_total\{kind="decision",code="TG_DASH_WIRE_MISMATCH"\} 2/);
  });
});
