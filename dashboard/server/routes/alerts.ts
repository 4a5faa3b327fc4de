/**
 * Guards' alert actions. The AlertsService does the work (and writes the audit rows of its
 * actions, since OPC UA acknowledgements reach it without passing through here).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Disposition } from '../../../protocols/dashboard/messages.ts';
import { ID_PATTERN } from '../../../protocols/topics.ts';
import type { RouteContext } from '../context.ts';
import { actorOf, GUARDS, Limit } from './common.ts';
import { AlertState, RecheckAnswer } from '../responses.ts';

const Params = z.object({ id: z.string().min(1).max(160) });
const Note = z.string().max(500).optional();

export function alertRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const config = { roles: GUARDS };

    app.get(
      '/api/alerts',
      {
        config,
        schema: {
          summary: 'Alerts, newest and most severe first (open = not cleared)',
          querystring: z.object({
            state: z.enum(['open', 'all']).default('open'),
            gateId: z.string().regex(ID_PATTERN).optional(),
            limit: Limit,
          }),
          response: { 200: z.array(AlertState) },
        },
      },
      async (req) =>
        ctx.alerts.list({ state: req.query.state, gateId: req.query.gateId, limit: req.query.limit }),
    );

    app.post(
      '/api/alerts/:id/ack',
      {
        config,
        schema: {
          summary: 'Acknowledge',
          params: Params,
          body: z.object({ comment: z.string().max(200).optional() }),
          response: { 200: AlertState },
        },
      },
      async (req) => ctx.alerts.acknowledge(req.params.id, actorOf(req), req.body.comment),
    );

    app.post(
      '/api/alerts/:id/arrival',
      {
        config,
        schema: {
          summary: 'The person reached the isolation room',
          params: Params,
          response: { 200: AlertState },
        },
      },
      async (req) => ctx.alerts.confirmArrival(req.params.id, actorOf(req)),
    );

    app.post(
      '/api/alerts/:id/recheck',
      {
        config,
        schema: {
          summary: "Record the re-check (stored as a handheld/contact reading with the guard's name)",
          params: Params,
          body: z.object({
            temperatureTenths: z.number().int().min(200).max(500),
            instrument: z.enum(['handheld', 'contact']),
            at: z.number().int().nonnegative().optional(),
          }),
          response: { 200: RecheckAnswer },
        },
      },
      async (req) => ctx.alerts.recordRecheck(req.params.id, actorOf(req), req.body),
    );

    app.post(
      '/api/alerts/:id/close',
      {
        config,
        schema: {
          summary: 'Close a fever episode with a disposition (frees the room)',
          params: Params,
          body: z.object({ disposition: Disposition, note: Note }),
          response: { 200: AlertState },
        },
      },
      async (req) => ctx.alerts.close(req.params.id, actorOf(req), req.body.disposition, req.body.note),
    );

    app.post(
      '/api/alerts/:id/room',
      {
        config,
        schema: {
          summary: 'Send the person of an open fever episode to another isolation room (tells the hub)',
          params: Params,
          body: z.object({ roomId: z.string().regex(ID_PATTERN) }),
          response: { 200: AlertState },
        },
      },
      async (req) => ctx.alerts.moveToRoom(req.params.id, actorOf(req), req.body.roomId),
    );

    app.post(
      '/api/alerts/:id/clear',
      {
        config,
        schema: {
          summary: 'Clear an alert that is not a fever episode',
          params: Params,
          body: z.object({ note: Note }),
          response: { 200: AlertState },
        },
      },
      async (req) => ctx.alerts.clear(req.params.id, actorOf(req), req.body.note),
    );
  };
}
