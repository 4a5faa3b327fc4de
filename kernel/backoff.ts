/**
 * Retry delays for everything that reconnects (serial device, broker, database, webhooks):
 * exponential, capped, with jitter so that many gates (or programs) restarted by one power cut do not hammer a
 * shared device server, hub or database in step. Pure, so tests check the numbers directly.
 */
export interface BackoffOptions {
  /** First delay (default 250 ms): a re-plugged USB adapter should come back quickly. */
  minDelayMs?: number;
  /** Cap (default 5000 ms): the thermometer shows offline meanwhile, so retry often enough. */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /**
   * Fraction of the delay that is random (default 0.5): the delay lies in
   * [base·(1−jitter), base], never above the cap.
   */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  minDelayMs: 250,
  maxDelayMs: 5000,
  factor: 2,
  jitter: 0.5,
};

/** Delay before retry number `attempt` (0 = first retry); `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...opts };
  const base = Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.round(base * (1 - jitter * random()));
}
