/**
 * Errors of the alert and isolation-room domain. Codes are stable (the web pages and scripts match
 * on them); `statusCode` is what the HTTP layer answers, so fastify's error handler can map any
 * AlertsError without a table of its own.
 */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const AlertsErrorCode = {
  /** No alert with that id. */
  ALERT_NOT_FOUND: 'TG_DASH_ALERT_NOT_FOUND',
  /** The action does not fit where the alert stands (arrival before a room, close before re-check ...). */
  ALERT_BAD_STAGE: 'TG_DASH_ALERT_BAD_STAGE',
  /** A guard's input is out of range (re-check temperature, disposition). */
  ALERT_INPUT_INVALID: 'TG_DASH_ALERT_INPUT_INVALID',
  /** A room definition is invalid (`issues` says where). */
  ROOM_INVALID: 'TG_DASH_ROOM_INVALID',
  /** No room with that id. */
  ROOM_NOT_FOUND: 'TG_DASH_ROOM_NOT_FOUND',
  /** The room holds people: it cannot be removed or shrunk below its occupants. */
  ROOM_OCCUPIED: 'TG_DASH_ROOM_OCCUPIED',
  /**
   * 'cleared-to-enter' needs a recorded re-check below the site policy's fever threshold: a
   * re-check at or above it cannot clear the person (send them home or to the fever clinic).
   */
  RECHECK_NOT_NORMAL: 'TG_DASH_ALERT_RECHECK_NOT_NORMAL',
  /** The re-check could not be stored in the readings store; nothing changed, try again. */
  READINGS_UNAVAILABLE: 'TG_DASH_READINGS_UNAVAILABLE',
  /** A device fault cleared while the device still reports it: acknowledge it; it clears when it ends. */
  CONDITION_ACTIVE: 'TG_DASH_ALERT_CONDITION_ACTIVE',
} as const;
export type AlertsErrorCode = CodeOf<typeof AlertsErrorCode>;

const STATUS: Record<AlertsErrorCode, number> = {
  TG_DASH_ALERT_NOT_FOUND: 404,
  TG_DASH_ALERT_BAD_STAGE: 409,
  TG_DASH_ALERT_INPUT_INVALID: 400,
  TG_DASH_ROOM_INVALID: 400,
  TG_DASH_ROOM_NOT_FOUND: 404,
  TG_DASH_ROOM_OCCUPIED: 409,
  TG_DASH_ALERT_RECHECK_NOT_NORMAL: 409,
  TG_DASH_READINGS_UNAVAILABLE: 503,
  TG_DASH_ALERT_CONDITION_ACTIVE: 409,
};

export interface Issue {
  /** Key path in the input (`capacity`, `distances.gate-a`), '' for the whole input. */
  where: string;
  reason: string;
}

export class AlertsError extends codedErrors('AlertsError', AlertsErrorCode, { codeInMessage: false }) {
  readonly statusCode: number;
  constructor(
    code: AlertsErrorCode,
    message: string,
    readonly issues: Issue[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.statusCode = STATUS[code];
  }
}

export function isAlertsError(e: unknown): e is AlertsError {
  return e instanceof AlertsError;
}
