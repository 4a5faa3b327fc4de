/**
 * One gate whose terminal speaks ISAPI (devices.md §5), on real sockets: the simulated terminal
 * pushes multipart events to the edge's listener (or the edge pulls its alert stream), the edge
 * pairs, decides and answers with `PUT remoteCheck` under Digest. The same cases as the MQTT
 * terminal's chain test, then what only HTTP has: Digest challenge and stale nonce, cut and
 * oversized bodies, wrong source, terminal down, the stream dropping mid-event, and Debian's curl
 * on both sides. Expected texts and decisions come from the datasheet and the product rules.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsapiClientError, IsapiHttpClient } from '../../edge/terminal/hik-isapi/http-client.ts';
import { IsapiTerminal } from '../../firmware-sim/isapi/terminal.ts';
import { smallJpeg } from '../../firmware-sim/isapi/jpeg.ts';
import { encodeIsapiEvent, IsapiPath } from '../../protocols/hik-isapi/index.ts';
import { waitFor } from '../harness/wait.ts';
import { type IsapiSite, startIsapiSite, TERMINAL_PASSWORD } from './isapi-fixture.ts';
import { measuredByEdge, PEOPLE } from './site-fixture.ts';
import pino from 'pino';

const run = promisify(execFile);
const [E1, E2, E3, E4] = PEOPLE as [
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
];

/** Raw HTTP to the listener, as a (mis)behaving terminal would send it. */
function post(
  url: string,
  body: Buffer | string,
  headers: http.OutgoingHttpHeaders,
  localAddress?: string,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers,
        agent: false,
        localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('an ISAPI terminal pushing to the gate', () => {
  let site: IsapiSite;
  beforeAll(async () => {
    // The terminal lives on 127.0.0.2 so the listener's default allowFrom (the terminal's address
    // only) can be seen refusing anyone else on 127.0.0.1.
    site = await startIsapiSite({ terminalHost: '127.0.0.2', terminal: { thermometer: undefined } });
  }, 30_000);
  afterAll(async () => {
    await site?.close();
  });

  async function pass(person: { employeeNo: string; name: string; mask?: 'yes' | 'no' }, tenths: number) {
    await waitFor(() => site.edge.gate.heartbeat().thermometer === 'online', { what: 'thermometer online' });
    // The edge has read the measurement before the face, as at a real gate.
    const m = await measuredByEdge(site.edge, site.thermometer, tenths);
    expect(m.completed).toBe(true);
    const result = await site.terminal.present({ mask: 'yes', ...person });
    site.thermometer.leave();
    const decision = await site.decisionFor(result.serialNo);
    return { result, decision };
  }

  it('36.6 °C: the terminal gets success with the temperature by remoteCheck, and opens', async () => {
    const { result, decision } = await pass(E1, 366);
    expect(result.verdict).toMatchObject({ checkResult: 'success', info: '36.6°C 体温正常 请通行' });
    expect(result.opened).toBe(true);
    expect(decision.reading).toMatchObject({
      decision: 'pass',
      temperatureTenths: 366,
      terminalId: 'T1',
      realtime: true,
    });
    // The first request was challenged; the answer came within the terminal's 3 s.
    expect(site.terminal.challenges).toBeGreaterThanOrEqual(1);
  });

  it('exactly 37.3 °C is flagged: failed, sent to isolation, fever alert', async () => {
    const { result, decision } = await pass(E2, 373);
    expect(result.verdict?.checkResult).toBe('failed');
    expect(result.verdict?.info).toContain('隔离');
    expect(result.opened).toBe(false);
    expect(decision.reading).toMatchObject({ decision: 'flagged', reason: 'fever', released: false });
    await waitFor(
      () => site.messages.find((m) => m.topic.endsWith('/alert') && m.payload.includes('"fever"')),
      {
        what: 'fever alert',
      },
    );
  });

  it('the flagged person is held: refused at 36.5 °C a moment later', async () => {
    const { result, decision } = await pass(E2, 365);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'held' });
    expect(result.opened).toBe(false);
  });

  it('no measurement: re-measure', async () => {
    const result = await site.terminal.present({ ...E3, mask: 'yes' });
    const decision = await site.decisionFor(result.serialNo);
    expect(decision.reading).toMatchObject({ decision: 'remeasure', reason: 'no-measurement' });
    expect(result.verdict?.checkResult).toBe('failed');
  });

  it('an unknown face (5/76) is denied', async () => {
    const { result, decision } = await pass({ employeeNo: '', name: '' }, 365);
    expect(JSON.parse(result.json).AccessControllerEvent.subEventType).toBe(76);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'unknown-face' });
  });

  it('a known face not on the access list is denied', async () => {
    const { decision } = await pass({ employeeNo: 'E99', name: '陈静' }, 365);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'not-on-access-list' });
  });

  it('mask missing is denied', async () => {
    const { result, decision } = await pass({ ...E4, mask: 'no' }, 365);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'mask-missing' });
    expect(result.opened).toBe(false);
  });

  it('the same serialNo pushed again is answered 200 and ignored', async () => {
    const { result } = await pass(E1, 364);
    const before = site.edge.gate.counters.duplicateEvents;
    const again = await post(
      site.listenUrl,
      result.json,
      { 'Content-Type': 'application/json' },
      '127.0.0.2',
    );
    expect(again).toEqual({ status: 200, body: '{"statusCode":1,"statusString":"OK"}' });
    await waitFor(() => site.edge.gate.counters.duplicateEvents === before + 1, {
      what: 'duplicate counted',
    });
    expect(site.decisionsFor(result.serialNo)).toHaveLength(1);
  });

  it('offline upload: an event the terminal could not deliver is re-sent later, stored with its own time, never opens', async () => {
    site.terminal.setPushUrl('http://127.0.0.1:9/isapi/event');
    const kept = await site.terminal.present({ ...E3, mask: 'yes' });
    expect(kept.realtime).toBe(false);
    site.terminal.setPushUrl(site.listenUrl);
    const decision = await site.decisionFor(kept.serialNo, 10_000);
    expect(decision.reading).toMatchObject({
      realtime: false,
      released: false,
      at: Date.parse(JSON.parse(kept.json).dateTime),
    });
    await waitFor(() => site.terminal.pendingEvents().length === 0, { what: 'kept event delivered' });
    expect(site.terminal.remoteChecks.find((r) => r.serialNo === kept.serialNo)).toBeUndefined();
  });

  it('a push cut off inside the picture: the event is decided once; the re-send is a duplicate', async () => {
    site.terminal.cutNextPush();
    const dupBefore = site.edge.gate.counters.duplicateEvents;
    const { result, decision } = await pass(E4, 366);
    expect(decision.reading.decision).toBe('pass');
    // The terminal got no 200 and sends it again (activePostCount 2): answered, not decided twice.
    await waitFor(() => site.terminal.pendingEvents().length === 0, { what: 'cut event re-sent' });
    await waitFor(() => site.edge.gate.counters.duplicateEvents > dupBefore, {
      what: 're-send seen as duplicate',
    });
    expect(site.decisionsFor(result.serialNo)).toHaveLength(1);
  });

  it('stale nonce: the verdict is re-challenged and still lands', async () => {
    const staleBefore = site.terminal.staleChallenges;
    site.terminal.expireNonces();
    const { result } = await pass(E1, 365);
    expect(result.verdict?.checkResult).toBe('success');
    expect(site.terminal.staleChallenges).toBe(staleBefore + 1);
  });

  it('oversized, malformed and wrong-source requests get 4xx, are counted, and the gate goes on', async () => {
    const c = site.edge.gate.counters;
    const refused = c.refusedRequests ?? 0;
    const bad = c.badPayloads;
    const big = await post(
      site.listenUrl,
      Buffer.alloc(300 * 1024, 0x41),
      { 'Content-Type': 'multipart/form-data; boundary=b' },
      '127.0.0.2',
    );
    expect(big.status).toBe(413);
    expect(big.body).toContain('TG_ISAPI_TOO_LARGE');
    const garbage = await post(
      site.listenUrl,
      '--b\r\nContent-Type: application/json\r\n\r\n{"dateTime":\r\n--b--\r\n',
      {
        'Content-Type': 'multipart/form-data; boundary=b',
      },
      '127.0.0.2',
    );
    expect(garbage.status).toBe(400);
    expect(garbage.body).toContain('TG_ISAPI_NOT_JSON');
    const stranger = await post(site.listenUrl, '{}', { 'Content-Type': 'application/json' }, '127.0.0.1');
    expect(stranger.status).toBe(403);
    expect(c.refusedRequests).toBe(refused + 2);
    expect(c.badPayloads).toBe(bad + 1);
    const { decision } = await pass(E3, 366);
    expect(decision.reading.decision).toBe('pass');
  });

  it("Debian's curl -F push (event_log + Picture) is accepted by the listener", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-curl-'));
    const serialNo = 90_001;
    writeFileSync(
      join(dir, 'event.json'),
      encodeIsapiEvent({
        ipAddress: '127.0.0.2',
        macAddress: 'a4:d5:c2:00:00:01',
        dateTime: new Date().toISOString().replace('Z', '+00:00'),
        activePostCount: 1,
        deviceName: 'curl',
        majorEventType: 5,
        subEventType: 75,
        serialNo,
        employeeNoString: 'E1',
        name: '张伟',
        mask: 'yes',
        remoteCheck: false,
        picturesNumber: 1,
      }),
    );
    writeFileSync(join(dir, 'p.jpg'), smallJpeg(30_000));
    const { stdout } = await run('curl', [
      '-sS',
      '--interface',
      '127.0.0.2',
      '-w',
      '\n%{http_code}',
      '-F',
      `event_log=@${join(dir, 'event.json')};type=application/json`,
      '-F',
      `Picture=@${join(dir, 'p.jpg')};type=image/jpeg`,
      site.listenUrl,
    ]);
    expect(stdout).toBe('{"statusCode":1,"statusString":"OK"}\n200');
    const d = await site.decisionFor(serialNo);
    expect(d.reading.employeeNo).toBe('E1');
  });

  it('terminal down: offline on the site (face/T1/status) and in the gate status; back when it answers', async () => {
    await site.terminal.goOffline();
    expect(await site.driver.checkHealth()).toBe(false);
    await waitFor(
      () => site.messages.filter((m) => m.topic === 'face/T1/status').at(-1)?.payload === 'offline',
      {
        what: 'terminal offline on face/T1/status',
      },
    );
    expect(site.edge.gate.status(true).terminal).toMatchObject({ protocol: 'hik-isapi', online: false });
    await site.terminal.goOnline();
    await waitFor(() => site.driver.online === true, { what: 'terminal back online', timeoutMs: 5000 });
    expect(site.edge.gate.status(true).terminal).toMatchObject({
      online: true,
      model: 'DS-K1T671TM-3XF',
      firmwareVersion: 'V3.2.30',
    });
  });
});

describe('Digest against the simulated terminal', () => {
  let terminal: IsapiTerminal;
  let target: http.Server;
  beforeAll(async () => {
    // A listening host that takes every push, so the terminal waits for a remote check.
    target = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"statusCode":1,"statusString":"OK"}'));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    terminal = new IsapiTerminal({
      password: TERMINAL_PASSWORD,
      pushUrl: `http://127.0.0.1:${port}/e`,
      remoteCheckTimeoutMs: 8000,
    });
    await terminal.start();
  });
  afterAll(async () => {
    await terminal?.stop();
    await new Promise<void>((r) => target?.close(() => r()));
  });

  it("Debian's curl --digest calls remoteCheck; a wrong password gets 401", async () => {
    const presenting = terminal.present({ employeeNo: 'E1', name: '张伟' });
    await waitFor(() => terminal.lastSerialNo === 1, { what: 'event sent' });
    const body = JSON.stringify({ RemoteCheck: { serialNo: 1, checkResult: 'success', info: '请通行' } });
    const url = `${terminal.address}${IsapiPath.remoteCheck}`;
    const wrong = await run('curl', [
      '-sS',
      '--digest',
      '-u',
      'admin:wrong',
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      '-d',
      body,
      '-w',
      '\n%{http_code}',
      url,
    ]);
    expect(wrong.stdout.split('\n').at(-1)).toBe('401');
    const right = await run('curl', [
      '-sS',
      '--digest',
      '-u',
      `admin:${TERMINAL_PASSWORD}`,
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      '-d',
      body,
      '-w',
      '\n%{http_code}',
      url,
    ]);
    expect(right.stdout).toBe('{"statusCode":1,"statusString":"OK","subStatusCode":"ok"}\n200');
    const r = await presenting;
    expect(r).toMatchObject({ opened: true, verdict: { serialNo: 1, checkResult: 'success' } });
  });

  it("the edge's client: one challenge then counted nonces; a wrong password is TG_ISAPI_AUTH", async () => {
    const log = pino({ level: 'silent' });
    const client = new IsapiHttpClient({
      address: terminal.address,
      username: 'admin',
      password: TERMINAL_PASSWORD,
      log,
    });
    const before = terminal.challenges;
    for (let i = 0; i < 3; i++) {
      const r = await client.request('GET', IsapiPath.deviceInfo, { deadline: Date.now() + 3000 });
      expect(r.status).toBe(200);
    }
    expect(terminal.challenges).toBe(before + 1);
    client.close();
    const bad = new IsapiHttpClient({ address: terminal.address, username: 'admin', password: 'nope', log });
    const err = await bad
      .request('GET', IsapiPath.deviceInfo, { deadline: Date.now() + 3000 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(IsapiClientError);
    expect((err as IsapiClientError).code).toBe('TG_ISAPI_AUTH');
    bad.close();
  });
});

describe('an ISAPI terminal read through its alert stream (pull)', () => {
  let site: IsapiSite;
  beforeAll(async () => {
    site = await startIsapiSite({ mode: 'pull' });
  }, 30_000);
  afterAll(async () => {
    await site?.close();
  });

  it('decides a streamed event and answers it by remoteCheck', async () => {
    await measuredByEdge(site.edge, site.thermometer, 366);
    const r = await site.terminal.present({ ...E1, mask: 'yes' });
    site.thermometer.leave();
    expect(r.verdict?.checkResult).toBe('success');
    expect((await site.decisionFor(r.serialNo)).reading.decision).toBe('pass');
  });

  it('the stream drops mid-event: the client reconnects, the event arrives once (stored, not actuated)', async () => {
    site.terminal.dropStreamsMidEvent();
    const r = await site.terminal.present({ ...E3, mask: 'yes' });
    expect(r.realtime).toBe(false);
    const d = await site.decisionFor(r.serialNo, 10_000);
    expect(d.reading).toMatchObject({ realtime: false, released: false });
    await waitFor(() => site.terminal.pendingEvents().length === 0, { what: 're-sent after reconnect' });
    // Another stream round trip, so a doubled event would have arrived by now.
    const next = await site.terminal.present({ ...E1, mask: 'yes' });
    await site.decisionFor(next.serialNo);
    expect(site.decisionsFor(r.serialNo)).toHaveLength(1);
  });
});
