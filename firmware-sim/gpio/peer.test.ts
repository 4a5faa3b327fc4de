import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/harness/wait.ts';
import { type FakeGpioEdge, startFakeGpioEdge } from '../../test/doubles/firmware-sim/fake-gpio-edge.ts';
import { GpioPeer } from './peer.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function edge(port = 0): Promise<FakeGpioEdge> {
  const e = await startFakeGpioEdge(port);
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await e.close();
    }
  };
  cleanups.push(close);
  return { ...e, close, inputs: e.inputs };
}

async function peer(port: number): Promise<GpioPeer> {
  const p = new GpioPeer({ port, reconnectMs: 50 });
  cleanups.push(() => p.stop());
  await p.start();
  await p.waitConnected(2000);
  return p;
}

describe('GpioPeer', () => {
  it('learns the snapshot, records output changes and release pulses', async () => {
    const e = await edge();
    const p = await peer(e.port);
    expect(p.output('release')).toBe(0);
    expect(p.output('red')).toBe(1);
    const t0 = Date.now();
    const mark = p.cursor();
    e.pulseRelease(80);
    expect(await p.waitForOutput('release', 1, 1000)).toBe(true);
    expect(await p.waitForOutput('release', 0, 1000, { after: mark })).toBe(true);
    const pulses = p.releasePulses(t0);
    expect(pulses).toHaveLength(1);
    expect(pulses[0]?.durationMs).toBeGreaterThanOrEqual(60);
    expect(p.history('release').map((c) => c.value)).toEqual([0, 1, 0]);
    expect(await p.waitForOutput('buzzer', 1, 50)).toBe(false);
  });

  it('drives passage pulses and the fire alarm', async () => {
    const e = await edge();
    const p = await peer(e.port);
    expect(await p.passage(30)).toBe(true);
    expect(await p.passage(30)).toBe(true);
    expect(p.setFireAlarm(true)).toBe(true);
    await waitFor(() => e.inputs.length === 5, { timeoutMs: 1000, what: 'inputs at the edge' });
    expect(e.pulses('passage')).toBe(2);
    expect(e.inputs.at(-1)).toMatchObject({ line: 'fireAlarm', value: 1 });
  });

  it('reconnects when the edge restarts and re-asserts a held fire alarm', async () => {
    const e = await edge();
    const p = await peer(e.port);
    p.setFireAlarm(true);
    await e.close();
    await waitFor(() => !p.isConnected, { timeoutMs: 1000, what: 'peer sees the edge gone' });
    expect(await p.passage(10)).toBe(false);
    const e2 = await edge(e.port);
    await p.waitConnected(2000);
    await waitFor(() => e2.inputs.some((i) => i.line === 'fireAlarm' && i.value === 1), {
      timeoutMs: 1000,
      what: 'fire alarm re-asserted',
    });
    e2.pulseRelease(20);
    expect(await p.waitForOutput('release', 1, 1000)).toBe(true);
  });
});
