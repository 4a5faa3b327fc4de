/** Typed errors of the thermometer drivers: only bad options throw; wire trouble is counted. */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const ThermometerErrorCode = {
  /** A driver option is out of range (slave address, interval, thresholds). */
  BAD_OPTION: 'TG_EDGE_THERMOMETER_BAD_OPTION',
} as const;

export type ThermometerErrorCode = CodeOf<typeof ThermometerErrorCode>;

export class ThermometerError extends codedErrors('ThermometerError', ThermometerErrorCode) {}

/** Throws BAD_OPTION unless `value` is an integer in [min, max]. */
export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ThermometerError(
      ThermometerErrorCode.BAD_OPTION,
      `${name} must be an integer in ${min}..${max}, got ${value}`,
    );
  return value;
}
