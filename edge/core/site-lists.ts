/**
 * The site's lists as they reach the gate: HR's access list and the person holds (versioned
 * snapshot + changes, one shape), and the site policy (a whole snapshot per version). A bad
 * payload is counted and logged and changes nothing; the gate keeps deciding with what it holds,
 * and says so: the `site-list-rejected` alert (a condition, `onRejected`) opens with the first
 * list refused and ends once every refused list is known current again (the status's
 * `listsRejected` carries the same). Before, a refused holds update only bumped a counter, and
 * the gate let through people held since without anyone being told. A refused change also
 * fetches the snapshot (the change may have held somebody); a refused snapshot does not (the
 * broker's retained one is the same bytes): the hub's next one is awaited.
 *
 * Known current again: after a refused change, a snapshot or an applied change beyond the
 * version held then (a redelivered older change, or a snapshot the hub had not updated yet,
 * proves nothing); after a refused snapshot, a good snapshot at least at the version held then
 * (the hub's current one: the refused one may have been newer, but then so is this).
 *
 * Only changes travel while the gate is up to date: the full snapshot (megabytes for 50,000
 * people) is fetched (`fetchSnapshot`, the link's on-demand subscription) when the gate holds no
 * copy, when a change does not follow its version (a change was missed), and after a connect on
 * which the broker no longer had the gate's session (changes were not queued for it).
 */
import { AccessListChange, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { HoldsChange, HoldsSnapshot } from '../../protocols/site/holds.ts';
import type { SiteListName } from '../../protocols/gate/messages.ts';
import { SitePolicy } from '../../protocols/site/policy.ts';
import type { Change, Snapshot } from '../../protocols/site/versioned-list.ts';
import type { z } from 'zod';
import type { Logger } from '../log.ts';
import type { AccessList } from './access-list.ts';
import type { SiteHolds } from './holds.ts';
import type { SitePolicyCopy } from './site-policy.ts';
import type { VersionedCopy } from './versioned-copy.ts';

/** Lists of 50,000 people are a few MB: far above the default payload limit. */
const LIST_MAX_BYTES = 32 * 1024 * 1024;

export type ListName = 'access list' | 'holds';

const WIRE_NAME = {
  'access list': 'access-list',
  holds: 'holds',
  'site policy': 'policy',
} as const satisfies Record<ListName | 'site policy', SiteListName>;

export class SiteLists {
  /** Snapshots and changes received per list (for the tests and the benchmarks). */
  readonly received: Record<ListName, { snapshots: number; changes: number }> = {
    'access list': { snapshots: 0, changes: 0 },
    holds: { snapshots: 0, changes: 0 },
  };

  /**
   * Lists whose last snapshot or change was refused, in refusal order, each with the version a
   * snapshot or change must reach for the list to be current again.
   */
  private readonly refused = new Map<SiteListName, number>();

  constructor(
    private readonly d: {
      accessList: AccessList;
      holds: SiteHolds;
      policy: SitePolicyCopy;
      log: Logger;
      onChange: () => void;
      onBadPayload: () => void;
      /** The `site-list-rejected` condition: opened (with a detail for the log) or ended. */
      onRejected?: (active: boolean, detail: string) => void;
      /** Asks for the list's retained snapshot (not given: the gate is subscribed to it for good). */
      fetchSnapshot?: (which: ListName) => void;
    },
  ) {
    // A change is journalled before its handler returns (the broker's ack follows); one that
    // cannot be written is logged and acknowledged all the same: the copy in memory is current.
    for (const [what, copy] of [
      ['access list', d.accessList],
      ['holds', d.holds],
    ] as const)
      copy.onPersistError = (err) =>
        d.log.error(
          { code: 'TG_EDGE_LIST_PERSIST', err: String(err) },
          `${what}: persisted copy not written; the copy in memory is current`,
        );
  }

  /**
   * After a (re)connect: fetch a list's snapshot unless the broker kept the session and the gate
   * holds a copy. The access list's changes made meanwhile were queued for the gate (QoS 1) and
   * arrive now; the holds' travel at QoS 0 with the last one retained, which the broker sends when
   * the link subscribes again: applied if it is the next one, else (`change` below) the snapshot.
   */
  onConnect(sessionPresent: boolean): void {
    for (const [which, copy] of [
      ['access list', this.d.accessList],
      ['holds', this.d.holds],
    ] as const)
      if (!sessionPresent || copy.version === null) this.d.fetchSnapshot?.(which);
  }

  onAccessList = (p: Uint8Array | string) =>
    this.snapshot('access list', AccessListSnapshot, this.d.accessList, p);
  onAccessListChange = (p: Uint8Array | string) =>
    this.change('access list', AccessListChange, this.d.accessList, p);
  onHolds = (p: Uint8Array | string) => this.snapshot('holds', HoldsSnapshot, this.d.holds, p);
  onHoldsChange = (p: Uint8Array | string) => this.change('holds', HoldsChange, this.d.holds, p);

  /** The lists whose last snapshot or change this gate refused (for the status). */
  rejected(): SiteListName[] {
    return [...this.refused.keys()];
  }

  onPolicy(payload: Uint8Array | string): void {
    const r = parsePayload(SitePolicy, payload);
    if (!r.ok) {
      this.bad('site policy', r.error);
      this.refuse('site policy', r.error.code, this.d.policy.version);
      return;
    }
    this.accept('site policy', r.value.version);
    if (!this.d.policy.apply(r.value)) return;
    const { conflict } = this.d.policy;
    this.d.log.info(
      {
        version: r.value.version,
        by: r.value.issuedBy,
        rules: this.d.policy.rules,
        overrides: this.d.policy.overriddenKeys,
      },
      'site policy updated',
    );
    if (conflict)
      this.d.log.error(
        { code: 'TG_EDGE_POLICY_OVERRIDE_CONFLICT', reason: conflict },
        "this gate's policy overrides do not fit the site policy: the site's rules apply",
      );
    this.d.onChange();
  }

  private snapshot<E>(
    what: ListName,
    schema: z.ZodType<Snapshot<E>, unknown>,
    copy: VersionedCopy<E>,
    payload: Uint8Array | string,
  ): void {
    const r = parsePayload(schema, payload, LIST_MAX_BYTES);
    this.received[what].snapshots++;
    if (!r.ok) {
      this.bad(what, r.error);
      this.refuse(what, r.error.code, copy.version ?? 0);
      return;
    }
    this.accept(what, r.value.version);
    if (copy.apply(r.value)) {
      this.d.log.info({ version: r.value.version, entries: r.value.entries.length }, `${what} updated`);
      this.d.onChange();
    }
  }

  private change<E>(
    what: ListName,
    schema: z.ZodType<Change<E>, unknown>,
    copy: VersionedCopy<E>,
    payload: Uint8Array | string,
  ): void {
    const r = parsePayload(schema, payload, LIST_MAX_BYTES);
    this.received[what].changes++;
    if (!r.ok) {
      this.bad(`${what} change`, r.error);
      this.refuse(what, r.error.code, (copy.version ?? -1) + 1);
      this.d.fetchSnapshot?.(what);
      return;
    }
    const held = copy.version;
    if (copy.applyChange(r.value)) {
      this.accept(what, r.value.toVersion);
      this.d.log.info({ from: r.value.fromVersion, to: r.value.toVersion }, `${what} changed`);
      this.d.onChange();
    } else if (held !== null && r.value.toVersion <= held) {
      // Already held (a redelivery, or the snapshot came first).
    } else {
      this.d.log.info(
        { held, from: r.value.fromVersion, to: r.value.toVersion },
        `${what} change skipped: a change was missed; fetching the snapshot`,
      );
      this.d.fetchSnapshot?.(what);
    }
  }

  /** `current`: the version a later snapshot or change must reach for the list to be current. */
  private refuse(what: ListName | 'site policy', code: string, current: number): void {
    const first = this.refused.size === 0;
    const name = WIRE_NAME[what];
    this.refused.set(name, Math.max(current, this.refused.get(name) ?? 0));
    if (first) this.d.onRejected?.(true, `${what} update refused (${code}): deciding with the copy held`);
  }

  /** A good snapshot (its version) or an applied change (the version it reached) came. */
  private accept(what: ListName | 'site policy', version: number): void {
    const name = WIRE_NAME[what];
    const current = this.refused.get(name);
    if (current === undefined || version < current) return;
    this.refused.delete(name);
    if (this.refused.size === 0) this.d.onRejected?.(false, `${what} up to date again`);
  }

  private bad(what: string, error: { code: string; message: string }): void {
    this.d.onBadPayload();
    this.d.log.warn({ code: error.code, reason: error.message }, `${what} rejected`);
  }
}
