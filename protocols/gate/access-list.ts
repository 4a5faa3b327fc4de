/**
 * HR's list of who may enter, as a versioned snapshot (retained on `tg/{site}/access-list`).
 * A gate decides with the last snapshot it holds while the hub is unreachable.
 */
import { z } from 'zod';
import { versionedChange, versionedSnapshot } from '../site/versioned-list.ts';

export const AccessEntry = z.object({
  employeeNo: z.string().min(1).max(64),
  name: z.string().max(128).default(''),
  department: z.string().max(128).default(''),
  kind: z.enum(['employee', 'visitor']).default('employee'),
  /** Epoch ms; a visitor is admitted only inside [validFrom, validUntil). */
  validFrom: z.number().int().nullable().default(null),
  validUntil: z.number().int().nullable().default(null),
});
export type AccessEntry = z.infer<typeof AccessEntry>;

export const AccessListSnapshot = versionedSnapshot(AccessEntry);
export type AccessListSnapshot = z.infer<typeof AccessListSnapshot>;

/** Pure check used by the gate: is this person admitted at this time? */
export function isAdmitted(
  entry: Pick<AccessEntry, 'validFrom' | 'validUntil'> | undefined,
  atMs: number,
): boolean {
  if (!entry) return false;
  if (entry.validFrom !== null && atMs < entry.validFrom) return false;
  if (entry.validUntil !== null && atMs >= entry.validUntil) return false;
  return true;
}

/**
 * A change to the access list, published on `tg/{site}/access-list/changes` (QoS 1, not retained).
 * A gate applies it only on top of exactly `fromVersion`; otherwise it keeps its list and takes the
 * next retained snapshot (which the hub republishes with every change).
 */
export const AccessListChange = versionedChange(AccessEntry);
export const accessKey = (e: Pick<AccessEntry, 'employeeNo'>): string => e.employeeNo;
export type AccessListChange = z.infer<typeof AccessListChange>;
