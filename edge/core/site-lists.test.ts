/**
 * How the site's lists reach a gate (issue 22): changes travel alone; the full snapshot is
 * fetched only when the gate holds no copy, when a change does not follow its version (one was
 * missed), or after a connect on which the broker had lost the gate's session. A change is
 * decided with at once and acknowledged to the broker (the handler's promise settling: the
 * link's PUBACK, edge/mqtt/link.test.ts) only once the persisted copy holds it.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
import type { PersonHold } from '../../protocols/site/holds.ts';
import { createLogger } from '../log.ts';
import { AccessList } from './access-list.ts';
import { SiteHolds } from './holds.ts';
import { type ListName, SiteLists } from './site-lists.ts';
import { SitePolicyCopy } from './site-policy.ts';

const entry = (employeeNo: string): AccessEntry => ({
  employeeNo,
  name: employeeNo,
  department: '',
  kind: 'employee',
  validFrom: null,
  validUntil: null,
});
const snapshot = (version: number, people: string[]) =>
  JSON.stringify({ v: 1, version, issuedAt: version, entries: people.map(entry) });
const change = (from: number, to: number, upserts: string[], removals: string[] = []) =>
  JSON.stringify({
    v: 1,
    fromVersion: from,
    toVersion: to,
    issuedAt: to,
    upserts: upserts.map(entry),
    removals,
  });

function lists(holds = new SiteHolds(undefined, undefined, 3600_000), log = createLogger('test', 'silent')) {
  const accessList = new AccessList();
  const fetches: ListName[] = [];
  let bad = 0;
  const l = new SiteLists({
    accessList,
    holds,
    policy: new SitePolicyCopy({}),
    log,
    onChange: () => undefined,
    onBadPayload: () => bad++,
    fetchSnapshot: (w) => fetches.push(w),
  });
  return { l, accessList, holds, fetches, bad: () => bad };
}

describe('site lists at the gate', () => {
  it('a gate with no copy fetches both snapshots on connect, even when the broker kept its session', () => {
    const t = lists();
    t.l.onConnect(true);
    expect(t.fetches).toEqual(['access list', 'holds']);
  });

  it('a gate holding copies fetches nothing when the broker kept its session, both when it had not', () => {
    const t = lists();
    t.l.onAccessList(snapshot(3, ['E1']));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: 0, entries: [] }));
    t.l.onConnect(true);
    expect(t.fetches).toEqual([]);
    t.l.onConnect(false);
    expect(t.fetches).toEqual(['access list', 'holds']);
  });

  it('a change on top of the version held is applied with no snapshot', () => {
    const t = lists();
    t.l.onAccessList(snapshot(3, ['E1', 'E2']));
    t.l.onAccessListChange(change(3, 4, ['E3'], ['E1']));
    expect(t.accessList.version).toBe(4);
    expect(t.accessList.admitted('E3', 0)).toBe(true);
    expect(t.accessList.admitted('E1', 0)).toBe(false);
    expect(t.fetches).toEqual([]);
    expect(t.l.received['access list']).toEqual({ snapshots: 1, changes: 1 });
  });

  it('a change after a missed one fetches the snapshot and leaves the list as it was', () => {
    const t = lists();
    t.l.onAccessList(snapshot(3, ['E1']));
    t.l.onAccessListChange(change(4, 5, ['E9']));
    expect(t.accessList.version).toBe(3);
    expect(t.accessList.admitted('E9', 0)).toBe(false);
    expect(t.fetches).toEqual(['access list']);
    t.l.onAccessList(snapshot(5, ['E1', 'E9']));
    expect(t.accessList.admitted('E9', 0)).toBe(true);
  });

  it('a change the gate already holds (redelivered, or the snapshot came first) is ignored', () => {
    const t = lists();
    t.l.onAccessList(snapshot(5, ['E1']));
    t.l.onAccessListChange(change(4, 5, ['E2']));
    t.l.onAccessListChange(change(3, 4, ['E3']));
    expect(t.accessList.version).toBe(5);
    expect(t.fetches).toEqual([]);
    expect(t.bad()).toBe(0);
  });

  it('a holds change with no copy held fetches the holds snapshot', () => {
    const t = lists();
    t.l.onHoldsChange(
      JSON.stringify({ v: 1, fromVersion: 1, toVersion: 2, issuedAt: 0, upserts: [], removals: [] }),
    );
    expect(t.fetches).toEqual(['holds']);
    expect(t.holds.version).toBeNull();
  });
});

const T0 = Date.UTC(2026, 11, 6, 1, 0);
const hold = (employeeNo: string, readingId: string): PersonHold => ({
  employeeNo,
  name: '张伟',
  state: 'active',
  stage: 'fever',
  since: T0,
  updatedAt: T0,
  gateId: 'gate-2',
  temperatureTenths: 382,
  readingIds: [readingId],
  room: { id: 'room-a', name: '临时隔离室A' },
  by: 'hub',
  note: '',
  liftedAt: null,
  liftedBy: null,
  liftReason: null,
  returnDate: null,
});
const holdsChange = (from: number, to: number, upserts: PersonHold[]) =>
  JSON.stringify({ v: 1, fromVersion: from, toVersion: to, issuedAt: T0, upserts, removals: [] });

describe('a holds change on disk before it is acknowledged', () => {
  const persistedHolds = (dir: string) => {
    const h = new SiteHolds(join(dir, 'holds.json'), join(dir, 'holds-local.json'), 3600_000);
    h.load();
    return h;
  };

  it('refuses the held person at once; a gate that dies before the ack gets the change again, one that dies after finds it on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const t = lists(persistedHolds(dir));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    const acked = t.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]));
    // Decided with before anything is acknowledged.
    expect(t.holds.holdFor('E1', T0)?.stage).toBe('fever');
    expect(acked).toBeInstanceOf(Promise);

    // Died now (not acknowledged): whatever the restarted gate finds on disk, the broker, which
    // never had the ack, delivers the change again on the kept session.
    const crashed = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    cpSync(dir, crashed, { recursive: true }); // the disk as it is at this moment
    const early = lists(persistedHolds(crashed));
    expect(early.holds.version).not.toBeNull();
    await early.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]));
    expect(early.holds.holdFor('E1', T0)?.stage).toBe('fever');

    await acked;
    const late = lists(persistedHolds(dir));
    expect(late.holds.version).toBe(2);
    expect(late.holds.holdFor('E1', T0)?.stage).toBe('fever');
    expect(late.fetches).toEqual([]);
  });

  it('changes and a snapshot arriving while a write is under way all reach the disk, the newest last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const t = lists(persistedHolds(dir));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    const acks: (Promise<void> | undefined)[] = [];
    for (let v = 2; v <= 30; v++)
      acks.push(t.l.onHoldsChange(holdsChange(v - 1, v, [hold(`E${v}`, `site:gate-2:${v}`)])));
    // A snapshot (a gate that missed a change) while the changes are being written.
    acks.push(
      t.l.onHolds(
        JSON.stringify({ v: 1, version: 40, issuedAt: T0, entries: [hold('E40', 'site:gate-2:40')] }),
      ),
    );
    await Promise.all(acks);
    const again = lists(persistedHolds(dir));
    expect(again.holds.version).toBe(40);
    expect(again.holds.holdFor('E40', T0)?.stage).toBe('fever');
    expect(again.holds.holdFor('E30', T0)).toBeNull();
    expect(again.holds.lastLoad.copy).toBe('trusted');
  });

  it('a copy that cannot be written is logged and acknowledged; the gate goes on deciding with the change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const lines: { code?: string; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const t = lists(persistedHolds(dir), log);
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    rmSync(dir, { recursive: true }); // the data folder is gone: the write fails
    await t.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]));
    expect(lines.find((l) => l.code === 'TG_EDGE_LIST_PERSIST')?.msg).toMatch(
      /^holds: persisted copy not written/,
    );
    expect(t.holds.holdFor('E1', T0)?.stage).toBe('fever');
  });
});
