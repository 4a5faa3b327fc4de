/**
 * The gate's view of the site's person holds: the hub's list (a VersionedCopy, persisted) plus the
 * fevers this gate flagged itself. A gate refuses a person it flagged at once, without waiting for
 * the hub (the hub may be away, or a second away); its own flag stands until the hub's list names
 * that reading (the hub has seen the fever and now speaks for the hold, lifted or not).
 *
 * A gate that has never heard of a hub (a site on plain Mosquitto) has nobody to lift its flags:
 * there they expire after `localExpiryMs`.
 *
 * Of a lifted hold the gate keeps only what it decides with: whose it is, that it is lifted, and
 * the readings it covers (the hub lists a lifted hold for 14 days only so that gates can drop
 * their own flags). The rest of it is the dashboard's; a site's list of 50,000 holds, nearly all
 * lifted, then fits in a few MB.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { HoldRoom, type HoldStage, HoldsSnapshot, holdKey, PersonHold } from '../../protocols/site/holds.ts';
import { versionedSnapshot } from '../../protocols/site/versioned-list.ts';
import { type LoadOutcome, VersionedCopy } from './versioned-copy.ts';

export const LocalFlag = z.object({
  employeeNo: z.string().min(1).max(64),
  readingId: z.string().min(1).max(160),
  at: z.number().int().nonnegative(),
  temperatureTenths: z.number().int().nullable(),
  room: HoldRoom.nullable(),
});
export type LocalFlag = z.infer<typeof LocalFlag>;
const LocalFlags = z.array(LocalFlag);

/** What the gate keeps of a lifted hold. */
export const LiftedHold = z.object({
  employeeNo: PersonHold.shape.employeeNo,
  state: z.literal('lifted'),
  readingIds: PersonHold.shape.readingIds,
});
export type LiftedHold = z.infer<typeof LiftedHold>;
export type StoredHold = PersonHold | LiftedHold;

/** The gate's persisted holds: active holds whole, lifted ones as kept (a full one is trimmed). */
export const StoredHoldsSnapshot = versionedSnapshot(
  z.discriminatedUnion('state', [PersonHold.extend({ state: z.literal('active') }), LiftedHold]),
);

const isActive = (h: StoredHold | undefined): h is PersonHold => h?.state === 'active';

/** What the gate needs to know of a hold to refuse the person and tell them where to go. */
export interface HoldView {
  stage: HoldStage;
  room: HoldRoom | null;
  since: number;
  /** `site`: the hub's list; `local`: this gate's own flag, not yet in the hub's list. */
  source: 'site' | 'local';
}

export class SiteHolds extends VersionedCopy<StoredHold, PersonHold> {
  /** One flag per person (the latest): the hub lists a hold's newest readings, so the latest is the one it names. */
  private local = new Map<string, LocalFlag>();

  constructor(
    persistPath: string | undefined,
    private readonly localPath: string | undefined,
    private readonly localExpiryMs: number,
  ) {
    super(HoldsSnapshot, holdKey, 'TG_EDGE_HOLDS_INVALID', persistPath, StoredHoldsSnapshot);
  }

  override load(seedFile?: string): LoadOutcome {
    const outcome = super.load(seedFile);
    if (!this.localPath) return outcome;
    let text: string;
    try {
      text = readFileSync(this.localPath, 'utf8');
    } catch {
      return outcome;
    }
    const r = LocalFlags.safeParse(JSON.parse(text));
    if (!r.success) throw new Error(`TG_EDGE_HOLDS_INVALID: ${this.localPath}: ${r.error.message}`);
    for (const f of r.data) this.local.set(f.employeeNo, f);
    this.prune();
    return outcome;
  }

  /** This gate flagged the person: they are held here from now on. */
  flag(f: LocalFlag): void {
    this.local.set(f.employeeNo, f);
    this.persistLocal();
  }

  /** The hold that refuses this person now, or null. */
  holdFor(employeeNo: string, now: number): HoldView | null {
    if (!employeeNo) return null;
    const h = this.entries.get(employeeNo);
    if (isActive(h)) return { stage: h.stage, room: h.room, since: h.since, source: 'site' };
    const f = this.local.get(employeeNo);
    if (!f) return null;
    if (this.version === null && now - f.at > this.localExpiryMs) return null;
    return { stage: 'fever', room: f.room, since: f.at, source: 'local' };
  }

  /** Active holds (the hub's and this gate's own), for the status and the tests. */
  activeCount(now: number): number {
    let n = 0;
    for (const h of this.entries.values()) if (h.state === 'active') n++;
    for (const f of this.local.values())
      if (!isActive(this.entries.get(f.employeeNo)) && this.holdFor(f.employeeNo, now)) n++;
    return n;
  }

  protected override keep(h: PersonHold): StoredHold {
    return h.state === 'active' ? h : { employeeNo: h.employeeNo, state: 'lifted', readingIds: h.readingIds };
  }

  get localFlags(): number {
    return this.local.size;
  }

  protected override changed(): void {
    if (this.prune()) this.persistLocal();
  }

  /** Drops the local flags the hub's list names. */
  private prune(): boolean {
    let dropped = false;
    for (const [who, f] of this.local) {
      const h = this.entries.get(who);
      if (h?.readingIds.includes(f.readingId)) {
        this.local.delete(who);
        dropped = true;
      }
    }
    return dropped;
  }

  private persistLocal(): void {
    if (!this.localPath) return;
    const tmp = `${this.localPath}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.local.values()]));
    renameSync(tmp, this.localPath);
  }
}
