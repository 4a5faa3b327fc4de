/**
 * A hostile device against the real hub process (`site/cli.ts --config`, see harness.ts): ACL
 * probes, client-id takeover, a publish flood, oversized packets. Each attack is judged by what
 * the other devices see (nothing forged delivered, the victim's session intact, the others' QoS 1
 * messages all through) and by the hub's log, where every refusal is written with its code and
 * client id (that is how it is counted on a real site).
 *
 * Counter-level checks of the same refusals (hub.security.client(id): refusedPublishes,
 * refusedSubscribes, oversized, throttled, rateDisconnects) and the flood's latency figures are
 * in-process in test/hub/security.test.ts; this file does not repeat them.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { closed, collector, connect, subscribeCodes } from '../hub/fixture.ts';
import { type HubProcess, SITE, startHubProcess } from './harness.ts';

let hub: HubProcess;
let url: string;
const open: MqttClient[] = [];
const as = (id: string, extra: Record<string, unknown> = {}) => ({
  username: id,
  password: hub.passwords[id],
  clientId: id,
  reconnectPeriod: 0,
  connectTimeout: 5000,
  ...extra,
});
const dial = async (id: string, extra: Record<string, unknown> = {}, setup?: (c: MqttClient) => void) => {
  const c = await connect(url, as(id, extra), setup);
  open.push(c);
  return c;
};

/** A refusal of `code` for `clientId` in the hub's log (pino JSON lines on stderr). */
const logged = (code: string, clientId: string) =>
  hub.proc
    .output()
    .split('\n')
    .some((l) => l.includes(`"code":"${code}"`) && l.includes(`"clientId":"${clientId}"`));

beforeAll(async () => {
  hub = await startHubProcess({
    devices: [
      { id: 'gate-a', role: 'gate', site: SITE, gate: 'gate-a', terminal: 'T1' },
      { id: 'gate-b', role: 'gate', site: SITE, gate: 'gate-b', terminal: 'T2' },
      { id: 'T1', role: 'terminal' },
      { id: 'T2', role: 'terminal' },
      { id: 'svc', role: 'service' },
    ],
    limits: [
      '  maxPayloadBytes: 4096',
      '  publishRatePerSec: 50',
      '  publishBurst: 50',
      '  maxThrottleDelayMs: 1000',
      '  cooldownMs: 3000',
    ].join('\n'),
  });
  url = `mqtt://127.0.0.1:${hub.port}`;
}, 90_000);
afterAll(async () => {
  for (const c of open) c.end(true);
  await hub?.stop();
});

describe('ACL probes', () => {
  it("a terminal cannot subscribe to another terminal's topics, and gets none of its messages", async () => {
    const t1 = await dial('T1', { clientId: 'T1' });
    const t1got: string[] = [];
    t1.on('message', (topic) => t1got.push(topic));
    expect(
      await subscribeCodes(t1, [
        'face/T2/verdict',
        'face/T2/event',
        'face/+/verdict',
        'face/#',
        'face/T1/verdict',
      ]),
    ).toEqual([128, 128, 128, 128, 1]);
    // The refused subscribe does not cost the connection (MQTT answers it in the SUBACK).
    expect(t1.connected).toBe(true);
    const t2 = await dial('T2');
    const { got: t2got } = await collector(t2, 'face/T2/verdict');
    const gateB = await dial('gate-b', { clientId: `tg-edge-${SITE}-gate-b` });
    await gateB.publishAsync('face/T2/verdict', 'for-T2-only', { qos: 1 });
    await waitFor(() => t2got.some((m) => m.payload === 'for-T2-only'), { what: 'T2 got its verdict' });
    expect(t1got).toEqual([]);
    await waitFor(() => logged('TG_HUB_SUBSCRIBE_REFUSED', 'T1'), { what: 'the refusal logged' });
    for (const c of [t1, t2, gateB]) c.end(true);
  });

  it("a gate publishing under another gate's topics is cut off and nothing reaches anyone", async () => {
    const observer = await dial('svc', { clientId: 'svc-observer' });
    const { got } = await collector(observer, `tg/${SITE}/gate/#`);
    const gateA = await dial('gate-a');
    gateA.publish(`tg/${SITE}/gate/gate-b/decision`, 'forged', { qos: 1 });
    expect(await closed(gateA, 5000)).toBe(true);
    // gate-b's own message is delivered: the observer works, the forged one was dropped.
    const gateB = await dial('gate-b');
    await gateB.publishAsync(`tg/${SITE}/gate/gate-b/decision`, 'genuine', { qos: 1 });
    await waitFor(() => got.some((m) => m.payload === 'genuine'), { what: 'the genuine decision' });
    expect(got.map((m) => m.payload)).not.toContain('forged');
    await waitFor(() => logged('TG_HUB_PUBLISH_REFUSED', 'gate-a'), { what: 'the refusal logged' });
    for (const c of [observer, gateB]) c.end(true);
  });
});

describe('client-id takeover', () => {
  it("another device using the victim's client id is refused; the victim's session and queue are untouched", async () => {
    // The victim, a terminal, leaves a persistent session with two verdicts queued.
    const victim = await dial('T1', { clean: false });
    await victim.subscribeAsync('face/T1/verdict', { qos: 1 });
    victim.end();
    await closed(victim);
    const gateA = await dial('gate-a', { clientId: `tg-edge-${SITE}-gate-a` });
    for (const v of ['q1', 'q2']) await gateA.publishAsync('face/T1/verdict', v, { qos: 1 });

    // Other devices with valid passwords present the victim's client id: CONNACK 2, no session.
    for (const thief of ['T2', 'gate-b', 'svc'])
      await expect(connect(url, as(thief, { clientId: 'T1', clean: false }))).rejects.toMatchObject({
        code: 2,
      });
    await waitFor(() => logged('TG_HUB_CLIENT_ID_REFUSED', 'T1'), { what: 'the refusal logged' });

    // The victim comes back to its session and gets both verdicts.
    const got: string[] = [];
    let sessionPresent: boolean | undefined;
    const back = await dial('T1', { clean: false }, (c) => {
      c.once('connect', (p) => {
        sessionPresent = p.sessionPresent;
      });
      c.on('message', (_t, p) => got.push(p.toString()));
    });
    expect(sessionPresent).toBe(true);
    await waitFor(() => got.length === 2, { what: 'the queued verdicts' });
    expect(got).toEqual(['q1', 'q2']);

    // While it is connected a takeover attempt does not kick it (a duplicate client id would).
    await expect(connect(url, as('T2', { clientId: 'T1' }))).rejects.toMatchObject({ code: 2 });
    await gateA.publishAsync('face/T1/verdict', 'q3', { qos: 1 });
    await waitFor(() => got.includes('q3'), { what: 'the victim still receiving' });
    expect(back.connected).toBe(true);
    for (const c of [back, gateA]) c.end(true);
  });
});

describe('oversized packets', () => {
  it('a payload over maxPayloadBytes closes the connection and is logged; others are untouched', async () => {
    const bystander = await dial('gate-a', { clientId: `tg-edge-${SITE}-gate-a` });
    const gateB = await dial('gate-b', { clientId: `tg-edge-${SITE}-gate-b` });
    gateB.publish(`tg/${SITE}/gate/gate-b/reading`, Buffer.alloc(4097, 0x61), { qos: 1 });
    expect(await closed(gateB, 5000)).toBe(true);
    await waitFor(() => logged('TG_HUB_PAYLOAD_TOO_LARGE', `tg-edge-${SITE}-gate-b`), {
      what: 'the oversized publish logged',
    });
    // A packet announcing 8 MB is cut off from its header, before the hub buffers it.
    const big = await dial('gate-b', { clientId: `tg-edge-${SITE}-gate-b` });
    big.publish(`tg/${SITE}/gate/gate-b/reading`, Buffer.alloc(8 * 1024 * 1024, 0x61), { qos: 0 });
    expect(await closed(big, 5000)).toBe(true);
    await waitFor(() => /"code":"TG_HUB_PAYLOAD_TOO_LARGE"[^\n]*"bytes":\d{7}/.test(hub.proc.output()), {
      what: 'the announced size logged',
    });
    await bystander.publishAsync(`tg/${SITE}/gate/gate-a/reading`, 'still-here', { qos: 1 });
    expect(bystander.connected).toBe(true);
    bystander.end(true);
  });
});

describe('publish flood', () => {
  it('a flooding gate is disconnected and cooled down; another gate loses nothing meanwhile', async () => {
    const observer = await dial('svc', { clientId: 'svc-flood-observer' });
    const { got } = await collector(observer, `tg/${SITE}/gate/+/decision`);
    const flooder = await dial('gate-b');
    const gateA = await dial('gate-a', { clientId: `tg-edge-${SITE}-gate-a` });
    // 5000 publishes written at once: the hub parses many from one read, so the client falls far
    // behind its rate (50/s) at once instead of being paced one message at a time.
    for (let i = 0; i < 5000; i++) flooder.publish(`tg/${SITE}/gate/gate-b/decision`, 'x'.repeat(100));
    const cutOff = closed(flooder, 10_000);
    for (let i = 0; i < 20; i++)
      await gateA.publishAsync(`tg/${SITE}/gate/gate-a/decision`, `a${i}`, { qos: 1 });
    expect(await cutOff).toBe(true);
    await waitFor(() => logged('TG_HUB_RATE_LIMIT', 'gate-b'), { what: 'the rate disconnect logged' });
    // The cut-off client is refused while it cools down (CONNACK 3: come back later).
    await expect(connect(url, as('gate-b'))).rejects.toMatchObject({ code: 3 });
    await waitFor(() => got.filter((m) => m.topic.endsWith('/gate-a/decision')).length === 20, {
      what: "gate-a's 20 decisions delivered",
    });
    expect(got.filter((m) => m.topic.endsWith('/gate-a/decision')).map((m) => m.payload)).toEqual(
      Array.from({ length: 20 }, (_, i) => `a${i}`),
    );
    expect(gateA.connected).toBe(true);
    for (const c of [observer, gateA]) c.end(true);
  });
});
