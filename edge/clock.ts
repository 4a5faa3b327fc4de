/**
 * Time as a dependency: the kernel's Clock (kernel/clock.ts), and the gate's steady wall clock on
 * top of it.
 */
import { type Clock, systemClock } from '../kernel/clock.ts';

export { type Clock, ManualClock, systemClock, type Timer } from '../kernel/clock.ts';

export interface ClockStep {
  /** System time minus the time this clock kept, ms (positive: the system clock jumped forward). */
  stepMs: number;
  /** 'ignored': not followed (yet); 'adopted': it held for confirmMs and is now followed. */
  action: 'ignored' | 'adopted';
}

export interface SteadyClockOptions {
  /** Differences up to this are followed at once (NTP slewing, small corrections). Default 1000 ms. */
  toleranceMs?: number;
  /** A step is followed once the system clock has kept it this long. Default 60 s. */
  confirmMs?: number;
  onStep?: (s: ClockStep) => void;
  /** Time sources (tests): wall clock and a monotonic clock, both ms. */
  wall?: () => number;
  mono?: () => number;
}

/**
 * The gate's wall clock. It follows the system clock, except across a sudden step: a system clock
 * set an hour ahead and back again (a bad NTP answer, someone at the console) would otherwise make
 * every terminal event look stale (nobody released) or date readings an hour wrong (HR's log). A
 * step is bridged with the monotonic clock, and followed only once the system clock has held the new
 * time for `confirmMs` (then it was a real correction, e.g. NTP after booting without an RTC).
 */
export function steadyClock(o: SteadyClockOptions = {}): Clock {
  const wall = o.wall ?? Date.now;
  const mono = o.mono ?? (() => performance.now());
  const tolerance = o.toleranceMs ?? 1000;
  const confirm = o.confirmMs ?? 60_000;
  let base = wall() - mono();
  let stepSeenAt: number | undefined;
  const now = () => {
    const m = mono();
    const sys = wall();
    const kept = Math.floor(base + m);
    const diff = sys - kept;
    if (Math.abs(diff) <= tolerance) {
      if (stepSeenAt !== undefined) stepSeenAt = undefined;
      base = sys - m;
      return sys;
    }
    if (stepSeenAt === undefined) {
      stepSeenAt = m;
      o.onStep?.({ stepMs: diff, action: 'ignored' });
    } else if (m - stepSeenAt >= confirm) {
      stepSeenAt = undefined;
      base = sys - m;
      o.onStep?.({ stepMs: diff, action: 'adopted' });
      return sys;
    }
    return kept;
  };
  return { ...systemClock, now };
}
