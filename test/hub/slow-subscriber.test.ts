/**
 * A subscriber that stops reading for a moment (the dashboard, which takes the whole site's
 * traffic, in a GC pause or a long step) must not hold up everybody else. aedes hands a message to
 * every subscriber before it completes, 100 messages at a time; a subscriber whose socket buffer is
 * full makes its messages wait for 'drain', so with Node's default 16 KiB buffer 100 messages
 * waiting for one lagging dashboard stopped every gate's traffic (bench/scale.ts). The hub's
 * sockets buffer `limits.socketBufferBytes` (4 MiB) instead, and deliver
 * `limits.deliveryConcurrency` messages at a time (5,000) instead of aedes's 100.
 */
import type { Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { connect, startTestHub, type TestHub } from './fixture.ts';

let t: TestHub | undefined;
const open: MqttClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.end(true);
  await t?.close();
  t = undefined;
});

async function client(id: string, extra = {}): Promise<MqttClient> {
  const c = await connect((t as TestHub).url, (t as TestHub).as(id, extra));
  open.push(c);
  return c;
}

describe('a subscriber that falls behind', () => {
  it('does not hold up the other clients, and gets everything once it reads again', async () => {
    t = await startTestHub();
    const dash = await client('dash', { clean: false });
    let dashGot = 0;
    dash.on('message', (topic) => {
      if (topic === 'tg/site-1/gate/gate-a/reading') dashGot++;
    });
    await dash.subscribeAsync('tg/site-1/#', { qos: 1 });
    const gateA = await client('gate-a');
    const gateB = await client('gate-b');
    await gateB.subscribeAsync('face/T2/event', { qos: 1 });
    const terminal = await client('T2');

    // The dashboard stops reading while gate A publishes 400 readings (4.8 MB) for it:
    // more than the kernel's socket buffers take on loopback, less than those plus the hub's 4 MiB.
    (dash.stream as Socket).pause();
    const reading = Buffer.alloc(12_000, 'x');
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 400 }, () =>
        gateA.publishAsync('tg/site-1/gate/gate-a/reading', reading, { qos: 1 }),
      ),
    );
    // The hub acknowledges a QoS 1 message once it has handed it to every subscriber.
    expect(Date.now() - started).toBeLessThan(3000);

    const event = new Promise<number>((resolve) => gateB.once('message', () => resolve(Date.now())));
    const sent = Date.now();
    await terminal.publishAsync('face/T2/event', '{"serialNo":1}', { qos: 1 });
    expect((await event) - sent).toBeLessThan(1000);

    (dash.stream as Socket).resume();
    await waitFor(() => dashGot === 400, { timeoutMs: 5000, what: 'all 400 readings at the dashboard' });
  });

  it('whose buffer is full holds up nobody else while fewer than deliveryConcurrency of its messages wait', async () => {
    // The smallest buffer the config allows, so that the dashboard's messages soon wait for
    // 'drain': each holds one of the broker's delivery slots until the dashboard reads, or is cut
    // off after drainTimeout (10 s). With aedes's default of 100 slots the terminal's event below
    // waited for that cut-off.
    t = await startTestHub({ limits: { socketBufferBytes: 16 * 1024 } });
    const hub = t.hub;
    const dash = await client('dash', { clean: false });
    let dashGot = 0;
    dash.on('message', (topic) => {
      if (topic.startsWith('tg/site-1/gate/')) dashGot++;
    });
    await dash.subscribeAsync('tg/site-1/#', { qos: 1 });
    const gateB = await client('gate-b');
    await gateB.subscribeAsync('face/T2/event', { qos: 1 });
    const terminal = await client('T2');
    expect(hub.connectedClients()).toBe(3);

    // 800 messages of 12 kB (9.6 MB) for the dashboard, each published on its own as 800 gates'
    // decisions would be (one client's publishes are taken a read at a time, so one gate cannot
    // take many slots). The loopback buffers of a reader that has not read take ~4.3 MB: some
    // 450 wait for the dashboard, more than 100 and fewer than the hub's slots.
    (dash.stream as Socket).pause();
    const messages = 800;
    expect(messages).toBeLessThan(hub.config.limits.deliveryConcurrency);
    const body = Buffer.alloc(12_000, 'x');
    let delivered = 0;
    const published = Array.from({ length: messages }, (_, i) =>
      hub.publish(`tg/site-1/gate/g${i}/decision`, body, { qos: 1 }).then(() => delivered++),
    );
    // Each is queued for the dashboard's persistent session as the broker takes it.
    await waitFor(() => hub.queuedMessages() >= messages, {
      timeoutMs: 10_000,
      what: 'every message taken by the broker',
    });

    const event = new Promise<void>((resolve) => gateB.once('message', () => resolve()));
    await terminal.publishAsync('face/T2/event', '{"serialNo":1}', { qos: 1 });
    await event;
    // The event came through while the dashboard was connected and messages still waited for it,
    // not because the hub had cut the dashboard off and freed its slots.
    expect(hub.connectedClients()).toBe(3);
    expect(delivered).toBeLessThan(messages);

    (dash.stream as Socket).resume();
    await Promise.all(published);
    await waitFor(() => dashGot === messages, { timeoutMs: 10_000, what: 'every message at the dashboard' });
  }, 30_000);
});
