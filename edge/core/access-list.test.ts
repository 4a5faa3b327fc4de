/**
 * What the gate keeps of HR's list: who and when (slim, for deciding), or whole entries where the
 * terminal's person list is kept in line with it (names and visitors go to the terminal).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
import { AccessList } from './access-list.ts';

const ENTRIES: AccessEntry[] = [
  { employeeNo: 'E1', name: '张伟', department: '质检', kind: 'employee', validFrom: null, validUntil: null },
  { employeeNo: 'V1', name: '访客王', department: '', kind: 'visitor', validFrom: 1000, validUntil: 5000 },
];
const snapshot = { v: 1 as const, version: 3, issuedAt: 1, entries: ENTRIES };

describe('AccessList', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'tg-access-'));
    dirs.push(d);
    return join(d, 'access-list.json');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('slim: decides the same, keeps no names, and has no detailed view to hand out', () => {
    const l = new AccessList();
    l.apply(snapshot);
    expect(l.admitted('E1', 0)).toBe(true);
    expect([l.admitted('V1', 999), l.admitted('V1', 1000), l.admitted('V1', 5000)]).toEqual([
      false,
      true,
      false,
    ]);
    expect([...l.values()][0]).toEqual({ employeeNo: 'E1', validFrom: null, validUntil: null });
    expect(() => l.detailed()).toThrow(/TG_EDGE_ACCESS_LIST_SLIM/);
  });

  it('detailed: whole entries for the person sync, across a restart, with a version and changes', () => {
    const path = tmp();
    const l = new AccessList(path, { details: true });
    const seen: (number | null)[] = [];
    l.detailed().onNewVersion(() => seen.push(l.version));
    l.apply(snapshot);
    expect([...l.detailed().values()]).toEqual(ENTRIES);
    expect(seen).toEqual([3]);
    const again = new AccessList(path, { details: true });
    again.load();
    expect(again.lastLoad.copy).toBe('trusted');
    expect(again.detailed().version).toBe(3);
    expect([...again.detailed().values()]).toEqual(ENTRIES);
    // The slim gate's file read by a detailed gate (person sync turned on): validated in full, kept.
    const slimPath = tmp();
    new AccessList(slimPath).apply(snapshot);
    const upgraded = new AccessList(slimPath, { details: true });
    upgraded.load();
    expect(upgraded.lastLoad.copy).toBe('validated');
    expect(upgraded.admitted('E1', 0)).toBe(true);
  });
});
