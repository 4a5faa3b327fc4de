/**
 * POST /api/login, POST /api/logout, GET /api/me.
 * Login attempts are throttled by kernel/auth-throttle.ts, shared with the hub (per address and per username,
 * counted before the password is checked, successes never count; a stranger's failures never lock
 * an account out from a clean address), answered 429 with Retry-After.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../auth/guard.ts';
import { AuthThrottle } from '../../../kernel/auth-throttle.ts';
import { isHttps, type RouteContext } from '../context.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';
import { ANY, PUBLIC, userOf } from './common.ts';
import { Ok, SessionAnswer } from '../responses.ts';

const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export function authRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const cfg = ctx.config;
    const throttle = new AuthThrottle({
      failuresPerAddressPerMinute: cfg.session.loginAttemptsPerMinute,
      failuresPerAccountPerMinute: cfg.session.loginAttemptsPerMinute,
      maxConcurrentPerAccount: cfg.session.loginConcurrentPerAccount,
      maxConcurrent: cfg.session.loginConcurrent,
    });
    const sweep = setInterval(() => throttle.sweep(ctx.now()), 60_000);
    sweep.unref();
    root.addHook('onClose', async () => clearInterval(sweep));
    // Secure whenever the browser talks https to us (configured, or as a trusted proxy says).
    const cookieOpts = (req: FastifyRequest) => ({
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: isHttps(req, cfg),
    });
    const site = { siteId: cfg.siteId, siteName: cfg.siteName, timezone: cfg.timezone };
    const limited = (reply: FastifyReply, ttlMs: number) => {
      const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
      reply.header('retry-after', seconds);
      // The page shows its own zh-CN/English text by code (login.rateLimitedFor); the message is
      // for scripts and logs, in both languages since it may be shown as is.
      return new DashboardError(
        DashErrorCode.RATE_LIMITED,
        429,
        `登录尝试次数过多，请 ${seconds} 秒后再试 / too many login attempts, retry in ${seconds} s`,
        { retryAfterS: seconds },
      );
    };

    app.post(
      '/api/login',
      {
        config: { roles: PUBLIC },
        schema: {
          summary: 'Log in: sets the tg_session cookie, returns the user and the CSRF token',
          body: LoginBody,
          response: { 200: SessionAnswer },
        },
      },
      async (req, reply) => {
        const username = req.body.username.toLowerCase();
        // Counted before the password check (scrypt): see kernel/auth-throttle.ts, shared with the hub.
        const admission = throttle.admit(username, req.ip, ctx.now());
        if (!admission.ok) {
          req.log.warn(
            { code: DashErrorCode.RATE_LIMITED, username, ip: req.ip, reason: admission.reason },
            'login throttled',
          );
          throw limited(reply, admission.retryAfterMs);
        }
        let user: Awaited<ReturnType<typeof ctx.users.verify>>;
        try {
          user = await ctx.users.verify(req.body.username, req.body.password);
        } finally {
          admission.done(!!user, ctx.now());
        }
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
        reply.setCookie(SESSION_COOKIE, cookie, cookieOpts(req));
        return { user: me, csrfToken: session.csrfToken, site };
      },
    );

    app.post(
      '/api/logout',
      { config: { roles: ANY }, schema: { summary: 'End this session', response: { 200: Ok } } },
      async (req, reply) => {
        const u = userOf(req);
        if (req.session) ctx.sessions.destroy(req.session.idHash);
        ctx.audit.write({ username: u.username, role: u.role }, 'logout', u.username);
        reply.clearCookie(SESSION_COOKIE, cookieOpts(req));
        return { ok: true as const };
      },
    );

    app.get(
      '/api/me',
      {
        config: { roles: ANY },
        schema: {
          summary: 'Who is logged in, the CSRF token, the site',
          response: { 200: SessionAnswer },
        },
      },
      async (req) => ({ user: userOf(req), csrfToken: req.session?.csrfToken ?? '', site }),
    );
  };
}
