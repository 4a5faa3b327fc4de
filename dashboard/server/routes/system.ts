/** GET /healthz, GET /metrics (Prometheus), GET /openapi.json. */
import type { FastifyPluginAsync } from 'fastify';
import { dbHealthy } from '../../db/open.ts';
import type { RouteContext } from '../app.ts';
import { ADMIN, PUBLIC } from './common.ts';

export function systemRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { roles: PUBLIC },
        schema: { summary: 'Liveness: the database answers; MQTT and readings reported' },
      },
      async (_req, reply) => {
        const db = dbHealthy(ctx.db);
        const links = (await ctx.health?.()) ?? { mqtt: false, readings: false };
        // The broker or the readings store being away is reported but does not make the process unhealthy:
        // restarting the dashboard would not bring them back, and the gates keep working without it.
        return reply.code(db ? 200 : 503).send({ ok: db, db, mqtt: links.mqtt, readings: links.readings });
      },
    );

    app.get(
      '/metrics',
      {
        config: { roles: ctx.config.http.publicMetrics ? PUBLIC : ADMIN },
        schema: { summary: 'Prometheus metrics', hide: false },
      },
      async (_req, reply) =>
        reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
    );

    app.get('/openapi.json', { config: { roles: PUBLIC }, schema: { hide: true } }, async () =>
      app.swagger(),
    );
  };
}
