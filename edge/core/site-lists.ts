/**
 * The site's lists as they reach the gate: HR's access list and the person holds (versioned
 * snapshot + changes, one shape), and the site policy (a whole snapshot per version). A bad
 * payload is counted and logged and changes nothing; the gate keeps deciding with what it holds.
 */
import { AccessListChange, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { HoldsChange, HoldsSnapshot } from '../../protocols/site/holds.ts';
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

export class SiteLists {
  constructor(
    private readonly d: {
      accessList: AccessList;
      holds: SiteHolds;
      policy: SitePolicyCopy;
      log: Logger;
      onChange: () => void;
      onBadPayload: () => void;
    },
  ) {}

  onAccessList = (p: Uint8Array | string) =>
    this.snapshot('access list', AccessListSnapshot, this.d.accessList, p);
  onAccessListChange = (p: Uint8Array | string) =>
    this.change('access list', AccessListChange, this.d.accessList, p);
  onHolds = (p: Uint8Array | string) => this.snapshot('holds', HoldsSnapshot, this.d.holds, p);
  onHoldsChange = (p: Uint8Array | string) => this.change('holds', HoldsChange, this.d.holds, p);

  onPolicy(payload: Uint8Array | string): void {
    const r = parsePayload(SitePolicy, payload);
    if (!r.ok) {
      this.bad('site policy', r.error);
      return;
    }
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
    what: string,
    schema: z.ZodType<Snapshot<E>, unknown>,
    copy: VersionedCopy<E>,
    payload: Uint8Array | string,
  ): void {
    const r = parsePayload(schema, payload, LIST_MAX_BYTES);
    if (!r.ok) {
      this.bad(what, r.error);
      return;
    }
    if (copy.apply(r.value)) {
      this.d.log.info({ version: r.value.version, entries: r.value.entries.length }, `${what} updated`);
      this.d.onChange();
    }
  }

  private change<E>(
    what: string,
    schema: z.ZodType<Change<E>, unknown>,
    copy: VersionedCopy<E>,
    payload: Uint8Array | string,
  ): void {
    const r = parsePayload(schema, payload, LIST_MAX_BYTES);
    if (!r.ok) {
      this.bad(`${what} change`, r.error);
      return;
    }
    const held = copy.version;
    if (copy.applyChange(r.value)) {
      this.d.log.info({ from: r.value.fromVersion, to: r.value.toVersion }, `${what} changed`);
      this.d.onChange();
    } else
      this.d.log.info(
        { held, from: r.value.fromVersion, to: r.value.toVersion },
        `${what} change skipped: waiting for a snapshot`,
      );
  }

  private bad(what: string, error: { code: string; message: string }): void {
    this.d.onBadPayload();
    this.d.log.warn({ code: error.code, reason: error.message }, `${what} rejected`);
  }
}
