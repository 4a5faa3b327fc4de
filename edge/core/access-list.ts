/**
 * The gate's copy of HR's access list (a VersionedCopy, persisted in the data folder): it decides
 * with the last snapshot it holds while the hub is unreachable. Of each entry it keeps only what it
 * decides with (who, and the validity window): names and departments are HR's, and 50,000 of them
 * would be most of the memory the list takes on a gate.
 */
import type { z } from 'zod';
import { AccessEntry, AccessListSnapshot, accessKey, isAdmitted } from '../../protocols/gate/access-list.ts';
import { versionedSnapshot } from '../../protocols/site/versioned-list.ts';
import { VersionedCopy } from './versioned-copy.ts';

/** What the gate keeps of an access entry. */
export const GateAccessEntry = AccessEntry.pick({ employeeNo: true, validFrom: true, validUntil: true });
export type GateAccessEntry = z.infer<typeof GateAccessEntry>;
/** The gate's persisted access list (an older, whole-entry file is trimmed when validated). */
export const StoredAccessList = versionedSnapshot(GateAccessEntry);

/**
 * What is kept per entry is the slim GateAccessEntry, unless something on the gate needs names and
 * kinds (`details`: an ISAPI terminal whose person list the gate keeps in line, which records
 * names and visitors; edge/terminal/hik-isapi/person-sync.ts): then whole entries, read through
 * `detailed()`. The persisted copy holds the same, so switching `details` makes its stamp not
 * match and it is validated in full (a slim file read as detailed has empty names until the next
 * snapshot).
 */
export class AccessList extends VersionedCopy<GateAccessEntry, AccessEntry> {
  private readonly details: boolean;

  constructor(persistPath?: string, opts: { details?: boolean } = {}) {
    super(
      AccessListSnapshot,
      accessKey,
      'TG_EDGE_ACCESS_LIST_INVALID',
      persistPath,
      opts.details ? AccessListSnapshot : StoredAccessList,
    );
    this.details = opts.details ?? false;
  }

  admitted(employeeNo: string, atMs: number): boolean {
    return isAdmitted(this.entries.get(employeeNo), atMs);
  }

  /** The list with whole entries, for what mirrors it elsewhere; only with `details`. */
  detailed(): DetailedAccessList {
    if (!this.details) throw new Error('TG_EDGE_ACCESS_LIST_SLIM: this copy keeps no names (details: false)');
    const self = this;
    return {
      get version() {
        return self.version;
      },
      // With `details` every kept entry is a whole AccessEntry (keep() below).
      values: () => this.entries.values() as IterableIterator<AccessEntry>,
      onNewVersion: (fn) => this.onNewVersion(fn),
    };
  }

  protected override keep(e: AccessEntry): GateAccessEntry {
    if (this.details) return e;
    return { employeeNo: e.employeeNo, validFrom: e.validFrom, validUntil: e.validUntil };
  }
}

/** The access list as a mirror of it reads it (the ISAPI person sync). */
export interface DetailedAccessList {
  readonly version: number | null;
  values(): IterableIterator<AccessEntry>;
  onNewVersion(fn: () => void): () => void;
}
