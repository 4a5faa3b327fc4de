/**
 * The hub's access list file under changes from several hands: HR's CSV import and the gate
 * house admitting visitors (AccessListStore.putEntries). Each change is applied to the current
 * list by the store itself, so none undoes another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessListStore } from '../../hub/access-list/store.ts';
import { HubError } from '../../hub/errors.ts';
import type { AccessEntry } from '../../protocols/gate/access-list.ts';

const HEADER = 'employeeNo,name,department,kind,validFrom,validUntil';
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 2);
const visitor = (id: string, validUntil: number): AccessEntry => ({
  employeeNo: id,
  name: `访客${id}`,
  department: '',
  kind: 'visitor',
  validFrom: validUntil - 2 * 3_600_000,
  validUntil,
});

describe('AccessListStore.putEntries', () => {
  let dir: string;
  let store: AccessListStore;
  const ids = () => (store.read()?.entries ?? []).map((e) => e.employeeNo).sort();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-access-store-'));
    store = new AccessListStore(join(dir, 'access-list.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps HR's import and every visitor admitted after it, each a new version", () => {
    store.importCsv(Buffer.from(`${HEADER}\nE1,张伟,QA,employee,,\nE2,李娜,QA,employee,,\n`), {
      timeZone: 'Asia/Shanghai',
      now: NOW,
    });
    // Two guards admit a visitor each; neither holds a copy of the list.
    expect(store.putEntries([visitor('V1', NOW + DAY)], { now: NOW })).toMatchObject({
      version: 2,
      upserts: 1,
    });
    expect(store.putEntries([visitor('V2', NOW + DAY)], { now: NOW })).toMatchObject({
      version: 3,
      upserts: 1,
    });
    expect(ids()).toEqual(['E1', 'E2', 'V1', 'V2']);
    // HR's next import replaces the employees; the visitors admitted meanwhile are HR's to keep or
    // not (an import is the whole list), but a visitor after it never reverts it.
    store.importCsv(Buffer.from(`${HEADER}\nE1,张伟,QA,employee,,\nE3,王芳,QA,employee,,\n`), {
      timeZone: 'Asia/Shanghai',
      now: NOW,
    });
    store.putEntries([visitor('V3', NOW + DAY)], { now: NOW });
    expect(ids()).toEqual(['E1', 'E3', 'V3']);
  });

  it('an exit replaces the entry (ends it) and visitors ended long ago leave the list', () => {
    store.putEntries(
      [visitor('OLD', NOW - 40 * DAY), visitor('RECENT', NOW - 2 * DAY), visitor('V1', NOW + DAY)],
      {
        now: NOW,
      },
    );
    store.putEntries([{ ...visitor('V1', NOW + DAY), validUntil: NOW }], {
      now: NOW,
      dropVisitorsEndedBefore: NOW - 30 * DAY,
    });
    expect(ids()).toEqual(['RECENT', 'V1']);
    expect(store.read()?.entries.find((e) => e.employeeNo === 'V1')?.validUntil).toBe(NOW);
  });

  it('the same entry again is not a new version; a bad entry changes nothing and names itself', () => {
    const first = store.putEntries([visitor('V1', NOW + DAY)], { now: NOW });
    expect(store.putEntries([visitor('V1', NOW + DAY)], { now: NOW })).toMatchObject({
      version: first.version,
      unchanged: true,
    });
    const bad = (() => {
      try {
        store.putEntries([{ ...visitor('V9', NOW), employeeNo: '' }], { now: NOW });
      } catch (e) {
        return e as HubError;
      }
    })();
    expect(bad).toBeInstanceOf(HubError);
    expect(bad?.code).toBe('TG_HUB_ACCESS_LIST_INVALID');
    expect(store.read()?.version).toBe(first.version);
  });
});
