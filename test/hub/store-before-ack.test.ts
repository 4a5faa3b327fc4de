/**
 * The hub's half of "a QoS 1 message published in the millisecond the hub is SIGKILLed": aedes
 * sends the PUBACK before it queues the message for persistent sessions. A persistence that never
 * answers aedes's own store call stands for a hub killed right after its PUBACK, deterministically;
 * a second broker on the same SQLite file is the hub started again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlitePersistence } from '../../hub/broker/sqlite-persistence.ts';
import { waitFor } from '../harness/wait.ts';
import { killableBroker } from './killable-broker.ts';

/** aedes's own store of a publish starts with this call: never answering it = killed after the PUBACK. */
class DiesAfterAck extends SqlitePersistence {
  override subscriptionsByTopic(): Promise<never> {
    return new Promise(() => {});
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(persistence: SqlitePersistence, withHook: boolean) {
  const b = await killableBroker(persistence, { storeBeforeAck: withHook });
  cleanups.push(b.kill);
  return b;
}

async function client(url: string, clientId: string, clean = true) {
  const c = await mqtt.connectAsync(url, { clientId, clean, reconnectPeriod: 0 });
  cleanups.push(() => {
    c.end(true);
  });
  return c;
}

/** A subscriber with a persistent session on `t/x`, away; then what it gets when it is back. */
async function awaySubscriber(url: string): Promise<void> {
  const s = await client(url, 'sub', false);
  await s.subscribeAsync('t/x', { qos: 1 });
  await s.endAsync();
}
async function backAndReceive(url: string, quietMs = 500): Promise<string[]> {
  const got: string[] = [];
  const s = mqtt.connect(url, { clientId: 'sub', clean: false, reconnectPeriod: 0 });
  s.on('message', (_t, p) => got.push(p.toString()));
  cleanups.push(() => {
    s.end(true);
  });
  await new Promise((r) => s.once('connect', r));
  await new Promise((r) => setTimeout(r, quietMs));
  return got;
}

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-store-before-ack-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'broker.sqlite');
}

describe('QoS 1: stored before the PUBACK', () => {
  it('a message acknowledged by a hub that dies at once reaches the away subscriber after the restart', async () => {
    const path = files();
    const first = await broker(new DiesAfterAck({ path }), true);
    await awaySubscriber(first.url);
    const pub = await client(first.url, 'pub');
    await pub.publishAsync('t/x', 'acknowledged', { qos: 1 }); // resolves on the PUBACK
    first.kill();

    const second = await broker(new SqlitePersistence({ path }), true);
    expect(await backAndReceive(second.url)).toEqual(['acknowledged']);
  });

  it('without the hook the same kill loses it (the gap is aedes’s: PUBACK first, store after)', async () => {
    const path = files();
    const first = await broker(new DiesAfterAck({ path }), false);
    await awaySubscriber(first.url);
    const pub = await client(first.url, 'pub');
    await pub.publishAsync('t/x', 'acknowledged', { qos: 1 });
    first.kill();

    const second = await broker(new SqlitePersistence({ path }), false);
    expect(await backAndReceive(second.url)).toEqual([]);
  });

  it('when the hub lives: one copy per session, in order, and the queue empties once delivered', async () => {
    const persistence = new SqlitePersistence({ path: files() });
    const b = await broker(persistence, true);
    await awaySubscriber(b.url);
    const online = await client(b.url, 'online', false);
    const live: string[] = [];
    online.on('message', (_t, p) => live.push(p.toString()));
    await online.subscribeAsync('t/x', { qos: 1 });
    const pub = await client(b.url, 'pub');
    for (const m of ['a', 'b', 'c']) await pub.publishAsync('t/x', m, { qos: 1 });
    await waitFor(() => live.length === 3, { what: 'the online subscriber got all three' });
    // Three for the away session; the online one's acknowledged copies are gone.
    await waitFor(() => persistence.queuedCount() === 3, { what: 'three queued' });
    expect(await backAndReceive(b.url)).toEqual(['a', 'b', 'c']);
    expect(live).toEqual(['a', 'b', 'c']);
    await waitFor(() => persistence.queuedCount() === 0, { what: 'queue empty after delivery' });
  });
});
