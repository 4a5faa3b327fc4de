/**
 * The site policy and person holds, both owned by the hub (protocols/site/). Reads answer what the
 * dashboard last heard; changes are requests to the hub that wait for its HubReply
 * (dashboard/site/service.ts): 504 TG_DASH_HUB_TIMEOUT when it does not answer in time, the hub's
 * own code (409/400) when it refuses. Every request is audited with its outcome.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SiteCalendar, SitePolicy, SiteRules } from '../../../protocols/site/policy.ts';
import type { RouteContext } from '../context.ts';
import { HoldAnswer, HoldsAnswer } from '../responses.ts';
import { ADMIN, ANY, actorOf, HR } from './common.ts';

const EmployeeNo = z.string().min(1).max(64);
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export function siteRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/api/policy',
      {
        config: { roles: ANY },
        schema: {
          summary: 'The site policy as the hub last published it (the built-in version 0 until then)',
          response: { 200: SitePolicy },
        },
      },
      async () => ctx.site.policy(),
    );

    app.put(
      '/api/policy',
      {
        config: { roles: ADMIN },
        schema: {
          summary: "An admin's new site policy: asks the hub, answers the policy it published",
          body: z.object({
            baseVersion: z.number().int().nonnegative(),
            rules: SiteRules,
            calendar: SiteCalendar,
          }),
          response: { 200: SitePolicy },
        },
      },
      async (req) => ctx.site.updatePolicy(actorOf(req), req.body),
    );

    app.get(
      '/api/holds',
      {
        config: { roles: ANY },
        schema: {
          summary:
            'Person holds (active, or all with the lifted ones) and hold requests the hub has not settled',
          querystring: z.object({ state: z.enum(['active', 'all']).default('active') }),
          response: { 200: HoldsAnswer },
        },
      },
      async (req) => ctx.site.holds(req.query.state),
    );

    app.post(
      '/api/holds',
      {
        config: { roles: HR },
        schema: {
          summary: 'Open a manual hold on a person (asks the hub)',
          body: z.object({
            employeeNo: EmployeeNo,
            name: z.string().max(128).optional(),
            note: z.string().trim().min(1, 'a note is required').max(200),
          }),
          response: { 200: HoldAnswer },
        },
      },
      async (req) => ({ hold: await ctx.site.openHold(actorOf(req), req.body) }),
    );

    app.post(
      '/api/holds/:employeeNo/lift',
      {
        config: { roles: HR },
        schema: {
          summary:
            "Lift a person's hold (hospital certificate seen, or another reason in the note; asks the hub)",
          params: z.object({ employeeNo: EmployeeNo }),
          body: z.object({
            reason: z.enum(['certificate', 'other']),
            note: z.string().trim().min(1, 'a note is required').max(200),
            returnDate: IsoDate.nullable().optional(),
          }),
          response: { 200: HoldAnswer },
        },
      },
      async (req) => ({ hold: await ctx.site.lift(actorOf(req), req.params.employeeNo, req.body) }),
    );
  };
}
