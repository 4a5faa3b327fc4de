/** Token buckets: per-client publish rates and per-key login failure budgets (shared kernel: imports nothing). */

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }

  /**
   * Takes one token and returns how long (ms) the caller must hold the message for the rate to be
   * kept: 0 while the burst lasts. The bucket goes into debt only up to `maxDelayMs` worth of
   * tokens: a take that would need a longer hold takes nothing and returns that hold, so callers
   * that refuse (or a flood of attempts in flight) never push the bucket into a debt that takes
   * minutes to repay. (It used to take unconditionally: 150 concurrent failed logins left a
   * budget of 30/min in debt for five minutes.)
   */
  take(now: number, maxDelayMs = 0): number {
    this.refill(now);
    const after = this.tokens - 1;
    const delay = after >= 0 ? 0 : Math.ceil((-after / this.ratePerSec) * 1000);
    if (delay <= maxDelayMs) this.tokens = after;
    return delay;
  }

  /** Takes a token only if one is there now; never goes into debt. */
  tryTake(now: number): boolean {
    return this.take(now, 0) === 0;
  }

  /** Undoes a successful take(). */
  giveBack(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  full(now: number): boolean {
    return this.available(now) >= this.burst;
  }

  /** ms until one whole token is there (0 when one is). */
  msUntilToken(now: number): number {
    const t = this.available(now);
    return t >= 1 ? 0 : Math.ceil(((1 - t) / this.ratePerSec) * 1000);
  }
}
