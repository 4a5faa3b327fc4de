/**
 * The gate's copy of HR's access list. It decides with the last snapshot it holds (persisted in
 * the data folder) while the hub is unreachable, and takes a newer one whenever it arrives.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  type AccessEntry,
  type AccessListChange,
  AccessListSnapshot,
  isAdmitted,
} from '../../protocols/gate/access-list.ts';
import { describeIssues } from '../../protocols/parse.ts';

export class AccessList {
  private entries = new Map<string, AccessEntry>();
  version: number | null = null;

  constructor(private readonly persistPath?: string) {}

  /** Loads the persisted copy, then an optional seed file; keeps whichever is newer. */
  load(seedFile?: string): void {
    for (const f of [this.persistPath, seedFile]) {
      if (!f) continue;
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      const r = AccessListSnapshot.safeParse(JSON.parse(text));
      if (!r.success) throw new Error(`TG_EDGE_ACCESS_LIST_INVALID: ${f}: ${describeIssues(r.error.issues)}`);
      this.apply(r.data, f === seedFile);
    }
  }

  /** Returns true when the snapshot replaced the current list. */
  apply(snapshot: AccessListSnapshot, persist = true): boolean {
    if (this.version !== null && snapshot.version <= this.version) return false;
    this.entries = new Map(snapshot.entries.map((e) => [e.employeeNo, e]));
    this.version = snapshot.version;
    if (persist) this.persist(snapshot.issuedAt);
    return true;
  }

  /**
   * Applies a change made on top of exactly the version held. Anything else (a gap, an old change)
   * is ignored: the hub's retained snapshot brings the gate up to date instead.
   */
  applyChange(change: AccessListChange): boolean {
    if (this.version === null || change.fromVersion !== this.version) return false;
    for (const no of change.removals) this.entries.delete(no);
    for (const e of change.upserts) this.entries.set(e.employeeNo, e);
    this.version = change.toVersion;
    this.persist(change.issuedAt);
    return true;
  }

  private persist(issuedAt: number): void {
    const snapshot: AccessListSnapshot = {
      v: 1,
      version: this.version ?? 0,
      issuedAt,
      entries: [...this.entries.values()],
    };
    if (this.persistPath) {
      // Write-then-rename: a power cut leaves the old list or the new one, never half of one.
      const tmp = `${this.persistPath}.tmp`;
      writeFileSync(tmp, JSON.stringify(snapshot));
      renameSync(tmp, this.persistPath);
    }
  }

  lookup(employeeNo: string): AccessEntry | undefined {
    return this.entries.get(employeeNo);
  }

  admitted(employeeNo: string, atMs: number): boolean {
    return isAdmitted(this.entries.get(employeeNo), atMs);
  }

  get size(): number {
    return this.entries.size;
  }
}
