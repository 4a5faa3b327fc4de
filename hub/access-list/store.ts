/**
 * The hub's current access list on disk: one AccessListSnapshot JSON file (the same format an
 * edge accepts as its seed file). An import replaces it as a whole under a lock file, by write,
 * fsync and rename: readers see the old version or the new one, never half of one, and two
 * imports at once cannot both take the same version number.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  AccessEntry,
  type AccessListChange,
  AccessListSnapshot,
  accessKey,
} from '../../protocols/gate/access-list.ts';
import { diffEntries } from '../../protocols/site/versioned-list.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { describeIssues } from '../../protocols/parse.ts';
import { HubError, HubErrorCode } from '../errors.ts';
import { entriesFromCsv } from './rows.ts';

export interface ImportResult {
  /** The version now current (unchanged when the file matched the current list). */
  version: number;
  previousVersion: number | null;
  entries: number;
  upserts: number;
  removals: number;
  unchanged: boolean;
  snapshot: AccessListSnapshot;
}

const STALE_LOCK_MS = 60_000;

export class AccessListStore {
  constructor(readonly path: string) {}

  read(): AccessListSnapshot | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new HubError(HubErrorCode.ACCESS_LIST_STORE, `${this.path}: ${(e as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new HubError(HubErrorCode.ACCESS_LIST_STORE, `${this.path}: ${(e as Error).message}`);
    }
    const r = AccessListSnapshot.safeParse(raw);
    if (!r.success)
      throw new HubError(HubErrorCode.ACCESS_LIST_STORE, `${this.path}: ${describeIssues(r.error.issues)}`);
    return r.data;
  }

  /** Validates HR's CSV and, only when every line is good, makes it the next version. */
  importCsv(bytes: Uint8Array, o: { timeZone: string; now?: number; maxEntries?: number }): ImportResult {
    const parsed = entriesFromCsv(bytes, {
      timeZone: o.timeZone,
      ...(o.maxEntries !== undefined ? { maxEntries: o.maxEntries } : {}),
    });
    if ('issues' in parsed) {
      const lines = parsed.issues.map((i) => (i.where ? `line ${i.where}: ${i.reason}` : i.reason));
      throw new HubError(
        HubErrorCode.ACCESS_LIST_INVALID,
        `nothing imported, ${parsed.issues.length} problem(s): ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? '; ...' : ''}`,
        parsed.issues,
      );
    }
    return this.withLock(() => this.commit(this.read(), parsed.entries, o.now ?? Date.now()));
  }

  /**
   * Puts `entries` in on top of the current list (replacing those with the same employee number)
   * and drops visitors whose visit ended before `dropVisitorsEndedBefore`. Read, change and write
   * happen here under the lock, never from a copy the caller holds: a dashboard admitting a visitor
   * from its view of the retained list would undo an HR import or another visitor admitted a
   * moment before (issue #18 note: concurrent visitor admissions, last write won).
   */
  putEntries(
    entries: readonly AccessEntry[],
    o: { now?: number; dropVisitorsEndedBefore?: number } = {},
  ): ImportResult {
    const put = entries.map((e) => {
      const r = AccessEntry.safeParse(e);
      if (!r.success)
        throw new HubError(
          HubErrorCode.ACCESS_LIST_INVALID,
          `entry ${e.employeeNo}: ${describeIssues(r.error.issues)}`,
          [{ where: e.employeeNo, reason: describeIssues(r.error.issues) }],
        );
      return r.data;
    });
    const replaced = new Set(put.map(accessKey));
    const cutoff = o.dropVisitorsEndedBefore;
    return this.withLock(() => {
      const current = this.read();
      const kept = (current?.entries ?? []).filter(
        (e) =>
          !replaced.has(accessKey(e)) &&
          !(cutoff !== undefined && e.kind === 'visitor' && e.validUntil !== null && e.validUntil < cutoff),
      );
      return this.commit(current, [...kept, ...put], o.now ?? Date.now());
    });
  }

  /** Makes `entries` the next version, unless they are what the current one already holds. */
  private commit(current: AccessListSnapshot | null, entries: AccessEntry[], now: number): ImportResult {
    const change = diff(current?.entries ?? [], entries);
    if (current && change.upserts.length === 0 && change.removals.length === 0)
      return {
        version: current.version,
        previousVersion: current.version,
        entries: current.entries.length,
        upserts: 0,
        removals: 0,
        unchanged: true,
        snapshot: current,
      };
    const snapshot: AccessListSnapshot = {
      v: SCHEMA_VERSION,
      version: (current?.version ?? 0) + 1,
      issuedAt: now,
      entries,
    };
    this.write(snapshot);
    return {
      version: snapshot.version,
      previousVersion: current?.version ?? null,
      entries: snapshot.entries.length,
      upserts: change.upserts.length,
      removals: change.removals.length,
      unchanged: false,
      snapshot,
    };
  }

  private write(snapshot: AccessListSnapshot): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o640);
    try {
      writeSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  private withLock<T>(fn: () => T): T {
    mkdirSync(dirname(this.path), { recursive: true });
    const lock = `${this.path}.lock`;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a crashed import would otherwise block every later one.
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        /* gone meanwhile */
      }
      if (age < STALE_LOCK_MS)
        throw new HubError(HubErrorCode.ACCESS_LIST_LOCKED, `${lock} exists: another import is running`);
      rmSync(lock, { force: true });
      fd = openSync(lock, 'wx');
    }
    try {
      writeSync(fd, String(process.pid));
      return fn();
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
}

/** What changed between two lists: entries added or modified, employee numbers removed. */
export function diff(
  before: AccessEntry[],
  after: AccessEntry[],
): Pick<AccessListChange, 'upserts' | 'removals'> {
  return diffEntries(before, after, accessKey, isDeepStrictEqual);
}
