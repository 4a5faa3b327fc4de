/** Typed errors of the read side, with stable codes (TG_STORE_*, shared meaning with edge/storage). */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const StoreErrorCode = {
  /** Bad store configuration (time zone, split, URL). */
  CONFIG: 'TG_STORE_CONFIG',
  /** Bad query arguments (dates, period). */
  QUERY: 'TG_STORE_QUERY',
  /** The store cannot be reached or opened. */
  UNAVAILABLE: 'TG_STORE_UNAVAILABLE',
  /** The store's schema is not the one this release reads. */
  SCHEMA: 'TG_STORE_SCHEMA',
} as const;
export type StoreErrorCode = CodeOf<typeof StoreErrorCode>;

export class StoreError extends codedErrors('StoreError', StoreErrorCode) {}
