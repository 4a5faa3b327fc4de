/**
 * `buildApp(deps)`: the dashboard's fastify app, ready to `inject()` or `listen()` (it does not
 * listen itself). Validation with zod (fastify-type-provider-zod), OpenAPI at /openapi.json, every
 * route's roles enforced by auth/guard.ts; the app refuses to start when a route declares none.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { type DeclaredRoute, installGuard } from '../auth/guard.ts';
import { silentLogger } from '../log.ts';
import { DashboardError, DashErrorCode, isCodedError } from './errors.ts';
import { ErrorBody } from './responses.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { feedRoutes } from './routes/feed.ts';
import { gateRoutes } from './routes/gates.ts';
import { roomRoutes } from './routes/rooms.ts';
import { siteAdminRoutes } from './routes/site-admin.ts';
import { siteRoutes } from './routes/site.ts';
import { systemRoutes } from './routes/system.ts';
import { userRoutes } from './routes/users.ts';
import { serializerCompiler } from './serializer.ts';
import { webRoutes } from '../web/index.ts';
import { type AppDeps, isHttps } from './context.ts';

export type DashboardApp = FastifyInstance & {
  /** Every route as registered, with its declared roles (the role-matrix test walks these). */
  declaredRoutes: DeclaredRoute[];
  /** Every route as registered with the status codes its response schemas cover. */
  routeResponses: RouteResponses[];
};

export interface RouteResponses {
  method: string;
  url: string;
  /** Keys of `schema.response`: '200', '201', '4xx', … */
  statuses: string[];
}

/** Fastify's own 4xx codes, answered with ours. */
const STATUS_CODES: Record<number, string> = {
  400: DashErrorCode.BAD_REQUEST,
  401: DashErrorCode.UNAUTHENTICATED,
  403: DashErrorCode.FORBIDDEN,
  404: DashErrorCode.NOT_FOUND,
  413: DashErrorCode.TOO_LARGE,
  415: 'TG_DASH_UNSUPPORTED_MEDIA_TYPE',
  429: DashErrorCode.RATE_LIMITED,
};

export async function buildApp(deps: AppDeps): Promise<DashboardApp> {
  const log = deps.log ?? silentLogger();
  // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type the plain one plugins expect.
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    // Reverse proxies are configured per site (http.trustProxy, off by default): without one,
    // req.ip is the peer, so nobody can pick the address the login throttle charges by sending
    // X-Forwarded-For; with one, req.ip and req.protocol come from the proxy's headers.
    trustProxy: deps.config.http.trustProxy,
    exposeHeadRoutes: false,
    // Every JSON body here is small (a room, a user, a command); the CSV imports set their own
    // limit. Larger bodies are answered 413 TG_DASH_TOO_LARGE before they are parsed.
    bodyLimit: 256 * 1024,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const text = err.validation
        .slice(0, 5)
        .map((v) => `${where}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}: ${v.message}`)
        .join('; ');
      return reply.code(400).send({ code: DashErrorCode.BAD_REQUEST, message: text });
    }
    if (isCodedError(err)) {
      if (err.statusCode >= 500) req.log.error({ err, url: req.url, method: req.method }, 'request failed');
      const extra = (err as { extra?: Record<string, unknown> }).extra;
      const issues = (err as { issues?: unknown[] }).issues;
      return reply.code(err.statusCode).send({
        ...(issues && issues.length > 0 ? { issues } : {}),
        ...extra,
        code: err.code,
        message: err.message,
      });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ code: STATUS_CODES[status] ?? DashErrorCode.BAD_REQUEST, message: (err as Error).message });
    }
    req.log.error({ err, url: req.url, method: req.method }, 'request failed');
    return reply
      .code(500)
      .send({ code: DashErrorCode.INTERNAL, message: 'internal error (see the server log)' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ code: DashErrorCode.NOT_FOUND, message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  await app.register(cookie);
  // HSTS whenever the browser reached us over https (directly or as a trusted proxy says), or the
  // site says it is served behind TLS: a browser that saw it never tries plain http again.
  app.addHook('onSend', async (req, reply) => {
    if (isHttps(req, deps.config)) reply.header('strict-transport-security', 'max-age=15552000');
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new DashboardError(DashErrorCode.RATE_LIMITED, 429, `too many attempts, retry in ${ctx.after}`),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ThermoGate dashboard',
        description: 'Guards, HR and admins of one site. Errors are { code, message } with TG_DASH_* codes.',
        version: '1',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'tg_session' },
          csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  const declaredRoutes = installGuard(app, deps.sessions);
  const routeResponses = declareErrorResponses(app);

  const ctx = { ...deps, log };
  await app.register(systemRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(userRoutes(ctx));
  await app.register(gateRoutes(ctx));
  await app.register(alertRoutes(ctx));
  await app.register(roomRoutes(ctx));
  await app.register(feedRoutes(ctx));
  await app.register(auditRoutes(ctx));
  await app.register(siteAdminRoutes(ctx));
  await app.register(siteRoutes(ctx));
  // The pages (GET / and /assets/*, public): built by esbuild once per process, kept in memory.
  await app.register(webRoutes());
  for (const p of deps.plugins ?? []) await app.register(p);

  app.addHook('preClose', async () => {
    // Open SSE streams would otherwise keep the server from closing.
    deps.feed.close();
  });
  await app.ready();
  return Object.assign(app, { declaredRoutes, routeResponses });
}

/**
 * Every route answers errors in one shape (ErrorBody), declared here once for all 4xx and 5xx
 * answers so each route module declares only its own success answers. Returns the routes with the
 * statuses their schemas cover (test/dashboard/response-schemas.test.ts checks each has a 2xx).
 */
function declareErrorResponses(app: FastifyInstance): RouteResponses[] {
  const routes: RouteResponses[] = [];
  app.addHook('onRoute', (r) => {
    r.schema ??= {};
    const response = (r.schema.response ?? {}) as Record<string, unknown>;
    r.schema.response = {
      ...response,
      '4xx': response['4xx'] ?? ErrorBody,
      '5xx': response['5xx'] ?? ErrorBody,
    };
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) routes.push({ method, url: r.url, statuses: Object.keys(response) });
  });
  return routes;
}

export { type AppDeps, isHttps, type RouteContext } from './context.ts';
