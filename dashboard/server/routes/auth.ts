/**
 * POST /api/login, POST /api/logout, GET /api/me.
 * Login attempts are limited per username and per address (config.session.loginAttemptsPerMinute
 * each), counted before the password is checked, so guessing costs the same whether it succeeds or not.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../auth/guard.ts';
import type { RouteContext } from '../app.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { ANY, PUBLIC, userOf } from './common.ts';

const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export function authRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const cfg = ctx.config;
    const limiter = (prefix: string, key: (req: { ip: string; body: unknown }) => string) =>
      root.createRateLimit({
        max: cfg.session.loginAttemptsPerMinute,
        timeWindow: 60_000,
        keyGenerator: (req) => `${prefix}:${key(req)}`,
      });
    const byIp = limiter('ip', (req) => req.ip);
    const byUser = limiter('user', (req) =>
      String((req.body as { username?: string }).username ?? '').toLowerCase(),
    );
    const cookieOpts = {
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: cfg.http.secureCookies,
    };
    const site = { siteId: cfg.siteId, siteName: cfg.siteName, timezone: cfg.timezone };
    const limited = (reply: FastifyReply, ttlMs: number) => {
      reply.header('retry-after', Math.max(1, Math.ceil(ttlMs / 1000)));
      return new DashboardError(
        DashErrorCode.RATE_LIMITED,
        429,
        `too many login attempts, retry in ${Math.max(1, Math.ceil(ttlMs / 1000))} s`,
      );
    };

    app.post(
      '/api/login',
      {
        config: { roles: PUBLIC },
        schema: {
          summary: 'Log in: sets the tg_session cookie, returns the user and the CSRF token',
          body: LoginBody,
        },
      },
      async (req, reply) => {
        for (const check of [byIp, byUser]) {
          const r = await check(req);
          if (!r.isAllowed && r.isExceeded) {
            req.log.warn({ username: req.body.username, ip: req.ip }, 'login rate limited');
            throw limited(reply, r.ttl);
          }
        }
        const user = await ctx.users.verify(req.body.username, req.body.password);
        if (!user) {
          ctx.audit.write(
            { username: req.body.username, role: 'system' },
            'login.failed',
            req.body.username,
            {
              ip: req.ip,
            },
          );
          throw new DashboardError(DashErrorCode.LOGIN_FAILED, 401, 'wrong username or password');
        }
        const me = {
          username: user.username,
          role: user.role,
          displayName: user.displayName,
          lang: user.lang,
        };
        const { cookie, session } = ctx.sessions.create(me);
        ctx.audit.write({ username: me.username, role: me.role }, 'login', me.username, { ip: req.ip });
        reply.setCookie(SESSION_COOKIE, cookie, cookieOpts);
        return { user: me, csrfToken: session.csrfToken, site };
      },
    );

    app.post(
      '/api/logout',
      { config: { roles: ANY }, schema: { summary: 'End this session' } },
      async (req, reply) => {
        const u = userOf(req);
        if (req.session) ctx.sessions.destroy(req.session.idHash);
        ctx.audit.write({ username: u.username, role: u.role }, 'logout', u.username);
        reply.clearCookie(SESSION_COOKIE, cookieOpts);
        return { ok: true };
      },
    );

    app.get(
      '/api/me',
      { config: { roles: ANY }, schema: { summary: 'Who is logged in, the CSRF token, the site' } },
      async (req) => ({ user: userOf(req), csrfToken: req.session?.csrfToken ?? '', site }),
    );
  };
}
