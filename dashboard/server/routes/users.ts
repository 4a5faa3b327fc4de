/** Accounts (admin only): GET/POST /api/users, PATCH/DELETE /api/users/:username. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../auth/password.ts';
import { Lang, Role, Username } from '../../auth/users.ts';
import type { RouteContext } from '../context.ts';
import { ADMIN, actorOf } from './common.ts';
import { NoContent, UserView } from '../responses.ts';

const Password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);
const NewUserBody = z.object({
  username: Username,
  password: Password,
  role: Role,
  displayName: z.string().max(128).optional(),
  lang: Lang.optional(),
});
const PatchBody = z
  .object({
    role: Role.optional(),
    displayName: z.string().min(1).max(128).optional(),
    lang: Lang.optional(),
    disabled: z.boolean().optional(),
    password: Password.optional(),
  })
  .strict();
const Params = z.object({ username: z.string().min(1).max(64) });

export function userRoutes(ctx: RouteContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const config = { roles: ADMIN };

    app.get(
      '/api/users',
      {
        config,
        schema: { summary: 'Every account (no password hashes)', response: { 200: z.array(UserView) } },
      },
      async () => ctx.users.list(),
    );

    app.post(
      '/api/users',
      { config, schema: { summary: 'Add an account', body: NewUserBody, response: { 201: UserView } } },
      async (req, reply) => {
        const u = await ctx.users.create(req.body);
        ctx.audit.write(actorOf(req), 'user.create', u.username, {
          role: u.role,
          displayName: u.displayName,
        });
        return reply.code(201).send(u);
      },
    );

    app.patch(
      '/api/users/:username',
      {
        config,
        schema: {
          summary: 'Change role, name, language, password, or disable',
          params: Params,
          body: PatchBody,
          response: { 200: UserView },
        },
      },
      async (req) => {
        const { password, ...rest } = req.body;
        const u = await ctx.users.update(req.params.username, req.body);
        // A disabled account or a changed password ends the sessions (but not the admin's own, who is here).
        if (req.body.disabled === true || password !== undefined)
          ctx.sessions.destroyUser(u.username, req.session?.idHash);
        ctx.audit.write(actorOf(req), 'user.update', u.username, {
          ...rest,
          ...(password !== undefined ? { passwordChanged: true } : {}),
        });
        return u;
      },
    );

    app.delete(
      '/api/users/:username',
      {
        config,
        schema: {
          summary: 'Delete an account (its sessions end)',
          params: Params,
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        ctx.users.remove(req.params.username);
        ctx.sessions.destroyUser(req.params.username);
        ctx.audit.write(actorOf(req), 'user.delete', req.params.username);
        return reply.code(204).send(null);
      },
    );
  };
}
