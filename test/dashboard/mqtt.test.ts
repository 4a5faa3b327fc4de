/**
 * createDashboard on a real broker (aedes) with a fake gate client: commands pending →
 * acknowledged and → timed-out, bad payloads counted without harm, a fever passage pushed to a
 * connected browser, and a broker restart (resubscribe, retained alert list republished).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import type { AlertStateList } from '../../protocols/dashboard/messages.ts';
import type { GateCommand, GateCommandAck } from '../../protocols/gate/messages.ts';
import { topicMatches } from '../../hub/auth/topic-filter.ts';
import { waitFor } from '../harness/wait.ts';
import { startTestBroker, type TestBroker } from './broker.ts';
import { decision, FAST_SCRYPT, feverAlert, PASSWORD, SITE, tempDir, testConfig } from './fixture.ts';
import { openSse, type SseStream } from './sse.ts';

let broker: TestBroker | undefined;
let dash: Dashboard | undefined;
const clients: MqttClient[] = [];
const streams: SseStream[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.drop();
  await dash?.close();
  dash = undefined;
  for (const c of clients.splice(0)) await c.endAsync(true);
  await broker?.stop();
  broker = undefined;
});

async function client(url: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 100 });
  clients.push(c);
  return c;
}

/** A gate that acknowledges every command it gets. */
/** A gate's retained status, as the edge publishes it (the dashboard commands only gates it knows). */
async function announce(c: MqttClient, gateId: string, online: boolean): Promise<void> {
  const status = {
    v: 1,
    siteId: SITE,
    gateId,
    online,
    at: Date.now(),
    thermometer: 'online',
    gateState: 'locked',
    softwareVersion: 'test',
    configVersion: 'test',
    accessListVersion: null,
  };
  await c.publishAsync(`tg/${SITE}/gate/${gateId}/status`, JSON.stringify(status), { qos: 1, retain: true });
}

async function fakeGate(url: string, gateId: string): Promise<{ client: MqttClient; got: GateCommand[] }> {
  const c = await client(url, `fake-${gateId}`);
  const got: GateCommand[] = [];
  c.on('message', (topic, payload) => {
    if (topic !== `tg/${SITE}/gate/${gateId}/command`) return;
    const cmd = JSON.parse(payload.toString()) as GateCommand;
    got.push(cmd);
    const ack: GateCommandAck = { v: 1, id: cmd.id, ok: true, error: null, at: Date.now() };
    c.publish(`tg/${SITE}/gate/${gateId}/command-ack`, JSON.stringify(ack), { qos: 1 });
  });
  await c.subscribeAsync(`tg/${SITE}/gate/${gateId}/command`, { qos: 1 });
  return { client: c, got };
}

async function start(b: TestBroker): Promise<{ d: Dashboard; port: number; cookie: string; csrf: string }> {
  const dir = tempDir();
  const d = await createDashboard(
    testConfig(dir, {
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { url: b.url, username: 'dash', password: 'pw' },
      commands: { ackTimeoutMs: 600 },
    }),
    { log: silentLogger(), scrypt: FAST_SCRYPT, mqttReconnectMs: 100, manualSink: { write: async () => {} } },
  );
  dash = d;
  await d.core.users.create({ username: 'guard1', password: PASSWORD, role: 'guard' });
  const { port } = await d.start();
  await d.mqttReady();
  const login = await d.app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { username: 'guard1', password: PASSWORD },
  });
  const cookie = `tg_session=${login.cookies.find((c) => c.name === 'tg_session')?.value}`;
  return { d, port, cookie, csrf: login.json().csrfToken };
}

describe('dashboard on a broker', () => {
  it('a command goes pending → acknowledged by the gate; one to a silent gate times out', async () => {
    broker = await startTestBroker();
    const gate = await fakeGate(broker.url, 'gate-a');
    const { d, cookie, csrf } = await start(broker);
    const send = (gateId: string, body: object) =>
      d.app.inject({
        method: 'POST',
        url: `/api/gates/${gateId}/commands`,
        headers: { cookie, 'x-csrf-token': csrf },
        payload: body,
      });
    const commands = async () =>
      (await d.app.inject({ method: 'GET', url: '/api/commands', headers: { cookie } })).json() as Array<{
        id: string;
        state: string;
      }>;

    // gate-a answers; gate-b says it is online but never answers; gate-c is offline.
    await announce(gate.client, 'gate-a', true);
    await announce(gate.client, 'gate-b', true);
    await announce(gate.client, 'gate-c', false);
    await waitFor(() => d.core.board.gateIds().length === 3, { what: 'the dashboard to know the gates' });
    const open = await send('gate-a', { kind: 'open-once', reason: 'delivery' });
    expect(open.statusCode).toBe(202);
    expect(open.json().state).toBe('pending');
    await waitFor(
      async () => (await commands()).find((c) => c.id === open.json().id)?.state === 'acknowledged',
      {
        what: 'the gate to acknowledge',
      },
    );
    expect(gate.got).toEqual([
      expect.objectContaining({ id: open.json().id, kind: 'open-once', by: 'guard1' }),
    ]);

    // An offline gate is refused with a reason, not "sent" (issue #18); nothing is queued.
    const offline = await send('gate-c', { kind: 'open-once', reason: 'delivery' });
    expect([offline.statusCode, offline.json().code]).toEqual([409, 'TG_DASH_GATE_OFFLINE']);
    expect((await commands()).some((c) => c.id === offline.json().id)).toBe(false);

    const silent = await send('gate-b', { kind: 'lockdown' });
    await waitFor(
      async () => (await commands()).find((c) => c.id === silent.json().id)?.state === 'timed-out',
      {
        what: 'the command to time out',
      },
    );
  });

  it('counts bad payloads on the wire, keeps going, and pushes a fever passage to a browser', async () => {
    broker = await startTestBroker();
    const { d, port, cookie } = await start(broker);
    const gate = await client(broker.url, 'gate-a-sim');
    const feed = await openSse(port, '/api/feed', { cookie });
    streams.push(feed);
    await feed.waitFor('hello', 1);
    for (const garbage of ['{', '{"v":1}', JSON.stringify({ ...decision(), v: 2 })])
      await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, garbage, { qos: 1 });
    await waitFor(async () => (await d.core.metrics.badPayloadCount()) === 3, {
      what: 'three refused payloads',
    });
    const fever = decision(
      { decision: 'flagged', reason: 'fever', temperatureTenths: 385, employeeNo: 'E9' },
      '王芳',
    );
    await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(fever), { qos: 1 });
    await gate.publishAsync(`tg/${SITE}/gate/gate-a/alert`, JSON.stringify(feverAlert(fever)), { qos: 1 });
    const [alert] = await feed.waitFor('alert', 1);
    expect(JSON.parse(alert?.data ?? '{}')).toMatchObject({ kind: 'fever', employeeNo: 'E9', roomId: 'r1' });
    expect(feed.of('decision')).toHaveLength(1);
    const health = await d.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ ok: true, mqtt: true });
  });

  it('subscribes to what it reads, not the readings, and drops the whole site an older version subscribed to', async () => {
    broker = await startTestBroker();
    // An older dashboard left its persistent session subscribed to the whole site.
    const older = await mqtt.connectAsync(broker.url, { clientId: 'dash-dashboard', clean: false });
    await older.subscribeAsync(`tg/${SITE}/#`, { qos: 1 });
    await older.endAsync();

    await start(broker);
    const { persistence } = broker.aedes() as unknown as {
      persistence: { subscriptionsByClient(c: { id: string }): Promise<Array<{ topic: string }>> };
    };
    const filters = await waitFor(
      async () => {
        const subs = (await persistence.subscriptionsByClient({ id: 'dash-dashboard' })).map((s) => s.topic);
        return subs.includes(`tg/${SITE}/#`) ? undefined : subs;
      },
      { what: 'the whole-site filter dropped from the session' },
    );
    const hears = (topic: string) => filters.some((f) => topicMatches(f, topic));
    expect(hears(`tg/${SITE}/gate/gate-a/reading`)).toBe(false);
    for (const kind of ['decision', 'alert', 'status', 'heartbeat', 'command-ack'])
      expect(hears(`tg/${SITE}/gate/gate-a/${kind}`), kind).toBe(true);
    for (const topic of [
      'fleet',
      'policy',
      'holds',
      'holds/changes',
      'access-list',
      'hub/reply',
      'hub/alert',
    ])
      expect(hears(`tg/${SITE}/${topic}`), topic).toBe(true);
    expect(hears(`tg/${SITE}/dashboard/alert-ack`)).toBe(true);
  });

  it('after a broker restart it resubscribes and republishes the retained alert list', async () => {
    broker = await startTestBroker();
    const { d, cookie } = await start(broker);
    const gate = await client(broker.url, 'gate-a-sim');
    const fever = decision({ decision: 'flagged', reason: 'fever', temperatureTenths: 390 });
    await gate.publishAsync(`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(fever), { qos: 1 });
    await waitFor(() => d.core.alerts.list().length === 1, { what: 'the alert' });

    await broker.stop();
    await waitFor(() => !d.mqttConnected, { what: 'the dashboard to notice' });
    await broker.restart();
    await waitFor(() => d.mqttConnected, { what: 'the dashboard to reconnect', timeoutMs: 10_000 });
    // A fresh broker knows no retained messages: the dashboard put its alert list back.
    const observer = await client(broker.url, 'observer');
    const got: AlertStateList[] = [];
    observer.on('message', (topic, payload) => {
      if (topic === `tg/${SITE}/dashboard/alerts`) got.push(JSON.parse(payload.toString()));
    });
    await observer.subscribeAsync(`tg/${SITE}/dashboard/alerts`, { qos: 1 });
    await waitFor(() => got.length > 0, { what: 'the retained alert list' });
    expect(got[0]?.alerts).toHaveLength(1);
    // And it hears the gates again.
    const gate2 = await client(broker.url, 'gate-a-sim2');
    await waitFor(
      async () => {
        const now = decision({ at: Date.now() });
        await gate2.publishAsync(`tg/${SITE}/gate/gate-a/decision`, JSON.stringify(now), { qos: 1 });
        const tiles = (await d.app.inject({ method: 'GET', url: '/api/gates', headers: { cookie } })).json();
        return tiles[0]?.passedToday >= 1;
      },
      { what: 'a decision after the reconnect', intervalMs: 200 },
    );
  });
});
