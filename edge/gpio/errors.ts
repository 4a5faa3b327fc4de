/** Typed errors of the gate I/O backends, with stable codes and a message that says what to do. */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const GpioErrorCode = {
  /** No usable GPIO on this machine (no /sys/class/gpio, or onoff cannot load). */
  UNAVAILABLE: 'TG_EDGE_GPIO_UNAVAILABLE',
  /** The line numbers in the configuration are unusable (duplicates, negative). */
  BAD_LINES: 'TG_EDGE_GPIO_BAD_LINES',
  /** One line could not be set up (already in use, no permission, does not exist). */
  LINE_FAILED: 'TG_EDGE_GPIO_LINE_FAILED',
  /** Writing an output failed. */
  WRITE_FAILED: 'TG_EDGE_GPIO_WRITE_FAILED',
  /** The simulated line set could not listen on its address. */
  SIM_LISTEN_FAILED: 'TG_EDGE_GPIO_SIM_LISTEN_FAILED',
} as const;

export type GpioErrorCode = CodeOf<typeof GpioErrorCode>;

export class GpioError extends codedErrors('GpioError', GpioErrorCode) {}
