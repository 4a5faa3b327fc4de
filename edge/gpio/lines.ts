/** The gate's six lines and their numbers from the configuration (`gpio.lines`). */
import { InputLine, OutputLine } from '../../protocols/gate/gpio-sim.ts';
import { GpioError, GpioErrorCode as C } from './errors.ts';

export type GpioLineNumbers = Record<OutputLine | InputLine, number>;

export const OUTPUT_LINES: readonly OutputLine[] = OutputLine.options;
export const INPUT_LINES: readonly InputLine[] = InputLine.options;

/** Refuses negative, non-integer or shared numbers: two roles on one pin would fight each other. */
export function checkLineNumbers(lines: GpioLineNumbers): void {
  const seen = new Map<number, string>();
  for (const name of [...OUTPUT_LINES, ...INPUT_LINES]) {
    const n = lines[name];
    if (!Number.isInteger(n) || n < 0)
      throw new GpioError(C.BAD_LINES, `gpio.lines.${name} must be a non-negative integer, got ${n}`);
    const other = seen.get(n);
    if (other)
      throw new GpioError(C.BAD_LINES, `gpio.lines.${name} and gpio.lines.${other} are both line ${n}`);
    seen.set(n, name);
  }
}
