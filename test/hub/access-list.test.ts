/**
 * HR's CSV through the hub to the gates: a bad file is refused line by line with nothing applied;
 * a good one becomes the next version, reaches both gates (real edges) which decide by it; a gate
 * that was down during a change gets it when it comes back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessListStore } from '../../hub/access-list/store.ts';
import { HubError } from '../../hub/errors.ts';
import { waitFor } from '../harness/wait.ts';
import { startGate, startTestHub, type TestGate, type TestHub } from './fixture.ts';

let t: TestHub;
let a: TestGate;
let b: TestGate;
const HEADER = 'employeeNo,name,department,kind,validFrom,validUntil';
const gateVersion = (id: string) =>
  t.hub.fleet.snapshot().gates.find((g) => g.gateId === id)?.accessListVersion;
const person = (employeeNo: string) => ({
  employeeNo,
  name: employeeNo,
  mask: 'yes' as const,
  temperatureTenths: 365,
});

beforeAll(async () => {
  t = await startTestHub();
  a = await startGate(t, 'gate-a', 'T1', t.dir);
  b = await startGate(t, 'gate-b', 'T2', t.dir);
}, 30_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await t?.close();
});

describe('access list distribution', () => {
  it('refuses a CSV with bad rows, naming each line, and applies nothing', async () => {
    const csv = [
      HEADER,
      'E1,张伟,QA,employee,,',
      'E2,李娜,QA,contractor,,',
      'E3,Wang Fang,QA,visitor,2026-12-01,2026-11-30',
      ',nobody,QA,employee,,',
      'E1,again,QA,employee,,',
      'E4,Liu,QA,visitor,2026-13-01,',
    ].join('\n');
    const err = await t.hub.accessList.importCsv(csv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('TG_HUB_ACCESS_LIST_INVALID');
    expect((err as HubError).issues.map((i) => i.where)).toEqual(['3', '4', '5', '6', '7']);
    expect((err as HubError).issues[0]?.reason).toMatch(/kind must be employee or visitor/);
    expect((err as HubError).issues[3]?.reason).toMatch(/already on line 2/);
    expect(t.hub.accessList.current()).toBeNull();
    expect(() => readFileSync(join(t.dir, 'data', 'access-list.json'))).toThrow();
  });

  it('a good import is version 1, reaches both gates, and they decide by it', async () => {
    const r = await t.hub.accessList.importCsv(
      `\ufeff${HEADER}\r\nE1,张伟,QA,employee,,\r\nE2,"Li, Na",QA,employee,,\r\n`,
    );
    expect(r).toMatchObject({ version: 1, previousVersion: null, entries: 2, unchanged: false });
    await waitFor(() => gateVersion('gate-a') === 1 && gateVersion('gate-b') === 1, {
      what: 'both gates hold version 1',
    });
    expect((await a.terminal.present(person('E1'))).verdict?.checkResult).toBe('success');
    expect((await b.terminal.present(person('E2'))).verdict?.checkResult).toBe('success');
    const refused = await a.terminal.present(person('E3'));
    expect(refused.verdict?.checkResult).toBe('failed');
    expect(a.edge.gate.counters.denied).toBeGreaterThanOrEqual(1);
  });

  it('the same file again is not a new version', async () => {
    const r = await t.hub.accessList.importCsv(
      `${HEADER}\nE2,"Li, Na",QA,employee,,\nE1,张伟,QA,employee,,\n`,
    );
    expect(r).toMatchObject({ version: 1, unchanged: true });
  });

  it('a gate down during a change gets it when it reconnects, and decides by it', async () => {
    await b.stop();
    const aGot = { ...a.edge.gate.lists.received['access list'] };
    const r = await t.hub.accessList.importCsv(
      `${HEADER}\nE1,张伟,QA,employee,,\nE3,Wang Fang,QA,visitor,2020-01-01,2099-12-31\n`,
    );
    expect(r).toMatchObject({ version: 2, upserts: 1, removals: 1 });
    await waitFor(() => gateVersion('gate-a') === 2, { what: 'gate-a holds version 2' });
    // Only the change travelled to the gate that was up (issue 22): no snapshot again.
    await waitFor(() => a.edge.gate.lists.received['access list'].changes === aGot.changes + 1, {
      what: 'gate-a received the change',
    });
    expect(a.edge.gate.lists.received['access list'].snapshots).toBe(aGot.snapshots);
    expect((await a.terminal.present(person('E3'))).verdict?.checkResult).toBe('success');
    expect((await a.terminal.present(person('E2'))).verdict?.checkResult).toBe('failed');
    b = await startGate(t, 'gate-b', 'T2', t.dir);
    await waitFor(() => gateVersion('gate-b') === 2, { what: 'gate-b holds version 2 after reconnecting' });
    // The hub kept gate-b's session: the change was queued for it; its copy was on disk.
    expect(b.edge.gate.lists.received['access list'], `fetched ${b.edge.link.fetched}`).toMatchObject({
      snapshots: 0,
      changes: 1,
    });
    expect(b.edge.link.fetched).toBe(0);
    expect((await b.terminal.present(person('E3'))).verdict?.checkResult).toBe('success');
    expect((await b.terminal.present(person('E2'))).verdict?.checkResult).toBe('failed');
  }, 20_000);

  it('an import by the CLI (another process writing the file) is published by the running hub', async () => {
    const store = new AccessListStore(join(t.dir, 'data', 'access-list.json'));
    const r = store.importCsv(Buffer.from(`${HEADER}\nE1,张伟,QA,employee,,\nE4,Liu,QA,employee,,\n`), {
      timeZone: 'Asia/Shanghai',
    });
    expect(r.version).toBe(3);
    await waitFor(() => gateVersion('gate-a') === 3 && gateVersion('gate-b') === 3, {
      what: 'both gates hold version 3',
    });
    expect((await b.terminal.present(person('E4'))).verdict?.checkResult).toBe('success');
  });

  it('a gate with a new data folder fetches the snapshot once; after that only changes reach it', async () => {
    // The hub still has gate-b's session, but the gate has no copy: it asks for the snapshot.
    await b.stop();
    b = await startGate(t, 'gate-b', 'T2', join(t.dir, 'fresh'));
    await waitFor(() => b.edge.gate.lists.received['access list'].snapshots === 1, {
      what: 'gate-b received the snapshot',
    });
    // This site has no holds yet: that fetch waits (subscribed) for the first holds list.
    expect(b.edge.link.fetched).toBe(1);
    expect(b.edge.link.isFetching('tg/site-1/holds')).toBe(true);
    expect(b.edge.link.isFetching('tg/site-1/access-list')).toBe(false);
    expect((await b.terminal.present(person('E4'))).verdict?.checkResult).toBe('success');
    const r = await t.hub.accessList.importCsv(`${HEADER}\nE1,张伟,QA,employee,,\nE5,Zhao,QA,employee,,\n`);
    expect(r.version).toBe(4);
    await waitFor(() => gateVersion('gate-b') === 4, { what: 'gate-b holds version 4' });
    expect(b.edge.gate.lists.received['access list']).toEqual({ snapshots: 1, changes: 1 });
    expect(b.edge.link.fetched).toBe(1);
    expect((await b.terminal.present(person('E5'))).verdict?.checkResult).toBe('success');
  }, 20_000);
});
