import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.ts';

describe('ManualClock', () => {
  it('runs timers in time order only when advanced, intervals repeatedly, cancelled ones never', () => {
    const clock = new ManualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 100);
    const every = clock.setInterval(() => seen.push(`i@${clock.now()}`), 150);
    clock.setTimeout(() => seen.push('never'), 50).cancel();
    expect(seen).toEqual([]);
    clock.advance(300);
    expect(seen).toEqual(['a@1100', 'i@1150', 'b@1200', 'i@1300']);
    expect(clock.now()).toBe(1300);
    every.cancel();
    clock.advance(1000);
    expect(seen).toHaveLength(4);
  });
});
