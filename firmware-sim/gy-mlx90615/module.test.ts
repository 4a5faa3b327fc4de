import { describe, expect, it } from 'vitest';
import { Command, GyFrameParser } from '../../protocols/gy-mlx90615/index.ts';
import { toHex } from '../../protocols/hex.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { seededRandom } from '../rng.ts';
import { GyModule } from './module.ts';

function harness(opts: ConstructorParameters<typeof GyModule>[0] = {}) {
  const m = new GyModule(opts);
  const chunks: Uint8Array[] = [];
  m.attach((b) => chunks.push(b));
  const bytes = () => Uint8Array.from(chunks.flatMap((c) => [...c]));
  return { m, chunks, bytes };
}

describe('GyModule', () => {
  it('answers a query with the datasheet frame (36.62 / 25.10)', () => {
    const { m, chunks } = harness();
    m.receive(Command.Query);
    expect(chunks.map(toHex)).toEqual(['5A 5A 45 04 0E 4E 09 CE 30']);
    m.dispose();
  });

  it('finds commands split across chunks and between junk bytes', () => {
    const { m, chunks } = harness();
    m.receive(Uint8Array.of(0x00, 0xa5));
    m.receive(Uint8Array.of(0x45));
    expect(chunks).toHaveLength(0);
    m.receive(Uint8Array.of(0xea, 0x13, 0xa5, 0x45, 0xea));
    expect(chunks).toHaveLength(2);
    m.dispose();
  });

  it('reports settable object and negative ambient temperatures', () => {
    const { m, bytes } = harness();
    m.setObject(3705);
    m.setAmbient(-512);
    m.receive(Command.Query);
    expect(new GyFrameParser().push(bytes())).toEqual([{ objectHundredths: 3705, ambientHundredths: -512 }]);
    m.dispose();
  });

  it('streams a frame every period in continuous mode until stopped', async () => {
    // Real timers (the module's setInterval): wait for frames, not a fixed 190 ms, and bound the
    // period from below only, since a busy machine can only make frames later.
    const { m, chunks } = harness({ periodMs: 40 });
    const t0 = performance.now();
    m.receive(Command.StartContinuous);
    expect(m.isContinuous).toBe(true);
    await waitFor(() => chunks.length >= 4, {
      what: 'four continuous frames',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    // One frame at once, then one a period: the fourth after three periods at the earliest.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 40 - 5);
    m.receive(Command.StopContinuous);
    const n = chunks.length;
    expect(new GyFrameParser().push(Uint8Array.from(chunks.flatMap((c) => [...c])))).toHaveLength(n);
    // No frame after the stop: a second module on the same period, still streaming, shows that
    // three periods of timers have run (a fixed wait proves nothing on a busy machine).
    const witness = harness({ periodMs: 40 });
    witness.m.receive(Command.StartContinuous);
    await waitFor(() => witness.chunks.length >= 4, {
      what: 'three more periods at a module still streaming',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    expect(chunks.length).toBe(n);
    witness.m.dispose();
    m.dispose();
  });

  it('bad-sum frames are dropped by the host parser; good ones pass', () => {
    const { m, bytes } = harness();
    m.badSumNext(2);
    for (let i = 0; i < 3; i++) m.receive(Command.Query);
    const p = new GyFrameParser();
    expect(p.push(bytes())).toHaveLength(1);
    expect(p.stats.badFrames).toBeGreaterThanOrEqual(2);
  });

  it('garbage before frames does not hide them from a resyncing parser', () => {
    const { m, bytes } = harness({ random: seededRandom(7) });
    m.setGarbageRate(1);
    m.injectGarbage(5);
    for (let i = 0; i < 10; i++) m.receive(Command.Query);
    expect(m.stats.garbageBytes).toBeGreaterThan(10);
    expect(new GyFrameParser().push(bytes())).toHaveLength(10);
  });

  it('silent: nothing at all', () => {
    const { m, chunks } = harness();
    m.setSilent(true);
    m.receive(Command.Query);
    m.injectGarbage(3);
    expect(chunks).toHaveLength(0);
    m.setSilent(false);
    m.receive(Command.Query);
    expect(chunks).toHaveLength(1);
  });
});
