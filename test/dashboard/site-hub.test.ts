/**
 * The dashboard's side of the site policy and person holds, against a small hub responder on a real
 * broker (aedes): the responder answers PolicyRequest / HoldRequest with a HubReply (same id) and
 * publishes what a hub publishes (retained policy, holds snapshot + change). The end-to-end test
 * with the real hub lives with the hub.
 *
 * Also: a fever's webhook message reaches a local HTTP receiver within 1 s, in Chinese.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import {
  type HoldRequest,
  type HoldsChange,
  type HoldsSnapshot,
  type HubReply,
  PersonHold,
} from '../../protocols/site/holds.ts';
import type { PolicyRequest } from '../../protocols/site/policy-request.ts';
import { defaultSitePolicy, type SitePolicy } from '../../protocols/site/policy.ts';
import type { DashboardConfigInput } from '../../dashboard/config/schema.ts';
import { waitFor } from '../harness/wait.ts';
import { startTestBroker, type TestBroker } from './broker.ts';
import {
  decision,
  FAST_SCRYPT,
  PASSWORD,
  type RoleName,
  SITE,
  tempDir,
  testConfig,
  USERS,
} from './fixture.ts';

let broker: TestBroker | undefined;
let dash: Dashboard | undefined;
const clients: MqttClient[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await dash?.close();
  dash = undefined;
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  await broker?.stop();
  broker = undefined;
});

async function client(url: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 100 });
  clients.push(c);
  return c;
}

type Mode = 'answer' | 'silent' | { refuse: string };

/** What a hub does with the dashboard's requests, kept small: enough to answer and publish. */
class FakeHub {
  mode: Mode = 'answer';
  policy: SitePolicy = defaultSitePolicy();
  holds = new Map<string, PersonHold>();
  version = 0;
  policyRequests: PolicyRequest[] = [];
  holdRequests: HoldRequest[] = [];
  constructor(readonly c: MqttClient) {}

  static async start(url: string): Promise<FakeHub> {
    const hub = new FakeHub(await client(url, 'fake-hub'));
    hub.c.on('message', (topic, payload) => void hub.on(topic, JSON.parse(payload.toString())));
    await hub.c.subscribeAsync([`tg/${SITE}/dashboard/policy-request`, `tg/${SITE}/dashboard/hold-request`], {
      qos: 1,
    });
    return hub;
  }

  private reply(id: string, ok: boolean, version: number | null, code: string | null = null) {
    const r: HubReply = {
      v: 1,
      id,
      ok,
      code,
      error: code ? `refused: ${code}` : null,
      version,
      at: Date.now(),
    };
    return this.c.publishAsync(`tg/${SITE}/hub/reply`, JSON.stringify(r), { qos: 1 });
  }

  async publishHolds(changed: PersonHold[]) {
    const from = this.version;
    this.version++;
    for (const h of changed) this.holds.set(h.employeeNo, h);
    const change: HoldsChange = {
      v: 1,
      fromVersion: from,
      toVersion: this.version,
      issuedAt: Date.now(),
      upserts: changed,
      removals: [],
    };
    await this.c.publishAsync(`tg/${SITE}/holds/changes`, JSON.stringify(change), { qos: 1 });
    const snap: HoldsSnapshot = {
      v: 1,
      version: this.version,
      issuedAt: Date.now(),
      entries: [...this.holds.values()],
    };
    await this.c.publishAsync(`tg/${SITE}/holds`, JSON.stringify(snap), { qos: 1, retain: true });
  }

  private async on(topic: string, m: unknown) {
    if (topic.endsWith('/policy-request')) {
      const req = m as PolicyRequest;
      this.policyRequests.push(req);
      if (this.mode === 'silent') return;
      if (typeof this.mode === 'object') return this.reply(req.id, false, null, this.mode.refuse);
      this.policy = {
        v: 1,
        version: this.policy.version + 1,
        issuedAt: Date.now(),
        issuedBy: req.by,
        rules: req.rules,
        calendar: req.calendar,
      };
      await this.c.publishAsync(`tg/${SITE}/policy`, JSON.stringify(this.policy), { qos: 1, retain: true });
      return this.reply(req.id, true, this.policy.version);
    }
    const req = m as HoldRequest;
    this.holdRequests.push(req);
    if (this.mode === 'silent') return;
    if (typeof this.mode === 'object') return this.reply(req.id, false, null, this.mode.refuse);
    const cur = this.holds.get(req.employeeNo);
    const now = Date.now();
    if (req.action === 'open')
      await this.publishHolds([
        PersonHold.parse({
          employeeNo: req.employeeNo,
          name: req.name,
          state: 'active',
          stage: 'manual',
          since: now,
          updatedAt: now,
          gateId: null,
          temperatureTenths: null,
          readingIds: [],
          room: null,
          by: req.by,
          note: req.note,
        }),
      ]);
    else if (!cur) return this.reply(req.id, false, null, 'TG_HUB_HOLD_NOT_FOUND');
    else if (req.action === 'lift')
      await this.publishHolds([
        {
          ...cur,
          state: 'lifted',
          updatedAt: now,
          liftedAt: now,
          liftedBy: req.by,
          liftReason: req.reason,
          note: req.note,
          returnDate: req.returnDate,
        },
      ]);
    else if (req.action === 'stage') await this.publishHolds([{ ...cur, stage: req.stage, updatedAt: now }]);
    else await this.publishHolds([{ ...cur, room: req.room, updatedAt: now }]);
    return this.reply(req.id, true, this.version);
  }
}

async function start(
  b: TestBroker,
  patch: Partial<DashboardConfigInput> = {},
): Promise<{ d: Dashboard; as: (role: RoleName) => Promise<{ cookie: string; csrf: string }> }> {
  const d = await createDashboard(
    testConfig(tempDir(), {
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { url: b.url, username: 'dash', password: 'pw' },
      hub: { replyTimeoutMs: 700, retryEveryMs: 300 },
      rooms: [{ id: 'r-a2', name: '隔离室 A2', distances: { 'gate-a': 10 } }],
      ...patch,
    }),
    { log: silentLogger(), scrypt: FAST_SCRYPT, mqttReconnectMs: 100, manualSink: { write: async () => {} } },
  );
  dash = d;
  for (const role of ['guard', 'hr', 'admin'] as const)
    await d.core.users.create({ username: USERS[role], password: PASSWORD, role });
  await d.start();
  await d.mqttReady();
  const as = async (role: RoleName) => {
    const login = await d.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: USERS[role], password: PASSWORD },
    });
    return {
      cookie: `tg_session=${login.cookies.find((c) => c.name === 'tg_session')?.value}`,
      csrf: login.json().csrfToken as string,
    };
  };
  return { d, as };
}

function call(
  d: Dashboard,
  who: { cookie: string; csrf: string },
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: object,
) {
  return d.app.inject({
    method,
    url,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
    ...(body ? { payload: body } : {}),
  });
}

const auditOf = (d: Dashboard, action: string) =>
  d.core.audit.list({ limit: 100 }).filter((a) => a.action === action);

describe('site policy through the hub', () => {
  it('GET answers the built-in policy until the hub publishes one; PUT asks the hub and answers what it published', async () => {
    broker = await startTestBroker();
    const hub = await FakeHub.start(broker.url);
    const { d, as } = await start(broker);
    const admin = await as('admin');
    const hr = await as('hr');
    const before = await call(d, hr, 'GET', '/api/policy');
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ version: 0, rules: { feverThresholdTenths: 373 } });

    const rules = { ...defaultSitePolicy().rules, feverThresholdTenths: 375 };
    const calendar = {
      workingDays: [1, 2, 3, 4, 5, 6],
      holidays: ['2026-10-01'],
      extraWorkingDays: ['2026-10-11'],
      afternoonFrom: '13:00',
    };
    const put = await call(d, admin, 'PUT', '/api/policy', { baseVersion: 0, rules, calendar });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ version: 1, issuedBy: 'dashboard:admin1', rules, calendar });
    expect(hub.policyRequests).toEqual([
      expect.objectContaining({ v: 1, baseVersion: 0, by: 'dashboard:admin1', rules, calendar }),
    ]);
    expect((await call(d, hr, 'GET', '/api/policy')).json()).toMatchObject({
      version: 1,
      calendar: { afternoonFrom: '13:00' },
    });
    expect(auditOf(d, 'policy.update')[0]?.detail).toMatchObject({
      outcome: 'ok',
      version: 1,
      baseVersion: 0,
    });
  });

  it("a hub that does not answer: 504 TG_DASH_HUB_TIMEOUT with a Chinese message, audited as unanswered; a refusal passes on the hub's code", async () => {
    broker = await startTestBroker();
    const hub = await FakeHub.start(broker.url);
    hub.mode = 'silent';
    const { d, as } = await start(broker);
    const admin = await as('admin');
    const body = { baseVersion: 0, rules: defaultSitePolicy().rules, calendar: defaultSitePolicy().calendar };
    const t0 = Date.now();
    const r = await call(d, admin, 'PUT', '/api/policy', body);
    expect(r.statusCode).toBe(504);
    expect(r.json().code).toBe('TG_DASH_HUB_TIMEOUT');
    expect(r.json().message).toMatch(/集控中心.*未应答/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(hub.policyRequests).toHaveLength(1);
    expect(auditOf(d, 'policy.update')[0]?.detail).toMatchObject({ outcome: 'no-answer' });
    expect((await call(d, admin, 'GET', '/api/policy')).json().version).toBe(0);

    hub.mode = { refuse: 'TG_HUB_POLICY_CONFLICT' };
    const refused = await call(d, admin, 'PUT', '/api/policy', body);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'TG_HUB_POLICY_CONFLICT',
      hubCode: 'TG_HUB_POLICY_CONFLICT',
    });
    hub.mode = { refuse: 'TG_HUB_POLICY_INVALID' };
    expect((await call(d, admin, 'PUT', '/api/policy', body)).statusCode).toBe(400);
    // An invalid policy never leaves the dashboard: threshold outside the plausible range.
    const bad = await call(d, admin, 'PUT', '/api/policy', {
      ...body,
      rules: { ...body.rules, feverThresholdTenths: 430 },
    });
    expect(bad.statusCode).toBe(400);
    expect(hub.policyRequests).toHaveLength(3);
  });
});

describe('person holds', () => {
  it('the list follows the retained snapshot and changes on exactly the held version; HR lifts and opens through the hub', async () => {
    broker = await startTestBroker();
    const hub = await FakeHub.start(broker.url);
    const now = Date.now();
    const fever = PersonHold.parse({
      employeeNo: 'E1',
      name: '张伟',
      state: 'active',
      stage: 'sent-home',
      since: now,
      updatedAt: now,
      gateId: 'gate-a',
      temperatureTenths: 386,
      readingIds: ['r1'],
      room: { id: 'r-a2', name: '隔离室 A2' },
      by: 'gate:gate-a',
    });
    await hub.publishHolds([fever]);
    const { d, as } = await start(broker);
    const hr = await as('hr');
    const guard = await as('guard');
    const list = async (who = hr, state = 'active') =>
      (await call(d, who, 'GET', `/api/holds?state=${state}`)).json() as {
        version: number;
        holds: PersonHold[];
        requests: unknown[];
      };
    await waitFor(async () => (await list(guard)).version === 1, { what: 'the retained holds snapshot' });
    expect((await list(guard)).holds.map((h) => [h.employeeNo, h.stage, h.room?.name])).toEqual([
      ['E1', 'sent-home', '隔离室 A2'],
    ]);

    // A change that does not start at the held version is not applied (a gap): the list stays.
    const gap: HoldsChange = {
      v: 1,
      fromVersion: 5,
      toVersion: 6,
      issuedAt: now,
      upserts: [{ ...fever, employeeNo: 'E9' }],
      removals: [],
    };
    await hub.c.publishAsync(`tg/${SITE}/holds/changes`, JSON.stringify(gap), { qos: 1 });
    // A change on top of the held version is.
    const change: HoldsChange = {
      v: 1,
      fromVersion: 1,
      toVersion: 2,
      issuedAt: now,
      upserts: [{ ...fever, employeeNo: 'E2', name: '李娜' }],
      removals: [],
    };
    hub.version = 2;
    hub.holds.set('E2', { ...fever, employeeNo: 'E2', name: '李娜' });
    await hub.c.publishAsync(`tg/${SITE}/holds/changes`, JSON.stringify(change), { qos: 1 });
    await waitFor(async () => (await list()).version === 2, { what: 'the change' });
    expect((await list()).holds.map((h) => h.employeeNo).sort()).toEqual(['E1', 'E2']);

    const lift = await call(d, hr, 'POST', '/api/holds/E1/lift', {
      reason: 'certificate',
      note: '医院健康证明已查验',
      returnDate: '2026-03-09',
    });
    expect(lift.statusCode, lift.body).toBe(200);
    expect(lift.json().hold).toMatchObject({
      employeeNo: 'E1',
      state: 'lifted',
      liftReason: 'certificate',
      returnDate: '2026-03-09',
    });
    expect(hub.holdRequests.at(-1)).toMatchObject({
      action: 'lift',
      employeeNo: 'E1',
      reason: 'certificate',
      note: '医院健康证明已查验',
      returnDate: '2026-03-09',
      by: 'dashboard:hr1',
    });
    expect((await list()).holds.map((h) => h.employeeNo)).toEqual(['E2']);
    expect((await list(hr, 'all')).holds.map((h) => [h.employeeNo, h.state])).toEqual([
      ['E2', 'active'],
      ['E1', 'lifted'],
    ]);
    // A note is required.
    expect((await call(d, hr, 'POST', '/api/holds/E2/lift', { reason: 'other', note: ' ' })).statusCode).toBe(
      400,
    );

    const opened = await call(d, hr, 'POST', '/api/holds', {
      employeeNo: 'E7',
      name: '王芳',
      note: '自述发热',
    });
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json().hold).toMatchObject({ employeeNo: 'E7', state: 'active', stage: 'manual' });
    expect(auditOf(d, 'hold.open')[0]?.detail).toMatchObject({ outcome: 'ok', note: '自述发热' });
    // The hub's refusal for a person it does not hold.
    const none = await call(d, hr, 'POST', '/api/holds/E404/lift', { reason: 'other', note: 'x' });
    expect(none.statusCode).toBe(409);
    expect(none.json().code).toBe('TG_HUB_HOLD_NOT_FOUND');
  });

  it('closing an episode while the hub is silent is recorded; the lift is listed as pending and sent again until the hub answers', async () => {
    broker = await startTestBroker();
    const hub = await FakeHub.start(broker.url);
    const { d, as } = await start(broker);
    const guard = await as('guard');
    const gate = await client(broker.url, 'gate-a-sim');
    const flagged = decision(
      { decision: 'flagged', reason: 'fever', temperatureTenths: 386, employeeNo: 'E1', at: Date.now() },
      '张伟',
    );
    flagged.isolationRoom = 'r-a2';
    // The hub opens the hold itself on the flag (what the real hub does).
    const now = Date.now();
    await hub.publishHolds([
      PersonHold.parse({
        employeeNo: 'E1',
        name: '张伟',
        state: 'active',
        stage: 'fever',
        since: now,
        updatedAt: now,
        gateId: 'gate-a',
        temperatureTenths: 386,
        readingIds: [flagged.reading.id],
        room: { id: 'r-a2', name: '隔离室 A2' },
        by: 'gate:gate-a',
      }),
    ]);
    await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(flagged), { qos: 1 });
    const alert = await waitFor(() => d.core.alerts.list()[0], { what: 'the fever episode' });
    expect(alert.roomId).toBe('r-a2');
    hub.mode = 'silent';
    expect((await call(d, guard, 'POST', `/api/alerts/${alert.id}/arrival`)).statusCode).toBe(200);
    expect(
      (
        await call(d, guard, 'POST', `/api/alerts/${alert.id}/recheck`, {
          temperatureTenths: 366,
          instrument: 'contact',
        })
      ).statusCode,
    ).toBe(200);
    const closed = await call(d, guard, 'POST', `/api/alerts/${alert.id}/close`, {
      disposition: 'cleared-to-enter',
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ stage: 'closed', disposition: 'cleared-to-enter' });

    const holds = async () =>
      (await call(d, guard, 'GET', '/api/holds')).json() as {
        holds: PersonHold[];
        requests: Array<{ action: string; state: string; attempts: number; request: HoldRequest }>;
      };
    const pending = (await holds()).requests;
    expect(pending).toEqual([
      expect.objectContaining({ action: 'lift', state: 'pending', employeeNo: 'E1' }),
    ]);
    expect(pending[0]?.request).toMatchObject({
      reason: 'recheck-normal',
      readingIds: [flagged.reading.id],
      by: 'dashboard:guard1',
    });
    // Sent again (same id) while unanswered.
    await waitFor(() => hub.holdRequests.length >= 2, { what: 'the lift sent again', timeoutMs: 5000 });
    expect(new Set(hub.holdRequests.map((r) => r.id)).size).toBe(1);

    hub.mode = 'answer';
    await waitFor(async () => (await holds()).requests.length === 0, {
      what: 'the hub to answer the lift',
      timeoutMs: 5000,
    });
    expect((await holds()).holds).toEqual([]);
  });
});

describe('fever notification (随时报)', () => {
  it('reaches a local receiver within 1 s of the fever reaching the dashboard, in Chinese, with department and room', async () => {
    const got: Array<{
      at: number;
      path: string;
      body: { text?: string | { content: string }; reason?: string };
    }> = [];
    const server = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        data += c;
      });
      req.on('end', () => {
        got.push({ at: Date.now(), path: req.url ?? '', body: JSON.parse(data) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    broker = await startTestBroker();
    const { d } = await start(broker, {
      siteName: '一号厂区',
      alerts: {
        webhooks: [
          { kind: 'wecom', url: `${base}/cgi-bin/webhook/send?key=k` },
          { kind: 'generic', url: `${base}/generic` },
        ],
      },
    });
    const hubClient = await client(broker.url, 'hub-sim');
    const roster: AccessListSnapshot = {
      v: 1,
      version: 3,
      issuedAt: Date.now(),
      entries: [
        {
          employeeNo: 'E10031',
          name: '李娜',
          department: '总装车间',
          kind: 'employee',
          validFrom: null,
          validUntil: null,
        },
      ],
    };
    await hubClient.publishAsync(`tg/${SITE}/access-list`, JSON.stringify(roster), { qos: 1, retain: true });
    await waitFor(() => d.core.board.roster()?.version === 3, { what: 'the roster' });

    const gate = await client(broker.url, 'gate-a-sim');
    const fever = decision(
      { decision: 'flagged', reason: 'fever', temperatureTenths: 382, employeeNo: 'E10031', at: Date.now() },
      '李娜',
    );
    fever.isolationRoom = 'r-a2';
    let reachedAt = 0;
    d.core.alerts.onAlertChange(() => {
      reachedAt ||= Date.now();
    });
    await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(fever), { qos: 1 });
    await waitFor(() => got.length === 2, { what: 'both webhook messages', timeoutMs: 3000 });
    expect(reachedAt).toBeGreaterThan(0);
    for (const g of got) expect(g.at - reachedAt).toBeLessThan(1000);
    const wecom = got.find((g) => g.path.startsWith('/cgi-bin'))?.body.text as { content: string };
    expect(wecom.content).toMatch(/^【体温异常】一号厂区/);
    for (const part of ['李娜', 'E10031', '总装车间', 'gate-a', '38.2 °C', '临时隔离室：隔离室 A2', '复测'])
      expect(wecom.content).toContain(part);
    expect(got.find((g) => g.path === '/generic')?.body).toMatchObject({
      reason: 'raised',
      text: wecom.content,
    });
  });
});
