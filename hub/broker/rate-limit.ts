/** Token buckets: per-client publish rates and per-key login failure budgets. */

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
   * Takes one token, going into debt when there is none, and returns how long (ms) the caller
   * must hold the message for the rate to be kept: 0 while the burst lasts.
   */
  take(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSec) * 1000);
  }

  /** Undoes a take() whose message was refused after all. */
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
}

/** Failed logins per key (username, remote address): a budget per minute, refilled continuously. */
export class FailureLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly perMinute: number) {}

  allowed(key: string, now: number): boolean {
    const b = this.buckets.get(key);
    return !b || b.available(now) >= 1;
  }

  fail(key: string, now: number): void {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.perMinute / 60, this.perMinute, now);
      this.buckets.set(key, b);
    }
    b.take(now);
  }

  /** Forgets keys whose budget has refilled, so the map does not grow with every address ever seen. */
  sweep(now: number): void {
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
  }
}
