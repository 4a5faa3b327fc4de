/** A manual clock for tests and benchmarks of the core: time moves only when told to. */
import type { Clock, Timer } from '../clock.ts';

interface Scheduled {
  at: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

export class FakeClock implements Clock {
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
      if (next.every) this.queue.push({ ...next, at: next.at + next.every });
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
    };
  }
}
