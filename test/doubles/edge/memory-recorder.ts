/**
 * An in-memory StorageRecorder for other modules' unit tests: same validation, numbering and
 * fill events as the durable one, no disk. With `autoForward: false` readings stay "queued" until
 * forward() is called, to exercise outbox-filling alerts and heartbeat depth.
 */
import type { ReadingRecord } from '../../../protocols/gate/messages.ts';
import { type Clock, systemClock } from '../../../edge/clock.ts';
import { Emitter } from '../../../edge/events.ts';
import { StorageError, StorageErrorCode } from '../../../edge/storage/errors.ts';
import { FillGauge } from '../../../edge/storage/fill-level.ts';
import type { OutboxPolicy } from '../../../edge/storage/outbox.ts';
import type { RecorderEvents, RecorderStats, StorageRecorder } from '../../../edge/storage/recorder.ts';
import type { NewReading } from '../../../edge/storage/types.ts';
import { numberReading, validateReading } from '../../../edge/storage/validate.ts';

export interface MemoryRecorderOptions {
  capacity?: number;
  policy?: OutboxPolicy;
  clock?: Clock;
  /** First seq per gate (default 0). */
  firstSeq?: number;
  /** Default true: every reading counts as forwarded at once. */
  autoForward?: boolean;
}

export class MemoryRecorder extends Emitter<RecorderEvents> implements StorageRecorder {
  /** Every reading recorded, in order. */
  readonly records: ReadingRecord[] = [];
  private readonly queue: Array<{ record: ReadingRecord; queuedAt: number }> = [];
  private readonly nextSeq = new Map<string, number>();
  private readonly clock: Clock;
  private readonly gauge: FillGauge;
  private forwarded = 0;
  private closed = false;

  constructor(private readonly opts: MemoryRecorderOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.gauge = new FillGauge(opts.capacity ?? 1_000_000);
  }

  record(reading: NewReading): ReadingRecord {
    if (this.closed) throw new StorageError(StorageErrorCode.OUTBOX_CLOSED, 'recorder is closed');
    const clean = validateReading(reading);
    if (this.opts.policy === 'refuse' && this.queue.length >= this.gauge.capacity) {
      throw new StorageError(
        StorageErrorCode.OUTBOX_FULL,
        `outbox holds ${this.queue.length} of ${this.gauge.capacity} readings`,
      );
    }
    const key = `${clean.siteId}\u0000${clean.gateId}`;
    const seq = this.nextSeq.get(key) ?? this.opts.firstSeq ?? 0;
    this.nextSeq.set(key, seq + 1);
    const record = numberReading(clean, seq);
    this.records.push(record);
    this.queue.push({ record, queuedAt: this.clock.now() });
    if (this.opts.autoForward ?? true) this.forward();
    else this.updateLevel();
    return record;
  }

  /** Marks the oldest `n` queued readings (default all) as forwarded. */
  private readonly events = new Set<string>();

  recordEvent(reading: NewReading, eventKey: string): ReadingRecord | undefined {
    if (this.events.has(eventKey)) return undefined;
    const record = this.record(reading);
    this.events.add(eventKey);
    return record;
  }

  hasEvent(eventKey: string): boolean {
    return this.events.has(eventKey);
  }

  /** Like the durable recorder: 'refuse' keeps nobody's reading once at capacity. */
  accepting(): boolean {
    return !this.closed && !(this.opts.policy === 'refuse' && this.queue.length >= this.gauge.capacity);
  }

  forward(n = this.queue.length): ReadingRecord[] {
    const done = this.queue.splice(0, n).map((q) => q.record);
    this.forwarded += done.length;
    this.updateLevel();
    return done;
  }

  stats(): RecorderStats {
    const oldest = this.queue[0];
    return {
      depth: this.queue.length,
      oldestAgeS: oldest ? Math.max(0, (this.clock.now() - oldest.queuedAt) / 1000) : null,
      capacity: this.gauge.capacity,
      forwarded: this.forwarded,
      lastError: null,
      level: this.gauge.level,
      quarantined: 0,
      sink: 'memory',
      linkUp: true,
      freeDiskBytes: null,
      spilled: 0,
    };
  }

  async flush(): Promise<void> {
    this.forward();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private updateLevel(): void {
    const ev = this.gauge.update(this.queue.length, this.clock.now());
    if (ev) this.emit('fill', ev);
  }
}
