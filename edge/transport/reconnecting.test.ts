import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { backoffDelay } from '../backoff.ts';
import { MockTransport } from '../../test/doubles/edge/mock-transport.ts';
import { ReconnectingTransport } from './reconnecting.ts';

const settle = () => new Promise<void>((r) => setImmediate(r));

describe('backoffDelay', () => {
  it('doubles from the minimum up to the cap', () => {
    const o = { minDelayMs: 100, maxDelayMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, o))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('jitter only shortens the delay, within the configured fraction', () => {
    const o = { minDelayMs: 1000, maxDelayMs: 1000, jitter: 0.25 };
    expect(backoffDelay(0, o, () => 0)).toBe(1000);
    expect(backoffDelay(0, o, () => 0.999999)).toBe(750);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, o);
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});

function rig() {
  const clock = new FakeClock();
  const inner = new MockTransport();
  const link = new ReconnectingTransport(inner, {
    clock,
    minDelayMs: 100,
    maxDelayMs: 800,
    factor: 2,
    jitter: 0,
  });
  const events: string[] = [];
  link.on('up', (e) => events.push(e.reconnect ? 'up(re)' : 'up'));
  link.on('down', (e) => events.push(`down:${e.reason}`));
  return {
    clock,
    inner,
    link,
    events,
    async run(ms: number) {
      clock.advance(ms);
      await settle();
    },
  };
}

describe('ReconnectingTransport', () => {
  it('retries a failing open with exponential backoff and resets after success', async () => {
    const r = rig();
    r.inner.plugged = false;
    await r.link.open(); // resolves although the device is missing
    expect(r.link.isOpen).toBe(false);
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(r.link.nextRetryMs);
      await r.run(r.link.nextRetryMs ?? 0);
    }
    expect(delays).toEqual([200, 400, 800, 800, 800]);
    expect(r.inner.openCalls).toBe(6);
    r.inner.replug();
    await r.run(r.link.nextRetryMs ?? 0);
    expect(r.link.isOpen).toBe(true);
    expect(r.events).toEqual(['up']);
    expect(r.link.stats).toEqual({ attempts: 7, failures: 6, reconnects: 0 });

    // A loss after a success starts again from the minimum.
    r.inner.unplug('gone');
    expect(r.events.at(-1)).toBe('down:gone');
    expect(r.link.nextRetryMs).toBe(100);
    r.inner.replug();
    await r.run(100);
    expect(r.events).toEqual(['up', 'down:gone', 'up(re)']);
    expect(r.link.stats.reconnects).toBe(1);
    await r.link.close();
  });

  it('forwards data only while up and refuses writes while down with a typed error', async () => {
    const r = rig();
    const got: number[] = [];
    r.link.on('data', (d) => got.push(...d));
    await r.link.open();
    r.inner.feed(Uint8Array.of(1, 2));
    await r.link.write(Uint8Array.of(9));
    expect(r.inner.takeWritten()).toEqual([Uint8Array.of(9)]);
    r.inner.unplug();
    await expect(r.link.write(Uint8Array.of(9))).rejects.toMatchObject({
      code: 'TG_EDGE_TRANSPORT_NOT_OPEN',
    });
    expect(got).toEqual([1, 2]);
    await r.link.close();
  });

  it('recycle() drops an open link and reopens it', async () => {
    const r = rig();
    await r.link.open();
    r.link.recycle('silent device');
    expect(r.link.isOpen).toBe(false);
    await r.run(100);
    expect(r.link.isOpen).toBe(true);
    expect(r.events).toEqual(['up', 'down:silent device', 'up(re)']);
    await r.link.close();
  });

  it('close() ends it: no more attempts, no more events', async () => {
    const r = rig();
    r.inner.plugged = false;
    await r.link.open();
    await r.link.close();
    r.inner.replug();
    await r.run(10_000);
    expect(r.inner.openCalls).toBe(1);
    expect(r.events).toEqual([]);
  });

  it('close() during an open attempt leaves the inner transport closed', async () => {
    class SlowOpen extends MockTransport {
      release: () => void = () => {};
      override async open(): Promise<void> {
        await new Promise<void>((res) => (this.release = res));
        return super.open();
      }
    }
    const inner = new SlowOpen();
    const link = new ReconnectingTransport(inner, { clock: new FakeClock() });
    const ups: unknown[] = [];
    link.on('up', (e) => ups.push(e));
    const opening = link.open();
    await link.close();
    inner.release();
    await opening;
    expect(link.isOpen).toBe(false);
    expect(inner.isOpen).toBe(false);
    expect(ups).toEqual([]);
  });
});
