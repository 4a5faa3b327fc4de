/**
 * How old a realtime face event is, judged by what the gate can know rather than by the terminal's
 * clock alone. Taught by two failures: a terminal whose clock was off (wrong time zone, no NTP) had
 * every event judged stale, so the gate answered nobody and silently locked out everyone; and after
 * a gate restart, events the broker had held arrived seconds old and, judged fresh, took the next
 * person's measurement.
 *
 * - While the gate's broker link has been up for `settleMs`, an event is delivered within
 *   milliseconds of being sent: it is live whatever its `dateTime` says, and `receivedAt -
 *   dateTime` is a sample of the terminal's clock offset (the median of the last samples; persisted,
 *   so a restarted gate has it at once). `settleMs` is longer than the terminal's deadline: the
 *   broker's backlog is handed over right after the (re)connect, and only its events younger than
 *   the deadline can make the gate wait (for a measurement), each no longer than its own deadline,
 *   so the whole backlog has been handled by then.
 * - Within `settleMs` of a (re)connect an event may be the broker's backlog: it is judged by its age
 *   less the learned offset (its raw age while none is known), and one older than the terminal's
 *   deadline never actuates (it is still answered and stored).
 * - An offset beyond `toleranceMs` raises the `terminal-clock` alert, with the offset.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '../clock.ts';

export interface TerminalClockOptions {
  settleMs: number;
  toleranceMs: number;
  /** Samples kept for the median. */
  samples?: number;
  /** Where the learned offset is kept across restarts. */
  persistPath?: string | undefined;
}

export interface EventAge {
  /** The event's age when it arrived, by the gate's reckoning (offset-corrected where known). */
  ageMs: number;
  /** False: it may have been held by the broker and is too old to act on. */
  live: boolean;
}

const MIN_SAMPLES = 3;

export class TerminalClock {
  private upSince: number | null = null;
  private readonly recent: number[] = [];
  private alerted = false;
  private saved: number | null = null;

  constructor(
    private readonly opts: TerminalClockOptions,
    private readonly clock: Clock,
  ) {}

  linkUp(): void {
    this.upSince = this.clock.now();
  }

  linkDown(): void {
    this.upSince = null;
  }

  /** The learned offset (gate time − terminal time), or null while fewer than a few samples came. */
  offsetMs(): number | null {
    return this.median;
  }

  /** Kept up to date by sample()/load(): the decision path reads it, it does not sort per event. */
  private median: number | null = null;

  private updateMedian(): void {
    if (this.recent.length < MIN_SAMPLES) {
      this.median = null;
      return;
    }
    const s = [...this.recent].sort((a, b) => a - b);
    this.median = s[Math.floor(s.length / 2)] as number;
  }

  /**
   * Judges one realtime event and learns from it. `actBeforeMs`: how old an event may be for the
   * gate still to act on it (the terminal's deadline less a margin). `queued`: another event was
   * still being handled when this one arrived (so it may have waited behind it).
   */
  judge(eventAt: number, receivedAt: number, actBeforeMs: number, queued = false): EventAge {
    const raw = receivedAt - eventAt;
    const offset = this.offsetMs();
    const steady = this.upSince !== null && receivedAt - this.upSince >= this.opts.settleMs;
    if (steady) {
      // One that waited behind a slow one is live all the same, but no clean sample of the offset.
      if (!queued) this.sample(raw);
      return { ageMs: offset === null ? 0 : Math.max(0, raw - offset), live: true };
    }
    const ageMs = offset === null ? raw : raw - offset;
    // Younger than possible (by more than the deadline) means the offset learned before no longer
    // holds (the terminal's clock was set, or it was replaced): during the backlog that proves
    // nothing about this event's age, so it is not acted on either. Found by the site test: a gate
    // that had learned 8 h took a backlog event from a since-corrected terminal as fresh.
    // Without a learned offset an event from the future is the terminal's clock being ahead, as
    // before this rule existed; it cannot be a held one.
    const live = offset === null ? ageMs <= actBeforeMs : Math.abs(ageMs) <= actBeforeMs;
    return { ageMs: Math.max(0, ageMs), live };
  }

  private sample(raw: number): void {
    this.recent.push(raw);
    if (this.recent.length > (this.opts.samples ?? 15)) this.recent.shift();
    this.updateMedian();
    const offset = this.offsetMs();
    if (offset !== null && (this.saved === null || Math.abs(offset - this.saved) > 250)) this.save(offset);
  }

  /** Loads a persisted offset: the restarted gate judges the broker's backlog with it at once. */
  load(): void {
    if (!this.opts.persistPath) return;
    try {
      const v = JSON.parse(readFileSync(this.opts.persistPath, 'utf8')) as { offsetMs?: unknown };
      if (typeof v.offsetMs === 'number' && Number.isFinite(v.offsetMs)) {
        this.saved = v.offsetMs;
        for (let i = 0; i < MIN_SAMPLES; i++) this.recent.push(v.offsetMs);
        this.updateMedian();
      }
    } catch {
      // No file yet, or unreadable: the offset is learned again from the next events.
    }
  }

  private save(offset: number): void {
    this.saved = offset;
    if (!this.opts.persistPath) return;
    try {
      const tmp = `${this.opts.persistPath}.tmp`;
      writeFileSync(tmp, JSON.stringify({ offsetMs: offset, at: this.clock.now() }));
      renameSync(tmp, this.opts.persistPath);
    } catch {
      // Only an optimisation across restarts: a failed write is learned again next time.
    }
  }

  /** Whether the alert should be raised (true), cleared (false), or is unchanged (null). */
  alertChange(): { active: boolean; offsetMs: number } | null {
    const offset = this.offsetMs();
    if (offset === null) return null;
    const off = Math.abs(offset) > this.opts.toleranceMs;
    if (off === this.alerted) return null;
    this.alerted = off;
    return { active: off, offsetMs: offset };
  }
}
