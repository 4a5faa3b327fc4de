/**
 * The dashboard's side of the site policy and person holds: what it heard from the hub
 * (SiteState), and what it asks the hub (HubRequests). Routes call `updatePolicy`, `lift` and
 * `openHold`, which wait for the hub's reply; the alerts service calls `episodeHold` for what a
 * guard's episode action implies (queued, retried until the hub answers).
 */
import type { PersonHold, HoldRequest } from '../../protocols/site/holds.ts';
import { HoldRequest as HoldRequestSchema } from '../../protocols/site/holds.ts';
import { PolicyRequest, type PolicyRequestInput } from '../../protocols/site/policy-request.ts';
import type { SiteCalendar, SitePolicy, SiteRules } from '../../protocols/site/policy.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import type { Actor, EpisodeHoldAction } from '../alerts/types.ts';
import type { Db } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { HubRequests, newRequestId, type OutboxView, type Publish } from './hub-requests.ts';
import { type HoldFilter, SiteState } from './site-state.ts';
import type { Clock } from '../../kernel/clock.ts';

export interface SiteServiceDeps {
  db: Db;
  siteId: string;
  /** Time and the timers of waits for the hub. */
  clock: Clock;
  publish: Publish;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  audit: (by: Actor, action: string, target: string, detail?: object) => void;
  replyTimeoutMs?: number;
  retryEveryMs?: number;
}

export interface HoldsView {
  /** The holds version this dashboard holds (null: no snapshot from the hub yet). */
  version: number | null;
  holds: PersonHold[];
  /** Hold requests from episode actions the hub has not answered yet, or refused. */
  requests: OutboxView[];
}

const byOf = (a: Actor): string => `dashboard:${a.username}`.slice(0, 64);

export class SiteService {
  readonly state: SiteState;
  readonly requests: HubRequests;

  constructor(private readonly d: SiteServiceDeps) {
    this.state = new SiteState(d.db);
    this.requests = new HubRequests(d);
  }

  policy(): SitePolicy {
    return this.state.policy();
  }

  holds(filter: HoldFilter): HoldsView {
    return {
      version: this.state.holdsVersion,
      holds: this.state.listHolds(filter),
      requests: this.requests.unsettled(),
    };
  }

  /** An admin's new policy: the hub gives it the next version; answered with the policy as published. */
  async updatePolicy(
    by: Actor,
    body: { baseVersion: number; rules: SiteRules; calendar: SiteCalendar },
  ): Promise<SitePolicy> {
    const input: PolicyRequestInput = {
      v: 1,
      id: newRequestId('policy'),
      at: this.d.clock.now(),
      by: byOf(by),
      baseVersion: body.baseVersion,
      rules: body.rules,
      calendar: body.calendar,
    };
    const req = PolicyRequest.parse(input);
    const before = this.state.policy();
    const reply = await this.audited(
      by,
      'policy.update',
      'site-policy',
      {
        requestId: req.id,
        baseVersion: req.baseVersion,
        before: { version: before.version, rules: before.rules, calendar: before.calendar },
        rules: req.rules,
        calendar: req.calendar,
      },
      () => this.requests.ask(DashboardTopic.policyRequest(this.d.siteId), req),
    );
    const version = reply.version ?? before.version + 1;
    // The hub publishes the retained policy with its reply; wait a little for it, else say what it accepted.
    const heard = await this.until(() => this.state.policy().version >= version, 'policy');
    if (heard) return this.state.policy();
    return { v: 1, version, issuedAt: reply.at, issuedBy: req.by, rules: req.rules, calendar: req.calendar };
  }

  /** HR lifts a hold (hospital certificate seen, or another reason in the note). */
  async lift(
    by: Actor,
    employeeNo: string,
    body: { reason: 'certificate' | 'other'; note: string; returnDate?: string | null },
  ): Promise<PersonHold | null> {
    const req = HoldRequestSchema.parse({
      v: 1,
      id: newRequestId('lift'),
      at: this.d.clock.now(),
      by: byOf(by),
      employeeNo,
      action: 'lift',
      reason: body.reason,
      note: body.note,
      returnDate: body.returnDate ?? null,
    } satisfies Extract<HoldRequest, { action: 'lift' }>);
    return this.holdRequest(by, 'hold.lift', req);
  }

  /** A manual hold (HR, admin): a declared symptom, a person who must not enter. */
  async openHold(
    by: Actor,
    body: { employeeNo: string; name?: string; note: string },
  ): Promise<PersonHold | null> {
    const req = HoldRequestSchema.parse({
      v: 1,
      id: newRequestId('open'),
      at: this.d.clock.now(),
      by: byOf(by),
      employeeNo: body.employeeNo,
      action: 'open',
      name: body.name ?? '',
      note: body.note,
    });
    return this.holdRequest(by, 'hold.open', req);
  }

  /** What a guard's episode action means for the hold: queued and retried until the hub answers. */
  episodeHold(by: Actor, a: EpisodeHoldAction): string {
    const req = HoldRequestSchema.parse({
      v: 1,
      id: newRequestId(a.action),
      at: this.d.clock.now(),
      by: byOf(by),
      ...a,
    });
    this.requests.send(req);
    return req.id;
  }

  onReplyTick(): void {
    this.requests.tick();
  }

  close(): void {
    this.requests.close();
  }

  private async holdRequest(by: Actor, action: string, req: HoldRequest): Promise<PersonHold | null> {
    const { v: _v, id, at: _at, by: _by, ...what } = req;
    const reply = await this.audited(by, action, req.employeeNo, { requestId: id, ...what }, () =>
      this.requests.ask(DashboardTopic.holdRequest(this.d.siteId), req),
    );
    if (reply.version !== null) {
      const v = reply.version;
      await this.until(() => (this.state.holdsVersion ?? -1) >= v, 'holds');
    }
    return this.state.hold(req.employeeNo) ?? null;
  }

  /** Runs a request to the hub and audits it with its outcome (a timed-out one may still apply later). */
  private async audited<T extends { version: number | null }>(
    by: Actor,
    action: string,
    target: string,
    detail: object,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      const r = await fn();
      this.d.audit(by, action, target, { ...detail, outcome: 'ok', version: r.version });
      return r;
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      this.d.audit(by, action, target, {
        ...detail,
        outcome: code === 'TG_DASH_HUB_TIMEOUT' ? 'no-answer' : 'refused',
        code,
      });
      throw e;
    }
  }

  /** Resolves true once cond() holds (checked when the policy or holds change), false after 2 s. */
  private until(cond: () => boolean, what: 'policy' | 'holds'): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!cond()) return;
        done(true);
      };
      const off = what === 'policy' ? this.state.onPolicyChange(check) : this.state.onHoldsChanged(check);
      const timer = this.d.clock.setTimeout(() => done(false), 2000);
      const done = (v: boolean) => {
        timer.cancel();
        off();
        resolve(v);
      };
    });
  }
}
