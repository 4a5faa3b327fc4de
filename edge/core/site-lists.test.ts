/**
 * How the site's lists reach a gate (issue 22): changes travel alone; the full snapshot is
 * fetched only when the gate holds no copy, when a change does not follow its version (one was
 * missed), or after a connect on which the broker had lost the gate's session.
 */
import { describe, expect, it } from 'vitest';
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
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

function lists() {
  const accessList = new AccessList();
  const holds = new SiteHolds(undefined, undefined, 3600_000);
  const fetches: ListName[] = [];
  let bad = 0;
  const l = new SiteLists({
    accessList,
    holds,
    policy: new SitePolicyCopy({}),
    log: createLogger('test', 'silent'),
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
