/** The dashboard's alert and isolation-room domain (see types.ts for the seam with the server). */
export { AlertsError, AlertsErrorCode, isAlertsError } from './errors.ts';
export { DEFAULT_RETRY, type RetryPolicy } from './escalation.ts';
export { createAlertsService } from './service.ts';
export type * from './types.ts';
