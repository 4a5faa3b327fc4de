/**
 * Login throttling that an attacker cannot turn against the owner of an account (issue #20).
 * Used by the broker (MQTT CONNECT), the OPC UA server and the dashboard's login: one policy,
 * one piece of code in the shared kernel (it was written twice and had to be kept in step by hand).
 *
 * The policy, in the order it is applied to an attempt that needs the expensive check (scrypt):
 *
 * 1. Per source address: `failuresPerAddressPerMinute` failures, refilled continuously. An attempt
 *    in flight is reserved against the budget before the check (so 150 concurrent attempts from one
 *    address cannot all get past it) and given back if the password was right: successes never
 *    count. An address out of budget is refused without a check.
 * 2. Per account: `failuresPerAccountPerMinute` failures from any address. When it is spent,
 *    attempts from addresses that have failed recently (or have an attempt in flight) are refused;
 *    an address with a clean record is still checked. So failures from elsewhere never lock out the
 *    owner, while each attacking address gets at most one check per account before it is dirty.
 * 3. Concurrency: at most `maxConcurrentPerAccount` checks in flight per account and
 *    `maxConcurrent` in all; the rest are refused at once (cheap), which bounds the CPU a burst can
 *    take. An (account, address) pair that logged in successfully before skips 2 and 3 (not 1):
 *    the gate that always connects from its own address is never queued behind strangers.
 *
 * Refusals here are "throttled", never "wrong password": callers answer them as such (MQTT
 * CONNACK 3, HTTP 429, OPC UA BadTooManySessions). Refusals that are not charged to an address
 * (2 and 3) leave that address clean, so the real device refused by a busy account once is not
 * then treated as an attacker.
 */
import { TokenBucket } from './token-bucket.ts';

export interface AuthThrottleOptions {
  failuresPerAddressPerMinute: number;
  failuresPerAccountPerMinute: number;
  maxConcurrentPerAccount: number;
  maxConcurrent: number;
  /** How long a successful (account, address) pair is remembered; default 7 days. */
  knownPairTtlMs?: number;
  /** Bound on remembered pairs (oldest forgotten first); default 10 000. */
  maxKnownPairs?: number;
}

export type ThrottleReason = 'address' | 'account' | 'account-busy' | 'busy';

export type Admission =
  | { ok: true; done(success: boolean, now: number): void }
  | { ok: false; reason: ThrottleReason; retryAfterMs: number };

interface Budget {
  bucket: TokenBucket;
  inFlight: number;
}

export class AuthThrottle {
  private readonly addresses = new Map<string, Budget>();
  private readonly accounts = new Map<string, Budget>();
  private readonly knownPairs = new Map<string, number>();
  private inFlight = 0;
  private pairsVersion = 0;
  private readonly pairTtl: number;
  private readonly maxPairs: number;

  constructor(private readonly o: AuthThrottleOptions) {
    this.pairTtl = o.knownPairTtlMs ?? 7 * 24 * 3600_000;
    this.maxPairs = o.maxKnownPairs ?? 10_000;
  }

  admit(account: string, address: string, now: number): Admission {
    const addr = this.budget(this.addresses, address, this.o.failuresPerAddressPerMinute, now);
    if (addr.bucket.available(now) - addr.inFlight < 1)
      return { ok: false, reason: 'address', retryAfterMs: Math.max(1000, addr.bucket.msUntilToken(now)) };

    const acct = this.budget(this.accounts, account, this.o.failuresPerAccountPerMinute, now);
    const pairKey = `${account}\n${address}`;
    const seen = this.knownPairs.get(pairKey);
    const known = seen !== undefined && now - seen < this.pairTtl;
    if (!known) {
      const clean = addr.inFlight === 0 && addr.bucket.full(now);
      if (!clean && acct.bucket.available(now) - acct.inFlight < 1)
        return { ok: false, reason: 'account', retryAfterMs: Math.max(1000, acct.bucket.msUntilToken(now)) };
      if (acct.inFlight >= this.o.maxConcurrentPerAccount)
        return { ok: false, reason: 'account-busy', retryAfterMs: 1000 };
      if (this.inFlight >= this.o.maxConcurrent) return { ok: false, reason: 'busy', retryAfterMs: 1000 };
    }
    addr.inFlight++;
    acct.inFlight++;
    this.inFlight++;
    let finished = false;
    return {
      ok: true,
      done: (success, at) => {
        if (finished) return;
        finished = true;
        addr.inFlight--;
        acct.inFlight--;
        this.inFlight--;
        if (success) {
          this.pairsVersion++;
          this.knownPairs.delete(pairKey);
          this.knownPairs.set(pairKey, at);
          if (this.knownPairs.size > this.maxPairs) {
            const oldest = this.knownPairs.keys().next().value;
            if (oldest !== undefined) this.knownPairs.delete(oldest);
          }
          return;
        }
        addr.bucket.tryTake(at);
        acct.bucket.tryTake(at);
      },
    };
  }

  /**
   * The (account, address) pairs that logged in, and when, oldest first: a caller may keep them
   * across restarts (they are not secrets), so that a device is not queued behind strangers, or
   * refused as busy, after its hub restarted either. `knownPairsVersion` moves when they change.
   */
  knownPairList(): Array<{ account: string; address: string; at: number }> {
    return [...this.knownPairs].map(([k, at]) => {
      const nl = k.indexOf('\n');
      return { account: k.slice(0, nl), address: k.slice(nl + 1), at };
    });
  }

  get knownPairsVersion(): number {
    return this.pairsVersion;
  }

  /** Takes the pairs a previous run kept; each still expires `knownPairTtlMs` after its login. */
  restoreKnownPairs(pairs: Iterable<{ account: string; address: string; at: number }>, now: number): void {
    const sorted = [...pairs].filter((p) => now - p.at < this.pairTtl).sort((a, b) => a.at - b.at);
    for (const p of sorted.slice(-this.maxPairs)) {
      const key = `${p.account}\n${p.address}`;
      this.knownPairs.delete(key);
      this.knownPairs.set(key, p.at);
    }
  }

  /** Forgets budgets that have refilled and pairs that expired, so the maps stay small. */
  sweep(now: number): void {
    for (const m of [this.addresses, this.accounts])
      for (const [k, b] of m) if (b.inFlight === 0 && b.bucket.full(now)) m.delete(k);
    for (const [k, at] of this.knownPairs)
      if (now - at >= this.pairTtl) {
        this.knownPairs.delete(k);
        this.pairsVersion++;
      }
  }

  checksInFlight(): number {
    return this.inFlight;
  }

  private budget(m: Map<string, Budget>, key: string, perMinute: number, now: number): Budget {
    let b = m.get(key);
    if (!b) {
      b = { bucket: new TokenBucket(perMinute / 60, perMinute, now), inFlight: 0 };
      m.set(key, b);
    }
    return b;
  }
}
