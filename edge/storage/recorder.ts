/**
 * The gate's ReadingRecorder: the durable outbox with a forwarder behind it, built from the
 * `storage` part of the edge config. record() is synchronous and returns once the reading is on
 * disk; forwarding happens in the background and never blocks or fails the gate's path.
 *
 * When a commit fails (disk full, I/O error, TG_OUTBOX_FULL under 'refuse') the reading is not
 * thrown back at the gate, which has already acted on it: it is numbered and held in a bounded
 * in-memory spill, in order, and committed as soon as the outbox takes it (on the next record()
 * and every `spillRetryMs`). Meanwhile the fill level is 'full'. Free space on the outbox's
 * filesystem is watched too and raises the same `fill` levels before it comes to that.
 */
import { dirname } from 'node:path';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type Clock, systemClock, type Timer } from '../clock.ts';
import { Emitter } from '../events.ts';
import { createLogger, type Logger } from '../log.ts';
import { DiskWatch, type StatFs } from './disk-space.ts';
import { errorCode, StorageError, StorageErrorCode } from './errors.ts';
import {
  describeFill,
  FILL_RANK,
  FILL_SEVERITY,
  type FillCause,
  type FillEvent,
  type FillLevel,
} from './fill-level.ts';
import { Forwarder, type ForwarderOptions, type LinkEvent, type QuarantineEvent } from './forwarder.ts';
import { InfluxSink } from './influx-sink.ts';
import { Outbox, type OutboxPolicy } from './outbox.ts';
import { Spill } from './spill.ts';
import { SqliteSink } from './sqlite-sink.ts';
import type { NewReading, OutboxStats, ReadingRecorder, ReadingSink } from './types.ts';
import { numberReading, validateReading } from './validate.ts';
import type { SinkConfig } from '../config/schema.ts';

/** Derived from the edge config's schema (`storage.sink`), so the two cannot drift apart. */
export type { SinkConfig };

export interface RecorderConfig {
  /** e.g. `${dataDir}/outbox.sqlite`. Opened once, never recreated. */
  outboxPath: string;
  /** Readings; the fill alerts are fractions of it. Default 1,000,000. */
  capacity?: number;
  /** Default 'keep' (see OutboxPolicy). */
  policy?: OutboxPolicy;
  sink: SinkConfig;
  forwarder?: Partial<ForwarderOptions>;
  /**
   * storage.diskReserveMB (default 64): free space on the outbox's filesystem below 4×, 2× and 1×
   * this raises the levels 'filling', 'high' and 'critical'.
   */
  diskReserveMB?: number;
  /** Most readings held in memory while commits fail (default 10,000, about 3 hours at a busy gate). */
  spillLimit?: number;
  /** How often held readings are retried without a new record() (default 1000 ms). */
  spillRetryMs?: number;
  /** Free space is read after this many records (default 100)... */
  diskCheckEvery?: number;
  /** ...and at least this often (default 5000 ms). */
  diskCheckMs?: number;
}

export interface RecorderDeps {
  clock?: Clock;
  logger?: Logger;
  /** Replaces the sink built from config (tests). */
  sink?: ReadingSink;
  /** Replaces fs.statfsSync (tests). */
  statfs?: StatFs;
}

export interface RecorderStats extends OutboxStats {
  /** The combined level: queued readings, free disk space, readings held in memory. */
  level: FillLevel;
  /** Readings a sink refused for good, kept aside in the outbox file. */
  quarantined: number;
  sink: string;
  linkUp: boolean | null;
  freeDiskBytes: number | null;
  spilled: number;
}

export interface RecorderEvents extends Record<string, unknown> {
  /** Outbox level changed: publish / clear the `outbox-filling` alert. */
  fill: FillEvent;
  /** Sink lost or regained. */
  link: LinkEvent;
  quarantined: QuarantineEvent;
  error: unknown;
}

/** What the gate daemon (and MemoryRecorder, for tests) offers beyond ReadingRecorder. */
export interface StorageRecorder extends ReadingRecorder {
  on<K extends keyof RecorderEvents>(event: K, fn: (e: RecorderEvents[K]) => void): () => void;
  stats(): RecorderStats;
  /** Resolves when every recorded reading has reached the sink; rejects after timeoutMs. */
  flush(timeoutMs?: number): Promise<void>;
}

export const DEFAULT_OUTBOX_CAPACITY = 1_000_000;
export const DEFAULT_DISK_RESERVE_MB = 64;
export const DEFAULT_SPILL_LIMIT = 10_000;
/** Held readings committed per transaction: one fsync for many, small enough for a nearly full disk. */
const SPILL_BATCH = 100;
const MB = 1024 * 1024;

/** Commit failures that leave the reading to the spill; anything else (invalid, closed) is thrown. */
function spillable(err: unknown): err is StorageError {
  return (
    err instanceof StorageError &&
    (err.code === StorageErrorCode.OUTBOX_WRITE || err.code === StorageErrorCode.OUTBOX_FULL)
  );
}

/** SQLITE_FULL, SQLITE_IOERR_… or TG_OUTBOX_FULL: what a person fixing it needs to know. */
function writeErrorCode(err: unknown): string {
  if (err instanceof StorageError && err.code === StorageErrorCode.OUTBOX_WRITE && err.cause !== undefined)
    return errorCode(err.cause);
  return errorCode(err);
}

export function createSink(
  config: SinkConfig,
  deps: { clock?: Clock; logger?: Logger } = {},
): ReadingSink | null {
  switch (config.kind) {
    case 'influx':
      return new InfluxSink({ ...config, clock: deps.clock, logger: deps.logger });
    case 'sqlite':
      return new SqliteSink({ path: config.path, logger: deps.logger });
    case 'none':
      return null;
  }
}

export class DurableRecorder extends Emitter<RecorderEvents> implements StorageRecorder {
  readonly outbox: Outbox;
  readonly policy: OutboxPolicy;
  private readonly forwarder: Forwarder | null;
  private readonly sink: ReadingSink | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly disk: DiskWatch;
  private readonly spill: Spill;
  private readonly spillRetryMs: number;
  private readonly timers: Timer[] = [];
  private spillTimer: Timer | null = null;
  /** The level last announced, and what raised it. */
  private level: FillLevel = 'ok';
  private cause: FillCause | null = null;
  private writeError: string | null = null;
  private spillSince = 0;
  private guardFailed = false;
  private statfsFailed = false;
  private closed = false;

  constructor(config: RecorderConfig, deps: RecorderDeps = {}) {
    super();
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? createLogger('storage');
    this.policy = config.policy ?? 'keep';
    this.sink = deps.sink ?? createSink(config.sink, { clock: this.clock, logger: this.log });
    this.outbox = Outbox.open({
      path: config.outboxPath,
      capacity: config.capacity ?? DEFAULT_OUTBOX_CAPACITY,
      policy: this.policy,
      clock: this.clock,
    });
    const reserveMB = config.diskReserveMB ?? DEFAULT_DISK_RESERVE_MB;
    if (!Number.isInteger(reserveMB) || reserveMB < 1)
      throw new StorageError(StorageErrorCode.STORE_CONFIG, 'diskReserveMB must be a positive integer');
    this.disk = new DiskWatch({
      path: dirname(config.outboxPath),
      reserveBytes: reserveMB * MB,
      clock: this.clock,
      everyRecords: config.diskCheckEvery ?? 100,
      everyMs: config.diskCheckMs ?? 5000,
      ...(deps.statfs ? { statfs: deps.statfs } : {}),
    });
    this.spill = new Spill(config.spillLimit ?? DEFAULT_SPILL_LIMIT);
    this.spillRetryMs = config.spillRetryMs ?? 1000;
    for (const s of this.outbox.skippedAtOpen())
      this.log.error(
        {
          code: StorageErrorCode.OUTBOX_SPILL_LOST,
          siteId: s.siteId,
          gateId: s.gateId,
          fromSeq: s.from,
          toSeq: s.to,
        },
        'readings held in memory (disk full) when the gate last stopped were lost; their seqs are skipped, never reused',
      );
    const guardProblem = this.outbox.seqGuardProblem();
    if (guardProblem)
      this.log.warn(
        { code: StorageErrorCode.OUTBOX_SEQ_GUARD, err: guardProblem },
        'seq guard file not available yet; retried when a reading has to be held in memory',
      );
    this.outbox.on('fill', () => this.announce());
    this.forwarder = this.sink
      ? new Forwarder(this.outbox, this.sink, config.forwarder, { clock: this.clock, logger: this.log })
      : null;
    this.forwarder?.on('link', (e) => this.emit('link', e));
    this.forwarder?.on('quarantined', (e) => this.emit('quarantined', e));
    this.log.info(
      {
        outbox: config.outboxPath,
        queued: this.outbox.depth(),
        sink: this.sink?.name ?? 'none',
        diskReserveMB: reserveMB,
      },
      'reading recorder started',
    );
    this.forwarder?.start();
    // First look after the caller has subscribed to 'fill' (a gate restarted on a nearly full
    // disk, or with a half full outbox, alerts at once), then every diskCheckMs.
    this.timers.push(
      this.clock.setTimeout(() => {
        this.checkDisk();
        this.announce();
      }, 0),
    );
    this.timers.push(this.clock.setInterval(() => this.checkDisk(), config.diskCheckMs ?? 5000));
  }

  record(reading: NewReading): ReadingRecord {
    return this.write(reading, undefined) as ReadingRecord;
  }

  recordEvent(reading: NewReading, eventKey: string): ReadingRecord | undefined {
    return this.write(reading, eventKey);
  }

  hasEvent(eventKey: string): boolean {
    return this.spill.hasEvent(eventKey) || this.outbox.hasEvent(eventKey);
  }

  /**
   * Whether a reading recorded now is kept, for the gate to ask BEFORE it releases anybody.
   * 'keep': unless the spill is at its bound. 'refuse': only while readings are committed to disk
   * at once (nothing held in memory, below capacity) and free space is above the reserve.
   */
  accepting(): boolean {
    if (this.closed) return false;
    if (this.spill.size > 0) this.retrySpill();
    if (this.spill.isFull()) return false;
    if (this.policy === 'keep') return true;
    return (
      this.spill.size === 0 &&
      this.outbox.depth() < this.outbox.capacity &&
      FILL_RANK[this.disk.level] < FILL_RANK.critical
    );
  }

  /** Forgets event keys older than this (default 45 days, beyond any terminal's offline cache). */
  pruneEvents(olderThanMs = 45 * 24 * 3600 * 1000): number {
    try {
      return this.outbox.pruneEvents(olderThanMs);
    } catch (err) {
      // A full disk refuses deletes too; the keys are pruned next time.
      this.log.warn({ code: writeErrorCode(err), err: String(err) }, 'event keys not pruned');
      return 0;
    }
  }

  stats(): RecorderStats {
    const oldest = this.oldestQueuedAt();
    const f = this.forwarder?.stats();
    return {
      depth: this.outbox.depth(),
      oldestAgeS: oldest === null ? null : Math.max(0, (this.clock.now() - oldest) / 1000),
      capacity: this.outbox.capacity,
      forwarded: f?.forwarded ?? 0,
      lastError: f?.lastError ?? null,
      level: this.level,
      quarantined: this.outbox.quarantined(),
      sink: this.sink?.name ?? 'none',
      linkUp: f?.linkUp ?? null,
      freeDiskBytes: this.disk.freeBytes,
      spilled: this.spill.size,
    };
  }

  async flush(timeoutMs = 10_000): Promise<void> {
    if (!this.forwarder) {
      if (this.outbox.depth() === 0 && this.spill.size === 0) return;
      throw new StorageError(
        StorageErrorCode.STORE_CONFIG,
        'no sink configured: readings stay in the outbox',
      );
    }
    // Readings held in memory count as recorded: wait for them to be committed and sent too.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.forwarder.flush(Math.max(0, deadline - Date.now()));
      if (this.spill.size === 0) return;
      this.retrySpill();
      if (this.spill.size > 0 && Date.now() >= deadline)
        throw new StorageError(
          StorageErrorCode.STORE_TIMEOUT,
          `flush: ${this.spill.size} readings still held in memory after ${timeoutMs} ms (${this.writeError})`,
        );
      if (this.spill.size > 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Stops forwarding (waiting for a write in flight), then closes sink and outbox. Queued readings
   * stay on disk. Readings still held in memory get one last try; those that cannot be committed
   * are logged in full (TG_OUTBOX_SPILL_LOST) and their seqs stay guarded.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.retrySpill();
    this.closed = true;
    for (const t of this.timers.splice(0)) t.cancel();
    this.spillTimer?.cancel();
    if (this.spill.size > 0)
      this.log.error(
        {
          code: StorageErrorCode.OUTBOX_SPILL_LOST,
          count: this.spill.size,
          writeError: this.writeError,
          readings: this.spill.all().map((s) => s.record),
        },
        'readings held in memory could not be committed before stopping: they are NOT in the outbox',
      );
    await this.forwarder?.stop();
    await this.sink?.close();
    this.outbox.close();
    this.log.info('reading recorder closed');
  }

  private write(reading: NewReading, eventKey: string | undefined): ReadingRecord | undefined {
    if (this.closed) throw new StorageError(StorageErrorCode.OUTBOX_CLOSED, 'recorder is closed');
    if (eventKey !== undefined && this.spill.hasEvent(eventKey)) return undefined;
    if (this.disk.tick()) this.announce();
    if (this.spill.size > 0) this.retrySpill();
    // Behind readings still held in memory a new one waits its turn: the outbox keeps seq order.
    if (this.spill.size > 0) {
      if (eventKey !== undefined && this.outbox.hasEvent(eventKey)) return undefined;
      return this.hold(reading, eventKey, null);
    }
    try {
      const record = this.outbox.appendOnce(reading, eventKey);
      if (record) this.forwarder?.notify();
      return record;
    } catch (err) {
      if (!spillable(err)) throw err;
      return this.hold(reading, eventKey, err);
    }
  }

  /** Numbers the reading after the last one the gate got and keeps it in memory. */
  private hold(reading: NewReading, eventKey: string | undefined, err: unknown): ReadingRecord {
    const clean = validateReading(reading);
    if (err !== null) this.writeError = writeErrorCode(err);
    if (this.spill.isFull()) {
      this.log.error(
        {
          code: StorageErrorCode.OUTBOX_SPILL_FULL,
          held: this.spill.size,
          writeError: this.writeError,
          reading: clean,
        },
        'reading NOT recorded: the outbox cannot commit and the memory spill is full',
      );
      throw new StorageError(
        StorageErrorCode.OUTBOX_SPILL_FULL,
        `${this.spill.size} readings already held in memory (${this.writeError})`,
      );
    }
    const seq =
      this.spill.nextSeq(clean.siteId, clean.gateId) ?? this.outbox.nextSeqFor(clean.siteId, clean.gateId);
    const record = numberReading(clean, seq);
    try {
      this.outbox.guardSeqs(record.siteId, record.gateId, seq + 1);
    } catch (guardErr) {
      if (!this.guardFailed)
        this.log.error(
          { code: StorageErrorCode.OUTBOX_SEQ_GUARD, err: String(guardErr) },
          'seqs of readings held in memory are not guarded: after a crash now they could be reused',
        );
      this.guardFailed = true;
    }
    const first = this.spill.size === 0;
    this.spill.push({ record, eventKey, heldAt: this.clock.now() });
    if (first) {
      this.spillSince = this.clock.now();
      this.disk.sample();
      this.log.error(
        {
          code: StorageErrorCode.OUTBOX_SPILLED,
          writeError: this.writeError,
          id: record.id,
          freeDiskBytes: this.disk.freeBytes,
        },
        'outbox cannot commit: readings are held in memory until it can',
      );
      this.spillTimer = this.clock.setInterval(() => this.retrySpill(), this.spillRetryMs);
    } else {
      this.log.debug({ id: record.id, held: this.spill.size }, 'reading held in memory');
    }
    this.announce();
    return record;
  }

  /** Commits held readings, oldest first, as far as the outbox takes them now. */
  private retrySpill(): void {
    if (this.spill.size === 0 || this.closed) return;
    let batch = SPILL_BATCH;
    let committed = 0;
    while (this.spill.size > 0) {
      let n = Math.min(batch, this.spill.size);
      if (this.policy === 'refuse') n = Math.min(n, this.outbox.capacity - this.outbox.depth());
      if (n <= 0) break;
      try {
        this.outbox.commitNumbered(this.spill.peek(n));
        this.spill.drop(n);
        committed += n;
      } catch (err) {
        this.writeError = writeErrorCode(err);
        // A nearly full disk may take a few readings where it cannot take a hundred.
        if (n === 1) break;
        batch = Math.ceil(n / 2);
      }
    }
    if (committed === 0) return;
    this.forwarder?.notify();
    if (this.spill.size === 0) {
      this.spillTimer?.cancel();
      this.spillTimer = null;
      this.log.info(
        { committed, heldMs: this.clock.now() - this.spillSince, writeError: this.writeError },
        'readings held in memory are committed to the outbox',
      );
      this.writeError = null;
      this.guardFailed = false;
      this.disk.sample();
    }
    this.announce();
  }

  private checkDisk(): void {
    if (this.closed) return;
    const changed = this.disk.sample();
    if (this.disk.error !== null && !this.statfsFailed)
      this.log.warn(
        { code: StorageErrorCode.OUTBOX_STATFS, err: this.disk.error },
        'free space of the outbox filesystem cannot be read',
      );
    this.statfsFailed = this.disk.error !== null;
    if (changed) this.announce();
  }

  /** Emits a `fill` event when the combined level, or what raises it, changed. */
  private announce(): void {
    const candidates: Array<readonly [FillCause, FillLevel]> = [
      ['spill', this.spill.size > 0 ? 'full' : 'ok'],
      ['disk', this.disk.level],
      ['readings', this.outbox.level()],
    ];
    let [cause, level] = candidates[0] as readonly [FillCause, FillLevel];
    for (const [c, l] of candidates) if (FILL_RANK[l] > FILL_RANK[level]) [cause, level] = [c, l];
    const shownCause = level === 'ok' ? null : cause;
    if (level === this.level && shownCause === this.cause) return;
    const e: FillEvent = {
      level,
      previous: this.level,
      severity: FILL_SEVERITY[level],
      active: level !== 'ok',
      cause: shownCause,
      depth: this.outbox.depth(),
      capacity: this.outbox.capacity,
      freeBytes: this.disk.freeBytes,
      reserveBytes: this.disk.reserveBytes,
      spilled: this.spill.size,
      writeError: shownCause === 'spill' ? this.writeError : null,
      at: this.clock.now(),
    };
    this.level = level;
    this.cause = shownCause;
    const log = level === 'ok' ? this.log.info : e.severity === 'critical' ? this.log.error : this.log.warn;
    log.call(
      this.log,
      {
        ...(shownCause === 'disk' ? { code: StorageErrorCode.OUTBOX_DISK_LOW } : {}),
        ...(shownCause === 'spill' ? { code: StorageErrorCode.OUTBOX_SPILLED } : {}),
        fillLevel: level,
        cause: shownCause,
        depth: e.depth,
        capacity: e.capacity,
        freeDiskBytes: e.freeBytes,
        spilled: e.spilled,
      },
      `outbox fill level changed: ${describeFill(e)}`,
    );
    this.emit('fill', e);
  }

  private oldestQueuedAt(): number | null {
    const queued = this.outbox.oldestQueuedAt();
    const held = this.spill.all()[0]?.heldAt ?? null;
    if (queued === null) return held;
    return held === null ? queued : Math.min(queued, held);
  }
}

/** The daemon's entry point: `createRecorder({ outboxPath, capacity, policy, sink: cfg.storage.sink })`. */
export function createRecorder(config: RecorderConfig, deps: RecorderDeps = {}): DurableRecorder {
  return new DurableRecorder(config, deps);
}
