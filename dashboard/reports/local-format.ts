/**
 * Site-local times as text for logs and exports ("2024-03-05 08:01:14"), fast enough for a month
 * of a large site: Intl is asked for the zone's offset once per quarter hour of time seen (every
 * DST rule in use changes on a quarter hour), the digits are plain arithmetic.
 */
import { offsetAt } from '../store/local-time.ts';

const QUARTER = 900_000;
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export class LocalTime {
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {}

  /** The instant as local wall-clock time, written as if it were UTC. */
  private wall(t: number): Date {
    const q = Math.floor(t / QUARTER);
    let off = this.offsets.get(q);
    if (off === undefined) {
      off = offsetAt(this.timeZone, q * QUARTER);
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(q, off);
    }
    return new Date(t + off);
  }

  /** 'YYYY-MM-DD HH:MM:SS' */
  dateTime(t: number): string {
    const d = this.wall(t);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }

  /** 'HH:MM:SS' */
  time(t: number): string {
    const d = this.wall(t);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }

  /** 'YYYY-MM-DD' */
  day(t: number): string {
    return this.dateTime(t).slice(0, 10);
  }
}
