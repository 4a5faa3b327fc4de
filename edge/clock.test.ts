import { describe, expect, it } from 'vitest';
import { type ClockStep, steadyClock } from './clock.ts';

function sources() {
  const t = { wall: 1_764_374_400_000, mono: 0 };
  return {
    t,
    tick(ms: number) {
      t.wall += ms;
      t.mono += ms;
    },
    wall: () => t.wall,
    mono: () => t.mono,
  };
}

describe('steadyClock', () => {
  it('follows the system clock, including small corrections', () => {
    const s = sources();
    const c = steadyClock({ wall: s.wall, mono: s.mono });
    s.tick(1000);
    expect(c.now()).toBe(s.t.wall);
    s.t.wall += 400; // an NTP nudge within the tolerance
    expect(c.now()).toBe(s.t.wall);
  });

  it('bridges a step forward and back: time goes on smoothly and the step is reported', () => {
    const s = sources();
    const steps: ClockStep[] = [];
    const c = steadyClock({ wall: s.wall, mono: s.mono, onStep: (x) => steps.push(x) });
    const start = c.now();
    s.t.wall += 3_600_000; // an hour ahead ...
    s.tick(5000);
    expect(c.now()).toBe(start + 5000);
    s.t.wall -= 3_600_000; // ... and back
    s.tick(5000);
    expect(c.now()).toBe(start + 10_000);
    expect(steps).toEqual([{ stepMs: 3_600_000, action: 'ignored' }]);
  });

  it('a step back is bridged too: readings never date from before they were taken', () => {
    const s = sources();
    const c = steadyClock({ wall: s.wall, mono: s.mono });
    const start = c.now();
    s.t.wall -= 600_000;
    s.tick(2000);
    expect(c.now()).toBe(start + 2000);
  });

  it('a step that holds for confirmMs is a real correction and is followed from then on', () => {
    const s = sources();
    const steps: ClockStep[] = [];
    const c = steadyClock({ wall: s.wall, mono: s.mono, confirmMs: 60_000, onStep: (x) => steps.push(x) });
    s.t.wall += 86_400_000; // booted a day behind; NTP sets it right
    c.now();
    s.tick(59_000);
    expect(c.now()).toBe(s.t.wall - 86_400_000);
    s.tick(1000);
    expect(c.now()).toBe(s.t.wall);
    expect(steps.map((x) => x.action)).toEqual(['ignored', 'adopted']);
  });
});
