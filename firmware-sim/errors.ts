/**
 * Typed errors of the simulator. Codes are stable strings (`TG_SIM_*`) that tests, logs and the
 * CLI key on; the message is for humans and may change.
 */
import { type CodeOf, codedErrors } from '../kernel/errors.ts';
export const SimErrorCode = {
  /** A command-line argument is missing, unknown or malformed (the CLI exits 2). */
  BAD_ARGS: 'TG_SIM_BAD_ARGS',
  /** A constructor or method got a value outside what the device supports. */
  BAD_OPTION: 'TG_SIM_BAD_OPTION',
  /** A scenario file could not be read, parsed or validated. */
  SCENARIO_INVALID: 'TG_SIM_SCENARIO_INVALID',
  /** The TCP device server could not listen. */
  TCP_LISTEN: 'TG_SIM_TCP_LISTEN',
  /** A method was called on a device or link that is not started (or already stopped). */
  NOT_STARTED: 'TG_SIM_NOT_STARTED',
  /** Something did not happen within its time bound (waitForOutput, waitOpen, ...). */
  TIMEOUT: 'TG_SIM_TIMEOUT',
  /** A message we were about to send does not match the wire schema: a bug in the caller. */
  WIRE_SCHEMA: 'TG_SIM_WIRE_SCHEMA',
} as const;

export type SimErrorCode = CodeOf<typeof SimErrorCode>;

export class SimError extends codedErrors('SimError', SimErrorCode) {}
