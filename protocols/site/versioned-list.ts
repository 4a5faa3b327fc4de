/**
 * A keyed list the hub keeps and every gate holds a copy of: a versioned snapshot (retained) plus
 * changes that apply on top of exactly one version. HR's access list and the site's person holds
 * travel this way, so a gate that was away catches up from the snapshot and a change is only the
 * difference. Pure: schema builders, the diff and the apply rule; no I/O.
 */
import { z } from 'zod';

const SCHEMA_VERSION = 1;

export function versionedSnapshot<E extends z.ZodType>(entry: E) {
  return z.object({
    v: z.literal(SCHEMA_VERSION),
    version: z.number().int().nonnegative(),
    issuedAt: z.number().int().nonnegative(),
    entries: z.array(entry),
  });
}

export function versionedChange<E extends z.ZodType>(entry: E) {
  return z.object({
    v: z.literal(SCHEMA_VERSION),
    fromVersion: z.number().int().nonnegative(),
    toVersion: z.number().int().positive(),
    issuedAt: z.number().int().nonnegative(),
    upserts: z.array(entry),
    removals: z.array(z.string().min(1).max(64)),
  });
}

export interface Snapshot<E> {
  v: 1;
  version: number;
  issuedAt: number;
  entries: E[];
}

export interface Change<E> {
  v: 1;
  fromVersion: number;
  toVersion: number;
  issuedAt: number;
  upserts: E[];
  removals: string[];
}

/** The change that turns `prev` into `next`; `equal` compares two entries of the same key. */
export function diffEntries<E>(
  prev: readonly E[],
  next: readonly E[],
  key: (e: E) => string,
  equal: (a: E, b: E) => boolean,
): { upserts: E[]; removals: string[] } {
  const before = new Map(prev.map((e) => [key(e), e]));
  const after = new Set<string>();
  const upserts: E[] = [];
  for (const e of next) {
    const k = key(e);
    after.add(k);
    const old = before.get(k);
    if (old === undefined || !equal(old, e)) upserts.push(e);
  }
  const removals = [...before.keys()].filter((k) => !after.has(k));
  return { upserts, removals };
}

/**
 * Applies a change to a map keyed like the list. Only on top of exactly `fromVersion`: anything
 * else (a gap, an old change) returns false and leaves the map alone; the retained snapshot, which
 * the hub republishes with every change, brings the holder up to date instead.
 */
export function applyChange<E>(
  entries: Map<string, E>,
  held: number | null,
  change: Change<E>,
  key: (e: E) => string,
): boolean {
  if (held === null || change.fromVersion !== held) return false;
  for (const k of change.removals) entries.delete(k);
  for (const e of change.upserts) entries.set(key(e), e);
  return true;
}
