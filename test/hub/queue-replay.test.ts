/**
 * A persistent session's queue is replayed on connect (aedes's emptyQueue). A connection that
 * drops during the replay has acknowledged nothing more: what is left of its queue must wait for
 * its next connect. It did not: once the client was gone, the guard's authorizeForward had
 * forgotten its session and said no, and aedes cleared each remaining message from the store as
 * "not to be forwarded" (found by test/hub/qos1-hub-kill.test.ts, about one round in a hundred: a
 * dashboard whose connection broke while it drained its queue lost the rest of it).
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { connect, SITE, startTestHub, type TestHub } from './fixture.ts';

const TOPIC = `tg/${SITE}/gate/gate-a/alert`;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a queue replay cut short', () => {
  it('a subscriber whose connection drops while its queue is replayed gets the rest at its next connect', async () => {
    const t: TestHub = await startTestHub();
    cleanups.push(() => t.close());
    const N = 400;
    const dash = (setup?: (c: MqttClient) => void) =>
      connect(t.url, t.as('dash', { clientId: 'dash-replay', clean: false }), setup);

    const first = await dash();
    await first.subscribeAsync(TOPIC, { qos: 1 });
    await first.endAsync();

    const gate = await connect(t.url, t.as('gate-a'));
    cleanups.push(() => {
      gate.end(true);
    });
    await Promise.all(
      Array.from({ length: N }, (_, n) => gate.publishAsync(TOPIC, JSON.stringify({ n }), { qos: 1 })),
    );

    const got = new Set<number>();
    const record = (c: MqttClient) =>
      c.on('message', (_t, p) => got.add((JSON.parse(p.toString()) as { n: number }).n));
    // Takes the first message of the replay, then the connection breaks (as a network does).
    let cut = false;
    const second = await dash((c) => {
      record(c);
      c.on('message', () => {
        if (cut) return;
        cut = true;
        c.stream.destroy();
      });
    }).catch(() => null);
    cleanups.push(() => {
      second?.end(true);
    });
    await waitFor(() => cut, { what: 'the replay started and the connection was cut' });

    const third = await dash(record);
    cleanups.push(() => {
      third.end(true);
    });
    await waitFor(() => got.size === N, { what: `all ${N} delivered`, timeoutMs: 10_000 }).catch(() => {});
    const missing = Array.from({ length: N }, (_, n) => n).filter((n) => !got.has(n));
    expect(missing).toEqual([]);
  });
});
