/**
 * `hold list|lift|open` and `policy show|set`: the site store (holds, policy) from the command
 * line, for a site that runs no dashboard. The running hub notices the change within its watch
 * interval and publishes it to the gates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import YAML from 'yaml';
import { describeIssues } from '../../protocols/parse.ts';
import { HoldRequest, LiftReason } from '../../protocols/site/holds.ts';
import { SiteCalendar, SiteRules } from '../../protocols/site/policy.ts';
import type { HubConfig } from '../config/schema.ts';
import { HubError, HubErrorCode } from '../errors.ts';
import { SiteStore } from '../site-store/store.ts';

export interface HoldArgs {
  employee?: string | undefined;
  reason?: string | undefined;
  note?: string | undefined;
  returnDate?: string | undefined;
  by?: string | undefined;
  file?: string | undefined;
  json?: boolean | undefined;
}

const open = (config: HubConfig) => new SiteStore(join(config.persistenceDir, 'site.sqlite'));

export function holdCommand(sub: string | undefined, config: HubConfig, a: HoldArgs, out: Writable): void {
  const store = open(config);
  try {
    if (sub === 'list') {
      const holds = store.holds();
      if (a.json) out.write(`${JSON.stringify(holds, null, 2)}\n`);
      else
        for (const h of holds)
          out.write(
            `${h.employeeNo}\t${h.name}\t${h.state}\t${h.stage}\t${new Date(h.since).toISOString()}\t${h.gateId ?? '-'}\t${h.room?.name ?? '-'}\t${h.note}\n`,
          );
      return;
    }
    if (sub !== 'lift' && sub !== 'open')
      throw new HubError(
        HubErrorCode.BAD_ARGS,
        `unknown hold command ${JSON.stringify(sub ?? '')}: list, lift or open`,
      );
    if (!a.employee) throw new HubError(HubErrorCode.BAD_ARGS, '--employee NO is required');
    if (!a.note)
      throw new HubError(HubErrorCode.BAD_ARGS, '--note TEXT is required (why: certificate seen, …)');
    const base = {
      v: 1,
      id: `cli-${Date.now()}`,
      at: Date.now(),
      by: `cli:${a.by ?? process.env.USER ?? 'admin'}`,
      employeeNo: a.employee,
      note: a.note,
    };
    const req =
      sub === 'lift'
        ? HoldRequest.safeParse({
            ...base,
            action: 'lift',
            reason: a.reason ?? 'certificate',
            returnDate: a.returnDate ?? null,
          })
        : HoldRequest.safeParse({ ...base, action: 'open' });
    if (!req.success)
      throw new HubError(
        HubErrorCode.BAD_ARGS,
        `${describeIssues(req.error.issues)} (reasons: ${LiftReason.options.join(', ')})`,
      );
    const o = store.request(req.data);
    if (!o.ok) throw new HubError(o.code, o.error);
    out.write(`holds version ${o.version}\n`);
  } finally {
    store.close();
  }
}

export function policyCommand(sub: string | undefined, config: HubConfig, a: HoldArgs, out: Writable): void {
  const store = open(config);
  try {
    if (sub === 'show') {
      out.write(`${JSON.stringify(store.policy(), null, 2)}\n`);
      return;
    }
    if (sub !== 'set')
      throw new HubError(
        HubErrorCode.BAD_ARGS,
        `unknown policy command ${JSON.stringify(sub ?? '')}: show or set`,
      );
    if (!a.file)
      throw new HubError(HubErrorCode.BAD_ARGS, '--file POLICY.yaml is required ({ rules: …, calendar: … })');
    const raw = YAML.parse(readFileSync(a.file, 'utf8')) as { rules?: unknown; calendar?: unknown } | null;
    const rules = SiteRules.safeParse(raw?.rules ?? {});
    const calendar = SiteCalendar.safeParse(raw?.calendar ?? {});
    const issues = [
      ...(rules.success ? [] : rules.error.issues.map((i) => ({ ...i, path: ['rules', ...i.path] }))),
      ...(calendar.success
        ? []
        : calendar.error.issues.map((i) => ({ ...i, path: ['calendar', ...i.path] }))),
    ];
    if (!rules.success || !calendar.success)
      throw new HubError(HubErrorCode.REQUEST_INVALID, `${a.file}: ${describeIssues(issues)}`);
    const o = store.setPolicy({
      baseVersion: store.policy().version,
      rules: rules.data,
      calendar: calendar.data,
      by: `cli:${a.by ?? process.env.USER ?? 'admin'}`,
    });
    if (!o.ok) throw new HubError(o.code, o.error);
    out.write(`policy version ${o.version}\n`);
  } finally {
    store.close();
  }
}
