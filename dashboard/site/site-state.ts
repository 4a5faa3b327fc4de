/**
 * The hub's site policy and person holds as this dashboard last heard them. The hub owns both
 * (protocols/site/policy.ts, holds.ts): the policy arrives whole and retained on `tg/{site}/policy`,
 * the holds as a retained versioned snapshot on `tg/{site}/holds` plus changes on
 * `tg/{site}/holds/changes`, applied only on top of exactly the version held
 * (protocols/site/versioned-list.ts applyChange); anything else waits for the next snapshot.
 * Both are kept in the dashboard's database, so a dashboard started while the broker is away
 * still shows them (and HR's statuses still follow the last policy).
 */
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import {
  type HoldsChange,
  type HoldsSnapshot,
  holdKey,
  isActiveHold,
  type PersonHold,
} from '../../protocols/site/holds.ts';
import { defaultSitePolicy, type SitePolicy } from '../../protocols/site/policy.ts';
import { applyChange } from '../../protocols/site/versioned-list.ts';

const STEPS = [
  `CREATE TABLE IF NOT EXISTS site_latest (
     name TEXT PRIMARY KEY,
     data TEXT NOT NULL
   )`,
];

/** A listener that throws must not stop the others, nor the MQTT handler that called. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // the listener logs its own failures
  }
}

export type HoldFilter = 'active' | 'all';

export class SiteState {
  private policyNow: SitePolicy;
  private holds = new Map<string, PersonHold>();
  private holdsVersionNow: number | null = null;
  private holdsIssuedAt = 0;
  private readonly policyListeners = new Set<(p: SitePolicy) => void>();
  private readonly holdsListeners = new Set<(h: PersonHold[]) => void>();

  constructor(private readonly db: Db) {
    migrate(db, 'site', STEPS);
    const latest = (name: string) =>
      (db.prepare('SELECT data FROM site_latest WHERE name = ?').get(name) as { data: string } | undefined)
        ?.data;
    const p = latest('policy');
    this.policyNow = p ? (JSON.parse(p) as SitePolicy) : defaultSitePolicy();
    const h = latest('holds');
    if (h) this.setSnapshot(JSON.parse(h) as HoldsSnapshot);
  }

  // ---- policy ----------------------------------------------------------------------------

  policy(): SitePolicy {
    return this.policyNow;
  }

  /** A policy from the hub; an older version than the one held (a late redelivery) is ignored. */
  onPolicy(p: SitePolicy): boolean {
    if (p.version < this.policyNow.version) return false;
    const same = JSON.stringify(p) === JSON.stringify(this.policyNow);
    this.policyNow = p;
    if (same) return false;
    this.keep('policy', p);
    for (const fn of this.policyListeners) safely(() => fn(p));
    return true;
  }

  onPolicyChange(fn: (p: SitePolicy) => void): () => void {
    this.policyListeners.add(fn);
    return () => this.policyListeners.delete(fn);
  }

  // ---- holds -----------------------------------------------------------------------------

  get holdsVersion(): number | null {
    return this.holdsVersionNow;
  }

  /** The retained snapshot: replaces the list unless it is older than the version held. */
  onHoldsSnapshot(s: HoldsSnapshot): boolean {
    if (this.holdsVersionNow !== null && s.version < this.holdsVersionNow) return false;
    this.setSnapshot(s);
    this.persistHolds();
    this.announceHolds();
    return true;
  }

  /** A change: applied only on top of exactly the version held (else the next snapshot catches up). */
  onHoldsChange(c: HoldsChange): boolean {
    if (!applyChange(this.holds, this.holdsVersionNow, c, holdKey)) return false;
    this.holdsVersionNow = c.toVersion;
    this.holdsIssuedAt = c.issuedAt;
    this.persistHolds();
    this.announceHolds();
    return true;
  }

  /** Active holds first (newest first), then lifted ones (most recently lifted first). */
  listHolds(filter: HoldFilter = 'active'): PersonHold[] {
    const all = [...this.holds.values()].filter((h) => filter === 'all' || isActiveHold(h));
    return all.sort(
      (a, b) =>
        Number(isActiveHold(b)) - Number(isActiveHold(a)) ||
        (b.liftedAt ?? b.since) - (a.liftedAt ?? a.since) ||
        (a.employeeNo < b.employeeNo ? -1 : 1),
    );
  }

  hold(employeeNo: string): PersonHold | undefined {
    return this.holds.get(employeeNo);
  }

  activeHold(employeeNo: string): PersonHold | undefined {
    const h = this.holds.get(employeeNo);
    return isActiveHold(h) ? h : undefined;
  }

  onHoldsChanged(fn: (h: PersonHold[]) => void): () => void {
    this.holdsListeners.add(fn);
    return () => this.holdsListeners.delete(fn);
  }

  private setSnapshot(s: HoldsSnapshot): void {
    this.holds = new Map(s.entries.map((e) => [holdKey(e), e]));
    this.holdsVersionNow = s.version;
    this.holdsIssuedAt = s.issuedAt;
  }

  private persistHolds(): void {
    const snap: HoldsSnapshot = {
      v: 1,
      version: this.holdsVersionNow ?? 0,
      issuedAt: this.holdsIssuedAt,
      entries: [...this.holds.values()],
    };
    this.keep('holds', snap);
  }

  private announceHolds(): void {
    if (this.holdsListeners.size === 0) return;
    const list = this.listHolds('active');
    for (const fn of this.holdsListeners) safely(() => fn(list));
  }

  private keep(name: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO site_latest (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data',
      )
      .run(name, JSON.stringify(value));
  }
}
