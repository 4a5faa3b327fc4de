/** What route modules get from the app (its own file, so routes need not import app.ts back). */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AlertsService } from '../alerts/types.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { UserStore } from '../auth/users.ts';
import type { CommandService } from '../commands/commands.ts';
import type { DashboardConfig } from '../config/schema.ts';
import type { Db } from '../db/open.ts';
import type { LiveFeed } from '../feed/live-feed.ts';
import type { Logger } from '../log.ts';
import type { DashboardMetrics } from '../metrics/metrics.ts';
import type { SiteService } from '../site/service.ts';
import type { GateBoard } from '../wire/gate-board.ts';
import type { SiteAdmin } from './site-admin.ts';

export interface AppDeps {
  config: DashboardConfig;
  db: Db;
  now: () => number;
  log?: Logger;
  users: UserStore;
  sessions: SessionStore;
  audit: AuditLog;
  alerts: AlertsService;
  feed: LiveFeed;
  commands: CommandService;
  board: GateBoard;
  metrics: DashboardMetrics;
  /** The hub's site policy and person holds, requests to the hub. */
  site: SiteService;
  siteAdmin?: SiteAdmin | undefined;
  /** Link states for /healthz (the app itself knows only its database). */
  health?: () => Promise<{ mqtt: boolean; readings: boolean }>;
  /** More route plugins (reports, web pages); their routes declare roles like every other. */
  plugins?: FastifyPluginAsync[];
}

export type RouteContext = AppDeps & { log: Logger };

/** Served over TLS: configured so (secureCookies), or this request came in over https. */
export function isHttps(req: FastifyRequest, config: DashboardConfig): boolean {
  return config.http.secureCookies || req.protocol === 'https';
}
