/**
 * HR reports: the twice-daily log, the daily report (generated at reports.dailyAt, kept, sent to
 * reports.webhooks), manual readings and self-report imports, CSV/XLSX exports.
 *
 *   await app.register(reportRoutes({ store, manual, audit, config, roster, alerts, db }));
 *
 * A fastify plugin; every route declares its roles (the server's hook enforces them and CSRF and
 * sets request.user). The scheduler runs from the app's listen to its close; `.scheduler` is
 * there for a manual tick (tests, an admin's "send now").
 */
import type { FastifyPluginAsync } from 'fastify';
import { silentLogger } from '../log.ts';
import { HrRecords } from './hr-records.ts';
import { registerHrRoutes } from './hr-routes.ts';
import { ReportStore } from './report-store.ts';
import { registerRoutes } from './routes.ts';
import { DailyScheduler, DEFAULT_REPORT_RETRY } from './scheduler.ts';
import { ReportService, viaStore } from './service.ts';
import { registerVisitorRoutes, VisitorStore } from './visitors.ts';
import type { ReportsDeps } from './types.ts';

export type ReportsPlugin = FastifyPluginAsync & { scheduler: DailyScheduler; service: ReportService };

export function reportRoutes(deps: ReportsDeps): ReportsPlugin {
  const log = deps.log ?? silentLogger();
  const kept = new ReportStore(deps.db, deps.config.siteId);
  const records = new HrRecords(deps.db);
  const visitors = new VisitorStore(deps.db);
  const service = new ReportService(deps, kept, records);
  const scheduler = new DailyScheduler({
    store: kept,
    generate: (day) => service.generateDaily(day),
    now: service.now,
    ...(deps.clock ? { clock: deps.clock } : {}),
    timeZone: deps.config.timezone,
    dailyAt: deps.config.reports.dailyAt,
    webhooks: deps.config.reports.webhooks,
    language: deps.config.language,
    retentionDays: deps.config.reports.retentionDays,
    fetch: deps.fetch ?? fetch,
    retry: { ...DEFAULT_REPORT_RETRY, ...deps.webhookRetry },
    log,
  });
  const plugin: FastifyPluginAsync = async (app) => {
    registerRoutes(app, { svc: service, audit: deps.audit, log, visitors });
    registerVisitorRoutes(app, {
      svc: service,
      store: visitors,
      audit: deps.audit,
      ...(deps.siteAdmin ? { siteAdmin: deps.siteAdmin } : {}),
      writeReading: (r) => viaStore(() => deps.manual.write(r)),
      ...(deps.alerts.declared ? { declared: (d) => deps.alerts.declared?.(d) } : {}),
    });
    registerHrRoutes(app, {
      svc: service,
      records,
      audit: deps.audit,
      ...(deps.alerts.declared ? { declared: (d) => deps.alerts.declared?.(d) } : {}),
      ...(deps.openHold ? { openHold: deps.openHold } : {}),
    });
    const every = deps.scheduleEveryMs ?? 30_000;
    // From listen, not ready: an app built only to be inject()ed (tests) sends nothing by itself.
    if (every !== false) app.addHook('onListen', async () => scheduler.start(every));
    app.addHook('onClose', async () => scheduler.stop());
  };
  return Object.assign(plugin, { scheduler, service });
}

export type { DailyReport, FeverCase, MissingCheck } from './daily-report.ts';
export type { PersonLog, SiteDayLog } from './site-log.ts';
export type { DayStatus, LogReading, PersonDayLog } from './twice-daily.ts';
export type { AuditFn, ReportsDeps } from './types.ts';
