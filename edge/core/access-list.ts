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

export class AccessList extends VersionedCopy<GateAccessEntry, AccessEntry> {
  constructor(persistPath?: string) {
    super(AccessListSnapshot, accessKey, 'TG_EDGE_ACCESS_LIST_INVALID', persistPath, StoredAccessList);
  }

  admitted(employeeNo: string, atMs: number): boolean {
    return isAdmitted(this.entries.get(employeeNo), atMs);
  }

  protected override keep(e: AccessEntry): GateAccessEntry {
    return { employeeNo: e.employeeNo, validFrom: e.validFrom, validUntil: e.validUntil };
  }
}
