/**
 * The GY-MCU90615 style UART module (devices.md §2), device side: `A5 45 EA` → one frame;
 * `A5 51 F6` → a frame every 100 ms until `A5 52 F7`. It reports skin (object) temperature as the
 * sensor sees it, with no body compensation — that is the edge's job.
 *
 * Continuous mode is the module's own state, not the link's: a real module keeps streaming into a
 * dead cable, so a host that reconnects sees frames without asking again.
 */
import {
  CONTINUOUS_PERIOD_MS,
  Command,
  encodeFrame,
  matchCommand,
  type CommandName,
} from '../../protocols/gy-mlx90615/index.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import type { Random } from '../rng.ts';
import type { ByteSink, StreamDevice } from '../transport/stream-device.ts';

export interface GyModuleOptions {
  /** Object (skin) temperature, hundredths °C. Default 3662 (the datasheet example). */
  objectHundredths?: number;
  /** Ambient temperature, hundredths °C. Default 2510. */
  ambientHundredths?: number;
  /** Continuous-mode period, ms (default 100 per the datasheet; tests may shorten it). */
  periodMs?: number;
  random?: Random;
  /** Called for each command recognised (the CLI prints these). */
  onCommand?: (name: CommandName) => void;
  logger?: Logger;
}

export interface GyFaults {
  silent: boolean;
  /** Frames still to be sent with a wrong sum. */
  badSumNext: number;
  /** Probability that a frame goes out with a wrong sum. */
  badSumRate: number;
  /** Probability that random garbage (1..8 bytes) precedes a frame. */
  garbageRate: number;
}

export interface GyStats {
  commands: number;
  frames: number;
  badSumFrames: number;
  garbageBytes: number;
  silenced: number;
}

const COMMAND_LENGTH = 3;

export class GyModule implements StreamDevice {
  readonly label = 'gy-mlx90615';
  readonly stats: GyStats = { commands: 0, frames: 0, badSumFrames: 0, garbageBytes: 0, silenced: 0 };
  private readonly faults: GyFaults = { silent: false, badSumNext: 0, badSumRate: 0, garbageRate: 0 };
  private objectHundredths: number;
  private ambientHundredths: number;
  private readonly periodMs: number;
  private readonly random: Random;
  private readonly log: Logger;
  private sink: ByteSink | undefined;
  private rx: number[] = [];
  private continuous: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GyModuleOptions = {}) {
    this.objectHundredths = opts.objectHundredths ?? 3662;
    this.ambientHundredths = opts.ambientHundredths ?? 2510;
    this.periodMs = opts.periodMs ?? CONTINUOUS_PERIOD_MS;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger ?? childLogger('gy-mlx90615');
    checkInt16('objectHundredths', this.objectHundredths);
    checkInt16('ambientHundredths', this.ambientHundredths);
  }

  attach(sink: ByteSink): void {
    this.rx = [];
    this.sink = sink;
  }

  detach(): void {
    this.sink = undefined;
    this.rx = [];
  }

  receive(chunk: Uint8Array): void {
    for (const b of chunk) this.rx.push(b);
    const buf = Uint8Array.from(this.rx);
    let i = 0;
    while (buf.length - i >= COMMAND_LENGTH) {
      const name = matchCommand(buf, i);
      if (name) {
        this.onCommand(name);
        i += COMMAND_LENGTH;
      } else i++; // not a command: the MCU ignores it byte by byte
    }
    this.rx = this.rx.slice(i);
  }

  private onCommand(name: CommandName): void {
    this.stats.commands++;
    this.opts.onCommand?.(name);
    this.log.debug({ command: name }, 'command');
    if (name === 'Query') this.sendFrame();
    else if (name === 'StartContinuous') this.startContinuous();
    else this.stopContinuous();
  }

  private startContinuous(): void {
    if (this.continuous) return;
    this.sendFrame();
    this.continuous = setInterval(() => this.sendFrame(), this.periodMs);
  }

  private stopContinuous(): void {
    if (this.continuous) clearInterval(this.continuous);
    this.continuous = undefined;
  }

  get isContinuous(): boolean {
    return this.continuous !== undefined;
  }

  /** The frame the module would send now, faults applied (exposed for unit tests). */
  nextFrame(): Uint8Array {
    const frame = encodeFrame({
      objectHundredths: this.objectHundredths,
      ambientHundredths: this.ambientHundredths,
    });
    let bad = false;
    if (this.faults.badSumNext > 0) {
      this.faults.badSumNext--;
      bad = true;
    } else if (this.faults.badSumRate > 0 && this.random() < this.faults.badSumRate) bad = true;
    if (bad) {
      frame[8] = ((frame[8] as number) + 1) & 0xff;
      this.stats.badSumFrames++;
    }
    return frame;
  }

  private sendFrame(): void {
    if (this.faults.silent) {
      this.stats.silenced++;
      return;
    }
    const frame = this.nextFrame();
    if (this.faults.garbageRate > 0 && this.random() < this.faults.garbageRate)
      this.write(this.garbage(1 + Math.floor(this.random() * 8)));
    this.stats.frames++;
    this.write(frame);
  }

  private write(bytes: Uint8Array): void {
    this.sink?.(bytes);
  }

  private garbage(n: number): Uint8Array {
    const g = new Uint8Array(n);
    // Never 5A: garbage that looks like a header would test the parser's luck, not its resync.
    for (let k = 0; k < n; k++) g[k] = Math.floor(this.random() * 0x5a);
    this.stats.garbageBytes += n;
    return g;
  }

  // ---- physical side ---------------------------------------------------------------------------

  setObject(hundredths: number): void {
    checkInt16('objectHundredths', hundredths);
    this.objectHundredths = hundredths;
  }

  setAmbient(hundredths: number): void {
    checkInt16('ambientHundredths', hundredths);
    this.ambientHundredths = hundredths;
  }

  get reading(): { objectHundredths: number; ambientHundredths: number } {
    return { objectHundredths: this.objectHundredths, ambientHundredths: this.ambientHundredths };
  }

  // ---- fault injection -------------------------------------------------------------------------

  /** Sends nothing at all while on (queries and continuous frames are swallowed). */
  setSilent(on: boolean): void {
    this.faults.silent = on;
    this.log.info({ on }, 'fault: silent');
  }

  /** The next `n` frames carry a wrong SUM byte. */
  badSumNext(n: number): void {
    this.faults.badSumNext = Math.max(0, Math.floor(n));
  }

  setBadSumRate(rate: number): void {
    checkRate(rate);
    this.faults.badSumRate = rate;
  }

  /** Probability that 1..8 garbage bytes precede a frame. */
  setGarbageRate(rate: number): void {
    checkRate(rate);
    this.faults.garbageRate = rate;
  }

  /** Writes `n` garbage bytes onto the line right now (no frame). */
  injectGarbage(n: number): void {
    if (this.faults.silent) return;
    this.write(this.garbage(n));
  }

  clearFaults(): void {
    Object.assign(this.faults, {
      silent: false,
      badSumNext: 0,
      badSumRate: 0,
      garbageRate: 0,
    } satisfies GyFaults);
  }

  faultState(): Readonly<GyFaults> {
    return { ...this.faults };
  }

  dispose(): void {
    this.stopContinuous();
    this.detach();
  }
}

/** The commands a host sends, re-exported so tests and tools need one import. */
export { Command as GyCommand };

function checkInt16(what: string, v: number): void {
  if (!Number.isInteger(v) || v < -32768 || v > 32767)
    throw new SimError(SimErrorCode.BAD_OPTION, `${what} must be a signed 16-bit integer, got ${v}`);
}

function checkRate(rate: number): void {
  if (!(rate >= 0 && rate <= 1))
    throw new SimError(SimErrorCode.BAD_OPTION, `rate must be 0..1, got ${rate}`);
}
