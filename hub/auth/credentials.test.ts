/**
 * Which device a client id belongs to (wills after a restart, every stored subscription): the
 * device itself, a gate's edge id, ids listed in an entry, a dashboard's or service's `{id}-…`,
 * the most specific owner when several could claim it, never a revoked device. The answer is
 * indexed (issue 22: asked for each subscription of 1,000 gates reconnecting) and must follow
 * `device add` / `revoke`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialsStore } from './credentials.ts';

const CHEAP = { N: 1024, r: 8, p: 1 };

async function store() {
  const s = new CredentialsStore(join(mkdtempSync(join(tmpdir(), 'tg-creds-')), 'credentials.json'), CHEAP);
  s.load({ allowMissing: true });
  await s.add(
    { id: 'gate-1', role: 'gate', site: 's1', gate: 'gate-1', terminal: 'term-1' },
    'password-gate-1',
  );
  await s.add({ id: 'term-1', role: 'terminal', clientIds: ['HIK-0042'] }, 'password-term-1');
  await s.add({ id: 'dash', role: 'dashboard', site: 's1' }, 'password-dash-0');
  await s.add({ id: 'dash-ops', role: 'dashboard', site: 's1' }, 'password-dash-1');
  await s.add({ id: 'svc', role: 'service' }, 'password-svc-00');
  return s;
}

describe('the owner of a client id', () => {
  it('is the device named by it, bound to it, or the most specific prefix', async () => {
    const s = await store();
    const owner = (clientId: string) => s.byClientId(clientId)?.id;
    expect(owner('gate-1')).toBe('gate-1');
    expect(owner('tg-edge-s1-gate-1')).toBe('gate-1');
    expect(owner('tg-edge-s2-gate-1')).toBeUndefined();
    expect(owner('HIK-0042')).toBe('term-1');
    expect(owner('term-1-x')).toBeUndefined();
    expect(owner('dash-2')).toBe('dash');
    // 'dash-ops-1' could be dash's (dash-…) or dash-ops's: the more specific one wins.
    expect(owner('dash-ops-1')).toBe('dash-ops');
    expect(owner('dash-ops')).toBe('dash-ops');
    expect(owner('svc-worker-3')).toBe('svc');
    expect(owner('dashboard')).toBeUndefined();
    expect(owner('nobody')).toBeUndefined();
  });

  it('follows revocations and new devices, in this process and after a reload', async () => {
    const s = await store();
    s.revoke('dash-ops');
    expect(s.byClientId('dash-ops-1')?.id).toBe('dash');
    s.revoke('gate-1');
    expect(s.byClientId('tg-edge-s1-gate-1')).toBeUndefined();
    await s.add(
      { id: 'gate-2', role: 'gate', site: 's1', gate: 'gate-1', terminal: 'term-1' },
      'password-gate-2',
    );
    expect(s.byClientId('tg-edge-s1-gate-1')?.id).toBe('gate-2');
    const reread = new CredentialsStore(s.path, CHEAP).load();
    expect(reread.byClientId('tg-edge-s1-gate-1')?.id).toBe('gate-2');
    expect(reread.byClientId('dash-ops-1')?.id).toBe('dash');
    expect(reread.byClientId('HIK-0042')?.id).toBe('term-1');
  });
});
