/**
 * The gate's copy of a list the hub keeps (HR's access list, the site's person holds): it decides
 * with the last version it holds, persisted in the data folder, while the hub is unreachable, and
 * takes a newer snapshot, or a change on top of exactly its version, whenever one arrives.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { z } from 'zod';
import { describeIssues } from '../../protocols/parse.ts';
import { applyChange, type Change, type Snapshot } from '../../protocols/site/versioned-list.ts';

export class VersionedCopy<E> {
  protected entries = new Map<string, E>();
  version: number | null = null;
  issuedAt = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly schema: z.ZodType<Snapshot<E>, unknown>,
    private readonly key: (e: E) => string,
    /** The error code a bad persisted or seed file is reported with. */
    private readonly invalidCode: string,
    private readonly persistPath?: string,
  ) {}

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
      const r = this.schema.safeParse(JSON.parse(text));
      if (!r.success) throw new Error(`${this.invalidCode}: ${f}: ${describeIssues(r.error.issues)}`);
      this.apply(r.data, f === seedFile);
    }
  }

  /** Returns true when the snapshot replaced the current list. */
  apply(snapshot: Snapshot<E>, persist = true): boolean {
    if (this.version !== null && snapshot.version <= this.version) return false;
    this.entries = new Map(snapshot.entries.map((e) => [this.key(e), e]));
    this.version = snapshot.version;
    this.issuedAt = snapshot.issuedAt;
    if (persist) this.persist();
    this.changed();
    this.notify();
    return true;
  }

  /** A change made on top of exactly the version held; anything else waits for the next snapshot. */
  applyChange(change: Change<E>): boolean {
    if (!applyChange(this.entries, this.version, change, this.key)) return false;
    this.version = change.toVersion;
    this.issuedAt = change.issuedAt;
    this.persist();
    this.changed();
    this.notify();
    return true;
  }

  lookup(key: string): E | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<E> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Called after every new version (a snapshot or a change): for what mirrors the list elsewhere
   * (an ISAPI terminal's person list). Returns the unsubscribe.
   */
  onNewVersion(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** Hook for subclasses that keep derived state. */
  protected changed(): void {}

  protected persist(): void {
    if (!this.persistPath) return;
    const snapshot: Snapshot<E> = {
      v: 1,
      version: this.version ?? 0,
      issuedAt: this.issuedAt,
      entries: [...this.entries.values()],
    };
    // Write-then-rename: a power cut leaves the old list or the new one, never half of one.
    const tmp = `${this.persistPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot));
    renameSync(tmp, this.persistPath);
  }
}
