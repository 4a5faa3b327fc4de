/**
 * Keeps one ByteTransport open: when it fails to open or goes away, reopen it after an exponential
 * backoff with jitter; a successful open resets the backoff. It is itself a ByteTransport, plus
 * `up` / `down` events so a driver can show "offline" while the device is gone.
 *
 * open() starts the keeping and resolves once the first attempt has finished, whether or not it
 * succeeded: a gate must start (and say "thermometer offline") with its adapter unplugged.
 * close() stops it for good; no events follow.
 */
import type { Clock, Timer } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import type { Logger } from '../log.ts';
import { type BackoffOptions, backoffDelay } from '../backoff.ts';
import { TransportError, TransportErrorCode as C } from './errors.ts';
import type { ByteTransport, TransportEvents } from './types.ts';

export type ReconnectingEvents = Pick<TransportEvents, keyof TransportEvents> & {
  /** The link is open (first time or again). */
  up: { description: string; reconnect: boolean };
  /** The link went away; reopening is scheduled. */
  down: { reason: string };
};

export interface ReconnectOptions extends BackoffOptions {
  clock?: Clock;
  log?: Logger;
  /** [0, 1) source for the jitter; injectable so tests get exact delays. */
  random?: () => number;
}

export interface ReconnectStats {
  /** Open attempts in total. */
  attempts: number;
  /** Attempts that failed. */
  failures: number;
  /** Successful opens after the first one. */
  reconnects: number;
}

export class ReconnectingTransport extends Emitter<ReconnectingEvents> implements ByteTransport {
  readonly stats: ReconnectStats = { attempts: 0, failures: 0, reconnects: 0 };
  private readonly clock: Clock;
  private running = false;
  private up = false;
  private everUp = false;
  private opening = false;
  private failuresInRow = 0;
  private retry: Timer | undefined;
  /** Delay chosen for the pending retry, for logs and tests. */
  private pendingDelayMs: number | undefined;

  constructor(
    readonly inner: ByteTransport,
    private readonly opts: ReconnectOptions = {},
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    inner.on('data', (d) => {
      if (this.up) this.emit('data', d);
    });
    inner.on('error', (e) => this.emit('error', e));
    inner.on('close', ({ reason }) => this.lost(reason));
  }

  get description(): string {
    return this.inner.description;
  }

  /** True while the inner transport is open and we consider the link up. */
  get isOpen(): boolean {
    return this.up && this.inner.isOpen;
  }

  /** Delay of the scheduled retry, or undefined when none is pending. */
  get nextRetryMs(): number | undefined {
    return this.pendingDelayMs;
  }

  async open(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attempt();
  }

  async close(): Promise<void> {
    this.running = false;
    this.cancelRetry();
    const wasUp = this.up;
    this.up = false;
    if (wasUp || this.inner.isOpen) await this.inner.close().catch(() => {});
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.up) return Promise.reject(new TransportError(C.NOT_OPEN, `${this.description} is down`));
    return this.inner.write(bytes);
  }

  /**
   * Drops and reopens a link that is open but useless, e.g. a TCP connection to a device server
   * that rebooted without a FIN: only the silence of the device shows it.
   */
  recycle(reason: string): void {
    if (!this.running || !this.up) return;
    void this.inner.close().catch(() => {});
    this.lost(reason);
  }

  private lost(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.opts.log?.warn({ transport: this.description, reason }, 'link down');
    this.emit('down', { reason });
    this.emit('close', { reason });
    if (this.running) this.scheduleRetry();
  }

  private async attempt(): Promise<void> {
    this.retry = undefined;
    this.pendingDelayMs = undefined;
    if (!this.running || this.opening || this.up) return;
    this.opening = true;
    this.stats.attempts++;
    try {
      if (this.inner.isOpen) await this.inner.close();
      await this.inner.open();
      // It may have vanished again between opening and now (an adapter still settling).
      if (!this.inner.isOpen)
        throw new TransportError(C.OPEN_FAILED, `${this.description} closed right after opening`);
    } catch (err) {
      this.opening = false;
      if (!this.running) return;
      this.stats.failures++;
      this.failuresInRow++;
      // Once per outage at warn; every retry at debug, so an unplugged adapter does not flood logs.
      const level = this.failuresInRow === 1 ? 'warn' : 'debug';
      this.opts.log?.[level]({ transport: this.description, err: (err as Error).message }, 'open failed');
      this.scheduleRetry();
      return;
    }
    this.opening = false;
    if (!this.running) {
      await this.inner.close().catch(() => {});
      return;
    }
    const reconnect = this.everUp;
    if (reconnect) this.stats.reconnects++;
    this.everUp = true;
    this.failuresInRow = 0;
    this.up = true;
    this.opts.log?.info({ transport: this.description, reconnect }, 'link up');
    this.emit('up', { description: this.description, reconnect });
  }

  private scheduleRetry(): void {
    this.cancelRetry();
    const delay = backoffDelay(this.failuresInRow, this.opts, this.opts.random);
    this.pendingDelayMs = delay;
    this.retry = this.clock.setTimeout(() => void this.attempt(), delay);
  }

  private cancelRetry(): void {
    this.retry?.cancel();
    this.retry = undefined;
    this.pendingDelayMs = undefined;
  }
}
