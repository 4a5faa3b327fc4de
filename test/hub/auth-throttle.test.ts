/**
 * The login budget's rules on a fake clock (the policy of issue #20, docs/SECURITY.md). The burst
 * against a real broker is in test/security/mqtt-lockout.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../kernel/auth-throttle.ts';
import { TokenBucket } from '../../kernel/token-bucket.ts';

const policy = {
  failuresPerAddressPerMinute: 10,
  failuresPerAccountPerMinute: 10,
  maxConcurrentPerAccount: 2,
  maxConcurrent: 16,
};

/** Runs one whole attempt: admitted, checked, done. */
function attempt(t: AuthThrottle, account: string, address: string, success: boolean, now: number) {
  const a = t.admit(account, address, now);
  if (a.ok) a.done(success, now);
  return a;
}

describe('TokenBucket', () => {
  it('never goes deeper into debt than the hold it allows', () => {
    // 10 per minute, burst 10: a thousand takes at once must not leave it owing for 100 minutes.
    const b = new TokenBucket(10 / 60, 10, 0);
    for (let i = 0; i < 1000; i++) b.take(0);
    expect(b.available(0)).toBeGreaterThanOrEqual(0);
    // One token is back after 6 s, as for a bucket that was merely emptied.
    expect(b.available(6000)).toBeGreaterThanOrEqual(1);
  });

  it('holds a publish up to the allowed delay, and takes nothing beyond it', () => {
    const b = new TokenBucket(100, 1, 0); // 100/s, burst 1
    expect(b.take(0, 50)).toBe(0);
    expect(b.take(0, 50)).toBe(10); // one behind: 10 ms
    for (let i = 0; i < 100; i++) b.take(0, 50);
    // At most 50 ms worth of debt (5 tokens): refilled after 60 ms.
    expect(b.available(60)).toBeGreaterThanOrEqual(0.99);
  });
});

describe('AuthThrottle', () => {
  it("a stranger's failures do not lock the owner out when the owner's address is clean", () => {
    const t = new AuthThrottle(policy);
    for (let i = 0; i < 50; i++) attempt(t, 'gate-1', '10.0.0.66', false, 0);
    for (let i = 0; i < 50; i++) attempt(t, 'gate-1', `10.0.1.${i}`, false, 0);
    const owner = t.admit('gate-1', '10.0.0.5', 0);
    expect(owner.ok).toBe(true);
  });

  it('an address that failed recently is refused once the account budget is spent', () => {
    const t = new AuthThrottle(policy);
    for (let i = 0; i < 10; i++) attempt(t, 'gate-1', `10.0.1.${i}`, false, 0);
    const again = t.admit('gate-1', '10.0.1.3', 0);
    expect(again).toMatchObject({ ok: false, reason: 'account' });
    // ... and it is a throttle with a retry time, not an eternal ban: one failure back per 6 s.
    expect(again.ok ? 0 : again.retryAfterMs).toBeLessThanOrEqual(6000);
    expect(t.admit('gate-1', '10.0.1.3', 6000).ok).toBe(true);
  });

  it('an address out of its own budget is refused for every account', () => {
    const t = new AuthThrottle(policy);
    for (let i = 0; i < 10; i++) attempt(t, `user-${i}`, '10.0.0.66', false, 0);
    expect(t.admit('someone-else', '10.0.0.66', 0)).toMatchObject({ ok: false, reason: 'address' });
  });

  it('attempts in flight are counted before the check: a concurrent burst from one address gets its budget, no more', () => {
    const t = new AuthThrottle({ ...policy, maxConcurrentPerAccount: 1000, maxConcurrent: 1000 });
    const admitted = Array.from({ length: 150 }, () => t.admit('gate-1', '10.0.0.66', 0)).filter((a) => a.ok);
    expect(admitted).toHaveLength(10);
  });

  it('caps concurrent checks per account, and in all', () => {
    const t = new AuthThrottle({ ...policy, maxConcurrent: 3 });
    const a1 = t.admit('gate-1', '10.0.1.1', 0);
    const a2 = t.admit('gate-1', '10.0.1.2', 0);
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    expect(t.admit('gate-1', '10.0.1.3', 0)).toMatchObject({ ok: false, reason: 'account-busy' });
    expect(t.admit('gate-2', '10.0.1.4', 0).ok).toBe(true);
    expect(t.admit('gate-3', '10.0.1.5', 0)).toMatchObject({ ok: false, reason: 'busy' });
    if (a1.ok) a1.done(false, 0);
    expect(t.admit('gate-1', '10.0.1.3', 0).ok).toBe(true);
  });

  it('an address that logged in to an account before skips the account budget and the concurrency cap', () => {
    const t = new AuthThrottle(policy);
    attempt(t, 'gate-1', '10.0.0.5', true, 0);
    // The owner's address fails once (e.g. an old password file), then strangers spend the budget.
    attempt(t, 'gate-1', '10.0.0.5', false, 0);
    const busy = [t.admit('gate-1', '10.0.1.1', 0), t.admit('gate-1', '10.0.1.2', 0)];
    for (let i = 0; i < 20; i++) attempt(t, 'gate-1', `10.0.2.${i}`, false, 0);
    expect(t.admit('gate-1', '10.0.0.5', 0).ok).toBe(true);
    for (const b of busy) if (b.ok) b.done(false, 0);
  });

  it('successful logins never count: a guard room behind one address logs in all day', () => {
    const t = new AuthThrottle(policy);
    for (let i = 0; i < 500; i++) expect(attempt(t, `guard-${i % 7}`, '10.0.0.9', true, i).ok).toBe(true);
  });

  it('forgets refilled budgets on sweep', () => {
    const t = new AuthThrottle(policy);
    for (let i = 0; i < 10; i++) attempt(t, 'gate-1', `10.0.1.${i}`, false, 0);
    t.sweep(61_000);
    expect(t.admit('gate-1', '10.0.1.3', 61_000).ok).toBe(true);
  });

  it('pairs kept by a previous run are known after a restart, until they expire', () => {
    const before = new AuthThrottle({ ...policy, knownPairTtlMs: 3600_000 });
    attempt(before, 'gate-1', '10.0.0.5', true, 1000);
    attempt(before, 'gate-2', '10.0.0.6', true, 2000);
    attempt(before, 'gate-3', '10.0.0.7', false, 2000);
    const kept = JSON.parse(JSON.stringify(before.knownPairList()));
    expect(kept).toEqual([
      { account: 'gate-1', address: '10.0.0.5', at: 1000 },
      { account: 'gate-2', address: '10.0.0.6', at: 2000 },
    ]);
    const after = new AuthThrottle({ ...policy, maxConcurrent: 1, knownPairTtlMs: 3600_000 });
    after.restoreKnownPairs(kept, 3600_000 + 1500);
    // Strangers fill the concurrency cap; the gate known from before the restart is still checked.
    const stranger = after.admit('gate-9', '10.0.9.9', 3600_000 + 1500);
    expect(stranger.ok).toBe(true);
    expect(after.admit('gate-2', '10.0.0.6', 3600_000 + 1500).ok).toBe(true);
    // gate-1's last login is more than an hour old: no longer known, so it waits like anyone.
    expect(after.admit('gate-1', '10.0.0.5', 3600_000 + 1500)).toMatchObject({ ok: false, reason: 'busy' });
    // The known pair needs its own address: from elsewhere gate-2 is a stranger too.
    expect(after.admit('gate-2', '10.0.0.66', 3600_000 + 1500)).toMatchObject({ ok: false });
  });
});
