/**
 * A gate's persisted lists at start (issue 22): its own copy, stamped when written, loads without
 * validating every entry again; anything whose stamp does not match (a torn or corrupted file, an
 * edited one, one written by an older version) is validated in full and, when invalid, not used:
 * the gate fetches the hub's snapshot on connect. The loaded lists decide exactly as the lists
 * they were written from.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessEntry, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import type { HoldsSnapshot, PersonHold } from '../../protocols/site/holds.ts';
import { createLogger } from '../log.ts';
import { AccessList, StoredAccessList } from './access-list.ts';
import { SiteHolds, StoredHoldsSnapshot } from './holds.ts';
import { type ListName, SiteLists } from './site-lists.ts';
import { SitePolicyCopy } from './site-policy.ts';
import { personHold } from '../../test/doubles/site/person-hold.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 5, 0, 0);
const entry = (employeeNo: string, o: Partial<AccessEntry> = {}): AccessEntry => ({
  employeeNo,
  name: `员工${employeeNo}`,
  department: 'SMT',
  kind: 'employee',
  validFrom: null,
  validUntil: null,
  ...o,
});
const accessSnapshot: AccessListSnapshot = {
  v: 1,
  version: 7,
  issuedAt: T0,
  entries: [entry('E1'), entry('E2'), entry('V1', { kind: 'visitor', validFrom: T0, validUntil: T0 + DAY })],
};
const hold = (o: Partial<PersonHold> & Pick<PersonHold, 'employeeNo'>): PersonHold =>
  personHold({
    name: '张伟',
    since: T0,
    updatedAt: T0,
    gateId: 'gate-1',
    room: { id: 'room-a', name: '临时隔离室A' },
    ...o,
  });
const holdsSnapshot: HoldsSnapshot = {
  v: 1,
  version: 9,
  issuedAt: T0,
  entries: [
    hold({ employeeNo: 'E1', readingIds: ['s:g:1'] }),
    hold({ employeeNo: 'E2', stage: 'sent-home', readingIds: ['s:g:2'] }),
    hold({
      employeeNo: 'E3',
      state: 'lifted',
      readingIds: ['s:g:3', 's:g:4'],
      liftedAt: T0 + 1,
      liftedBy: 'dashboard:hr',
      liftReason: 'recheck-normal',
      note: '复测正常',
    }),
  ],
};
const PEOPLE = ['E1', 'E2', 'E3', 'V1', 'X9'];
const TIMES = [T0 - 1, T0, T0 + DAY / 2, T0 + DAY];

/** Everything the gate decides with: admitted at each time, and the hold that refuses each person. */
function decisions(a: AccessList, h: SiteHolds) {
  return PEOPLE.flatMap((p) =>
    TIMES.map((t) => ({ p, t, admitted: a.admitted(p, t), hold: h.holdFor(p, t) })),
  );
}

function persisted() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-copy-'));
  const a = new AccessList(join(dir, 'access-list.json'));
  a.apply(accessSnapshot);
  const h = new SiteHolds(join(dir, 'holds.json'), join(dir, 'local.json'), DAY);
  h.flag({ employeeNo: 'E3', readingId: 's:g:4', at: T0, temperatureTenths: 381, room: null });
  h.flag({ employeeNo: 'E4', readingId: 's:g:5', at: T0, temperatureTenths: 384, room: null });
  h.apply(holdsSnapshot);
  return { dir, expected: decisions(a, h), localFlags: h.localFlags };
}
const reload = (dir: string) => {
  const a = new AccessList(join(dir, 'access-list.json'));
  const h = new SiteHolds(join(dir, 'holds.json'), join(dir, 'local.json'), DAY);
  return { a, h, access: a.load(), holds: h.load() };
};

afterEach(() => vi.restoreAllMocks());

describe("a gate's persisted lists", () => {
  it('its own copy loads without per-entry validation and decides exactly as before the restart', () => {
    const { dir, expected, localFlags } = persisted();
    const accessParse = vi.spyOn(StoredAccessList, 'safeParse');
    const holdsParse = vi.spyOn(StoredHoldsSnapshot, 'safeParse');
    const r = reload(dir);
    expect(r.access).toEqual({ copy: 'trusted', entries: 3 });
    expect(r.holds).toEqual({ copy: 'trusted', entries: 3 });
    expect(accessParse).not.toHaveBeenCalled();
    expect(holdsParse).not.toHaveBeenCalled();
    expect([r.a.version, r.h.version]).toEqual([7, 9]);
    expect(decisions(r.a, r.h)).toEqual(expected);
    // E3's flag is named by the hub's (lifted) hold and dropped; E4's is not named and stands.
    expect(localFlags).toBe(1);
    expect(r.h.localFlags).toBe(1);
    expect(r.h.holdFor('E4', T0)?.source).toBe('local');
  });

  it('keeps only what it decides with: who and when for access, readings for a lifted hold', () => {
    const { dir } = persisted();
    const r = reload(dir);
    expect(r.a.lookup('V1')).toEqual({ employeeNo: 'V1', validFrom: T0, validUntil: T0 + DAY });
    expect(r.h.lookup('E3')).toEqual({ employeeNo: 'E3', state: 'lifted', readingIds: ['s:g:3', 's:g:4'] });
    // An active hold is kept whole (its room and stage tell the person where to go).
    expect(r.h.lookup('E2')).toEqual(holdsSnapshot.entries[1]);
  });

  it('a file written by an older version (no stamp, whole entries) is validated in full, then trusted', () => {
    const { dir, expected } = persisted();
    writeFileSync(join(dir, 'access-list.json'), JSON.stringify(accessSnapshot));
    writeFileSync(join(dir, 'holds.json'), JSON.stringify(holdsSnapshot));
    const accessParse = vi.spyOn(StoredAccessList, 'safeParse');
    const first = reload(dir);
    expect(first.access).toMatchObject({ copy: 'validated', entries: 3, why: 'no integrity stamp' });
    expect(first.holds).toMatchObject({ copy: 'validated', entries: 3 });
    expect(accessParse).toHaveBeenCalledTimes(1);
    expect(decisions(first.a, first.h)).toEqual(expected);
    const second = reload(dir);
    expect([second.access.copy, second.holds.copy]).toEqual(['trusted', 'trusted']);
    expect(decisions(second.a, second.h)).toEqual(expected);
  });

  it('a stamp of another schema or form is validated in full', () => {
    const { dir } = persisted();
    const path = join(dir, 'access-list.json');
    const [stamp, body] = readFileSync(path, 'utf8').split('\n') as [string, string];
    const s = JSON.parse(stamp) as { form: string; schema: string; sha256: string };
    writeFileSync(path, `${JSON.stringify({ ...s, schema: '0000000000000000' })}\n${body}`);
    expect(reload(dir).access).toMatchObject({ copy: 'validated', why: 'written for another schema' });
    writeFileSync(path, `${JSON.stringify({ ...s, form: 'tg-versioned-copy/1' })}\n${body}`);
    expect(reload(dir).access).toMatchObject({ copy: 'validated', why: 'written as tg-versioned-copy/1' });
  });

  it('an edited file whose contents no longer match the stamp is validated in full: invalid entries reject it', () => {
    const { dir } = persisted();
    const path = join(dir, 'holds.json');
    const text = readFileSync(path, 'utf8');
    // Still a valid list, but E1's hold now reads “lifted”.
    const edited = text.replace('"state":"active","stage":"fever"', '"state":"lifted","stage":"fever"');
    expect(edited).not.toBe(text);
    writeFileSync(path, edited);
    let r = reload(dir);
    expect(r.holds).toMatchObject({ copy: 'validated', why: 'contents do not match the stamp' });
    // Valid, so used: the stamp stops what is torn or corrupted, not someone who can write the
    // data folder (they could as well rewrite the stamp).
    expect(r.h.holdFor('E1', T0)).toBeNull();
    writeFileSync(path, text.replace('"employeeNo":"E2"', '"employeeNo":""'));
    r = reload(dir);
    expect(r.holds).toMatchObject({ copy: 'rejected', code: 'TG_EDGE_HOLDS_INVALID' });
    expect(r.h.version).toBeNull();
    expect(r.h.size).toBe(0);
  });

  it('a torn or corrupted file is rejected, and the gate fetches the hub snapshot on connect', () => {
    const { dir } = persisted();
    const path = join(dir, 'access-list.json');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length - 20));
    writeFileSync(join(dir, 'holds.json'), Buffer.from([0x00, 0xff, 0x7b, 0x0a, 0x13]));
    const r = reload(dir);
    expect(r.access).toMatchObject({ copy: 'rejected', code: 'TG_EDGE_ACCESS_LIST_INVALID' });
    expect(r.holds).toMatchObject({ copy: 'rejected', code: 'TG_EDGE_HOLDS_INVALID' });
    // Nobody is admitted by a list the gate does not hold.
    expect(r.a.admitted('E1', T0)).toBe(false);
    const fetches: ListName[] = [];
    const lists = new SiteLists({
      accessList: r.a,
      holds: r.h,
      policy: new SitePolicyCopy({}),
      log: createLogger('test', 'silent'),
      onChange: () => undefined,
      onBadPayload: () => undefined,
      fetchSnapshot: (w) => fetches.push(w),
    });
    lists.onConnect(true);
    expect(fetches).toEqual(['access list', 'holds']);
    // The hub's snapshot replaces the rejected file, stamped: the next start trusts it.
    lists.onAccessList(JSON.stringify(accessSnapshot));
    lists.onHolds(JSON.stringify(holdsSnapshot));
    const again = reload(dir);
    expect([again.access.copy, again.holds.copy]).toEqual(['trusted', 'trusted']);
    expect(again.a.admitted('E1', T0)).toBe(true);
    expect(again.h.holdFor('E1', T0)?.stage).toBe('fever');
  });

  it("an operator's seed file is validated in full, and a bad one stops the gate with the list's code", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-copy-'));
    const seed = join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify(accessSnapshot));
    const parse = vi.spyOn(StoredAccessList, 'safeParse');
    const a = new AccessList(join(dir, 'access-list.json'));
    a.load(seed);
    expect(a.admitted('E2', T0)).toBe(true);
    expect(parse).not.toHaveBeenCalled(); // the hub's schema, not the stored one
    writeFileSync(seed, JSON.stringify({ ...accessSnapshot, version: 8, entries: [{ employeeNo: '' }] }));
    expect(() => new AccessList(join(dir, 'x.json')).load(seed)).toThrow(/^TG_EDGE_ACCESS_LIST_INVALID: /);
  });
});
