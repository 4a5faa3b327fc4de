/** Gate tiles and guards' commands: GET /api/gates, POST /api/gates/:gateId/commands, GET /api/commands. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../../protocols/topics.ts';
import type { RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { ANY, actorOf, GUARDS, Limit } from './common.ts';
import { CommandView, GateTile } from '../responses.ts';

const GateId = z.string().regex(ID_PATTERN, 'a gate id');
const CommandBody = z.object({
  kind: z.enum(['open-once', 'lockdown', 'release-lockdown']),
  reason: z.string().max(200).default(''),
});

export function gateRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/api/gates',
      {
        config: { roles: ANY },
        schema: {
          summary: 'Gate tiles: fleet state, last passage, passed and flagged today (site time zone)',
          response: { 200: z.array(GateTile) },
        },
      },
      async () => ctx.board.tiles(),
    );

    app.post(
      '/api/gates/:gateId/commands',
      {
        config: { roles: GUARDS },
        schema: {
          summary:
            'Send a command to a gate; pending until the gate acknowledges (open-once needs a reason; 409 TG_DASH_GATE_OFFLINE when the gate is offline)',
          params: z.object({ gateId: GateId }),
          body: CommandBody,
          response: { 202: CommandView },
        },
      },
      async (req, reply) => {
        // A command to a gate nobody has heard of would stay pending until it times out, and a
        // typo would look like a gate that does not answer: refuse it (issue #20).
        if (!ctx.board.gateIds().includes(req.params.gateId))
          throw new DashboardError(DashErrorCode.NOT_FOUND, 404, `no gate ${req.params.gateId} on this site`);
        // A gate that is offline cannot receive the command: a green "sent" would make the guard
        // think the turnstile opened (issue #18). Refused with the reason, nothing queued.
        const state = ctx.board.knownOffline(req.params.gateId);
        if (state.offline)
          throw new DashboardError(
            DashErrorCode.GATE_OFFLINE,
            409,
            `gate ${req.params.gateId} is offline (${state.reason ?? 'its status says so'}): the command was not sent`,
          );
        const c = ctx.commands.send(req.params.gateId, req.body.kind, req.body.reason, actorOf(req));
        return reply.code(202).send(c);
      },
    );

    app.get(
      '/api/commands',
      {
        config: { roles: GUARDS },
        schema: {
          summary: 'Recent commands, newest first, with their state',
          querystring: z.object({ gateId: GateId.optional(), limit: Limit }),
          response: { 200: z.array(CommandView) },
        },
      },
      async (req) => ctx.commands.list({ gateId: req.query.gateId, limit: req.query.limit }),
    );
  };
}
