/** Typed errors of the gate I/O backends, with stable codes and a message that says what to do. */
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

export type GpioErrorCode = (typeof GpioErrorCode)[keyof typeof GpioErrorCode];

export class GpioError extends Error {
  readonly code: GpioErrorCode;
  constructor(code: GpioErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'GpioError';
    this.code = code;
  }
}
