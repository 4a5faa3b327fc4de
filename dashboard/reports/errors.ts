/**
 * The reports' HTTP errors (TG_DASH_REPORT_*, plus the server's TG_DASH_BAD_REQUEST), answered
 * `{ code, message }` by the server's error handler like every DashboardError. Store failures are
 * translated here so that a store that is down is a 503 with a reason, never a bare 500.
 */
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import { StoreError, StoreErrorCode } from '../store/errors.ts';
import { WriteError, WriteErrorCode } from '../store/write-errors.ts';

export const ReportErrorCode = {
  BAD_REQUEST: DashErrorCode.BAD_REQUEST,
  /** A date after today (site time). */
  FUTURE_DATE: 'TG_DASH_REPORT_FUTURE_DATE',
  /** A period that ends before it starts or spans more than the store answers (400 days). */
  BAD_PERIOD: 'TG_DASH_REPORT_BAD_PERIOD',
  /** A manual reading for somebody who is not on the access list. */
  UNKNOWN_PERSON: 'TG_DASH_REPORT_UNKNOWN_PERSON',
  /** A manual reading the store would refuse or lose (range, future, beyond retention). */
  BAD_READING: 'TG_DASH_REPORT_BAD_READING',
  /** A guard dating a manual reading other than today (site time): only HR and admins may backdate. */
  BACKDATE_FORBIDDEN: 'TG_DASH_REPORT_BACKDATE_FORBIDDEN',
  /** An import with bad lines: nothing imported; `errors` lists each line. */
  IMPORT_INVALID: 'TG_DASH_REPORT_IMPORT_INVALID',
  /** `version=sent` for a day whose daily report was never kept and sent. */
  NOT_SENT: 'TG_DASH_REPORT_NOT_SENT',
  /** The readings store cannot be reached; retry later (nothing was half-written). */
  STORE_UNAVAILABLE: 'TG_DASH_REPORT_STORE_UNAVAILABLE',
  /** The store refused the write. */
  STORE_REFUSED: 'TG_DASH_REPORT_STORE_REFUSED',
} as const;

export const badRequest = (message: string, extra?: Record<string, unknown>): DashboardError =>
  new DashboardError(ReportErrorCode.BAD_REQUEST, 400, message, extra);

/** A store's typed error as an answer; anything else is passed on unchanged. */
export function fromStoreError(err: unknown): unknown {
  if (err instanceof StoreError) {
    if (err.code === StoreErrorCode.QUERY)
      return new DashboardError(ReportErrorCode.BAD_PERIOD, 400, err.message);
    return new DashboardError(ReportErrorCode.STORE_UNAVAILABLE, 503, err.message);
  }
  if (err instanceof WriteError) {
    if (err.code === WriteErrorCode.UNAVAILABLE)
      return new DashboardError(ReportErrorCode.STORE_UNAVAILABLE, 503, err.message);
    return new DashboardError(ReportErrorCode.STORE_REFUSED, 422, err.message);
  }
  return err;
}
