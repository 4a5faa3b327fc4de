/**
 * What every thermometer on a serial line (a tty or a serial device server) shares: the link kept
 * open by ReconnectingTransport, the started flag, the counters every driver reports, state events
 * and fire-and-forget writes. A protocol's driver says only what its bytes mean (onData), what to
 * do when the link comes and goes (onUp / onDown) and how to ask for a reading.
 *
 * Why a base and not a helper object: the two drivers had copied this lifecycle line by line, and
 * the copies had drifted (the Modbus driver's stop() ran on a driver never started, the UART one's
 * did not; issue #21). A third protocol now cannot get it subtly different.
 */
import { type Clock, systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import type { Logger } from '../log.ts';
import { ReconnectingTransport, type ReconnectOptions } from '../transport/reconnecting.ts';
import type { ByteTransport } from '../transport/types.ts';
import type {
  ThermometerDriver,
  ThermometerEvents,
  ThermometerLinkState,
  ThermometerStats,
} from './types.ts';

/** The options every serial driver takes besides its protocol's own. */
export interface SerialDriverOptions {
  /** Usually transportFromUrl(cfg.thermometer.port, ...); the driver keeps it open. */
  transport: ByteTransport;
  clock?: Clock;
  log?: Logger;
  /** Reopen backoff (defaults: 250 ms doubling to 5 s, 50 % jitter). */
  reconnect?: Omit<ReconnectOptions, 'clock' | 'log'>;
}

export abstract class SerialThermometerDriver<
    Events extends Pick<ThermometerEvents, keyof ThermometerEvents>,
    Stats extends ThermometerStats,
  >
  extends Emitter<Events>
  implements ThermometerDriver
{
  abstract readonly stats: Stats;
  abstract readonly state: ThermometerLinkState;
  protected readonly clock: Clock;
  protected readonly log: Logger | undefined;
  protected readonly link: ReconnectingTransport;
  protected started = false;

  constructor(opts: SerialDriverOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.link = new ReconnectingTransport(opts.transport, {
      ...opts.reconnect,
      clock: this.clock,
      log: opts.log,
    });
    // Events arrive only after start() opens the link, so a subclass's fields are set by then.
    this.link.on('data', (d) => this.onData(d));
    this.link.on('up', () => this.onUp());
    this.link.on('down', () => this.onDown());
    this.link.on('error', (e) => this.log?.debug({ err: e.message }, 'thermometer transport error'));
  }

  abstract requestMeasurement(): void;
  /** Bytes from the device, as they came. */
  protected abstract onData(chunk: Uint8Array): void;
  /** The link (re)opened: reset the decoder, start polling or streaming if started. */
  protected abstract onUp(): void;
  /** The link dropped: stop polling, report the state. */
  protected abstract onDown(): void;
  /** Stop polling and timers, say goodbye to the device; the link is still open (stop()). */
  protected abstract beforeClose(): Promise<void>;

  /** Opens the link (or starts retrying it) and starts polling; never rejects for a missing device. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.link.open();
  }

  /** Stops polling and closes the link. No state event: a stop is no outage. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.beforeClose();
    await this.link.close();
  }

  /** A failed write is not handled here: the request times out, and a vanished port closes the link. */
  protected send(frame: Uint8Array): void {
    this.link
      .write(frame)
      .catch((e: Error) => this.log?.debug({ err: e.message }, 'thermometer write failed'));
  }

  protected emitState(state: ThermometerLinkState): void {
    this.log?.info({ state }, 'thermometer state');
    this.emit('state', state as Events['state']);
  }
}
