import { describe, expect, it } from 'vitest';
import { FeedLag } from './lag.ts';

const NOW = 1_800_000_000_000;

describe('FeedLag', () => {
  it('behind once the passages of a window are older than the notice, by the median; caught up the same way', () => {
    const lag = new FeedLag(5_000);
    for (const age of [4_000, 4_500, 4_900]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toBeUndefined();
    expect(lag.current()).toEqual({ behindS: null });
    for (const age of [8_000, 12_400, 12_600]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toEqual({ behindS: 12 });
    // Still 12 s behind: nothing new to say; further behind: the new figure.
    for (const age of [12_200, 11_900, 12_100]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toBeUndefined();
    lag.seen(NOW - 20_000, NOW);
    expect(lag.endWindow(NOW)).toEqual({ behindS: 20 });
    for (const age of [100, 200, 300]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toEqual({ behindS: null });
  });

  it('one gate with a wrong clock decides nothing alone', () => {
    const lag = new FeedLag(5_000);
    // A gate an hour slow among live ones: not behind.
    for (const age of [3_600_000, 100, 200]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toBeUndefined();
    // Behind, and a gate whose clock runs ahead does not hide it.
    for (const age of [9_000, 9_200, -60_000]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toEqual({ behindS: 9 });
  });

  it('a backlog on a quiet site: behind while it comes, caught up once nothing has come for the quiet time', () => {
    const lag = new FeedLag(5_000, 10_000);
    // What the broker kept for ten minutes while the dashboard restarted, then nothing.
    for (const age of [600_000, 590_000, 580_000]) lag.seen(NOW - age, NOW);
    expect(lag.endWindow(NOW)).toEqual({ behindS: 590 });
    expect(lag.endWindow(NOW + 2_000)).toBeUndefined();
    expect(lag.endWindow(NOW + 9_999)).toBeUndefined();
    expect(lag.current()).toEqual({ behindS: 590 });
    expect(lag.endWindow(NOW + 10_000)).toEqual({ behindS: null });
    // Quiet and keeping up: nothing to say.
    expect(lag.endWindow(NOW + 60_000)).toBeUndefined();
  });
});
