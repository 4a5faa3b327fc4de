/**
 * ThermometerDriver for the GY-MCU90615 UART module (devices.md §2).
 *
 * - `query`: sends `A5 45 EA` every pollIntervalMs (one in flight; no frame in time = a timeout).
 * - `continuous`: sends `A5 51 F6` whenever the link comes up; the module streams a frame every
 *   100 ms. No frame for `silenceMs` (~3 periods) counts a miss and re-sends the start command (the
 *   module may have been power-cycled); after N misses in a row the state is 'offline'. stop()
 *   sends `A5 52 F7` before closing.
 *
 * Every frame becomes a measurement (sensor 'gy-mlx90615', object temperature rounded to tenths,
 * no sequence, valid: the module has no status). No filtering here on purpose: the stream is
 * predictable (10/s), the gate's pairing takes the freshest reading and plausibility is the gate
 * policy's job. The module measures skin: the gate adds its configured offset, not this driver.
 */
import {
  Command,
  CONTINUOUS_PERIOD_MS,
  FRAME_LENGTH,
  GyFrameParser,
  type GyReading,
  hundredthsToTenths,
} from '../../protocols/gy-mlx90615/index.ts';
import type { Timer } from '../clock.ts';
import { checkInt } from './errors.ts';
import { LinkHealth } from './link-health.ts';
import { PollLoop } from './poll-loop.ts';
import { SerialThermometerDriver, type SerialDriverOptions } from './serial-driver.ts';
import { responseTimeoutMs } from './timing.ts';
import type { Measurement, ThermometerEvents, ThermometerLinkState, ThermometerStats } from './types.ts';

export type GyMode = 'query' | 'continuous';

/**
 * The datasheet gives no answer bound for a query; the module's MCU answers from its last sample,
 * so a few ms. 20 ms keeps the same assumption as the Modbus device; the margin covers the rest.
 */
const GY_ANSWER_BOUND_MS = 20;

export interface GyMlx90615DriverOptions extends SerialDriverOptions {
  /** Default 'continuous' (the config default). */
  mode?: GyMode;
  /** For timing only (default 9600). */
  baudRate?: number;
  /** Query mode: default 200 ms. */
  pollIntervalMs?: number;
  /** Query mode: added to the computed timeout (default 50 ms). */
  responseMarginMs?: number;
  /** Query mode: overrides the computed timeout. */
  responseTimeoutMs?: number;
  /** Continuous mode: silence that counts as a miss (default 3 × 100 ms). */
  silenceMs?: number;
  /** Misses in a row before 'offline' (default 3). */
  offlineAfterMisses?: number;
  /** Drop and reopen the link after this many misses in a row (default 25, 0 = never). */
  recycleAfterMisses?: number;
}

export interface GyStats extends ThermometerStats {
  frames: number;
  measurements: number;
}

export class GyMlx90615Driver extends SerialThermometerDriver<
  Pick<ThermometerEvents, keyof ThermometerEvents>,
  GyStats
> {
  readonly sensor = 'gy-mlx90615' as const;
  readonly mode: GyMode;
  readonly stats: GyStats = {
    badFrames: 0,
    droppedBytes: 0,
    timeouts: 0,
    reconnects: 0,
    frames: 0,
    measurements: 0,
  };
  /** Query mode timeout in use, ms. */
  readonly responseTimeoutMs: number;
  readonly silenceMs: number;
  private readonly parser = new GyFrameParser();
  private readonly health: LinkHealth;
  private readonly loop: PollLoop;
  private readonly recycleAfter: number;
  private watchdog: Timer | undefined;

  constructor(opts: GyMlx90615DriverOptions) {
    super(opts);
    this.mode = opts.mode ?? 'continuous';
    const baudRate = checkInt('baudRate', opts.baudRate ?? 9600, 1200, 921_600);
    this.silenceMs = checkInt('silenceMs', opts.silenceMs ?? 3 * CONTINUOUS_PERIOD_MS, 1, 60_000);
    this.recycleAfter = checkInt('recycleAfterMisses', opts.recycleAfterMisses ?? 25, 0, 1_000_000);
    this.health = new LinkHealth(checkInt('offlineAfterMisses', opts.offlineAfterMisses ?? 3, 1, 1000));
    this.responseTimeoutMs = checkInt(
      'responseTimeoutMs',
      opts.responseTimeoutMs ??
        responseTimeoutMs({
          baudRate,
          requestBytes: Command.Query.length,
          responseBytes: FRAME_LENGTH,
          answerBoundMs: GY_ANSWER_BOUND_MS,
          marginMs: opts.responseMarginMs ?? 50,
        }),
      1,
      60_000,
    );
    this.loop = new PollLoop({
      clock: this.clock,
      intervalMs: checkInt('pollIntervalMs', opts.pollIntervalMs ?? 200, 1, 60_000),
      gapMs: 0,
      timeoutMs: this.responseTimeoutMs,
      send: () => this.send(Command.Query),
      onTimeout: () => this.missed(),
    });
  }

  get state(): ThermometerLinkState {
    return this.health.state;
  }

  get description(): string {
    return `gy-mlx90615 (${this.mode}) on ${this.link.description}`;
  }

  /** Stops the module's stream (continuous mode) before the link closes. */
  protected async beforeClose(): Promise<void> {
    this.loop.stop();
    this.cancelWatchdog();
    if (this.mode === 'continuous' && this.link.isOpen)
      await this.link.write(Command.StopContinuous).catch(() => {});
    this.health.down();
  }

  /** Query mode: ask now. Continuous mode: nothing to do, a fresh frame is at most 100 ms away. */
  requestMeasurement(): void {
    if (this.mode === 'query') this.loop.pollNow();
  }

  protected onUp(): void {
    this.parser.reset();
    this.syncStats();
    if (!this.started) return;
    if (this.mode === 'continuous') {
      this.send(Command.StartContinuous);
      this.armWatchdog();
    } else {
      // A module left streaming by an earlier run would flood the query loop: stop it first.
      this.send(Command.StopContinuous);
      this.loop.start();
    }
  }

  protected onDown(): void {
    this.loop.stop();
    this.cancelWatchdog();
    this.parser.reset();
    this.syncStats();
    const s = this.health.down();
    if (s) this.emitState(s);
  }

  protected onData(chunk: Uint8Array): void {
    const at = this.clock.now();
    const readings = this.parser.push(chunk);
    this.syncStats();
    for (const r of readings) this.onReading(r, at);
  }

  private onReading(r: GyReading, at: number): void {
    this.stats.frames++;
    if (this.mode === 'query') this.loop.complete();
    else this.armWatchdog();
    const s = this.health.answered(false);
    if (s) this.emitState(s);
    this.stats.measurements++;
    this.emit('measurement', toMeasurement(r, at));
  }

  private missed(): void {
    this.parser.reset();
    this.stats.timeouts++;
    this.syncStats();
    const s = this.health.missed();
    if (s) this.emitState(s);
    const misses = this.health.missesInRow;
    if (this.recycleAfter > 0 && misses % this.recycleAfter === 0) {
      this.link.recycle(`no frame for ${misses} periods`);
      return;
    }
    if (this.mode === 'continuous') {
      this.send(Command.StartContinuous);
      this.armWatchdog();
    }
  }

  private armWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = this.clock.setTimeout(() => {
      this.watchdog = undefined;
      if (this.started && this.link.isOpen) this.missed();
    }, this.silenceMs);
  }

  private cancelWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private syncStats(): void {
    this.stats.badFrames = this.parser.stats.badFrames;
    this.stats.droppedBytes = this.parser.stats.droppedBytes;
    this.stats.reconnects = this.link.stats.reconnects;
  }
}

function toMeasurement(r: GyReading, at: number): Measurement {
  return {
    at,
    sensor: 'gy-mlx90615',
    rawTenths: hundredthsToTenths(r.objectHundredths),
    ambientTenths: hundredthsToTenths(r.ambientHundredths),
    sensorSeq: null,
    valid: true,
    sensorFault: false,
    belowRange: false,
    aboveRange: false,
    distanceMm: null,
  };
}
