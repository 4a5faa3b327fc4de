/**
 * When the hub republishes the fleet snapshot (retained, one message with every gate and terminal):
 * a change of a device's state within `intervalMs` of the last snapshot, a change of its times
 * and counters only (a heartbeat, a passage) within `refreshMs`. The snapshot grows with the site
 * (~560 KB at 1,000 gates) and at 1,000 gates a heartbeat or a passage arrives every few
 * milliseconds: republished at every second, the hub stored and sent, and the dashboard parsed and
 * validated, over half a megabyte a second (bench/scale.ts, bench/NOTES.md § Scale, fifth round).
 * Offline gates and terminals also raise their own alerts at once (FleetMonitor), not through this.
 */
import type { Clock, Timer } from '../../kernel/clock.ts';

export interface SnapshotPacerOptions {
  clock: Clock;
  /** Least time between two snapshots when a device's state changed. */
  intervalMs: number;
  /** Least time between two snapshots when only times and counters changed. */
  refreshMs: number;
  publish: () => void;
}

export class SnapshotPacer {
  private timer: Timer | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(private readonly o: SnapshotPacerOptions) {}

  /** The snapshot changed; `material`: a device's state, not only its times and counters. */
  changed(material: boolean): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const due = Math.max(now, this.lastAt + (material ? this.o.intervalMs : this.o.refreshMs));
    if (due >= this.dueAt) return;
    this.timer?.cancel();
    this.dueAt = due;
    this.timer = this.o.clock.setTimeout(() => this.publishNow(), due - now);
  }

  /** Publishes at once (at start), and counts from now. */
  publishNow(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.dueAt = Number.POSITIVE_INFINITY;
    this.lastAt = this.o.clock.now();
    this.o.publish();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
