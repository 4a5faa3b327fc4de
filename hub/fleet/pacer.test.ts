import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.ts';
import { SnapshotPacer } from './pacer.ts';

/** The times (ms from the start) at which the snapshot went out. */
function setup() {
  const clock = new ManualClock(0);
  const at: number[] = [];
  const pacer = new SnapshotPacer({
    clock,
    intervalMs: 1000,
    refreshMs: 10_000,
    publish: () => at.push(clock.now()),
  });
  pacer.publishNow();
  return { clock, at, pacer };
}

describe('SnapshotPacer: a device state change within a second, counters within ten', () => {
  it('heartbeats and passages every few ms: one snapshot per refresh interval, not one a second', () => {
    const t = setup();
    for (let ms = 0; ms < 30_000; ms += 5) {
      t.pacer.changed(false);
      t.clock.advance(5);
    }
    expect(t.at).toEqual([0, 10_000, 20_000, 30_000]);
  });

  it('a gate going offline amid the counters goes out within the interval of the last snapshot', () => {
    const t = setup();
    t.clock.advance(300);
    t.pacer.changed(false); // due at 10 s
    t.clock.advance(200);
    t.pacer.changed(true); // due at 1 s, sooner: taken
    t.clock.advance(499);
    expect(t.at).toEqual([0]);
    t.clock.advance(1);
    expect(t.at).toEqual([0, 1000]);
    // Counters again: from the last snapshot, not the first.
    t.pacer.changed(false);
    t.clock.advance(9_999);
    expect(t.at).toEqual([0, 1000]);
    t.clock.advance(1);
    expect(t.at).toEqual([0, 1000, 11_000]);
  });

  it('after a quiet spell a change goes at once; nothing goes without a change; nothing after stop', () => {
    const t = setup();
    t.clock.advance(60_000);
    expect(t.at).toEqual([0]);
    t.pacer.changed(false);
    t.clock.advance(0); // a timer of 0 ms: on this turn's timers, not inside the caller
    expect(t.at).toEqual([0, 60_000]);
    t.pacer.changed(true);
    t.pacer.stop();
    t.clock.advance(5_000);
    expect(t.at).toEqual([0, 60_000]);
    expect(t.clock.pending).toBe(0);
  });
});
