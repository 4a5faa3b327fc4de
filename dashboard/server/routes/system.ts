/** GET /healthz, GET /metrics (Prometheus), GET /openapi.json. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { dbHealthy } from '../../db/open.ts';
import type { RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { ADMIN, PUBLIC } from './common.ts';
import { z } from 'zod';
import { Health, Text } from '../responses.ts';

/** Constant-time comparison of `Authorization: Bearer <token>` (hashed first: lengths may differ). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(m[1] as string), h(token));
}

export function systemRoutes(ctx: RouteContext): FastifyPluginAsync {
  const token = ctx.config.http.metricsToken;
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { roles: PUBLIC },
        schema: {
          summary: 'Liveness: the database answers; MQTT and readings reported',
          response: { 200: Health, 503: Health },
        },
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
        // With a token the route is reached without a session and checks the token itself
        // (an admin's session also does); otherwise the role guard decides.
        config: { roles: ctx.config.http.publicMetrics || token ? PUBLIC : ADMIN },
        schema: {
          summary: 'Prometheus metrics (public, admin, or Authorization: Bearer <metrics token>)',
          hide: false,
          response: { 200: Text('Prometheus text exposition format') },
        },
      },
      async (req, reply) => {
        if (token && !ctx.config.http.publicMetrics && !bearerMatches(req.headers.authorization, token)) {
          // The session hook has run on this public route too: an admin's cookie is enough.
          if (req.user?.role !== 'admin') {
            reply.header('www-authenticate', 'Bearer realm="metrics"');
            throw new DashboardError(
              DashErrorCode.UNAUTHENTICATED,
              401,
              'metrics need the bearer token or an admin',
            );
          }
        }
        return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
      },
    );

    app.get(
      '/openapi.json',
      {
        config: { roles: PUBLIC },
        schema: {
          hide: true,
          response: { 200: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) },
        },
      },
      async () => app.swagger(),
    );
  };
}
