/**
 * The dashboard's side of the site policy and person holds on a real broker (aedes), against the
 * hub's own site store and list distributor behind a thin MQTT responder: the store decides each
 * PolicyRequest / HoldRequest, the responder answers with a HubReply (same id) and publishes what
 * the hub publishes (retained policy, holds change + retained snapshot). The end-to-end test with
 * the whole hub process lives with the hub.
 *
 * Also: a fever's webhook message reaches a local HTTP receiver within 1 s, in Chinese.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import { ListDistributor } from '../../hub/lists/distributor.ts';
import type { HubErrorCode } from '../../hub/errors.ts';
import { type Flag, type Outcome, SiteStore } from '../../hub/site-store/store.ts';
import {
  type HoldRequest,
  type HoldsChange,
  HoldsSnapshot,
  type HubReply,
  holdKey,
  type PersonHold,
} from '../../protocols/site/holds.ts';
import { DashboardTopic, HubTopic, SiteTopic } from '../../protocols/topics.ts';
import type { PolicyRequest } from '../../protocols/site/policy-request.ts';
import { defaultSitePolicy } from '../../protocols/site/policy.ts';
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

const responders: HubResponder[] = [];

afterEach(async () => {
  await dash?.close();
  dash = undefined;
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  for (const h of responders.splice(0)) h.close();
  await broker?.stop();
  broker = undefined;
});

async function client(url: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 100 });
  clients.push(c);
  return c;
}

type Mode = 'answer' | 'silent' | { refuse: string };

/**
 * The hub's side as the hub runs it: its own site store (hub/site-store/store.ts) decides every
 * request and its list distributor publishes the holds (the change, then the retained snapshot).
 * Only the MQTT glue is here, with a switch to stay silent or refuse, for the tests of those paths.
 */
class HubResponder {
  mode: Mode = 'answer';
  readonly store = new SiteStore(join(tempDir('tg-site-hub-'), 'site.sqlite'));
  readonly holds: ListDistributor<PersonHold>;
  policyRequests: PolicyRequest[] = [];
  holdRequests: HoldRequest[] = [];
  constructor(readonly c: MqttClient) {
    this.holds = new ListDistributor<PersonHold>(
      {
        what: 'holds',
        schema: HoldsSnapshot,
        key: holdKey,
        snapshotTopic: SiteTopic.holds(SITE),
        changeTopic: SiteTopic.holdsChanges(SITE),
        read: () => this.store.holdsSnapshot(),
      },
      async (topic, payload, opts) => {
        await this.c.publishAsync(topic, payload, opts);
      },
      silentLogger(),
    );
  }

  static async start(url: string): Promise<HubResponder> {
    const hub = new HubResponder(await client(url, 'hub-responder'));
    responders.push(hub);
    hub.c.on('message', (topic, payload) => void hub.on(topic, JSON.parse(payload.toString())));
    await hub.c.subscribeAsync([DashboardTopic.policyRequest(SITE), DashboardTopic.holdRequest(SITE)], {
      qos: 1,
    });
    return hub;
  }

  close(): void {
    this.store.close();
  }

  /** What the hub publishes at start and after each change of the policy (retained). */
  publishPolicy(): Promise<unknown> {
    return this.c.publishAsync(SiteTopic.policy(SITE), JSON.stringify(this.store.policy()), {
      qos: 1,
      retain: true,
    });
  }

  /** A gate's fever flag, as the hub records it from the decision; then the holds go out. */
  async flag(f: Omit<Flag, 'at'>): Promise<void> {
    this.store.flag({ ...f, at: Date.now() });
    await this.holds.poll();
  }

  private reply(id: string, o: Outcome) {
    const r: HubReply = {
      v: 1,
      id,
      ok: o.ok,
      code: o.ok ? null : o.code,
      error: o.ok ? null : o.error,
      version: o.ok ? o.version : null,
      at: Date.now(),
    };
    return this.c.publishAsync(HubTopic.reply(SITE), JSON.stringify(r), { qos: 1 });
  }

  private async on(topic: string, m: unknown) {
    const policy = topic === DashboardTopic.policyRequest(SITE);
    if (policy) this.policyRequests.push(m as PolicyRequest);
    else this.holdRequests.push(m as HoldRequest);
    const id = (m as { id: string }).id;
    if (this.mode === 'silent') return;
    if (typeof this.mode === 'object')
      return this.reply(id, { ok: false, code: this.mode.refuse as HubErrorCode, error: 'refused' });
    if (policy) {
      const o = this.store.setPolicy(m as PolicyRequest);
      if (o.ok) await this.publishPolicy();
      return this.reply(id, o);
    }
    const o = this.store.request(m as HoldRequest);
    if (o.ok) await this.holds.poll();
    return this.reply(id, o);
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
    const hub = await HubResponder.start(broker.url);
    const { d, as } = await start(broker);
    const admin = await as('admin');
    const hr = await as('hr');
    const before = await call(d, hr, 'GET', '/api/policy');
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ version: 0, rules: { feverThresholdTenths: 373 } });
    // What the hub publishes when it starts: its store's policy, version 1 (the defaults).
    await hub.publishPolicy();
    await waitFor(async () => (await call(d, hr, 'GET', '/api/policy')).json().version === 1, {
      what: "the hub's policy",
    });

    const rules = { ...defaultSitePolicy().rules, feverThresholdTenths: 375 };
    const calendar = {
      workingDays: [1, 2, 3, 4, 5, 6],
      holidays: ['2026-10-01'],
      extraWorkingDays: ['2026-10-11'],
      afternoonFrom: '13:00',
    };
    const put = await call(d, admin, 'PUT', '/api/policy', { baseVersion: 1, rules, calendar });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ version: 2, issuedBy: 'dashboard:admin1', rules, calendar });
    expect(hub.policyRequests).toEqual([
      expect.objectContaining({ v: 1, baseVersion: 1, by: 'dashboard:admin1', rules, calendar }),
    ]);
    expect((await call(d, hr, 'GET', '/api/policy')).json()).toMatchObject({
      version: 2,
      calendar: { afternoonFrom: '13:00' },
    });
    expect(auditOf(d, 'policy.update')[0]?.detail).toMatchObject({
      outcome: 'ok',
      version: 2,
      baseVersion: 1,
    });
  });

  it("a hub that does not answer: 504 TG_DASH_HUB_TIMEOUT with a Chinese message, audited as unanswered; a refusal passes on the hub's code", async () => {
    broker = await startTestBroker();
    const hub = await HubResponder.start(broker.url);
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

    // The hub's store is at version 1 (it has not published it yet): an edit of version 0 conflicts.
    hub.mode = 'answer';
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
    const hub = await HubResponder.start(broker.url);
    const now = Date.now();
    const room = { id: 'r-a2', name: '隔离室 A2' };
    await hub.flag({
      employeeNo: 'E1',
      name: '张伟',
      gateId: 'gate-a',
      readingId: 'r1',
      temperatureTenths: 386,
      room,
    });
    const fever = hub.store.hold('E1') as PersonHold;
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
      ['E1', 'fever', '隔离室 A2'],
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
    // A change on top of the held version is: the hub's next change (another flag).
    await hub.flag({
      employeeNo: 'E2',
      name: '李娜',
      gateId: 'gate-a',
      readingId: 'r2',
      temperatureTenths: 384,
      room,
    });
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
    const hub = await HubResponder.start(broker.url);
    const { d, as } = await start(broker);
    const guard = await as('guard');
    const gate = await client(broker.url, 'gate-a-sim');
    const flagged = decision(
      { decision: 'flagged', reason: 'fever', temperatureTenths: 386, employeeNo: 'E1', at: Date.now() },
      '张伟',
    );
    flagged.isolationRoom = 'r-a2';
    // The hub opens the hold itself on the flag.
    await hub.flag({
      employeeNo: 'E1',
      name: '张伟',
      gateId: 'gate-a',
      readingId: flagged.reading.id,
      temperatureTenths: 386,
      room: { id: 'r-a2', name: '隔离室 A2' },
    });
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
