/** GET /api/audit (admins): newest first, paged with `before`. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../context.ts';
import { ADMIN, Limit } from './common.ts';
import { AuditEntry } from '../responses.ts';

export function auditRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    root.withTypeProvider<ZodTypeProvider>().get(
      '/api/audit',
      {
        config: { roles: ADMIN },
        schema: {
          summary: 'The audit log, newest first',
          querystring: z.object({ limit: Limit, before: z.coerce.number().int().positive().optional() }),
          response: { 200: z.array(AuditEntry) },
        },
      },
      async (req) => ctx.audit.list({ limit: req.query.limit, before: req.query.before }),
    );
  };
}
