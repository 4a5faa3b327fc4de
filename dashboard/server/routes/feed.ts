/** GET /api/feed: the live feed (SSE), guards and admins (HR does not need live personal data). */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { GUARDS } from './common.ts';
import { Text } from '../responses.ts';

const EventId = /^\d{1,15}$/;

export function feedRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    root.withTypeProvider<ZodTypeProvider>().get(
      '/api/feed',
      {
        config: { roles: GUARDS },
        schema: {
          summary:
            'Server-sent events: decision, alert, rooms, command (with ids; resume with Last-Event-ID) and fleet (state, no id)',
          querystring: z.object({ lastEventId: z.string().optional() }),
          response: { 200: Text('text/event-stream: one event per change') },
        },
      },
      async (req, reply) => {
        const header = req.headers['last-event-id'];
        const raw =
          (typeof header === 'string' && header !== '' ? header : undefined) ?? req.query.lastEventId;
        if (raw !== undefined && !EventId.test(raw))
          throw new DashboardError(DashErrorCode.BAD_REQUEST, 400, 'Last-Event-ID must be a feed event id');
        ctx.feed.attach(req, reply, raw === undefined ? undefined : Number(raw));
      },
    );
  };
}
