/**
 * How the site's lists reach a gate (issue 22): changes travel alone; the full snapshot is
 * fetched only when the gate holds no copy, when a change does not follow its version (one was
 * missed), or after a connect on which the broker had lost the gate's session. A change is
 * decided with at once and is on disk (the copy's journal) when its handler returns, which is
 * when the link acknowledges it to the broker (edge/mqtt/link.test.ts).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { defaultSitePolicy } from '../../protocols/site/policy.ts';
import { personHold } from '../../test/doubles/site/person-hold.ts';

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
  /** The `site-list-rejected` condition as raised and ended, in order. */
  const alerts: boolean[] = [];
  let bad = 0;
  const l = new SiteLists({
    accessList,
    holds,
    policy: new SitePolicyCopy({}),
    log,
    onChange: () => undefined,
    onBadPayload: () => bad++,
    onRejected: (active) => alerts.push(active),
    fetchSnapshot: (w) => fetches.push(w),
  });
  return { l, accessList, holds, fetches, alerts, bad: () => bad };
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

describe('a refused update is told to the guard, never kept quiet', () => {
  const holdsSnapshot = (version: number) => JSON.stringify({ v: 1, version, issuedAt: 0, entries: [] });
  const holdsChangeOf = (from: number, to: number) =>
    JSON.stringify({ v: 1, fromVersion: from, toVersion: to, issuedAt: 0, upserts: [], removals: [] });
  /** Valid JSON, but not a list: what a hub of another version or a broken publisher may send. */
  const junk = JSON.stringify({ v: 1, version: 'seven' });
  const policy = (version: number) => JSON.stringify({ ...defaultSitePolicy(), version, issuedBy: 'admin' });

  it('a refused holds snapshot opens the alert and keeps the copy; the next good one ends it', () => {
    const t = lists();
    t.l.onHolds(holdsSnapshot(3));
    t.l.onHolds(junk);
    expect(t.holds.version).toBe(3);
    expect(t.alerts).toEqual([true]);
    expect(t.l.rejected()).toEqual(['holds']);
    // The retained snapshot is the same bytes: fetching it again would only refuse it again.
    expect(t.fetches).toEqual([]);
    // An older snapshot (a stale retained copy) does not say the gate is current.
    t.l.onHolds(holdsSnapshot(2));
    expect(t.alerts).toEqual([true]);
    t.l.onHolds(holdsSnapshot(4));
    expect(t.alerts).toEqual([true, false]);
    expect(t.l.rejected()).toEqual([]);
  });

  it('a refused holds change opens the alert and fetches the snapshot (the change may have held somebody)', () => {
    const t = lists();
    t.l.onHolds(holdsSnapshot(3));
    t.l.onHoldsChange('{"v":1,"fromVersion":3,');
    expect(t.alerts).toEqual([true]);
    expect(t.fetches).toEqual(['holds']);
    // A redelivered older change proves nothing about the refused one: still open.
    t.l.onHoldsChange(holdsChangeOf(2, 3));
    expect(t.alerts).toEqual([true]);
    // Nor does a snapshot at the version held (the hub's, before the refused change).
    t.l.onHolds(holdsSnapshot(3));
    expect(t.alerts).toEqual([true]);
    expect(t.l.rejected()).toEqual(['holds']);
    t.l.onHolds(holdsSnapshot(4));
    expect(t.alerts).toEqual([true, false]);
  });

  it('a change applied on top of the copy ends it too', () => {
    const t = lists();
    t.l.onHolds(holdsSnapshot(3));
    t.l.onHoldsChange(junk);
    t.l.onHoldsChange(holdsChangeOf(3, 4));
    expect(t.holds.version).toBe(4);
    expect(t.alerts).toEqual([true, false]);
  });

  it('one alert for the gate while any list is refused: it ends only when every refused list is good again', () => {
    const t = lists();
    t.l.onAccessList(snapshot(1, ['E1']));
    t.l.onHolds(holdsSnapshot(1));
    t.l.onAccessList(junk);
    t.l.onHolds(junk);
    t.l.onPolicy(junk);
    expect(t.alerts).toEqual([true]);
    expect(t.l.rejected()).toEqual(['access-list', 'holds', 'policy']);
    t.l.onHolds(holdsSnapshot(2));
    t.l.onAccessListChange(change(1, 2, ['E2']));
    expect(t.alerts).toEqual([true]);
    expect(t.l.rejected()).toEqual(['policy']);
    t.l.onPolicy(policy(1));
    expect(t.alerts).toEqual([true, false]);
    expect(t.l.rejected()).toEqual([]);
    expect(t.bad()).toBe(3);
  });

  it('good updates alone never raise it', () => {
    const t = lists();
    t.l.onAccessList(snapshot(1, ['E1']));
    t.l.onAccessListChange(change(1, 2, ['E2']));
    t.l.onAccessListChange(change(5, 6, ['E9'])); // a gap: fetched, not refused
    t.l.onHolds(holdsSnapshot(1));
    t.l.onPolicy(policy(1));
    expect(t.alerts).toEqual([]);
    expect(t.l.rejected()).toEqual([]);
  });
});

const T0 = Date.UTC(2026, 11, 6, 1, 0);
const hold = (employeeNo: string, readingId: string): PersonHold =>
  personHold({
    employeeNo,
    name: '张伟',
    since: T0,
    updatedAt: T0,
    gateId: 'gate-2',
    readingIds: [readingId],
    room: { id: 'room-a', name: '临时隔离室A' },
  });
const holdsChange = (from: number, to: number, upserts: PersonHold[]) =>
  JSON.stringify({ v: 1, fromVersion: from, toVersion: to, issuedAt: T0, upserts, removals: [] });

describe('a holds change on disk before it is acknowledged', () => {
  const persistedHolds = (dir: string, compactAfterBytes?: number) => {
    const h = new SiteHolds(join(dir, 'holds.json'), join(dir, 'holds-local.json'), 3600_000);
    if (compactAfterBytes !== undefined) h.compactAfterBytes = compactAfterBytes;
    h.load();
    return h;
  };
  /** The data folder as it is at this moment (a gate that dies now restarts on this). */
  const crashCopy = (dir: string) => {
    const to = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    cpSync(dir, to, { recursive: true });
    return to;
  };

  it('refuses the held person at once, and the change is on disk when the handler returns (before the ack)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const t = lists(persistedHolds(dir));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    // The link acknowledges when the handler returns: nothing is left for later.
    expect(t.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]))).toBeUndefined();
    expect(t.holds.holdFor('E1', T0)?.stage).toBe('fever');
    const restarted = lists(persistedHolds(crashCopy(dir)));
    expect(restarted.holds.version).toBe(2);
    expect(restarted.holds.holdFor('E1', T0)?.stage).toBe('fever');
    expect(restarted.fetches).toEqual([]);
  });

  it('many changes (the copy rewritten whole off the loop meanwhile) and a snapshot: a crash at any point restarts on the newest acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    // A small journal limit: whole-copy writes start while changes keep coming.
    const t = lists(persistedHolds(dir, 2_000));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    // The data folder as a crash leaves it: taken only while no file operation of the whole-copy
    // write is under way on the thread pool (before and after each one, and after each change
    // when none is), with the version the gate had acknowledged by then.
    const crashes: Array<{ dir: string; version: number; at: string }> = [];
    let running = 0;
    const crash = (at: string) =>
      crashes.push({ dir: crashCopy(dir), version: t.holds.version as number, at });
    const ops = t.holds.fsAsync;
    const step =
      <A extends unknown[]>(name: string, f: (...a: A) => Promise<unknown>) =>
      async (...a: A) => {
        crash(`before ${name}`);
        running++;
        try {
          await f(...a);
        } finally {
          running--;
        }
        crash(`after ${name}`);
      };
    t.holds.fsAsync = {
      writeFile: step('write', ops.writeFile) as typeof ops.writeFile,
      rename: step('rename', ops.rename) as typeof ops.rename,
      rm: step('remove', ops.rm) as typeof ops.rm,
    };
    for (let v = 2; v <= 60; v++) {
      t.l.onHoldsChange(holdsChange(v - 1, v, [hold(`E${v}`, `site:gate-2:${v}`)]));
      if (running === 0) crash(`change ${v}`);
      if (v % 7 === 0) await new Promise((r) => setImmediate(r)); // let a whole-copy write progress
    }
    await t.holds.persisted();
    // Every step of a whole-copy write was crashed at, with changes before, during and after.
    for (const at of [
      'before write',
      'after write',
      'before rename',
      'after rename',
      'before remove',
      'after remove',
    ])
      expect(
        crashes.some((c) => c.at === at),
        at,
      ).toBe(true);
    for (const c of crashes) {
      const again = lists(persistedHolds(c.dir));
      expect(again.holds.version, `crash at ${c.at}`).toBe(c.version);
      expect(again.holds.holdFor(`E${c.version}`, T0)?.stage, `crash at ${c.at}`).toBe('fever');
      expect(again.holds.holdFor('E2', T0)?.stage).toBe('fever');
    }
    // A snapshot (a gate that missed a change) while a whole-copy write may be under way.
    t.holds.fsAsync = ops;
    t.l.onHoldsChange(holdsChange(60, 61, [hold('E61', 'site:gate-2:61')]));
    t.l.onHolds(
      JSON.stringify({ v: 1, version: 80, issuedAt: T0, entries: [hold('E80', 'site:gate-2:80')] }),
    );
    t.l.onHoldsChange(holdsChange(80, 81, [hold('E81', 'site:gate-2:81')]));
    await t.holds.persisted();
    const last = lists(persistedHolds(dir));
    expect(last.holds.version).toBe(81);
    expect(last.holds.holdFor('E81', T0)?.stage).toBe('fever');
    expect(last.holds.holdFor('E30', T0)).toBeNull();
    // Loaded once, the journal was folded into a stamped copy: the next start trusts it whole.
    expect(lists(persistedHolds(dir)).holds.lastLoad.copy).toBe('trusted');
  });

  it('a journal line cut by a crash: the restart keeps the changes before it, and the next change fetches the snapshot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const t = lists(persistedHolds(dir));
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    t.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]));
    const journal = join(dir, 'holds.json.changes');
    const whole = readFileSync(journal, 'utf8');
    t.l.onHoldsChange(holdsChange(2, 3, [hold('E2', 'site:gate-2:8')]));
    const cut = readFileSync(journal, 'utf8');
    writeFileSync(journal, cut.slice(0, whole.length + Math.floor((cut.length - whole.length) / 2)));
    const again = lists(persistedHolds(dir));
    expect(again.holds.version).toBe(2);
    expect(again.holds.holdFor('E1', T0)?.stage).toBe('fever');
    again.l.onHoldsChange(holdsChange(3, 4, []));
    expect(again.fetches).toEqual(['holds']);
  });

  it('a change that cannot be written is logged and acknowledged; the gate goes on deciding with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lists-'));
    const lines: { code?: string; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const t = lists(persistedHolds(dir), log);
    t.l.onHolds(JSON.stringify({ v: 1, version: 1, issuedAt: T0, entries: [] }));
    rmSync(dir, { recursive: true }); // the data folder is gone: the append fails
    t.l.onHoldsChange(holdsChange(1, 2, [hold('E1', 'site:gate-2:7')]));
    expect(lines.find((l) => l.code === 'TG_EDGE_LIST_PERSIST')?.msg).toMatch(
      /^holds: persisted copy not written/,
    );
    expect(t.holds.holdFor('E1', T0)?.stage).toBe('fever');
  });
});
