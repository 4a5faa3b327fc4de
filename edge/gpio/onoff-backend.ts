/**
 * GpioBackend over `onoff` (sysfs GPIO) for a real gate. Outputs start low (turnstile locked, lamps
 * off); inputs watch both edges with onoff's 20 ms debounce.
 *
 * Line numbers are the kernel's sysfs numbers as configured; on newer Raspberry Pi kernels these
 * carry an offset (GPIO17 appears as 529), which the configuration must include.
 *
 * The Gpio class is injectable so the logic runs in tests on machines without /sys/class/gpio.
 */
import type { Direction, Edge, Options } from 'onoff';
import type { Logger } from '../log.ts';
import { GpioError, GpioErrorCode as C } from './errors.ts';
import { checkLineNumbers, type GpioLineNumbers, INPUT_LINES, OUTPUT_LINES } from './lines.ts';
import type { GpioBackend, InputLine, Level, OutputLine } from './types.ts';

/** The part of onoff's Gpio this backend uses. */
export interface GpioLike {
  readSync(): Level;
  writeSync(value: Level): void;
  watch(callback: (err: Error | null | undefined, value: Level) => void): void;
  unwatchAll(): void;
  unexport(): void;
}

export interface GpioClass {
  new (gpio: number, direction: Direction, edge?: Edge, options?: Options): GpioLike;
  readonly accessible: boolean;
}

export interface OnoffBackendOptions {
  lines: GpioLineNumbers;
  /** onoff's Gpio, or a test double. createOnoffBackend() loads onoff when absent. */
  Gpio: GpioClass;
  /** Input debounce in onoff (default 20 ms, devices.md §4). */
  debounceMs?: number;
  log?: Logger;
}

const UNAVAILABLE_HINT =
  'GPIO is not accessible on this machine (no /sys/class/gpio, or no permission on it); ' +
  'set gpio.backend: sim to use the simulated line set';

export class OnoffBackend implements GpioBackend {
  readonly name = 'onoff';
  private readonly outputs = new Map<OutputLine, GpioLike>();
  private readonly inputs = new Map<InputLine, GpioLike>();
  private readonly listeners: Array<(line: InputLine, value: Level) => void> = [];
  private closed = false;

  constructor(private readonly opts: OnoffBackendOptions) {
    if (!opts.Gpio.accessible) throw new GpioError(C.UNAVAILABLE, UNAVAILABLE_HINT);
    checkLineNumbers(opts.lines);
    try {
      for (const line of OUTPUT_LINES) this.outputs.set(line, this.claim(line, 'low'));
      for (const line of INPUT_LINES) {
        const gpio = this.claim(line, 'in', 'both', { debounceTimeout: opts.debounceMs ?? 20 });
        this.inputs.set(line, gpio);
        gpio.watch((err, value) => this.onEdge(line, err, value));
      }
    } catch (err) {
      this.release();
      throw err;
    }
  }

  write(line: OutputLine, value: Level): void {
    const gpio = this.outputs.get(line);
    if (!gpio || this.closed) throw new GpioError(C.WRITE_FAILED, `${line}: backend closed`);
    try {
      gpio.writeSync(value);
    } catch (err) {
      throw new GpioError(
        C.WRITE_FAILED,
        `${line} (line ${this.opts.lines[line]}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  read(line: InputLine): Level {
    const gpio = this.inputs.get(line);
    if (!gpio || this.closed) return 0;
    return gpio.readSync() === 1 ? 1 : 0;
  }

  onInput(fn: (line: InputLine, value: Level) => void): void {
    this.listeners.push(fn);
  }

  /** Unexports the lines; the outputs are left as the gate logic last set them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private claim(
    line: OutputLine | InputLine,
    direction: Direction,
    edge?: Edge,
    options?: Options,
  ): GpioLike {
    const n = this.opts.lines[line];
    try {
      return edge ? new this.opts.Gpio(n, direction, edge, options) : new this.opts.Gpio(n, direction);
    } catch (err) {
      throw new GpioError(C.LINE_FAILED, `cannot set up ${line} on line ${n}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private onEdge(line: InputLine, err: Error | null | undefined, value: Level): void {
    if (err) {
      this.opts.log?.warn({ line, err: err.message }, 'gpio watch error');
      return;
    }
    for (const fn of this.listeners) fn(line, value === 1 ? 1 : 0);
  }

  private release(): void {
    for (const gpio of [...this.inputs.values(), ...this.outputs.values()]) {
      try {
        gpio.unwatchAll();
        gpio.unexport();
      } catch {
        // Best effort on the way out: one stuck line must not keep the others exported.
      }
    }
    this.inputs.clear();
    this.outputs.clear();
  }
}

/**
 * Loads onoff only when this backend is chosen (it pulls a native addon) and builds the backend.
 * Throws TG_EDGE_GPIO_UNAVAILABLE where there is no GPIO, suggesting the simulated backend.
 */
export async function createOnoffBackend(
  opts: Omit<OnoffBackendOptions, 'Gpio'> & { Gpio?: GpioClass },
): Promise<OnoffBackend> {
  let Gpio = opts.Gpio;
  if (!Gpio) {
    try {
      Gpio = (await import('onoff')).Gpio as unknown as GpioClass;
    } catch (err) {
      throw new GpioError(
        C.UNAVAILABLE,
        `cannot load onoff (${(err as Error).message}); ${UNAVAILABLE_HINT}`,
        { cause: err },
      );
    }
  }
  return new OnoffBackend({ ...opts, Gpio });
}
