/**
 * The admin page's "add a device" as the site process serves it (site/site.ts siteAdminFor on a
 * real hub): a gate or dashboard device belongs to the hub's site, so the page (which sends no
 * site) can add one and the new device logs in with the password shown once; a device of another
 * site is refused with a stable code and nothing is written.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateTopic } from '../../protocols/topics.ts';
import { siteAdminFor } from '../../site/site.ts';
import { waitFor } from '../harness/wait.ts';
import { connect, FAST_SCRYPT, SITE, startTestHub, type TestHub } from '../hub/fixture.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const admin = () =>
  siteAdminFor(t.hub, { credentialsFile: t.credentialsFile, siteId: SITE }, { scrypt: FAST_SCRYPT });

describe('adding devices from the admin page (the site process adapter)', () => {
  it('a gate added without a site (what the page sends) is bound to the hub site and logs in', async () => {
    const { password } = await admin().addDevice({
      id: 'gate-z',
      role: 'gate',
      gate: 'gate-z',
      terminal: 'term-z',
    });
    const listed = (await admin().listDevices()).find((d) => d.id === 'gate-z');
    expect(listed).toMatchObject({ role: 'gate', site: SITE, gate: 'gate-z', terminal: 'term-z' });
    // The hub re-reads its credentials file; the new gate connects with its own client id and
    // may publish under its own gate's topics.
    const c = await waitFor(
      () =>
        connect(t.url, {
          username: 'gate-z',
          password,
          clientId: `tg-edge-${SITE}-gate-z`,
          reconnectPeriod: 0,
        }),
      { what: 'the new gate logs in', timeoutMs: 10_000, intervalMs: 200 },
    );
    await c.publishAsync(GateTopic.status(SITE, 'gate-z'), '{}', { qos: 1 });
    c.end(true);
  });

  it('a dashboard device is bound to the site too; a terminal is bound to none', async () => {
    await admin().addDevice({ id: 'dash-2', role: 'dashboard' });
    await admin().addDevice({ id: 'term-y', role: 'terminal' });
    const devices = await admin().listDevices();
    expect(devices.find((d) => d.id === 'dash-2')?.site).toBe(SITE);
    expect(devices.find((d) => d.id === 'term-y')?.site).toBeUndefined();
  });

  it('a device of another site is refused with a stable code and the file is unchanged', async () => {
    const before = readFileSync(t.credentialsFile, 'utf8');
    await expect(
      admin().addDevice({
        id: 'gate-x',
        role: 'gate',
        site: 'other-site',
        gate: 'gate-x',
        terminal: 'term-x',
      }),
    ).rejects.toMatchObject({ code: 'TG_HUB_CREDENTIALS_INVALID' });
    expect(readFileSync(t.credentialsFile, 'utf8')).toBe(before);
  });
});
