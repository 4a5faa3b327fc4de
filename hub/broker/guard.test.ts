/**
 * The (device, address) pairs that logged in are kept in the hub's data folder (issue 22): after a
 * power cut, a site's devices skip the login concurrency caps as they did before it, instead of
 * being answered "server unavailable" behind each other (and strangers) and backing off.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import type { DeviceCredential } from '../../protocols/hub/credentials.ts';
import { CredentialsStore } from '../auth/credentials.ts';
import { verifyPassword } from '../auth/password.ts';
import { Limits } from '../config/schema.ts';
import { createLogger } from '../log.ts';
import { BrokerGuard } from './guard.ts';

const PASSWORD = 'gate-1-password-0123';

async function site() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-guard-'));
  const credentials = new CredentialsStore(join(dir, 'credentials.json'), { N: 1024, r: 8, p: 1 });
  credentials.load({ allowMissing: true });
  await credentials.add({ id: 'gate-1', role: 'gate', site: 's1', gate: 'gate-1', terminal: 't1' }, PASSWORD);
  // One password check at a time in all: a single stranger's attempt fills the cap.
  const limits = Limits.parse({ authConcurrentTotal: 1 });
  const guard = (knownPairsPath?: string) =>
    new BrokerGuard({
      siteId: 's1',
      credentials,
      limits,
      log: createLogger('test', 'silent'),
      connectedClients: () => 0,
      ...(knownPairsPath ? { knownPairsPath } : {}),
    });
  return { path: join(dir, 'login-addresses.json'), guard };
}

function login(g: BrokerGuard, clientId: string, user: string, password: string, address: string) {
  const client = { id: clientId, conn: { remoteAddress: address } } as unknown as Client;
  return new Promise<{ ok: boolean; returnCode?: number }>((resolve) =>
    g
      .hooks()
      .authenticate(client, user, Buffer.from(password), (err, ok) =>
        resolve({ ok: ok === true, ...(err ? { returnCode: err.returnCode } : {}) }),
      ),
  );
}

describe('login addresses kept across a hub restart', () => {
  it("a gate's own address is known after the restart: a stranger filling the login cap does not hold it back", async () => {
    const s = await site();
    const before = s.guard(s.path);
    expect(await login(before, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toEqual({ ok: true });
    before.sweep(); // what the hub does every second

    const after = s.guard(s.path); // the hub started again on the same data
    const stranger = login(after, 'x', 'gate-1', 'a-wrong-password', '10.0.9.9');
    expect(await login(after, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toEqual({ ok: true });
    expect(await stranger).toMatchObject({ ok: false, returnCode: 5 });

    // Without what was kept, the same gate would have been answered "server unavailable".
    const forgetful = s.guard();
    const stranger2 = login(forgetful, 'x', 'gate-1', 'a-wrong-password', '10.0.9.9');
    expect(await login(forgetful, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toEqual({
      ok: false,
      returnCode: 3,
    });
    await stranger2;
  });

  it('a wrong password from a known address is still a wrong password', async () => {
    const s = await site();
    const before = s.guard(s.path);
    await login(before, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5');
    before.sweep();
    const after = s.guard(s.path);
    expect(await login(after, 'tg-edge-s1-gate-1', 'gate-1', 'not-the-password', '10.0.0.5')).toMatchObject({
      ok: false,
      returnCode: 5,
    });
  });
});

/**
 * A guard over one gate's credentials whose scrypt checks are counted (`checks`: the passwords
 * checked) and whose held answers are recorded instead of waited for (`waits`).
 */
async function countedGuard(
  limits: Limits,
  verify: (pw: Buffer, secret: DeviceCredential['secret']) => Promise<boolean> = verifyPassword,
) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-guard-'));
  const credentials = new CredentialsStore(join(dir, 'credentials.json'), { N: 1024, r: 8, p: 1 });
  credentials.load({ allowMissing: true });
  await credentials.add({ id: 'gate-1', role: 'gate', site: 's1', gate: 'gate-1', terminal: 't1' }, PASSWORD);
  const checks: string[] = [];
  const waits: number[] = [];
  const guard = new BrokerGuard({
    siteId: 's1',
    credentials,
    limits,
    log: createLogger('test', 'silent'),
    connectedClients: () => 0,
    verify: (pw, secret) => {
      checks.push(pw.toString());
      return verify(pw, secret);
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { credentials, guard, checks, waits };
}

describe('a wrong guess for a device whose password is remembered (login burst, bench/auth-burst.ts)', () => {
  it("is refused as a wrong password without a scrypt check, after a wait of the real check's time", async () => {
    const s = await countedGuard(Limits.parse({}));
    // Before the device has logged in, a guess costs a real check.
    expect(await login(s.guard, 'x', 'gate-1', 'guess-0', '10.0.9.1')).toMatchObject({
      ok: false,
      returnCode: 5,
    });
    expect(s.checks).toEqual(['guess-0']);
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toEqual({ ok: true });
    expect(s.checks).toEqual(['guess-0', PASSWORD]);

    for (let i = 1; i <= 5; i++)
      expect(await login(s.guard, 'x', 'gate-1', `guess-${i}`, `10.0.9.${i + 1}`)).toMatchObject({
        ok: false,
        returnCode: 5,
      });
    expect(s.checks).toEqual(['guess-0', PASSWORD]); // no scrypt for the five guesses
    expect(s.waits).toHaveLength(5); // each answered after a wait (the time the right check took)
    for (const ms of s.waits) expect(ms).toBeGreaterThanOrEqual(0);
    // The device itself still gets in, from anywhere, without a check.
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.77')).toEqual({ ok: true });
    expect(s.checks).toHaveLength(2);
  });

  it('is charged to the address budget as before: out of budget it is throttled, not told "wrong"', async () => {
    const s = await countedGuard(Limits.parse({ authFailuresPerMinute: 2 }));
    await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5');
    const from = '10.0.9.9';
    expect(await login(s.guard, 'x', 'gate-1', 'guess-1', from)).toMatchObject({ returnCode: 5 });
    expect(await login(s.guard, 'x', 'gate-1', 'guess-2', from)).toMatchObject({ returnCode: 5 });
    expect(await login(s.guard, 'x', 'gate-1', 'guess-3', from)).toMatchObject({ returnCode: 3 });
    // The remembered right password skips the throttle (docs/SECURITY.md 4.): the owner gets in.
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, from)).toEqual({ ok: true });
  });

  it('after the password changed, a guess is checked against the new secret again', async () => {
    const s = await countedGuard(Limits.parse({}));
    await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5');
    s.credentials.revoke('gate-1');
    await s.credentials.add(
      { id: 'gate-1', role: 'gate', site: 's1', gate: 'gate-1', terminal: 't1' },
      'new-pass-1234567',
    );
    // The old password is now just a wrong one, found by scrypt against the new secret.
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toMatchObject({
      ok: false,
      returnCode: 5,
    });
    expect(s.checks).toEqual([PASSWORD, PASSWORD]);
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', 'new-pass-1234567', '10.0.0.5')).toEqual({
      ok: true,
    });
  });
});

describe('throttled answers to strangers are held (login burst, bench/auth-burst.ts)', () => {
  it('an address out of its budget gets its CONNACK 3 after its retry-after, at most 1 s', async () => {
    const s = await countedGuard(Limits.parse({ authFailuresPerMinute: 1 }));
    expect(await login(s.guard, 'x', 'gate-1', 'guess-1', '10.0.9.1')).toMatchObject({ returnCode: 5 });
    expect(s.waits).toEqual([]);
    expect(await login(s.guard, 'x', 'gate-1', 'guess-2', '10.0.9.1')).toMatchObject({ returnCode: 3 });
    expect(s.waits).toEqual([1000]); // retry-after is a minute here; the hold is capped
  });

  it('a clean address refused because the account is busy waits less: 250 ms', async () => {
    let release: (ok: boolean) => void = () => {};
    const s = await countedGuard(
      Limits.parse({ authConcurrentTotal: 1 }),
      () => new Promise<boolean>((r) => (release = r)),
    );
    const first = login(s.guard, 'x', 'gate-1', 'guess-1', '10.0.9.1'); // holds the only check slot
    expect(await login(s.guard, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toMatchObject({
      returnCode: 3,
    });
    expect(s.waits).toEqual([250]);
    release(false);
    expect(await first).toMatchObject({ returnCode: 5 });
  });
});

describe('topic checks remembered per session give the same answers', () => {
  // What gate-1 (terminal t1, site s1) may receive and publish, by the role's intent: its own
  // terminal's events and the site's lists in, its own gate topics out; nothing of another gate.
  const receives: Array<[string, boolean]> = [
    ['face/t1/event', true],
    ['tg/s1/holds/changes', true],
    ['tg/s1/gate/gate-1/command', true],
    ['face/t2/event', false],
    ['tg/s1/gate/gate-2/command', false],
    ['tg/s2/holds/changes', false],
  ];
  const publishes: Array<[string, boolean]> = [
    ['tg/s1/gate/gate-1/decision', true],
    ['face/t1/verdict', true],
    ['tg/s1/gate/gate-2/decision', false],
    ['face/t2/verdict', false],
  ];

  it('asked again, and after more topics than it remembers, a gate gets the same answers', async () => {
    const s = await site();
    const g = s.guard();
    expect(await login(g, 'tg-edge-s1-gate-1', 'gate-1', PASSWORD, '10.0.0.5')).toEqual({ ok: true });
    const client = [...g.connectedSessions()][0]?.[0] as Client;
    const hooks = g.hooks();
    const forward = (topic: string) =>
      hooks.authorizeForward(client, {
        cmd: 'publish',
        topic,
        payload: Buffer.from('{}'),
        qos: 1,
      } as never) !== null;
    const publish = (topic: string) =>
      new Promise<boolean>((resolve) =>
        hooks.authorizePublish(
          client,
          { cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 0, retain: false, dup: false } as never,
          (err) => resolve(!err),
        ),
      );
    for (let round = 0; round < 2; round++) {
      for (const [topic, ok] of receives) expect(forward(topic), `${topic}, round ${round}`).toBe(ok);
      for (const [topic, ok] of publishes) expect(await publish(topic), `${topic}, round ${round}`).toBe(ok);
    }
    for (let i = 0; i < 9000; i++) expect(forward(`tg/s1/gate/g${i}/command`)).toBe(false);
    for (const [topic, ok] of receives) expect(forward(topic), `${topic}, after the flood`).toBe(ok);
  });
});
