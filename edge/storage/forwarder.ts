/**
 * Drains the outbox into a sink, oldest first. A reading leaves
 * the outbox only after the sink has accepted it; a failure leaves it in place, so every path
 * through here is at-least-once, and the sinks' idempotence by id makes it exactly-once.
 *
 * Batching: a batch is sent as soon as `batchSize` readings wait, or `lingerMs` after the first
 * one of a quiet period arrived. Once sending, the loop keeps going until the outbox is empty
 * (a backlog after an outage drains at full speed, no timers in between), with up to
 * `maxInFlight` batches on the wire so that preparing the next batch here overlaps with the
 * server ingesting the previous one. Order between batches in flight does not matter: sinks
 * are idempotent by id and each batch is acknowledged by its own ids.
 *
 * Failure: exponential backoff with jitter. While backing off from a link failure the sink is
 * pinged every `probeIntervalMs` (cheap: InfluxDB /ping), and the first answer ends the backoff.
 */
import pino from 'pino';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import type { Clock, Timer } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import type { Logger } from '../log.ts';
import { backoffDelay } from '../backoff.ts';
import { errorCode, type RejectedRecord, SinkRejection, StorageError, StorageErrorCode } from './errors.ts';
import type { Outbox } from './outbox.ts';
import type { ReadingSink } from './types.ts';

export interface ForwarderOptions {
  /** Most readings per write (default 500). */
  batchSize: number;
  /** Longest a reading waits for companions before a partial batch goes out (default 1000 ms). */
  lingerMs: number;
  /** A write or init that takes longer counts as failed (default 10 s). */
  writeTimeoutMs: number;
  /** First retry delay after a failure (default 500 ms); doubles per failure... */
  backoffMinMs: number;
  /** ...up to this (default 30 s). */
  backoffMaxMs: number;
  /** Ping interval while backing off from a link failure (default 1 s). */
  probeIntervalMs: number;
  /** Batches on the wire at once while draining (default 2). */
  maxInFlight: number;
}

export const DEFAULT_FORWARDER_OPTIONS: ForwarderOptions = {
  batchSize: 500,
  lingerMs: 1000,
  writeTimeoutMs: 10_000,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  probeIntervalMs: 1000,
  maxInFlight: 2,
};

export type ForwarderState = 'idle' | 'lingering' | 'sending' | 'backoff' | 'stopped';

/** The sink became unreachable (up=false, with the error code) or reachable again (up=true). */
export interface LinkEvent {
  up: boolean;
  code: string | null;
  at: number;
}

/** The sink refused readings for good; they are kept in the outbox's quarantine. */
export interface QuarantineEvent {
  rejected: readonly RejectedRecord[];
  at: number;
}

export interface ForwarderEvents extends Record<string, unknown> {
  link: LinkEvent;
  quarantined: QuarantineEvent;
  error: unknown;
}

export interface ForwarderStats {
  state: ForwarderState;
  forwarded: number;
  lastError: string | null;
  /** null until the first write attempt. */
  linkUp: boolean | null;
  /** Consecutive failed attempts. */
  failures: number;
}

/** Failures that a ping can tell us are over. Others (auth, schema) wait out the backoff. */
const LINK_CODES = new Set<string>([
  StorageErrorCode.STORE_UNREACHABLE,
  StorageErrorCode.STORE_TIMEOUT,
  StorageErrorCode.STORE_SERVER,
]);

export class Forwarder extends Emitter<ForwarderEvents> {
  private readonly opts: ForwarderOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private state: ForwarderState = 'idle';
  private forwarded = 0;
  private lastError: string | null = null;
  private failures = 0;
  private linkUp: boolean | null = null;
  private initialized = false;
  private probing = false;
  private lingerTimer: Timer | null = null;
  private retryTimer: Timer | null = null;
  private probeTimer: Timer | null = null;
  private current: Promise<void> | null = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly sink: ReadingSink,
    options: Partial<ForwarderOptions> = {},
    deps: { clock?: Clock; logger?: Logger; random?: () => number } = {},
  ) {
    super();
    this.opts = { ...DEFAULT_FORWARDER_OPTIONS, ...options };
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? pino({ level: 'silent' });
    this.random = deps.random ?? Math.random;
  }

  /** Starts draining whatever backlog the outbox already holds. */
  start(): void {
    if (this.state === 'idle' && this.outbox.depth() > 0) this.sendNow();
  }

  /** Called after each record(): sends now if a batch is full, else within lingerMs. */
  notify(): void {
    if (this.state === 'idle') {
      if (this.outbox.depth() >= this.opts.batchSize) this.sendNow();
      else if (this.outbox.depth() > 0) {
        this.state = 'lingering';
        this.lingerTimer = this.clock.setTimeout(() => this.sendNow(), this.opts.lingerMs);
      }
    } else if (this.state === 'lingering' && this.outbox.depth() >= this.opts.batchSize) {
      this.sendNow();
    }
    // 'sending' re-reads the outbox until empty; 'backoff' waits for its timer or a ping.
  }

  stats(): ForwarderStats {
    return {
      state: this.state,
      forwarded: this.forwarded,
      lastError: this.lastError,
      linkUp: this.linkUp,
      failures: this.failures,
    };
  }

  /**
   * Resolves once the outbox is empty; rejects with TG_STORE_TIMEOUT after timeoutMs. Skips the
   * linger, not the backoff. Polls with real timers (a shutdown and test helper).
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outbox.depth() > 0) {
      if (this.state === 'stopped')
        throw new StorageError(StorageErrorCode.STORE_WRITE, 'forwarder is stopped');
      if (this.state === 'idle' || this.state === 'lingering') this.sendNow();
      if (Date.now() >= deadline) {
        throw new StorageError(
          StorageErrorCode.STORE_TIMEOUT,
          `flush: ${this.outbox.depth()} readings still queued after ${timeoutMs} ms (last error ${this.lastError ?? 'none'})`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops timers and waits for a write in flight (bounded by writeTimeoutMs). */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.cancelTimers();
    await this.current;
  }

  private sendNow(): void {
    if (this.state === 'sending' || this.state === 'stopped') return;
    this.cancelTimers();
    this.state = 'sending';
    this.current = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      if (!this.initialized) {
        await this.withTimeout(this.sink.init(), 'init');
        this.initialized = true;
      }
      const inFlight = new Set<Promise<void>>();
      let failure: { err: unknown } | null = null;
      let cursor = 0;
      for (;;) {
        while (inFlight.size < this.opts.maxInFlight && !failure && !this.isStopped()) {
          const { records, last } = this.outbox.peekAfter(cursor, this.opts.batchSize);
          if (records.length === 0) break;
          cursor = last;
          const p: Promise<void> = this.send(records)
            .catch((err: unknown) => {
              failure ??= { err };
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        // Nothing in flight and nothing left: go idle with no await in between, so a record()
        // arriving now finds 'idle' and starts the next round itself.
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
      }
      if (failure) throw (failure as { err: unknown }).err;
      if (!this.isStopped()) this.state = 'idle';
    } catch (err) {
      this.onFailure(err);
    }
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private async send(batch: ReadingRecord[]): Promise<void> {
    try {
      await this.withTimeout(this.sink.write(batch), 'write');
      this.forwarded += this.outbox.ack(batch.map((r) => r.id));
    } catch (err) {
      if (!(err instanceof SinkRejection)) throw err;
      const refused = new Set(err.rejected.map((r) => r.id));
      this.forwarded += this.outbox.ack(batch.filter((r) => !refused.has(r.id)).map((r) => r.id));
      this.outbox.quarantine(err.rejected);
      this.log.error({ rejected: err.rejected }, 'sink refused readings for good; kept in outbox quarantine');
      this.emit('quarantined', { rejected: err.rejected, at: this.clock.now() });
    }
    this.onSuccess();
  }

  private onSuccess(): void {
    this.failures = 0;
    this.lastError = null;
    if (this.linkUp === false) {
      this.log.info({ sink: this.sink.name, queued: this.outbox.depth() }, 'sink reachable again');
      this.emit('link', { up: true, code: null, at: this.clock.now() });
    }
    this.linkUp = true;
  }

  private onFailure(err: unknown): void {
    const code = errorCode(err);
    this.failures += 1;
    this.lastError = code;
    if (this.linkUp !== false) {
      this.log.warn(
        { sink: this.sink.name, code, err: String(err), queued: this.outbox.depth() },
        'sink write failed',
      );
      this.emit('link', { up: false, code, at: this.clock.now() });
    } else {
      this.log.debug({ code, failures: this.failures }, 'sink still failing');
    }
    this.linkUp = false;
    if (this.isStopped()) return;
    this.state = 'backoff';
    // Equal jitter: half the delay is guaranteed (no hammering a database that is down), the
    // random half spreads many gates retrying after the same outage.
    const delay = backoffDelay(
      this.failures - 1,
      { minDelayMs: this.opts.backoffMinMs, maxDelayMs: this.opts.backoffMaxMs, jitter: 0.5 },
      this.random,
    );
    this.retryTimer = this.clock.setTimeout(() => this.retry(), delay);
    if (this.sink.ping && LINK_CODES.has(code)) {
      this.probeTimer = this.clock.setInterval(() => void this.probe(), this.opts.probeIntervalMs);
    }
  }

  private async probe(): Promise<void> {
    if (this.probing || this.state !== 'backoff') return;
    this.probing = true;
    try {
      const up = await this.sink.ping?.().catch(() => false);
      if (up && this.state === 'backoff') this.retry();
    } finally {
      this.probing = false;
    }
  }

  private retry(): void {
    if (this.state !== 'backoff') return;
    this.state = 'idle';
    if (this.outbox.depth() > 0 || !this.initialized) this.sendNow();
    else this.cancelTimers();
  }

  private cancelTimers(): void {
    for (const t of [this.lingerTimer, this.retryTimer, this.probeTimer]) t?.cancel();
    this.lingerTimer = this.retryTimer = this.probeTimer = null;
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () =>
          reject(
            new StorageError(
              StorageErrorCode.STORE_TIMEOUT,
              `${this.sink.name} ${what} took over ${this.opts.writeTimeoutMs} ms`,
            ),
          ),
        this.opts.writeTimeoutMs,
      );
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }
}
