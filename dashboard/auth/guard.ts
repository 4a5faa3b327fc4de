/**
 * Role enforcement. Every route declares who may call it:
 *   app.get('/api/x', { config: { roles: ['guard', 'admin'] } }, handler)   or   { roles: 'public' }
 * A route without a declaration makes the app fail at startup (the onRoute hook throws), so nobody
 * can forget one. The onRequest hook resolves the session cookie into `request.user`, answers 401
 * TG_DASH_UNAUTHENTICATED / 403 TG_DASH_FORBIDDEN, and checks the CSRF token (header
 * `x-csrf-token`) on every state-changing request of a logged-in route.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import { type Session, type SessionStore, sameToken } from './sessions.ts';
import { Role, type SessionUser } from './users.ts';

export const SESSION_COOKIE = 'tg_session';
export const CSRF_HEADER = 'x-csrf-token';

export type Roles = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    roles?: Roles;
  }
  interface FastifyRequest {
    user: SessionUser | null;
    session: Session | null;
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  roles: Roles;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Installs the hooks on the root instance; returns the routes as they get registered. */
export function installGuard(app: FastifyInstance, sessions: SessionStore): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);

  app.addHook('onRoute', (r) => {
    const roles = (r.config as { roles?: unknown } | undefined)?.roles;
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const where = `${methods.join(',')} ${r.url}`;
    if (roles === undefined)
      throw new Error(
        `TG_DASH_ROUTE_ROLES: ${where} declares no roles: add config: { roles: [...] } or { roles: 'public' }`,
      );
    if (
      roles !== 'public' &&
      !(Array.isArray(roles) && roles.length > 0 && roles.every((x) => Role.safeParse(x).success))
    )
      throw new Error(
        `TG_DASH_ROUTE_ROLES: ${where} has roles ${JSON.stringify(roles)}: 'public' or guard/hr/admin`,
      );
    for (const method of methods) routes.push({ method, url: r.url, roles: roles as Roles });
  });

  app.addHook('onRequest', async (req) => {
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) {
      const s = sessions.lookup(cookie);
      if (s) {
        req.session = s;
        req.user = s.user;
      }
    }
    if (req.is404) return;
    enforce(req);
  });
  return routes;
}

function enforce(req: FastifyRequest): void {
  const roles = req.routeOptions.config.roles;
  if (roles === 'public') return;
  if (!req.user || !req.session)
    throw new DashboardError(DashErrorCode.UNAUTHENTICATED, 401, 'log in first (or the session expired)');
  if (!roles?.includes(req.user.role))
    throw new DashboardError(DashErrorCode.FORBIDDEN, 403, `role ${req.user.role} may not do this`);
  if (!SAFE_METHODS.has(req.method)) {
    const token = req.headers[CSRF_HEADER];
    if (typeof token !== 'string' || !sameToken(token, req.session.csrfToken))
      throw new DashboardError(
        DashErrorCode.CSRF,
        403,
        `missing or wrong ${CSRF_HEADER} header (take it from GET /api/me)`,
      );
  }
}
