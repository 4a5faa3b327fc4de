/** Test-only in-memory GpioBackend: records every write, lets a test drive the inputs. */
import type { GpioBackend, InputLine, Level, OutputLine } from '../../../edge/gpio/types.ts';

export class MemoryBackend implements GpioBackend {
  readonly name = 'memory';
  outputs: Record<OutputLine, Level> = { release: 0, green: 0, red: 0, buzzer: 0 };
  inputs: Record<InputLine, Level> = { passage: 0, fireAlarm: 0 };
  /** Every write in order, "release=1". */
  log: string[] = [];
  closed = false;
  failWrites = false;
  private listeners: Array<(line: InputLine, value: Level) => void> = [];

  write(line: OutputLine, value: Level): void {
    if (this.failWrites) throw new Error(`write ${line} failed`);
    this.outputs[line] = value;
    this.log.push(`${line}=${value}`);
  }

  read(line: InputLine): Level {
    return this.inputs[line];
  }

  onInput(fn: (line: InputLine, value: Level) => void): void {
    this.listeners.push(fn);
  }

  /** An edge on an input, as the hardware would report it. */
  set(line: InputLine, value: Level): void {
    this.inputs[line] = value;
    for (const fn of this.listeners) fn(line, value);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
