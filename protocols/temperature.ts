/**
 * Temperatures travel as integers in tenths of a degree Celsius. Floats from devices are turned
 * into tenths once, here, so no decision ever compares floats.
 */
export type ThermometryUnit = 'celsius' | 'fahrenheit' | 'kelvin';

/**
 * Range of a temperature anywhere on ThermoGate's wire and in storage, tenths of °C (-100.0 to
 * 200.0 °C): wide enough for any probe, narrow enough that a garbage value is refused at the edge
 * of the system instead of failing later in storage.
 */
export const TENTHS_MIN = -1000;
export const TENTHS_MAX = 2000;

/** Converts a device float to tenths of °C; undefined when it is not a finite number. */
export function toTenthsCelsius(value: number, unit: ThermometryUnit = 'celsius'): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  switch (unit) {
    case 'celsius':
      return Math.round(value * 10);
    case 'fahrenheit': {
      // Work in tenths of °F first so 98.6 °F is exactly 986 before the exact ratio 5/9.
      const f10 = Math.round(value * 10);
      return Math.round(((f10 - 320) * 5) / 9);
    }
    case 'kelvin': {
      const k100 = Math.round(value * 100);
      return Math.round((k100 - 27315) / 10);
    }
  }
}

/** "36.6" for 366, "-0.5" for -5: for display and CSV, never for decisions. */
export function formatTenths(tenths: number): string {
  const sign = tenths < 0 ? '-' : '';
  const a = Math.abs(tenths);
  return `${sign}${Math.floor(a / 10)}.${a % 10}`;
}

/** The fever threshold of devices.md and the product: 37.3 °C or more is flagged. */
export const DEFAULT_FEVER_THRESHOLD_TENTHS = 373;
