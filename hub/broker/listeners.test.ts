/**
 * coalesceWrites: the packets the hub writes to one connection in one turn of the event loop leave
 * in one write, whole and in order, and none waits past that turn (bench/NOTES.md § Scale: one
 * `writev` per message per subscriber was a fifth of the hub's CPU at 1,000 gates).
 */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/harness/wait.ts';
import { coalesceWrites } from './listeners.ts';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A connected pair: the hub's side (server socket) and what the other end parses. */
async function pair(coalesce: boolean) {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const peer = net.connect(port, '127.0.0.1');
  const hub = await accepted;
  closers.push(() => {
    peer.destroy();
    hub.destroy();
    server.close();
  });
  if (coalesce) coalesceWrites(hub);
  // Every chunk the hub's socket hands to the kernel is one call of _write or _writev.
  let writes = 0;
  const s = hub as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  for (const k of ['_write', '_writev'] as const) {
    const orig = s[k].bind(hub);
    s[k] = (...a: unknown[]) => {
      writes++;
      return orig(...a);
    };
  }
  const got: Array<{ topic: string; messageId?: number; payload: string }> = [];
  const parser = mqttPacket.parser();
  parser.on('packet', (p) => {
    if (p.cmd === 'publish') got.push({ topic: p.topic, messageId: p.messageId, payload: String(p.payload) });
  });
  peer.on('data', (b) => parser.parse(b));
  return { hub, got, writes: () => writes };
}

/** `n` QoS 1 publishes, each written from its own callback of the same turn (as aedes delivers). */
function sendInOneTurn(hub: net.Socket, n: number): void {
  for (let i = 1; i <= n; i++)
    setImmediate(() =>
      mqttPacket.writeToStream(
        {
          cmd: 'publish',
          topic: `tg/s/gate/g${i}/decision`,
          payload: `d${i}`,
          qos: 1,
          messageId: i,
          dup: false,
          retain: false,
        },
        hub,
      ),
    );
}

describe('coalesceWrites', () => {
  it('a turn’s packets to one connection leave in at most two writes, whole and in order', async () => {
    const { hub, got, writes } = await pair(true);
    sendInOneTurn(hub, 200);
    await waitFor(() => got.length === 200, { timeoutMs: 5000, what: '200 publishes at the peer' });
    expect(got.map((p) => p.messageId)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got.every((p, i) => p.payload === `d${i + 1}` && p.topic === `tg/s/gate/g${i + 1}/decision`)).toBe(
      true,
    );
    // The first packet as before, the other 199 together at the end of the turn.
    expect(writes()).toBeLessThanOrEqual(2);
  });

  it('without it, the same turn costs a write per packet (what the hub did before)', async () => {
    const { hub, got, writes } = await pair(false);
    sendInOneTurn(hub, 200);
    await waitFor(() => got.length === 200, { timeoutMs: 5000, what: '200 publishes at the peer' });
    expect(writes()).toBeGreaterThanOrEqual(100);
  });

  it('nothing waits past the turn: a lone packet leaves at once, a turn’s rest by the next turn', async () => {
    const { hub, writes } = await pair(true);
    // A gate gets one message now and then: it is written on its own tick, not held for the turn.
    mqttPacket.writeToStream({ cmd: 'puback', messageId: 7 }, hub);
    await new Promise((r) => process.nextTick(r));
    expect(writes()).toBe(1);
    expect(hub.writableLength).toBe(0);
    sendInOneTurn(hub, 50);
    // The 50 callbacks run in the next turn; whatever they held is written by the end of the one after.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(hub.writableCorked).toBe(0);
    expect(writes()).toBeLessThanOrEqual(3);
  });
});
