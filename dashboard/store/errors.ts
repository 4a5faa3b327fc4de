/** Typed errors of the read side, with stable codes (TG_STORE_*, shared meaning with edge/storage). */
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
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
