/**
 * Issue 9 against the REAL dashboard (server.test.ts uses a stand-in): the site process from
 * site/site.ts (hub + OPC UA server + dashboard), two real edge daemons with simulated terminals and
 * GPIO, a guard and an admin over HTTP, an OPC UA operator and an anonymous event subscriber.
 * - a fever's alarm acknowledged in OPC UA is acknowledged on the dashboard (by `opcua:<user>`);
 * - a fever acknowledged by a guard on the dashboard becomes acknowledged in OPC UA;
 * - OpenOnce fires the real gate's release line and lands in the dashboard's audit log and command
 *   list, attributed to the OPC UA user.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  AttributeIds,
  type ClientSubscription,
  DataType,
  makeBrowsePath,
  type NodeId,
  StatusCodes,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../dashboard/audit/audit-log.ts';
import type { CommandView } from '../../dashboard/commands/commands.ts';
import { GpioPeer } from '../../firmware-sim/gpio/peer.ts';
import { parseHubConfig } from '../../hub/config/load.ts';
import { type Site, startSite } from '../../site/site.ts';
import type { AlertAckRequest, AlertState } from '../../protocols/dashboard/messages.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import { waitFor } from '../harness/wait.ts';
import { connect, SITE, startGate, type TestGate, tempDir, writeCredentials } from '../hub/fixture.ts';
import { capturingLogger, monitorEvents, text, type UaEvent, type UaSession, uaSession } from './helpers.ts';

const OP = { userName: 'op1', password: 'operator-secret-1' };
const GUARD = { username: 'guard1', password: 'guard-password-1' };
const ADMIN = { username: 'admin1', password: 'admin-password-1' };

interface HttpUser {
  cookie: string;
  csrf: string;
}

const dir = tempDir('tg-opcua-dash-');
const { log, logs } = capturingLogger();
let site: Site;
let port: number;
let ns: number;
let gateA: TestGate;
let gateB: TestGate;
let gpio: GpioPeer;
let anon: UaSession;
let operator: UaSession;
let sub: ClientSubscription;
let siteEvents: UaEvent[];
let guard: HttpUser;
let admin: HttpUser;
/** What passes on the dashboard's alert topics, seen by a service account. */
const wire = {
  states: [] as AlertState[],
  ackRequests: [] as AlertAckRequest[],
  client: undefined as MqttClient | undefined,
};

const login = async (u: { username: string; password: string }): Promise<HttpUser> => {
  const r = await fetch(`http://127.0.0.1:${port}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(u),
  });
  expect(r.status).toBe(200);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return { cookie, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
};
const api = async <T>(who: HttpUser, method: string, path: string, body?: unknown): Promise<T> => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      cookie: who.cookie,
      'x-csrf-token': who.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const txt = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${txt}`);
  return (txt ? JSON.parse(txt) : undefined) as T;
};
const dashAlert = async (pred: (a: AlertState) => boolean, what: string): Promise<AlertState> =>
  waitFor(async () => (await api<AlertState[]>(guard, 'GET', '/api/alerts?state=open')).find(pred) ?? null, {
    what,
  });
const conditionOf = (e: UaEvent) => (e.ConditionId as NodeId).toString();
/** The dashboard alert id a condition mirrors (its NodeId is `{site}.{gate}.alerts.{alertId}`). */
const alertIdOf = (e: UaEvent) => conditionOf(e).split('.alerts.')[1] as string;
const ackedIdNode = async (conditionId: NodeId): Promise<NodeId> => {
  const [path] = await anon.session.translateBrowsePath([makeBrowsePath(conditionId, '/AckedState/Id')]);
  return path?.targets?.[0]?.targetId as NodeId;
};

beforeAll(async () => {
  const passwords = await writeCredentials(join(dir, 'credentials.json'));
  writeFileSync(join(dir, 'dash.password'), passwords.dash as string);
  const opFile = join(dir, 'op1.password');
  writeFileSync(opFile, `${OP.password}\n`, { mode: 0o600 });
  const readings = join(dir, 'site.sqlite');
  const dashFile = join(dir, 'dashboard.yaml');
  writeFileSync(
    dashFile,
    [
      `siteId: ${SITE}`,
      'http: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${join(dir, 'dashboard')}`,
      'mqtt: { url: internal, username: dash, passwordFile: dash.password }',
      `readings: { kind: sqlite, path: ${readings} }`,
      'alerts: { escalateAfterMs: 600000 }',
      'logLevel: silent',
      '',
    ].join('\n'),
  );
  const config = parseHubConfig({
    siteId: SITE,
    mqtt: { host: '127.0.0.1', port: 0 },
    credentialsFile: join(dir, 'credentials.json'),
    persistenceDir: join(dir, 'hub'),
    fleet: { heartbeatTimeoutMs: 3000, publishIntervalMs: 100 },
    watchIntervalMs: 100,
    dashboardConfigFile: dashFile,
    opcua: {
      enabled: true,
      port: 0,
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      users: [{ username: OP.userName, passwordFile: opFile, roles: ['operator'] }],
      trustUnknownClientCertificates: true,
      commandTimeoutMs: 3000,
    },
  });
  site = await startSite(config, { log });
  port = site.dashboardPort as number;
  const url = `mqtt://127.0.0.1:${site.hub.port}`;
  await site.dashboard?.mqttReady();
  await site.dashboard?.core.users.create({ ...GUARD, role: 'guard' });
  await site.dashboard?.core.users.create({ ...ADMIN, role: 'admin' });

  wire.client = await connect(url, { username: 'svc', password: passwords.svc, clientId: 'svc-wire' });
  wire.client.on('message', (topic, payload) => {
    if (topic === DashboardTopic.alert(SITE)) wire.states.push(JSON.parse(payload.toString()) as AlertState);
    if (topic === DashboardTopic.alertAck(SITE))
      wire.ackRequests.push(JSON.parse(payload.toString()) as AlertAckRequest);
  });
  await wire.client.subscribeAsync([DashboardTopic.alert(SITE), DashboardTopic.alertAck(SITE)], { qos: 1 });

  const patch = {
    policy: { accessListRequired: false },
    storage: { sink: { kind: 'sqlite' as const, path: readings } },
  };
  gateA = await startGate({ url, passwords }, 'gate-a', 'T1', dir, patch);
  gateB = await startGate({ url, passwords }, 'gate-b', 'T2', dir, patch);
  gpio = new GpioPeer({ port: gateA.edge.gpioSimPort as number });
  await gpio.start();
  await gpio.waitConnected();

  const endpointUrl = site.hub.opcua?.endpointUrl as string;
  const pki = join(dir, 'client-pki');
  anon = await uaSession(endpointUrl, { pki });
  operator = await uaSession(endpointUrl, { pki, mode: 'SignAndEncrypt', user: OP });
  ns = ((await anon.session.readNamespaceArray()) as string[]).indexOf(`urn:thermogate:site:${SITE}`);
  sub = await anon.session.createSubscription2({
    requestedPublishingInterval: 50,
    requestedMaxKeepAliveCount: 20,
    requestedLifetimeCount: 200,
    publishingEnabled: true,
  });
  siteEvents = await monitorEvents(sub, `ns=${ns};s=${SITE}`);
  for (const g of ['gate-a', 'gate-b'])
    await waitFor(
      async () =>
        (
          await anon.session.read({
            nodeId: `ns=${ns};s=${SITE}.${g}.Online`,
            attributeId: AttributeIds.Value,
          })
        ).value.value === true,
      { what: `${g} online in OPC UA` },
    );
  guard = await login(GUARD);
  admin = await login(ADMIN);
}, 60_000);

afterAll(async () => {
  for (const s of [operator, anon]) await s?.close().catch(() => undefined);
  await gpio?.stop();
  await gateA?.stop();
  await gateB?.stop();
  await wire.client?.endAsync(true);
  await site?.close();
});

describe('OPC UA and the real dashboard', () => {
  it('a fever acknowledged in OPC UA is acknowledged on the dashboard, by the OPC UA user', async () => {
    const r = await gateA.terminal.present({
      employeeNo: 'E1',
      name: '张伟',
      mask: 'yes',
      temperatureTenths: 385,
    });
    expect(r.verdict?.checkResult).toBe('failed');
    const raised = await waitFor(
      () =>
        siteEvents.find(
          (e) => e.ConditionName === 'fever' && e.SourceName === 'gate-a' && e['ActiveState.Id'] === true,
        ),
      { what: 'fever alarm event for gate-a' },
    );
    expect(raised).toMatchObject({ Severity: 900, Retain: true, 'AckedState.Id': false });
    expect(text(raised.Message)).toBe('Fever 38.5 °C at gate-a');
    // The condition is the dashboard's own alert, not one the hub made up.
    const alertId = alertIdOf(raised);
    expect(await dashAlert((a) => a.id === alertId, 'the alert on the dashboard')).toMatchObject({
      kind: 'fever',
      gateId: 'gate-a',
      employeeNo: 'E1',
      state: 'active-unacknowledged',
    });

    const status = await operator.session.acknowledgeCondition(
      raised.ConditionId as NodeId,
      raised.EventId as Buffer,
      'guard on the way',
    );
    expect(status).toBe(StatusCodes.Good);
    const onDashboard = await dashAlert(
      (a) => a.id === alertId && a.state === 'active-acknowledged',
      'dashboard alert acknowledged',
    );
    expect(onDashboard.acknowledgedBy).toBe('opcua:op1');
    const audit = await api<AuditEntry[]>(admin, 'GET', '/api/audit?limit=200');
    expect(audit.find((e) => e.action === 'alert.acknowledge' && e.target === alertId)).toMatchObject({
      username: 'opcua:op1',
      detail: { comment: 'guard on the way', gateId: 'gate-a' },
    });

    expect(wire.ackRequests.filter((q) => q.alertId === alertId)).toEqual([
      expect.objectContaining({ by: 'opcua:op1', comment: 'guard on the way' }),
    ]);
    // The dashboard's acknowledged state comes back: the condition stays acknowledged and active.
    await waitFor(
      () =>
        siteEvents.find(
          (e) =>
            conditionOf(e) === conditionOf(raised) &&
            e['AckedState.Id'] === true &&
            e.ClientUserId === 'opcua:op1',
        ),
      { what: 'acknowledged event' },
    );
    await waitFor(() => wire.states.find((a) => a.id === alertId && a.state === 'active-acknowledged'), {
      what: "the dashboard's acknowledged state on the wire",
    });
    const ackedId = await ackedIdNode(raised.ConditionId as NodeId);
    expect((await anon.session.read({ nodeId: ackedId, attributeId: AttributeIds.Value })).value.value).toBe(
      true,
    );
    expect(logs.some((l) => l.audit === 'opcua-ack' && l.alertId === alertId && l.result === 'Good')).toBe(
      true,
    );
  });

  it('a fever acknowledged by a guard on the dashboard is acknowledged in OPC UA', async () => {
    const r = await gateB.terminal.present({
      employeeNo: 'E2',
      name: '李娜',
      mask: 'yes',
      temperatureTenths: 390,
    });
    expect(r.verdict?.checkResult).toBe('failed');
    const raised = await waitFor(
      () =>
        siteEvents.find(
          (e) => e.ConditionName === 'fever' && e.SourceName === 'gate-b' && e['ActiveState.Id'] === true,
        ),
      { what: 'fever alarm event for gate-b' },
    );
    expect(raised['AckedState.Id']).toBe(false);
    const alertId = alertIdOf(raised);
    await dashAlert(
      (a) => a.id === alertId && a.state === 'active-unacknowledged',
      'gate-b fever on the dashboard',
    );

    const acked = await api<AlertState>(guard, 'POST', `/api/alerts/${encodeURIComponent(alertId)}/ack`, {
      comment: 'on my way',
    });
    expect(acked).toMatchObject({ state: 'active-acknowledged', acknowledgedBy: GUARD.username });
    const event = await waitFor(
      () => siteEvents.find((e) => conditionOf(e) === conditionOf(raised) && e['AckedState.Id'] === true),
      { what: 'acknowledged in OPC UA' },
    );
    expect(event).toMatchObject({ ClientUserId: GUARD.username, 'ActiveState.Id': true, Retain: true });
    const ackedId = await ackedIdNode(raised.ConditionId as NodeId);
    expect((await anon.session.read({ nodeId: ackedId, attributeId: AttributeIds.Value })).value.value).toBe(
      true,
    );
    // Not echoed back as an acknowledgement request: the dashboard's guard did it.
    expect(wire.ackRequests.some((q) => q.alertId === alertId)).toBe(false);
    expect(logs.some((l) => l.audit === 'opcua-ack' && l.alertId === alertId)).toBe(false);
  });

  it('OpenOnce as operator fires the real release line and is in the dashboard audit log as opcua:op1', async () => {
    const cursor = gpio.cursor();
    const res = await operator.session.call({
      objectId: `ns=${ns};s=${SITE}.gate-a`,
      methodId: `ns=${ns};s=${SITE}.gate-a.OpenOnce`,
      inputArguments: [{ dataType: DataType.String, value: 'visitor with escort' }],
    });
    expect(res.statusCode).toBe(StatusCodes.Good);
    expect(await gpio.waitForOutput('release', 1, 3000, { after: cursor })).toBe(true);
    const hubAudit = logs.filter((l) => l.audit === 'opcua-command' && l.what === 'open-once').at(-1);
    expect(hubAudit).toMatchObject({ who: 'opcua:op1', gateId: 'gate-a', result: 'Good' });

    const entry = await waitFor(
      async () =>
        (await api<AuditEntry[]>(admin, 'GET', '/api/audit?limit=200')).find(
          (e) => e.action === 'gate.command' && e.detail?.commandId === hubAudit?.commandId,
        ) ?? null,
      { what: 'gate command in the dashboard audit log' },
    );
    expect(entry).toMatchObject({
      username: 'opcua:op1',
      role: 'system',
      target: 'gate-a',
      detail: { kind: 'open-once', reason: 'visitor with escort', via: 'mqtt' },
    });
    // And tracked like the dashboard's own commands: the gate's ack settles it.
    const cmd = await waitFor(
      async () =>
        (await api<CommandView[]>(guard, 'GET', '/api/commands?gateId=gate-a')).find(
          (c) => c.id === hubAudit?.commandId && c.state === 'acknowledged',
        ) ?? null,
      { what: 'command acknowledged on the dashboard' },
    );
    expect(cmd).toMatchObject({ origin: 'wire', by: 'opcua:op1', kind: 'open-once' });
  });
});
