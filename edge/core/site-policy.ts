/**
 * The site policy as this gate holds it: the last version the hub published (persisted in the data
 * folder, so a restarted gate decides with it before the hub answers), the built-in default
 * (version 0) before any reached it, and whatever site rules the gate's own YAML overrides. The
 * overrides are reported in the gate's status so the fleet view shows which gate differs; a set of
 * overrides that does not fit the site's rules (e.g. a plausible maximum below the site's new
 * threshold) is dropped as a whole, logged, and the site's rules apply.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  defaultSitePolicy,
  type SiteRules,
  SiteRules as SiteRulesSchema,
  SitePolicy,
} from '../../protocols/site/policy.ts';
import { describeIssues } from '../../protocols/parse.ts';
import { SITE_RULE_KEYS } from '../../protocols/site/policy.ts';
import type { EdgeConfig } from '../config/schema.ts';

/** The site rules this gate's YAML sets (each one an override of the hub's policy). */
export function siteRuleOverrides(cfg: Pick<EdgeConfig, 'policy'>): Partial<SiteRules> {
  const o: Record<string, unknown> = {};
  for (const k of SITE_RULE_KEYS) if (cfg.policy[k] !== undefined) o[k] = cfg.policy[k];
  return o as Partial<SiteRules>;
}

export class SitePolicyCopy {
  private policy: SitePolicy = defaultSitePolicy();
  private effective: SiteRules;
  /** Set when the overrides did not fit the site's rules (and were dropped). */
  conflict: string | null = null;

  constructor(
    private readonly overrides: Partial<SiteRules>,
    private readonly persistPath?: string,
  ) {
    this.effective = this.merge();
  }

  load(): void {
    if (!this.persistPath) return;
    let text: string;
    try {
      text = readFileSync(this.persistPath, 'utf8');
    } catch {
      return;
    }
    const r = SitePolicy.safeParse(JSON.parse(text));
    if (!r.success)
      throw new Error(`TG_EDGE_POLICY_INVALID: ${this.persistPath}: ${describeIssues(r.error.issues)}`);
    this.apply(r.data, false);
  }

  /** Takes a newer version; returns true when it replaced the one held. */
  apply(p: SitePolicy, persist = true): boolean {
    if (p.version <= this.policy.version && this.policy.version !== 0) return false;
    if (p.version === 0 && this.policy.version === 0 && p.issuedAt <= this.policy.issuedAt) return false;
    this.policy = p;
    this.effective = this.merge();
    if (persist && this.persistPath) {
      const tmp = `${this.persistPath}.tmp`;
      writeFileSync(tmp, JSON.stringify(p));
      renameSync(tmp, this.persistPath);
    }
    return true;
  }

  get rules(): SiteRules {
    return this.effective;
  }

  get version(): number {
    return this.policy.version;
  }

  get current(): SitePolicy {
    return this.policy;
  }

  /** The site rules this gate's YAML overrides (empty when they were dropped for a conflict). */
  get overriddenKeys(): string[] {
    return this.conflict ? [] : Object.keys(this.overrides).sort();
  }

  private merge(): SiteRules {
    const r = SiteRulesSchema.safeParse({ ...this.policy.rules, ...this.overrides });
    if (r.success) {
      this.conflict = null;
      return Object.freeze(r.data);
    }
    this.conflict = describeIssues(r.error.issues);
    return Object.freeze({ ...this.policy.rules });
  }
}
