import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../test/harness/ports.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { systemClock } from '../clock.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { HANDLER_GUARD_MS, MqttLink } from './link.ts';

const log = pino({ level: 'silent' });
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function broker(port = 0) {
  const b = await Aedes.createBroker();
  const acks: string[] = [];
  b.on('ack', (packet) => {
    if (packet && 'payload' in packet) acks.push(String(packet.payload));
  });
  const server = net.createServer(b.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => b.close(() => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, close, acks };
}

describe('MqttLink', () => {
  it('spreads reconnect delays with full jitter, growing to the cap', () => {
    const link = new MqttLink(
      { url: 'mqtt://127.0.0.1:1', clientId: 'x', reconnectMinMs: 500, reconnectMaxMs: 30_000 },
      systemClock,
      log,
      () => 0, // the top of each range
    );
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      delays.push(link.nextDelay());
      (link as unknown as { attempt: number }).attempt++;
    }
    expect(delays.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(delays[9]).toBe(30_000);
    const low = new MqttLink(
      { url: 'mqtt://127.0.0.1:1', clientId: 'x', reconnectMinMs: 500, reconnectMaxMs: 30_000 },
      systemClock,
      log,
      () => 0.9999,
    );
    expect(low.nextDelay()).toBe(100);
  });

  it('after a broker restart: reconnects, re-runs the birth hook, re-subscribes, sends what was queued', async () => {
    const first = await broker();
    const port = first.port;
    const link = new MqttLink(
      // A fixed 1 s retry leaves the watcher time to subscribe before the link is back.
      { url: `mqtt://127.0.0.1:${port}`, clientId: 'gate-x', reconnectMinMs: 1000, reconnectMaxMs: 1000 },
      systemClock,
      log,
      () => 0,
    );
    let births = 0;
    link.onConnect(() => births++);
    const received: string[] = [];
    link.subscribe('cmd/+', (_t, p) => {
      received.push(p.toString());
    });
    link.start();
    closers.push(() => link.stop({ graceful: false }));
    await waitFor(() => link.connected, { what: 'first connect' });
    await first.close();
    await waitFor(() => !link.connected, { what: 'disconnect seen' });
    link.publish('readings/x', 'made while down', { qos: 1 });

    const second = await broker(port);
    closers.push(second.close);
    const watcher = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'watcher' });
    closers.push(async () => void watcher.end(true));
    const seen: string[] = [];
    watcher.on('message', (_t, p) => seen.push(p.toString()));
    await watcher.subscribeAsync('readings/#', { qos: 1 });
    await waitFor(() => link.connected && births === 2, { what: 'reconnect with birth', timeoutMs: 5000 });
    await waitFor(() => seen.includes('made while down'), {
      what: 'queued publish delivered',
      timeoutMs: 5000,
    });
    await watcher.publishAsync('cmd/1', 'hello', { qos: 1 });
    await waitFor(() => received.includes('hello'), { what: 'subscription restored' });
  });

  it("acknowledges a QoS 1 delivery only once the handler's promise settles", async () => {
    const b = await broker();
    closers.push(b.close);
    const link = new MqttLink(
      { url: `mqtt://127.0.0.1:${b.port}`, clientId: 'gate-ack', reconnectMinMs: 100, reconnectMaxMs: 100 },
      systemClock,
      log,
      () => 0,
    );
    let finish: () => void = () => {};
    const got: string[] = [];
    link.subscribe('face/T1/event', (_t, p) => {
      got.push(p.toString());
      return new Promise<void>((r) => {
        finish = r;
      });
    });
    link.start();
    closers.push(() => link.stop({ graceful: false }));
    await waitFor(() => link.connected, { what: 'connect' });
    const terminal = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'T1' });
    closers.push(async () => void terminal.end(true));
    await terminal.publishAsync('face/T1/event', 'e1', { qos: 1 });
    await waitFor(() => got.includes('e1'), { what: 'delivered' });
    // Still deciding: a crash now must leave e1 with the broker.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.acks).not.toContain('e1');
    finish();
    await waitFor(() => b.acks.includes('e1'), { what: 'PUBACK after the handler settled' });
  });

  it('a handler that never settles holds the next delivery only until the guard acknowledges it', async () => {
    const b = await broker();
    closers.push(b.close);
    const clock = new FakeClock();
    const link = new MqttLink(
      { url: `mqtt://127.0.0.1:${b.port}`, clientId: 'gate-stuck', reconnectMinMs: 100, reconnectMaxMs: 100 },
      clock,
      log,
      () => 0,
    );
    const got: string[] = [];
    link.subscribe('face/T1/event', (_t, p) => {
      got.push(p.toString());
      return p.toString() === 'stuck' ? new Promise(() => {}) : undefined;
    });
    link.start();
    closers.push(() => link.stop({ graceful: false }));
    await waitFor(() => link.connected, { what: 'connect' });
    const terminal = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'T1' });
    closers.push(async () => void terminal.end(true));
    await terminal.publishAsync('face/T1/event', 'stuck', { qos: 1 });
    await terminal.publishAsync('face/T1/event', 'next', { qos: 1 });
    await waitFor(() => got.includes('stuck'), { what: 'delivered' });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['stuck']);
    clock.advance(HANDLER_GUARD_MS);
    await waitFor(() => b.acks.includes('stuck') && got.includes('next'), {
      what: 'acknowledged, next delivered',
    });
  });

  it('a hub that is starting (connection refused) is retried within 2 s, without growing the backoff; a busy one backs off to the cap', async () => {
    class RecordingClock extends FakeClock {
      readonly delays: number[] = [];
      override setTimeout(fn: () => void, ms: number) {
        this.delays.push(ms);
        return super.setTimeout(fn, ms);
      }
    }
    // The delays a link schedules after each failed attempt (the top of each range: random 0).
    async function delays(url: string, n: number): Promise<number[]> {
      const clock = new RecordingClock();
      const link = new MqttLink(
        { url, clientId: 'gate-r', reconnectMinMs: 500, reconnectMaxMs: 30_000 },
        clock,
        log,
        () => 0,
      );
      link.start();
      try {
        for (let i = 1; i <= n; i++) {
          await waitFor(() => clock.delays.length >= i, { what: `retry ${i} scheduled` });
          clock.advance(clock.delays[i - 1] as number);
        }
        return clock.delays.slice(0, n);
      } finally {
        await link.stop({ graceful: false });
      }
    }
    // Nothing listens on the port: the hub's machine answers at once that nobody is there.
    const [closed] = await freePorts(1);
    expect(await delays(`mqtt://127.0.0.1:${closed}`, 6)).toEqual([500, 1000, 2000, 2000, 2000, 2000]);
    // A hub that answers "server unavailable" (CONNACK 3, a throttled login) is busy: back off.
    const busy = await Aedes.createBroker({
      authenticate: (_c, _u, _p, done) =>
        done(Object.assign(new Error('busy'), { returnCode: 3 as const }), false),
    });
    const server = net.createServer(busy.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => busy.close(() => server.close(() => r()))));
    const port = (server.address() as net.AddressInfo).port;
    expect(await delays(`mqtt://127.0.0.1:${port}`, 6)).toEqual([500, 1000, 2000, 4000, 8000, 16_000]);
  });
});
