/**
 * Exponential backoff with "equal jitter": the delay doubles per failed attempt up to a cap,
 * and each delay is drawn from [d/2, d]. Half the delay is guaranteed (no hammering a sink that
 * is down); the random half spreads many gates reconnecting after the same outage.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.minMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
