/**
 * The dashboard's HTTP errors. Every error answer is `{ code, message }` with a stable code
 * (`TG_DASH_*`): the web pages and scripts match on the code, never on the message.
 * Errors of other modules (alerts, isolation, reports) that carry a `TG_DASH_*` code and a
 * `statusCode` are answered the same way without being listed here.
 */
import { type CodeOf, CodedError } from '../../kernel/errors.ts';
export const DashErrorCode = {
  /** No valid session (never logged in, expired, logged out). */
  UNAUTHENTICATED: 'TG_DASH_UNAUTHENTICATED',
  /** Logged in, but the role may not call this route. */
  FORBIDDEN: 'TG_DASH_FORBIDDEN',
  /** A state-changing request without the session's CSRF token (header x-csrf-token). */
  CSRF: 'TG_DASH_CSRF',
  /** Wrong username or password, or a disabled account (deliberately not told apart). */
  LOGIN_FAILED: 'TG_DASH_LOGIN_FAILED',
  /** Too many login attempts for this username or from this address. */
  RATE_LIMITED: 'TG_DASH_RATE_LIMITED',
  /** The request does not match the route's schema. */
  BAD_REQUEST: 'TG_DASH_BAD_REQUEST',
  /** No such route or resource. */
  NOT_FOUND: 'TG_DASH_NOT_FOUND',
  /** open-once without a reason. */
  REASON_REQUIRED: 'TG_DASH_REASON_REQUIRED',
  /** No SiteAdmin adapter (access list import, device credentials): the dashboard runs without a hub. */
  SITE_ADMIN_UNAVAILABLE: 'TG_DASH_SITE_ADMIN_UNAVAILABLE',
  /** The access list import was refused (per-line errors in `errors`). */
  ACCESS_LIST_INVALID: 'TG_DASH_ACCESS_LIST_INVALID',
  /** An access-list file much smaller than the roster, without mode=replace|merge (409). */
  ACCESS_LIST_SHRINKS: 'TG_DASH_ACCESS_LIST_SHRINKS',
  /** A command to a gate that is offline: it could not reach it (409). */
  GATE_OFFLINE: 'TG_DASH_GATE_OFFLINE',
  /** An isolation room id that exists, on "add room" (409). */
  ROOM_EXISTS: 'TG_DASH_ROOM_EXISTS',
  /** Clearing a device fault while the device still reports it (409). */
  ALERT_CONDITION_ACTIVE: 'TG_DASH_ALERT_CONDITION_ACTIVE',
  USER_EXISTS: 'TG_DASH_USER_EXISTS',
  USER_NOT_FOUND: 'TG_DASH_USER_NOT_FOUND',
  /** The change would leave the site without an enabled admin. */
  LAST_ADMIN: 'TG_DASH_LAST_ADMIN',
  /** A password shorter than 8 characters (or longer than 256). */
  WEAK_PASSWORD: 'TG_DASH_WEAK_PASSWORD',
  /** A body larger than the route accepts (413). */
  TOO_LARGE: 'TG_DASH_TOO_LARGE',
  /** An admin input over a size limit (rooms per site, distances per room). */
  TOO_MANY_ROOMS: 'TG_DASH_TOO_MANY_ROOMS',
  /** Something broke inside; details are in the log, not in the answer. */
  INTERNAL: 'TG_DASH_INTERNAL',
} as const;
export type DashErrorCode = CodeOf<typeof DashErrorCode>;

export class DashboardError extends CodedError<DashErrorCode | `TG_DASH_${string}` | `TG_HUB_${string}`> {
  /** `statusCode` (not `status`) so fastify and the shared error handler read it as-is. */
  readonly statusCode: number;
  constructor(
    code: DashErrorCode | `TG_DASH_${string}` | `TG_HUB_${string}`,
    status: number,
    message: string,
    /** Extra fields of the answer (e.g. per-line `errors` of an import). */
    readonly extra?: Record<string, unknown>,
  ) {
    // The message is answered to the user beside the code, so it does not repeat it.
    super(code, message);
    this.name = 'DashboardError';
    this.statusCode = status;
  }
  get status(): number {
    return this.statusCode;
  }
}

/**
 * Any error that already says how to answer: a TG_DASH_* code (or a TG_HUB_* code the hub answered a
 * request of ours with, passed on as it is) and an HTTP status.
 */
export function isCodedError(e: unknown): e is Error & { code: string; statusCode: number } {
  if (!(e instanceof Error)) return false;
  const c = e as Error & { code?: unknown; statusCode?: unknown };
  return typeof c.code === 'string' && /^TG_(DASH|HUB)_/.test(c.code) && typeof c.statusCode === 'number';
}
