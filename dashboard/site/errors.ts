/**
 * Errors of the site policy and holds routes. Messages are Chinese first (what a site's admin or
 * HR reads), with the English after a slash; the web pages match on the code.
 */
import type { HubReply } from '../../protocols/site/holds.ts';
import { DashboardError } from '../server/errors.ts';

export const SiteErrorCode = {
  /** The hub did not answer in time: nothing is known to have changed; try again. */
  HUB_TIMEOUT: 'TG_DASH_HUB_TIMEOUT',
  /** The hub refused without a code of its own. */
  HUB_REFUSED: 'TG_DASH_HUB_REFUSED',
  /** No active hold on that person. */
  HOLD_NOT_FOUND: 'TG_DASH_HOLD_NOT_FOUND',
  /** The person is held already (a manual hold on top of it says nothing new). */
  HOLD_EXISTS: 'TG_DASH_HOLD_EXISTS',
} as const;

export function hubTimeout(ms: number): DashboardError {
  return new DashboardError(
    SiteErrorCode.HUB_TIMEOUT,
    504,
    `集控中心（hub）${Math.round(ms / 100) / 10} 秒内未应答，未确认生效，请稍后重试 / the hub did not answer within ${ms} ms: nothing is confirmed, try again`,
  );
}

/**
 * The hub said no: its own stable code (TG_HUB_*) is the answer's code, 400 for a request it found
 * invalid, 409 for one that conflicts with the hub's state (an outdated policy, a newer flag ...).
 */
export function hubRefused(r: HubReply): DashboardError {
  const code = r.code ?? SiteErrorCode.HUB_REFUSED;
  const status = /INVALID|BAD/.test(code) ? 400 : 409;
  return new DashboardError(
    code as `TG_HUB_${string}`,
    status,
    `集控中心拒绝了该请求 / the hub refused: ${r.error ?? code}`,
    {
      hubCode: r.code,
    },
  );
}
