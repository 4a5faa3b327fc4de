/**
 * The hub's OPC UA server end to end, one server for the whole file (node-opcua is slow to start):
 * a real gate (edge daemon + simulated terminal + simulated GPIO peer), a fake gate that answers
 * commands, a stand-in dashboard on MQTT, and node-opcua clients: anonymous on None, a viewer, and
 * an operator on Basic256Sha256 SignAndEncrypt whose certificate the hub must first be told to trust.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  AttributeIds,
  BrowseDirection,
  type ClientSubscription,
  DataType,
  type DataValue,
  makeBrowsePath,
  NodeClass,
  type NodeId,
  StatusCodes,
  TimestampsToReturn,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpioPeer } from '../../firmware-sim/gpio/peer.ts';
import { hashPassword } from '../../hub/auth/password.ts';
import { type DecisionMessage, type GateCommand, SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { GateTopic } from '../../protocols/topics.ts';
import { waitFor } from '../harness/wait.ts';
import { collector, connect, FAST_SCRYPT, SITE, startGate, type TestGate, tempDir } from '../hub/fixture.ts';
import {
  FakeDashboard,
  monitorEvents,
  type OpcuaTestHub,
  startOpcuaHub,
  text,
  type UaEvent,
  type UaSession,
  uaSession,
} from './helpers.ts';

const OP = { userName: 'op1', password: 'operator-secret-1' };
const VIEWER = { userName: 'view1', password: 'viewer-secret-1' };

let t: OpcuaTestHub;
let ns: number;
let gate: TestGate;
let gpio: GpioPeer;
let dash: FakeDashboard;
let fakeGate: MqttClient;
let observer: { client: MqttClient; got: { topic: string; payload: string }[] };
let anon: UaSession;
let viewer: UaSession;
let operator: UaSession;
let opNone: UaSession;
let sub: ClientSubscription;
let siteEvents: UaEvent[];
const dir = tempDir('tg-opcua-');
const clientPki = join(dir, 'client-pki');

const id = (path: string) => `ns=${ns};s=${SITE}.${path}`;
const read = (s: UaSession, path: string, attributeId = AttributeIds.Value): Promise<DataValue> =>
  s.session.read({ nodeId: id(path), attributeId });
const call = (s: UaSession, gateId: string, method: string, reason: string) =>
  s.session.call({
    objectId: id(gateId),
    methodId: id(`${gateId}.${method}`),
    inputArguments: [{ dataType: DataType.String, value: reason }],
  });
const auditOf = (what: string) => t.logs.filter((l) => l.audit === 'opcua-command' && l.what === what);

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const opFile = join(dir, 'op1.password');
  writeFileSync(opFile, `${OP.password}\n`, { mode: 0o600 });
  t = await startOpcuaHub(
    {
      users: [
        { username: OP.userName, passwordFile: opFile, roles: ['operator'] },
        {
          username: VIEWER.userName,
          passwordHash: await hashPassword(VIEWER.password, FAST_SCRYPT),
          roles: ['viewer'],
        },
      ],
      commandTimeoutMs: 1000,
    },
    dir,
  );
  gate = await startGate(t, 'gate-a', 'T1', dir, { policy: { accessListRequired: false } });
  gpio = new GpioPeer({ port: gate.edge.gpioSimPort as number });
  await gpio.start();
  await gpio.waitConnected();
  dash = new FakeDashboard(t.url, t.passwords.dash as string);
  await dash.start();
  // gate-b: a stand-in gate that is online and acknowledges commands unless told otherwise.
  fakeGate = await connect(t.url, {
    username: 'gate-b',
    password: t.passwords['gate-b'],
    clientId: 'gate-b',
    reconnectPeriod: 0,
  });
  const c = await connect(t.url, {
    username: 'svc',
    password: t.passwords.svc,
    clientId: 'svc',
    reconnectPeriod: 0,
  });
  observer = { client: c, got: (await collector(c, `tg/${SITE}/gate/+/+`)).got };

  anon = await uaSession(t.endpointUrl, { pki: clientPki });
  const nsArray = (await anon.session.readNamespaceArray()) as string[];
  ns = nsArray.indexOf(`urn:thermogate:site:${SITE}`);
  sub = await anon.session.createSubscription2({
    requestedPublishingInterval: 50,
    requestedMaxKeepAliveCount: 20,
    requestedLifetimeCount: 200,
    publishingEnabled: true,
  });
  siteEvents = await monitorEvents(sub, `ns=${ns};s=${SITE}`);
  await waitFor(async () => (await read(anon, 'gate-a.Online')).value.value === true, {
    what: 'gate-a online',
  });
}, 60_000);

afterAll(async () => {
  for (const s of [operator, opNone, viewer, anon]) await s?.close().catch(() => undefined);
  await gpio?.stop();
  await gate?.stop();
  await dash?.stop();
  await fakeGate?.endAsync(true);
  await observer?.client.endAsync(true);
  await t?.close();
});

describe('security', () => {
  it('an unknown client certificate is refused on SignAndEncrypt until an admin trusts it', async () => {
    await expect(
      uaSession(t.endpointUrl, { pki: clientPki, mode: 'SignAndEncrypt', user: OP }),
    ).rejects.toThrow();
    const pki = join(dir, 'data', 'opcua-pki', 'server');
    const rejected = () => readdirSync(join(pki, 'rejected')).filter((f) => /\.(pem|der)$/.test(f));
    await waitFor(() => rejected().length > 0, { what: 'client certificate in rejected/' });
    // What an admin does: move it to trusted/certs; the hub notices without a restart. Repeated
    // while the connection still fails: the store may still be recording the rejection.
    operator = await waitFor(
      () => {
        for (const f of rejected()) renameSync(join(pki, 'rejected', f), join(pki, 'trusted', 'certs', f));
        return uaSession(t.endpointUrl, { pki: clientPki, mode: 'SignAndEncrypt', user: OP }).catch(
          () => undefined,
        );
      },
      { what: 'SignAndEncrypt session once trusted', timeoutMs: 15_000, intervalMs: 300 },
    );
    expect(operator.client.securityMode).toBe(3); // SignAndEncrypt
    expect(operator.client.securityPolicy).toContain('Basic256Sha256');
    expect(existsSync(join(dir, 'data', 'opcua-pki', 'server', 'own', 'certs', 'certificate.pem'))).toBe(
      true,
    );
  });

  it('a wrong password is refused', async () => {
    await expect(
      uaSession(t.endpointUrl, {
        pki: clientPki,
        mode: 'SignAndEncrypt',
        user: { userName: 'op1', password: 'nope' },
      }),
    ).rejects.toThrow();
    expect(t.logs.some((l) => l.code === 'TG_OPCUA_LOGIN_REFUSED' && l.username === 'op1')).toBe(true);
  });
});

describe('address space', () => {
  it('Objects → site → gates, each with its variables and methods', async () => {
    const objects = await anon.session.browse('ns=0;i=85');
    expect(objects.references?.map((r) => r.browseName.toString())).toContain(`${ns}:${SITE}`);
    const site = await anon.session.browse(`ns=${ns};s=${SITE}`);
    const gates = site.references
      ?.filter((r) => r.nodeClass === NodeClass.Object)
      .map((r) => r.browseName.name);
    expect(gates).toEqual(expect.arrayContaining(['gate-a', 'gate-b']));
    const g = await anon.session.browse({
      nodeId: id('gate-a'),
      browseDirection: BrowseDirection.Forward,
      resultMask: 63,
    });
    const names = (cls: NodeClass) =>
      g.references?.filter((r) => r.nodeClass === cls).map((r) => r.browseName.name) ?? [];
    expect(names(NodeClass.Variable).sort()).toEqual(
      [
        'FlaggedToday',
        'GateState',
        'LastResult',
        'LastTemperature',
        'Online',
        'OutboxDepth',
        'PassedToday',
        'ThermometerState',
      ].sort(),
    );
    expect(names(NodeClass.Method).sort()).toEqual(['Lockdown', 'OpenOnce', 'ReleaseLockdown']);
  });

  it('LastTemperature is an AnalogItem in °C with a range; live values are read with status', async () => {
    const props = await anon.session.browse(id('gate-a.LastTemperature'));
    const byName = Object.fromEntries(
      props.references?.map((r) => [r.browseName.name, r.nodeId as NodeId]) ?? [],
    );
    const range = await anon.session.read({
      nodeId: byName.EURange as NodeId,
      attributeId: AttributeIds.Value,
    });
    expect(range.value.value).toMatchObject({ low: 30, high: 45 });
    const units = await anon.session.read({
      nodeId: byName.EngineeringUnits as NodeId,
      attributeId: AttributeIds.Value,
    });
    expect(units.value.value.displayName.text).toBe('°C');

    const online = await read(anon, 'gate-a.Online');
    expect(online.value.value).toBe(true);
    expect(online.statusCode).toBe(StatusCodes.Good);
    const state = await waitFor(
      async () => {
        const v = await read(anon, 'gate-a.GateState');
        return v.statusCode === StatusCodes.Good ? v : undefined;
      },
      { what: 'gate-a GateState' },
    );
    expect(state.value.value).toBe('locked');
    expect(state.sourceTimestamp?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await read(anon, 'gate-a.ThermometerState')).value.value).toBe('none');
    // gate-b has never said anything: no value yet, and it is not online.
    expect((await read(anon, 'gate-b.Online')).value.value).toBe(false);
    expect((await read(anon, 'gate-b.GateState')).statusCode).toBe(StatusCodes.BadWaitingForInitialData);
  });
});

describe('passages', () => {
  it('a passage updates LastTemperature, LastResult and PassedToday, stamped with the gate time', async () => {
    const seen: Record<string, DataValue[]> = { LastTemperature: [], LastResult: [], PassedToday: [] };
    for (const f of Object.keys(seen)) {
      const item = await sub.monitor(
        { nodeId: id(`gate-a.${f}`), attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 10, discardOldest: true },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => seen[f]?.push(dv));
    }
    await waitFor(() => Object.values(seen).every((l) => l.length > 0), { what: 'initial values' });
    const passedBefore = (seen.PassedToday?.at(-1)?.value.value as number) ?? 0;

    const r = await gate.terminal.present({
      employeeNo: 'E1',
      name: '张伟',
      mask: 'yes',
      temperatureTenths: 365,
    });
    expect(r.verdict?.checkResult).toBe('success');
    const decision = await waitFor(
      () =>
        observer.got
          .filter((m) => m.topic === GateTopic.decision(SITE, 'gate-a'))
          .map((m) => JSON.parse(m.payload) as DecisionMessage)
          .find((d) => d.reading.terminalSerialNo === r.serialNo),
      { what: 'decision on MQTT' },
    );
    const temp = await waitFor(() => seen.LastTemperature?.find((dv) => dv.value.value === 36.5), {
      what: 'LastTemperature 36.5',
    });
    expect(temp.sourceTimestamp?.getTime()).toBe(decision.reading.at);
    expect(temp.statusCode).toBe(StatusCodes.Good);
    await waitFor(() => seen.LastResult?.find((dv) => dv.value.value === 'pass'), {
      what: 'LastResult pass',
    });
    await waitFor(() => seen.PassedToday?.find((dv) => dv.value.value === passedBefore + 1), {
      what: 'PassedToday + 1',
    });
  });
});

describe('alarms', () => {
  it('a fever raises an alarm; the operator acknowledges it, the dashboard hears and agrees', async () => {
    const r = await gate.terminal.present({
      employeeNo: 'E2',
      name: '李娜',
      mask: 'yes',
      temperatureTenths: 385,
    });
    expect(r.verdict?.checkResult).toBe('failed');
    const raised = await waitFor(
      () => siteEvents.find((e) => e.ConditionName === 'fever' && e['ActiveState.Id'] === true),
      {
        what: 'fever alarm event',
      },
    );
    expect(text(raised.Message)).toBe('Fever 38.5 °C at gate-a');
    expect(text(raised.Message)).not.toContain('李娜');
    expect(raised).toMatchObject({ Severity: 900, Retain: true, 'AckedState.Id': false });
    expect(raised.SourceName).toBe('gate-a');
    await waitFor(async () => (await read(anon, 'gate-a.FlaggedToday')).value.value === 1, {
      what: 'FlaggedToday 1',
    });

    // Read-only sessions may not acknowledge.
    const conditionId = raised.ConditionId as NodeId;
    const denied = await anon.session.acknowledgeCondition(conditionId, raised.EventId as Buffer, 'me too');
    expect(denied).toBe(StatusCodes.BadUserAccessDenied);

    const status = await operator.session.acknowledgeCondition(
      conditionId,
      raised.EventId as Buffer,
      'guard on the way',
    );
    expect(status).toBe(StatusCodes.Good);
    const req = await waitFor(
      () => dash.ackRequests.find((a) => conditionId.toString().endsWith(a.alertId)),
      {
        what: 'AlertAckRequest at the dashboard',
      },
    );
    expect(req).toMatchObject({ by: 'opcua:op1', comment: 'guard on the way' });
    await waitFor(() => dash.states.get(req.alertId)?.state === 'active-acknowledged', {
      what: 'dashboard acked',
    });

    const acked = await waitFor(
      () =>
        siteEvents.find(
          (e) => e.ConditionId?.toString() === conditionId.toString() && e['AckedState.Id'] === true,
        ),
      { what: 'acknowledged event' },
    );
    // Acknowledged but still active: still retained (of interest), by whom it says.
    expect(acked).toMatchObject({ 'ActiveState.Id': true, Retain: true, ClientUserId: 'opcua:op1' });
    // And it stays so once the dashboard's own acknowledged state has come back.
    const [path] = await anon.session.translateBrowsePath([makeBrowsePath(conditionId, '/AckedState/Id')]);
    const ackedId = path?.targets?.[0]?.targetId as NodeId;
    await new Promise((r) => setTimeout(r, 200));
    expect((await anon.session.read({ nodeId: ackedId, attributeId: AttributeIds.Value })).value.value).toBe(
      true,
    );
    expect(
      t.logs.some(
        (l) =>
          l.audit === 'opcua-ack' &&
          l.who === 'opcua:op1' &&
          l.alertId === req.alertId &&
          l.result === 'Good',
      ),
    ).toBe(true);

    // The dashboard closes the episode: the condition ends inactive and leaves the address space.
    dash.clear(req.alertId);
    await waitFor(
      () =>
        siteEvents.find(
          (e) =>
            e.ConditionId?.toString() === conditionId.toString() &&
            e['ActiveState.Id'] === false &&
            e.Retain === false,
        ),
      { what: 'cleared event' },
    );
    await waitFor(
      async () => {
        const g = await anon.session.browse(id('gate-a'));
        return !g.references?.some((x) => x.browseName.name?.startsWith('Alert_'));
      },
      { what: 'condition removed' },
    );
  });

  it('acknowledged on the dashboard: acknowledged in OPC UA too', async () => {
    const s = dash.raise({ id: 'a-sensor-1', gateId: 'gate-b', kind: 'sensor-fault', severity: 'major' });
    const raised = await waitFor(() => siteEvents.find((e) => e.ConditionId?.toString().endsWith(s.id)), {
      what: 'sensor-fault alarm',
    });
    expect(raised).toMatchObject({ ConditionName: 'sensor-fault', Severity: 700, 'AckedState.Id': false });
    // The dashboard owns the alerts: nobody disables the mirror of one.
    const [path] = await operator.session.translateBrowsePath([
      makeBrowsePath(raised.ConditionId as NodeId, '/Disable'),
    ]);
    const disable = await operator.session.call({
      objectId: raised.ConditionId as NodeId,
      methodId: path?.targets?.[0]?.targetId as NodeId,
    });
    expect(disable.statusCode).toBe(StatusCodes.BadUserAccessDenied);
    dash.acknowledge(s.id, 'guard-li');
    const acked = await waitFor(
      () => siteEvents.find((e) => e.ConditionId?.toString().endsWith(s.id) && e['AckedState.Id'] === true),
      { what: 'acknowledged from the dashboard' },
    );
    expect(acked).toMatchObject({ ClientUserId: 'guard-li', 'ActiveState.Id': true });
    // Nothing echoed back: the dashboard already knows.
    expect(dash.ackRequests.some((a) => a.alertId === s.id)).toBe(false);
    dash.clear(s.id);
  });
});

describe('methods', () => {
  it('OpenOnce as operator reaches the real gate: the release line fires; audited', async () => {
    const cursor = gpio.cursor();
    const res = await call(operator, 'gate-a', 'OpenOnce', 'visitor with escort');
    expect(res.statusCode).toBe(StatusCodes.Good);
    expect(await gpio.waitForOutput('release', 1, 3000, { after: cursor })).toBe(true);
    const cmd = observer.got
      .filter((m) => m.topic === GateTopic.command(SITE, 'gate-a'))
      .map((m) => JSON.parse(m.payload) as GateCommand)
      .at(-1);
    expect(cmd).toMatchObject({ kind: 'open-once', by: 'opcua:op1', reason: 'visitor with escort' });
    expect(auditOf('open-once').at(-1)).toMatchObject({
      who: 'opcua:op1',
      gateId: 'gate-a',
      reason: 'visitor with escort',
      result: 'Good',
      commandId: cmd?.id,
    });
  });

  it('Lockdown and ReleaseLockdown: the gate state follows', async () => {
    expect((await call(operator, 'gate-a', 'Lockdown', 'drill')).statusCode).toBe(StatusCodes.Good);
    await waitFor(async () => (await read(anon, 'gate-a.GateState')).value.value === 'lockdown', {
      what: 'GateState lockdown',
    });
    expect((await call(operator, 'gate-a', 'ReleaseLockdown', 'drill over')).statusCode).toBe(
      StatusCodes.Good,
    );
    await waitFor(async () => (await read(anon, 'gate-a.GateState')).value.value === 'locked', {
      what: 'GateState locked',
    });
  });

  it('refused to anonymous, viewers and operators on an unsigned channel; nothing reaches the gate', async () => {
    viewer = await uaSession(t.endpointUrl, { pki: clientPki, mode: 'SignAndEncrypt', user: VIEWER });
    opNone = await uaSession(t.endpointUrl, { pki: clientPki, mode: 'None', user: OP });
    const before = observer.got.filter((m) => m.topic.endsWith('/command')).length;
    expect((await call(anon, 'gate-a', 'OpenOnce', 'let me in')).statusCode).toBe(
      StatusCodes.BadUserAccessDenied,
    );
    expect((await call(viewer, 'gate-a', 'Lockdown', 'x')).statusCode).toBe(StatusCodes.BadUserAccessDenied);
    expect((await call(opNone, 'gate-a', 'OpenOnce', 'x')).statusCode).toBe(
      StatusCodes.BadSecurityModeInsufficient,
    );
    expect((await call(operator, 'gate-a', 'OpenOnce', '')).statusCode).toBe(StatusCodes.BadInvalidArgument);
    await new Promise((r) => setTimeout(r, 200));
    expect(observer.got.filter((m) => m.topic.endsWith('/command')).length).toBe(before);
    expect(auditOf('open-once').find((l) => l.who === 'opcua:anonymous')).toMatchObject({
      result: 'BadUserAccessDenied',
      code: 'TG_OPCUA_ACCESS_DENIED',
      reason: 'let me in',
    });
  });

  it('a gate that acknowledges, one that refuses, one that never answers, one offline', async () => {
    // gate-b comes online (its status), then answers each command as the test says.
    let answer: 'ok' | 'fail' | 'silent' = 'ok';
    fakeGate.on('message', (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as GateCommand;
      if (answer === 'silent') return;
      const ack = {
        v: SCHEMA_VERSION,
        id: cmd.id,
        ok: answer === 'ok',
        error: answer === 'ok' ? null : 'jammed',
        at: Date.now(),
      };
      fakeGate.publish(GateTopic.commandAck(SITE, 'gate-b'), JSON.stringify(ack), { qos: 1 });
    });
    await fakeGate.subscribeAsync(GateTopic.command(SITE, 'gate-b'), { qos: 1 });
    const status = {
      v: SCHEMA_VERSION,
      siteId: SITE,
      gateId: 'gate-b',
      online: true,
      at: Date.now(),
      thermometer: 'online',
      gateState: 'locked',
      softwareVersion: 'fake',
      configVersion: 'fake',
      accessListVersion: null,
    };
    await fakeGate.publishAsync(GateTopic.status(SITE, 'gate-b'), JSON.stringify(status), {
      qos: 1,
      retain: true,
    });
    await waitFor(async () => (await read(anon, 'gate-b.Online')).value.value === true, {
      what: 'gate-b online',
    });

    expect((await call(operator, 'gate-b', 'OpenOnce', 'delivery')).statusCode).toBe(StatusCodes.Good);
    answer = 'fail';
    expect((await call(operator, 'gate-b', 'Lockdown', 'test')).statusCode).toBe(StatusCodes.BadInvalidState);
    answer = 'silent';
    expect((await call(operator, 'gate-b', 'ReleaseLockdown', 'test')).statusCode).toBe(
      StatusCodes.BadTimeout,
    );
    expect(auditOf('release-lockdown').at(-1)).toMatchObject({
      result: 'BadTimeout',
      code: 'TG_OPCUA_COMMAND_TIMEOUT',
    });

    // Offline (its last will / a clean stop): refused at once, gate values marked.
    await fakeGate.publishAsync(
      GateTopic.status(SITE, 'gate-b'),
      JSON.stringify({ ...status, online: false, at: Date.now() }),
      { qos: 1, retain: true },
    );
    await waitFor(async () => (await read(anon, 'gate-b.Online')).value.value === false, {
      what: 'gate-b offline',
    });
    expect((await call(operator, 'gate-b', 'OpenOnce', 'x')).statusCode).toBe(
      StatusCodes.BadCommunicationError,
    );
    expect((await read(anon, 'gate-b.GateState')).statusCode).toBe(StatusCodes.BadCommunicationError);
    expect((await read(anon, 'gate-b.PassedToday')).statusCode).toBe(StatusCodes.UncertainLastUsableValue);

    // A payload that does not parse: logged with a code, the server carries on.
    await fakeGate.publishAsync(GateTopic.decision(SITE, 'gate-b'), '{"v":1,"reading":{}}', { qos: 1 });
    await waitFor(
      () =>
        t.logs.find(
          (l) => l.code === 'TG_OPCUA_BAD_MESSAGE' && l.topic === GateTopic.decision(SITE, 'gate-b'),
        ),
      { what: 'bad message logged' },
    );
    expect((await read(anon, 'gate-b.LastResult')).statusCode).toBe(StatusCodes.BadWaitingForInitialData);
  });
});

// Last: it spends this address's login budget, which would throttle later tests' first logins.
describe('login throttling', () => {
  it('a throttled login is answered BadTooManySessions, not as a wrong password', async () => {
    // Spend this address's budget (10 a minute) on a user nobody uses elsewhere in this file.
    const guess = (password: string) =>
      uaSession(t.endpointUrl, {
        pki: clientPki,
        mode: 'SignAndEncrypt',
        user: { userName: 'ghost', password },
      });
    // Earlier tests may have spent part of this address's budget: guess until throttled.
    const errors: string[] = [];
    for (let i = 0; i < 12 && !errors.some((m) => /BadTooManySessions/.test(m)); i++)
      errors.push(
        String(
          await guess(`nope-${i}`).then(
            () => 'in',
            (e: Error) => e.message,
          ),
        ),
      );
    // Wrong passwords first (never "in"), then, within the budget of 10, throttled.
    expect(errors.slice(0, -1).every((m) => m !== 'in' && !/BadTooManySessions/.test(m))).toBe(true);
    expect(errors.length).toBeGreaterThan(1);
    expect(errors.at(-1)).toMatch(/BadTooManySessions/);
    // An operator who logged in before still gets in from the same address.
    const again = await uaSession(t.endpointUrl, { pki: clientPki, mode: 'SignAndEncrypt', user: OP });
    await again.close();
    expect(t.logs.some((l) => l.code === 'TG_OPCUA_LOGIN_THROTTLED' && l.username === 'ghost')).toBe(true);
  });
});
