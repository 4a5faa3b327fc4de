/** Small things every route module uses. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../../alerts/types.ts';
import type { Roles } from '../../auth/guard.ts';
import type { SessionUser } from '../../auth/users.ts';
import { DashboardError, DashErrorCode } from '../errors.ts';

export const ANY: Roles = ['guard', 'hr', 'admin'];
export const GUARDS: Roles = ['guard', 'admin'];
export const HR: Roles = ['hr', 'admin'];
export const ADMIN: Roles = ['admin'];
export const PUBLIC: Roles = 'public';

/** The logged-in user (the guard has already refused anonymous requests on non-public routes). */
export function userOf(req: FastifyRequest): SessionUser {
  if (!req.user) throw new DashboardError(DashErrorCode.UNAUTHENTICATED, 401, 'log in first');
  return req.user;
}

export function actorOf(req: FastifyRequest): Actor {
  const u = userOf(req);
  return { username: u.username, role: u.role };
}

/** `?limit=` as sent in a query string. */
export const Limit = z.coerce.number().int().min(1).max(1000).optional();

export const ErrorBody = z.object({ code: z.string(), message: z.string() });
