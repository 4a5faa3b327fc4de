/**
 * Gate I/O lines (devices.md §4). A backend only sets and reads lines; the gate logic (pulse
 * length, debounce, fire alarm hold) lives above it in gate-io.ts so every backend behaves alike.
 */
import type { InputLine, OutputLine } from '../../protocols/gate/gpio-sim.ts';

export type { InputLine, OutputLine };
export type Level = 0 | 1;

export interface GpioBackend {
  readonly name: string;
  write(line: OutputLine, value: Level): void;
  read(line: InputLine): Level;
  /** Raw input edges, already debounced by the backend where it can (onoff debounceTimeout). */
  onInput(fn: (line: InputLine, value: Level) => void): void;
  close(): Promise<void>;
}
