/**
 * Time as a dependency: state machines and schedulers take a Clock, so tests drive time without
 * sleeping and benchmarks measure only our own work. `systemClock` is the real one; `ManualClock`
 * moves only when told to (tests, benchmarks, fuzzing). The edge adds a steady wall clock on top
 * (edge/clock.ts); the hub and the dashboard use these as they are.
 */
export interface Timer {
  cancel(): void;
  /** Do not keep the process alive for this timer (Node's `unref`); a no-op where there is no process. */
  unref?(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t), unref: () => void t.unref() };
  },
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    return { cancel: () => clearInterval(t), unref: () => void t.unref() };
  },
};

/** A clock whose `now` is shifted from the system's (a site whose clock is off); timers are real. */
export function offsetClock(offsetMs: number | (() => number)): Clock {
  const off = typeof offsetMs === 'number' ? () => offsetMs : offsetMs;
  return { ...systemClock, now: () => Date.now() + off() };
}

interface Scheduled {
  at: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/** A manual clock for tests and benchmarks: time moves only when told to, timers run in time order. */
export class ManualClock implements Clock {
  private t: number;
  private queue: Scheduled[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule({ at: this.t + Math.max(0, ms), fn, cancelled: false });
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.schedule({ at: this.t + ms, fn, every: Math.max(1, ms), cancelled: false });
  }

  /** Timers set and not cancelled (an interval counts once): lets a test say "nothing is armed". */
  get pending(): number {
    return this.queue.filter((s) => !s.cancelled).length;
  }

  /** Runs every timer due up to now + ms, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      if (next.cancelled) continue;
      this.t = next.at;
      if (next.every) {
        // The same entry again, so that cancelling the interval's Timer stops every later run
        // (a copy here made an interval run on after cancel() once it had fired).
        this.queue.push(next);
        next.at += next.every;
      }
      next.fn();
    }
    this.t = end;
  }

  private schedule(s: Scheduled): Timer {
    this.queue.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
      },
      unref: () => {},
    };
  }
}
