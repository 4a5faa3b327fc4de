/**
 * Temperatures travel as integers in tenths of a degree Celsius. Floats from devices are turned
 * into tenths once, here, so no decision ever compares floats.
 */
export type ThermometryUnit = 'celsius' | 'fahrenheit' | 'kelvin';

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
