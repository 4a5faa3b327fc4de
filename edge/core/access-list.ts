/**
 * The gate's copy of HR's access list (a VersionedCopy, persisted in the data folder): it decides
 * with the last snapshot it holds while the hub is unreachable.
 */
import {
  type AccessEntry,
  AccessListSnapshot,
  accessKey,
  isAdmitted,
} from '../../protocols/gate/access-list.ts';
import { VersionedCopy } from './versioned-copy.ts';

export class AccessList extends VersionedCopy<AccessEntry> {
  constructor(persistPath?: string) {
    super(AccessListSnapshot, accessKey, 'TG_EDGE_ACCESS_LIST_INVALID', persistPath);
  }

  admitted(employeeNo: string, atMs: number): boolean {
    return isAdmitted(this.entries.get(employeeNo), atMs);
  }
}
