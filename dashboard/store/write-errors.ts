/**
 * Errors of the dashboard's writers (manual readings), with the codes edge/storage uses for the
 * same failures, so one code means one thing wherever a reading is written.
 */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const WriteErrorCode = {
  /** The record does not match the ReadingRecord schema (a bug upstream). */
  INVALID: 'TG_STORE_INVALID',
  /** The store cannot be reached or opened, or timed out: the write may be retried as is. */
  UNAVAILABLE: 'TG_STORE_UNAVAILABLE',
  /** The store refused the write for good (bad point, bad credentials). */
  REJECTED: 'TG_STORE_REJECTED',
  /** Older than the retention policy: InfluxDB would drop it. */
  BEYOND_RETENTION: 'TG_STORE_BEYOND_RETENTION',
  /** The id is taken by a different reading. */
  ID_CONFLICT: 'TG_STORE_ID_CONFLICT',
  /** The store's schema is newer than this release writes. */
  SCHEMA: 'TG_STORE_SCHEMA',
} as const;
export type WriteErrorCode = CodeOf<typeof WriteErrorCode>;

export class WriteError extends codedErrors('WriteError', WriteErrorCode) {}
