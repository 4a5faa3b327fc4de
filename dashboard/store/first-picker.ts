/**
 * Picks the first reading of each person and half-day while scanning a period once, in any
 * order. Both stores feed it (SQLite from its covering index, InfluxDB from a streamed scan), so
 * "first" and its tie-breaks mean exactly the same everywhere: earliest `at`, then site, gate,
 * seq, the order readings are listed in. Only the current winners are kept in memory.
 */
import type { Half, HalfDay } from './local-time.ts';

export interface Candidate {
  employeeNo: string;
  at: number;
  siteId: string;
  gateId: string;
  seq: number;
}

interface Entry<T> {
  day: string;
  half: Half;
  c: Candidate;
  payload: T;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const earlier = (a: Candidate, b: Candidate): boolean =>
  (a.at - b.at || cmp(a.siteId, b.siteId) || cmp(a.gateId, b.gateId) || a.seq - b.seq) < 0;

export class FirstReadingPicker<T> {
  private readonly best = new Map<string, Entry<T>>();
  private readonly starts: number[];

  /** @param halves contiguous half-days in time order (as halfDays() returns them). */
  constructor(private readonly halves: readonly HalfDay[]) {
    this.starts = halves.map((h) => h.from);
  }

  /** The overall [from, to) to scan. */
  get period(): { from: number; to: number } {
    return { from: this.halves[0]?.from ?? 0, to: this.halves[this.halves.length - 1]?.to ?? 0 };
  }

  offer(c: Candidate, payload: T): void {
    const h = this.halfOf(c.at);
    if (!h) return;
    const key = `${c.employeeNo}\u0000${h.day}\u0000${h.half}`;
    const cur = this.best.get(key);
    if (!cur || earlier(c, cur.c)) this.best.set(key, { day: h.day, half: h.half, c, payload });
  }

  winners(): Array<{ day: string; half: Half; payload: T }> {
    return [...this.best.values()].map(({ day, half, payload }) => ({ day, half, payload }));
  }

  /** Binary search: the half-day whose [from, to) holds t. */
  private halfOf(t: number): HalfDay | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    if (hi < 0 || t < (this.starts[0] as number)) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    const h = this.halves[lo] as HalfDay;
    return t < h.to ? h : undefined;
  }
}
