/**
 * A refusal from the server in the user's language. The server's `message` is English for logs
 * and API users; a page says what the stable `code` means (issue #18: "TG_DASH_USER_EXISTS" and
 * English sentences reached the Chinese pages). A code the page does not know gets a general
 * sentence, never the raw code or the English text.
 */
import { ApiError } from './api.ts';
import { type Key, t } from './i18n.ts';

/** Codes with a sentence of their own (strings-*.ts `error.<code>`). */
export const KNOWN_CODES = new Set([
  'TG_DASH_ACCESS_LIST_INVALID',
  'TG_DASH_ACCESS_LIST_SHRINKS',
  'TG_DASH_ALERT_BAD_STAGE',
  'TG_DASH_ALERT_INPUT_INVALID',
  'TG_DASH_ALERT_NOT_FOUND',
  'TG_DASH_ALERT_RECHECK_NOT_NORMAL',
  'TG_DASH_ALERT_CONDITION_ACTIVE',
  'TG_DASH_BAD_REQUEST',
  'TG_DASH_CSRF',
  'TG_DASH_FORBIDDEN',
  'TG_DASH_GATE_OFFLINE',
  'TG_DASH_HOLD_EXISTS',
  'TG_DASH_HOLD_NOT_FOUND',
  'TG_DASH_HUB_REFUSED',
  'TG_DASH_HUB_TIMEOUT',
  'TG_DASH_INTERNAL',
  'TG_DASH_IMPORT_ENCODING',
  'TG_DASH_LAST_ADMIN',
  'TG_DASH_LOGIN_FAILED',
  'TG_DASH_NOT_FOUND',
  'TG_DASH_RATE_LIMITED',
  'TG_DASH_READINGS_UNAVAILABLE',
  'TG_DASH_REASON_REQUIRED',
  'TG_DASH_REPORT_BACKDATE_FORBIDDEN',
  'TG_DASH_REPORT_BAD_PERIOD',
  'TG_DASH_REPORT_BAD_READING',
  'TG_DASH_REPORT_FUTURE_DATE',
  'TG_DASH_REPORT_IMPORT_INVALID',
  'TG_DASH_REPORT_NOT_SENT',
  'TG_DASH_REPORT_STORE_REFUSED',
  'TG_DASH_REPORT_STORE_UNAVAILABLE',
  'TG_DASH_REPORT_UNKNOWN_PERSON',
  'TG_DASH_ROOM_EXISTS',
  'TG_DASH_ROOM_INVALID',
  'TG_DASH_ROOM_NOT_FOUND',
  'TG_DASH_ROOM_OCCUPIED',
  'TG_DASH_SITE_ADMIN_CONFLICT',
  'TG_DASH_SITE_ADMIN_REFUSED',
  'TG_DASH_SITE_ADMIN_UNAVAILABLE',
  'TG_DASH_TOO_LARGE',
  'TG_DASH_TOO_MANY_ROOMS',
  'TG_DASH_UNAUTHENTICATED',
  'TG_DASH_USER_EXISTS',
  'TG_DASH_USER_NOT_FOUND',
  'TG_DASH_WEAK_PASSWORD',
  'TG_HUB_POLICY_CONFLICT',
  'TG_HUB_POLICY_INVALID',
  'TG_HUB_HOLD_NOT_FOUND',
  'TG_HUB_HOLD_NEWER_FLAG',
  'TG_HUB_ACCESS_LIST_INVALID',
  'TG_HUB_REQUEST_INVALID',
]);

/** The sentence for a code (also for codes that arrive inside other answers, e.g. a refused hold request). */
export function codeText(code: string): string {
  return KNOWN_CODES.has(code) ? t(`error.${code}` as Key) : t('error.unknown');
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('common.unreachable');
    return t('common.failed', { message: codeText(err.code) });
  }
  return t('common.failed', { message: t('error.unknown') });
}
