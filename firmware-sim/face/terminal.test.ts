/**
 * The face terminal against an embedded aedes broker, with the test playing the edge.
 */
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { FaceEventWire, parseFaceEvent } from '../../protocols/face-mqtt/index.ts';
import { FaceTopic } from '../../protocols/topics.ts';
import { freePort } from '../../test/harness/ports.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { startBroker, type TestBroker } from '../../test/doubles/firmware-sim/aedes-broker.ts';
import { FaceTerminal, type FaceTerminalOptions } from './terminal.ts';
import { buildFaceEvent, fromTenthsCelsius } from './event-builder.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(port = 0): Promise<TestBroker> {
  const b = await startBroker(port);
  let closed = false;
  const close = b.close.bind(b);
  const once = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(once);
  return { ...b, close: once };
}

function terminal(opts: Partial<FaceTerminalOptions> & { brokerUrl: string }): FaceTerminal {
  const t = new FaceTerminal({
    deviceId: 'term-1',
    reconnectPeriodMs: 100,
    remoteCheckTimeoutMs: 1500,
    ...opts,
  });
  cleanups.push(() => t.stop());
  return t;
}

interface Seen {
  topic: string;
  text: string;
  retain: boolean;
}

/** The edge's side: subscribes to everything of the terminal and records it. */
async function edge(
  url: string,
): Promise<{ client: MqttClient; seen: Seen[]; events: () => FaceEventWire[] }> {
  const client = connect(url, {
    clientId: `edge-${Math.random().toString(16).slice(2)}`,
    reconnectPeriod: 100,
  });
  cleanups.push(() => client.endAsync(true));
  const seen: Seen[] = [];
  client.on('message', (topic, payload, packet) =>
    seen.push({ topic, text: payload.toString(), retain: packet.retain }),
  );
  await new Promise<void>((r) => client.once('connect', () => r()));
  await client.subscribeAsync('face/#', { qos: 1 });
  const events = () =>
    seen
      .filter((s) => s.topic === FaceTopic.event('term-1'))
      .map((s) => FaceEventWire.parse(JSON.parse(s.text)));
  return { client, seen, events };
}

/** An edge that answers every realtime remoteCheck event with a verdict. */
function answerVerdicts(client: MqttClient, open: (ev: FaceEventWire) => boolean) {
  client.on('message', (topic, payload) => {
    if (topic !== FaceTopic.event('term-1')) return;
    const ev = FaceEventWire.parse(JSON.parse(payload.toString()));
    if (ev.isRealtime && ev.remoteCheck) {
      const verdict = {
        serialNo: ev.serialNo,
        checkResult: 'success',
        open: open(ev),
        display: '36.6°C 请通行',
        lang: 'zh-CN',
      };
      client.publish(FaceTopic.verdict('term-1'), JSON.stringify(verdict), { qos: 1 });
    } else client.publish(FaceTopic.ack('term-1'), JSON.stringify({ serialNo: ev.serialNo }), { qos: 1 });
  });
}

describe('event payload', () => {
  it('keeps trying when the broker answers "server unavailable" (a hub throttling a burst of logins)', async () => {
    const b = await broker();
    let refused = 0;
    // CONNACK 3 for the first two attempts, as the hub's login throttle answers a busy moment.
    (b.aedes as unknown as { authenticate: unknown }).authenticate = (
      _c: unknown,
      _u: unknown,
      _p: unknown,
      done: (err: Error | null, ok: boolean) => void,
    ) => {
      if (refused < 2) {
        refused++;
        return done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
      }
      done(null, true);
    };
    const t = terminal({ brokerUrl: b.url });
    await t.start();
    await t.waitOnline(10_000);
    expect(refused).toBe(2);
  });

  it('has the datasheet shape, offset time, and no name for an unknown face', () => {
    const at = Date.parse('2026-11-29T00:01:02.345Z');
    const ev = buildFaceEvent({
      person: { employeeNo: 'E10023', name: '张伟', mask: 'yes', temperatureTenths: 366 },
      serialNo: 1042,
      atMs: at,
      utcOffsetMinutes: 480,
      remoteCheck: true,
      isRealtime: true,
      thermometer: { unit: 'celsius' },
    });
    expect(ev).toEqual({
      serialNo: 1042,
      dateTime: '2026-11-29T08:01:02.345+08:00',
      employeeNoString: 'E10023',
      name: '张伟',
      similarity: 0.93,
      mask: 'yes',
      currTemperature: 36.6,
      thermometryUnit: 'celsius',
      isAbnomalTemperature: false,
      remoteCheck: true,
      isRealtime: true,
    });
    const stranger = buildFaceEvent({
      person: { employeeNo: 'X1', name: 'Mallory', recognised: false, mask: 'no', healthCode: 'red' },
      serialNo: 1,
      atMs: at,
      utcOffsetMinutes: -330,
      remoteCheck: false,
      isRealtime: false,
    });
    expect(stranger.employeeNoString).toBe('');
    expect(stranger.name).toBeUndefined();
    expect(stranger.dateTime).toBe('2026-11-28T18:31:02.345-05:30');
    expect(stranger.currTemperature).toBeUndefined();
    expect(stranger.healthCode).toBe('red');
  });

  it('built-in thermometer values round-trip through the edge parser in every unit', () => {
    for (const unit of ['celsius', 'fahrenheit', 'kelvin'] as const) {
      for (let tenths = 340; tenths <= 420; tenths++) {
        const ev = buildFaceEvent({
          person: { employeeNo: 'E1', temperatureTenths: tenths },
          serialNo: 1,
          atMs: 0,
          utcOffsetMinutes: 0,
          remoteCheck: true,
          isRealtime: true,
          thermometer: { unit },
        });
        const parsed = parseFaceEvent(JSON.stringify(ev));
        expect(parsed.ok && parsed.value.temperatureTenths, `${unit} ${tenths}`).toBe(tenths);
        expect(ev.isAbnomalTemperature).toBe(tenths >= 373);
      }
    }
    expect(fromTenthsCelsius(366, 'fahrenheit')).toBe(97.9);
  });
});

describe('FaceTerminal over MQTT', () => {
  it('publishes retained online on connect and its will offline when it dies', async () => {
    const b = await broker();
    const t = terminal({ brokerUrl: b.url });
    await t.start();
    await t.waitOnline(3000);
    const e = await edge(b.url);
    await waitFor(() => e.seen.find((s) => s.topic === 'face/term-1/status'), {
      timeoutMs: 2000,
      what: 'retained status',
    });
    expect(e.seen.filter((s) => s.topic === 'face/term-1/status')).toEqual([
      { topic: 'face/term-1/status', text: 'online', retain: true },
    ]);
    await t.crash();
    await waitFor(() => e.seen.some((s) => s.topic === 'face/term-1/status' && s.text === 'offline'), {
      timeoutMs: 3000,
      what: 'last will',
    });
    // The will is retained: a late subscriber still learns the terminal is offline.
    const late = await edge(b.url);
    await waitFor(() => late.seen.find((s) => s.topic === 'face/term-1/status'), {
      timeoutMs: 2000,
      what: 'retained will',
    });
    expect(late.seen.find((s) => s.topic === 'face/term-1/status')).toMatchObject({
      text: 'offline',
      retain: true,
    });
  });

  it('remoteCheck: a verdict opens, serialNo counts up, events validate', async () => {
    const b = await broker();
    const e = await edge(b.url);
    answerVerdicts(e.client, (ev) => ev.employeeNoString !== '');
    const t = terminal({ brokerUrl: b.url, lastSerialNo: 1041, thermometer: { unit: 'celsius' } });
    await t.start();
    await t.waitOnline(3000);

    const r1 = await t.present({ employeeNo: 'E10023', name: '张伟', temperatureTenths: 366 });
    expect(r1).toMatchObject({ serialNo: 1042, opened: true, timedOut: false, realtime: true });
    expect(r1.verdict).toMatchObject({ serialNo: 1042, checkResult: 'success', open: true });
    const r2 = await t.present({ employeeNo: 'E2', recognised: false, mask: 'no' });
    expect(r2).toMatchObject({ serialNo: 1043, opened: false, timedOut: false });
    expect(r2.verdict?.open).toBe(false);

    const events = e.events();
    expect(events.map((x) => x.serialNo)).toEqual([1042, 1043]);
    expect(events[0]).toMatchObject({
      employeeNoString: 'E10023',
      currTemperature: 36.6,
      isRealtime: true,
      remoteCheck: true,
    });
    expect(events[0]?.dateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(events[1]).toMatchObject({ employeeNoString: '', mask: 'no' });
  });

  it('remoteCheck: no verdict within the timeout denies; a wrong serialNo does not count', async () => {
    const b = await broker();
    const e = await edge(b.url);
    // A confused edge answering the wrong serial number.
    e.client.on('message', (topic, payload) => {
      if (topic !== 'face/term-1/event') return;
      const ev = JSON.parse(payload.toString());
      e.client.publish(
        'face/term-1/verdict',
        JSON.stringify({
          serialNo: ev.serialNo + 100,
          checkResult: 'success',
          open: true,
          display: '',
          lang: 'en',
        }),
      );
    });
    const t = terminal({ brokerUrl: b.url, remoteCheckTimeoutMs: 300 });
    await t.start();
    await t.waitOnline(3000);
    const t0 = Date.now();
    const r = await t.present({ employeeNo: 'E1' });
    expect(r).toMatchObject({
      serialNo: 1,
      verdict: undefined,
      opened: false,
      timedOut: true,
      realtime: true,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('remoteCheck false: decides locally and waits for the ack', async () => {
    const b = await broker();
    const e = await edge(b.url);
    answerVerdicts(e.client, () => true);
    const t = terminal({ brokerUrl: b.url, remoteCheck: false });
    await t.start();
    await t.waitOnline(3000);
    const r = await t.present({ employeeNo: 'E7' });
    expect(r).toMatchObject({ serialNo: 1, opened: true, acked: true, timedOut: false, verdict: undefined });
    expect(e.events()[0]).toMatchObject({ remoteCheck: false, isRealtime: true });
  });

  it('caches events while the broker is down and re-uploads them, unchanged but isRealtime false, until acked', async () => {
    const port = await freePort();
    const t = terminal({ brokerUrl: `mqtt://127.0.0.1:${port}`, resendMs: 300 });
    await t.start();
    const r1 = await t.present({ employeeNo: 'E1', name: 'A' });
    const r2 = await t.present({ employeeNo: 'E2', name: 'B' });
    expect(r1).toMatchObject({ serialNo: 1, realtime: false, opened: false, timedOut: false });
    expect(r1.event.isRealtime).toBe(false);
    expect(r2.serialNo).toBe(2);
    expect(t.pendingOfflineRecords().map((x) => x.serialNo)).toEqual([1, 2]);

    const b = await broker(port);
    const e = await edge(b.url);
    let ackedFirst = false;
    // Ack only serial 1 at first: serial 2 must come again and again until it is acked too.
    e.client.on('message', (topic, payload) => {
      if (topic !== 'face/term-1/event') return;
      const ev = FaceEventWire.parse(JSON.parse(payload.toString()));
      if (ev.serialNo === 1 && !ackedFirst) {
        ackedFirst = true;
        e.client.publish('face/term-1/ack', JSON.stringify({ serialNo: 1 }), { qos: 1 });
      }
    });
    await t.waitOnline(3000);
    await waitFor(() => e.events().filter((x) => x.serialNo === 2).length >= 2, {
      timeoutMs: 3000,
      what: 'serial 2 re-sent',
    });
    expect(t.pendingOfflineRecords().map((x) => x.serialNo)).toEqual([2]);
    for (const ev of e.events()) {
      expect(ev.isRealtime).toBe(false);
      const original = ev.serialNo === 1 ? r1.event : r2.event;
      expect(ev).toEqual(original);
    }
    e.client.publish('face/term-1/ack', JSON.stringify({ serialNo: 2 }), { qos: 1 });
    await waitFor(() => t.pendingOfflineRecords().length === 0, { timeoutMs: 2000, what: 'cache emptied' });

    // Broker goes away mid-session: offline again, cached again, uploaded after it returns.
    await b.close();
    await waitFor(() => !t.isOnline, { timeoutMs: 3000, what: 'terminal offline' });
    const r3 = await t.present({ employeeNo: 'E3' });
    expect(r3).toMatchObject({ serialNo: 3, realtime: false });
    const b2 = await broker(port);
    const e2 = await edge(b2.url);
    answerVerdicts(e2.client, () => true);
    await waitFor(() => t.pendingOfflineRecords().length === 0, { timeoutMs: 4000, what: 'serial 3 acked' });
    expect(e2.events().find((x) => x.serialNo === 3)).toEqual(r3.event);
    // And the next live event is realtime again, with the next number.
    const r4 = await t.present({ employeeNo: 'E4' });
    expect(r4).toMatchObject({ serialNo: 4, realtime: true, opened: true });
  });

  it('authenticates with username and password', async () => {
    const b = await broker();
    let seen: { id: string; user: string | undefined; pass: string | undefined } | undefined;
    b.aedes.authenticate = (client, username, password, done) => {
      seen = { id: client.id, user: username, pass: password?.toString() };
      done(null, username === 'gate' && password?.toString() === 's3cret');
    };
    const t = terminal({ brokerUrl: b.url, username: 'gate', password: 's3cret' });
    await t.start();
    await t.waitOnline(3000);
    expect(seen).toEqual({ id: 'term-1', user: 'gate', pass: 's3cret' });
  });
});
