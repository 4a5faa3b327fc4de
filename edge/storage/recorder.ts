/**
 * The gate's ReadingRecorder: the durable outbox with a forwarder behind it, built from the
 * `storage` part of the edge config. record() is synchronous and returns once the reading is on
 * disk; forwarding happens in the background and never blocks or fails the gate's path.
 */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type Clock, systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import { createLogger, type Logger } from '../log.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import type { FillEvent, FillLevel } from './fill-level.ts';
import { Forwarder, type ForwarderOptions, type LinkEvent, type QuarantineEvent } from './forwarder.ts';
import { InfluxSink } from './influx-sink.ts';
import { Outbox, type OutboxPolicy } from './outbox.ts';
import { SqliteSink } from './sqlite-sink.ts';
import type { NewReading, OutboxStats, ReadingRecorder, ReadingSink } from './types.ts';

/** Same shape as `storage.sink` in the edge config (edge/config/schema.ts). */
export type SinkConfig =
  | {
      kind: 'influx';
      url: string;
      database?: string;
      username?: string;
      password?: string;
      /** Default 400. */
      retentionDays?: number;
      retentionPolicy?: string;
    }
  | { kind: 'sqlite'; path: string }
  /** Readings stay in the outbox (and fill it, with alerts) until a sink is configured. */
  | { kind: 'none' };

export interface RecorderConfig {
  /** e.g. `${dataDir}/outbox.sqlite`. Opened once, never recreated. */
  outboxPath: string;
  /** Readings; the fill alerts are fractions of it. Default 1,000,000. */
  capacity?: number;
  /** Default 'keep' (see OutboxPolicy). */
  policy?: OutboxPolicy;
  sink: SinkConfig;
  forwarder?: Partial<ForwarderOptions>;
}

export interface RecorderDeps {
  clock?: Clock;
  logger?: Logger;
  /** Replaces the sink built from config (tests). */
  sink?: ReadingSink;
}

export interface RecorderStats extends OutboxStats {
  level: FillLevel;
  /** Readings a sink refused for good, kept aside in the outbox file. */
  quarantined: number;
  sink: string;
  linkUp: boolean | null;
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
  private readonly forwarder: Forwarder | null;
  private readonly sink: ReadingSink | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private closed = false;

  constructor(config: RecorderConfig, deps: RecorderDeps = {}) {
    super();
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? createLogger('storage');
    this.sink = deps.sink ?? createSink(config.sink, { clock: this.clock, logger: this.log });
    this.outbox = Outbox.open({
      path: config.outboxPath,
      capacity: config.capacity ?? DEFAULT_OUTBOX_CAPACITY,
      policy: config.policy ?? 'keep',
      clock: this.clock,
    });
    this.outbox.on('fill', (e) => {
      const log =
        e.level === 'ok' ? this.log.info : e.severity === 'critical' ? this.log.error : this.log.warn;
      log.call(
        this.log,
        { level: e.level, depth: e.depth, capacity: e.capacity },
        'outbox fill level changed',
      );
      this.emit('fill', e);
    });
    this.forwarder = this.sink
      ? new Forwarder(this.outbox, this.sink, config.forwarder, { clock: this.clock, logger: this.log })
      : null;
    this.forwarder?.on('link', (e) => this.emit('link', e));
    this.forwarder?.on('quarantined', (e) => this.emit('quarantined', e));
    this.log.info(
      { outbox: config.outboxPath, queued: this.outbox.depth(), sink: this.sink?.name ?? 'none' },
      'reading recorder started',
    );
    this.forwarder?.start();
  }

  record(reading: NewReading): ReadingRecord {
    const record = this.outbox.append(reading);
    this.forwarder?.notify();
    return record;
  }

  recordEvent(reading: NewReading, eventKey: string): ReadingRecord | undefined {
    const record = this.outbox.appendOnce(reading, eventKey);
    if (record) this.forwarder?.notify();
    return record;
  }

  hasEvent(eventKey: string): boolean {
    return this.outbox.hasEvent(eventKey);
  }

  /** Forgets event keys older than this (default 45 days, beyond any terminal's offline cache). */
  pruneEvents(olderThanMs = 45 * 24 * 3600 * 1000): number {
    return this.outbox.pruneEvents(olderThanMs);
  }

  stats(): RecorderStats {
    const oldest = this.outbox.oldestQueuedAt();
    const f = this.forwarder?.stats();
    return {
      depth: this.outbox.depth(),
      oldestAgeS: oldest === null ? null : Math.max(0, (this.clock.now() - oldest) / 1000),
      capacity: this.outbox.capacity,
      forwarded: f?.forwarded ?? 0,
      lastError: f?.lastError ?? null,
      level: this.outbox.level(),
      quarantined: this.outbox.quarantined(),
      sink: this.sink?.name ?? 'none',
      linkUp: f?.linkUp ?? null,
    };
  }

  async flush(timeoutMs = 10_000): Promise<void> {
    if (!this.forwarder) {
      if (this.outbox.depth() === 0) return;
      throw new StorageError(
        StorageErrorCode.STORE_CONFIG,
        'no sink configured: readings stay in the outbox',
      );
    }
    await this.forwarder.flush(timeoutMs);
  }

  /** Stops forwarding (waiting for a write in flight), then closes sink and outbox. Queued readings stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.forwarder?.stop();
    await this.sink?.close();
    this.outbox.close();
    this.log.info('reading recorder closed');
  }
}

/** The daemon's entry point: `createRecorder({ outboxPath, capacity, policy, sink: cfg.storage.sink })`. */
export function createRecorder(config: RecorderConfig, deps: RecorderDeps = {}): DurableRecorder {
  return new DurableRecorder(config, deps);
}
