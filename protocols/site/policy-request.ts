/**
 * An admin's new site policy, sent by the dashboard on `tg/{site}/dashboard/policy-request`. The
 * hub validates it, gives it the next version and publishes it; it answers with a HubReply.
 * `baseVersion` is the version the admin edited: an edit of an outdated policy is refused
 * (TG_HUB_POLICY_CONFLICT) rather than silently undoing somebody else's change.
 */
import { z } from 'zod';
import { SiteCalendar, SiteRules } from './policy.ts';

export const PolicyRequest = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  at: z.number().int().nonnegative(),
  by: z.string().min(1).max(64),
  baseVersion: z.number().int().nonnegative(),
  rules: SiteRules,
  calendar: SiteCalendar,
});
export type PolicyRequest = z.infer<typeof PolicyRequest>;
export type PolicyRequestInput = z.input<typeof PolicyRequest>;
