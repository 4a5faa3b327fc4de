/** Isolation rooms: GET /api/rooms (guards), PUT/DELETE /api/rooms/:id (admins). */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../../protocols/topics.ts';
import { MAX_ROOMS, RoomDistances } from '../../config/schema.ts';
import type { RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { ADMIN, actorOf, GUARDS } from './common.ts';
import { NoContent, RoomView } from '../responses.ts';

const Params = z.object({ id: z.string().regex(ID_PATTERN, 'a room id') });
/** The room's fields; the service checks the rules between them (capacity > 1 only when shared). */
const RoomBody = z.object({
  name: z.string().min(1).max(24),
  capacity: z.number().int().min(1).max(4).default(1),
  shared: z.boolean().default(false),
  distances: RoomDistances.default({}),
});

export function roomRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/api/rooms',
      {
        config: { roles: GUARDS },
        schema: { summary: 'Rooms with their occupants', response: { 200: z.array(RoomView) } },
      },
      async () => ctx.alerts.rooms(),
    );

    app.put(
      '/api/rooms/:id',
      {
        config: { roles: ADMIN },
        // 1000 distances of 64-character gate ids fit in ~80 KB; anything bigger is not a room.
        bodyLimit: 128 * 1024,
        schema: {
          summary: 'Add or change a room; create=true only adds (409 TG_DASH_ROOM_EXISTS for an existing id)',
          params: Params,
          querystring: z.object({ create: z.enum(['true', 'false']).optional() }),
          body: RoomBody,
          response: { 200: RoomView },
        },
      },
      async (req) => {
        const rooms = ctx.alerts.rooms();
        // "Add room" with an id in use would silently replace that room, occupants and all (issue #18).
        const existing = rooms.find((r) => r.id === req.params.id);
        if (req.query.create === 'true' && existing)
          throw new DashboardError(
            DashErrorCode.ROOM_EXISTS,
            409,
            `room ${req.params.id} exists (${existing.occupants.length} inside): edit it instead`,
          );
        if (!rooms.some((r) => r.id === req.params.id) && rooms.length >= MAX_ROOMS)
          throw new DashboardError(
            DashErrorCode.TOO_MANY_ROOMS,
            409,
            `a site has at most ${MAX_ROOMS} rooms`,
          );
        return ctx.alerts.upsertRoom({ id: req.params.id, ...req.body }, actorOf(req));
      },
    );

    app.delete(
      '/api/rooms/:id',
      {
        config: { roles: ADMIN },
        schema: { summary: 'Remove an empty room', params: Params, response: { 204: NoContent } },
      },
      async (req, reply) => {
        ctx.alerts.removeRoom(req.params.id, actorOf(req));
        return reply.code(204).send(null);
      },
    );
  };
}
