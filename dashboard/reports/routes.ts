/**
 * HTTP: the HR reports and exports (hr, admin), manual readings (guard, hr, admin) and the
 * self-report import (hr, admin). Exports are streamed and audited when they start; every
 * manual reading and every import (refused ones too) is audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ID_PATTERN } from '../../protocols/topics.ts';
import type { Actor } from '../alerts/types.ts';
import type { Logger } from '../log.ts';
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import { badRequest, ReportErrorCode } from './errors.ts';
import {
  dailyExport,
  type ExportJob,
  personExport,
  siteDayExport,
  siteMonthExport,
  visitorsExport,
} from './exports.ts';
import { contentDisposition } from './filename.ts';
import type { ExportLang } from './labels.ts';
import { MANUAL_GATE_ID } from './manual.ts';
import type { ReportService } from './service.ts';
import { ExportAborted, type ExportFormat, tableWriter } from './table-writer.ts';
import type { AuditFn } from './types.ts';
import type { VisitorStore } from './visitors.ts';
import {
  ManualReadingAnswer,
  PersonLogAnswer,
  SelfReportImport,
  DayStatus,
  SiteDayAnswer,
  Text,
} from '../server/responses.ts';

const HR = ['hr', 'admin'] as const;
const ANY = ['guard', 'hr', 'admin'] as const;
const CSV_LIMIT = 16 * 1024 * 1024;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const EmployeeNo = z.string().min(1).max(64);
/** The most rows of a site's day one request may ask for (the page asks for 500). */
export const SITE_DAY_MAX_PAGE = 5000;
/** The daily report's answer: the report (a loose object: its shape is DailyReport) and where it came from. */
export const DailyAnswer = z.object({
  report: z.looseObject({ date: z.string(), generatedAt: z.number() }),
  /** true: this is the copy kept and sent at reports.dailyAt; false: generated for this request. */
  kept: z.boolean(),
  /** The kept copy of the day, if any: when it was generated and whether it still says the same. */
  sent: z.object({ generatedAt: z.number(), identical: z.boolean() }).nullable(),
  deliveries: z.array(
    z.object({
      day: z.string(),
      kind: z.string(),
      state: z.enum(['pending', 'sent', 'failed']),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
    }),
  ),
});
const File = z.object({ file: z.string().min(1).max(200) });
/** A CSV or XLSX file, streamed (not JSON). */
const ExportFile = Text('text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

interface Who {
  actor: Actor;
  lang: ExportLang;
}

function who(req: FastifyRequest): Who {
  const u = req.user;
  if (!u) throw new DashboardError(DashErrorCode.UNAUTHENTICATED, 401, 'log in first');
  return { actor: { username: u.username, role: u.role }, lang: u.lang === 'en' ? 'en' : 'zh-CN' };
}

/** 'E001.csv' → ['E001', 'csv']; the name itself may hold dots. */
function splitFile(file: string): [string, ExportFormat] {
  const m = /^(.+)\.(csv|xlsx)$/i.exec(file);
  if (!m) throw badRequest(`ask for a .csv or .xlsx file, got '${file}'`);
  return [m[1] as string, (m[2] as string).toLowerCase() as ExportFormat];
}

export interface RouteDeps {
  svc: ReportService;
  visitors?: VisitorStore;
  audit: AuditFn;
  log: Logger;
}

async function stream(
  d: RouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  format: ExportFormat,
  job: ExportJob,
): Promise<FastifyReply> {
  const { actor } = who(req);
  const w = tableWriter(format);
  d.audit(actor, `export.${job.kind}`, job.target, { format, ...job.detail });
  const started = performance.now();
  job
    .write(w)
    .then(() => w.end())
    .then(() =>
      d.log.info(
        {
          export: job.kind,
          target: job.target,
          format,
          by: actor.username,
          ms: Math.round(performance.now() - started),
        },
        'export sent',
      ),
    )
    .catch((err: unknown) => {
      if (err instanceof ExportAborted)
        d.log.warn({ export: job.kind, target: job.target }, 'export aborted by the client');
      else
        d.log.error(
          { err, export: job.kind, target: job.target, code: 'TG_DASH_REPORT_EXPORT' },
          'export broke off',
        );
      w.fail(err instanceof Error ? err : new Error(String(err)));
    });
  return reply
    .header('content-type', w.contentType)
    .header('content-disposition', contentDisposition(`${job.filename}.${format}`))
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(w.stream);
}

export function registerRoutes(root: FastifyInstance, d: RouteDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { svc } = d;
  const hr = { roles: HR };

  // Scoped to this plugin: other modules register their own text/csv parser. Raw bytes: a
  // string parser would already have replaced a GBK file's bytes with U+FFFD.
  root.addContentTypeParser(
    ['text/csv', 'application/csv'],
    { parseAs: 'buffer', bodyLimit: CSV_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.get(
    '/api/reports/person/:employeeNo',
    {
      config: hr,
      schema: {
        summary: 'Twice-daily log of one employee (a row per local day), with every reading for the chart',
        params: z.object({ employeeNo: EmployeeNo }),
        querystring: z.object({ from: Day.optional(), to: Day.optional() }),
        response: { 200: PersonLogAnswer },
      },
    },
    async (req) => {
      const { from, to } = svc.period(req.query.from, req.query.to);
      const log = await svc.personLog(req.params.employeeNo, from, to);
      d.audit(who(req).actor, 'report.person', req.params.employeeNo, { from, to });
      return log;
    },
  );

  app.get(
    '/api/reports/site-day/:date',
    {
      config: hr,
      schema: {
        summary:
          "Everybody on one local day: expected employees, others measured, visitors. With limit: a page of the rows (offset, only one status), with the day's counts by status",
        params: z.object({ date: Day }),
        querystring: z.object({
          offset: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(SITE_DAY_MAX_PAGE).optional(),
          status: DayStatus.optional(),
        }),
        response: { 200: SiteDayAnswer },
      },
    },
    async (req) => {
      const day = svc.checkDay(req.params.date);
      const { offset, limit, status } = req.query;
      // Without limit: the whole day, as before (40 MB at 50,000 people: bench/NOTES.md).
      if (limit === undefined) {
        if (status !== undefined || offset > 0)
          throw badRequest('offset and status page the rows: give a limit');
        return svc.siteDay(day);
      }
      return svc.siteDayPage(day, { offset, limit, ...(status ? { status } : {}) });
    },
  );

  app.get(
    '/api/reports/daily/:date',
    {
      config: hr,
      schema: {
        summary:
          'The daily report generated now (version=live, default), or the copy kept and sent at reports.dailyAt (version=sent)',
        params: z.object({ date: Day }),
        // `fresh` is what older pages sent; a live report is always fresh now, so it changes nothing.
        querystring: z.object({
          version: z.enum(['live', 'sent']).default('live'),
          fresh: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: DailyAnswer },
      },
    },
    async (req) => {
      const day = svc.checkDay(req.params.date);
      const r = await svc.daily(day, req.query.version);
      // An interface has no index signature: the schema checks the envelope, the report passes whole.
      return {
        ...r,
        report: r.report as unknown as Record<string, unknown> & { date: string; generatedAt: number },
        deliveries: r.sent ? svc.kept.deliveries(day) : [],
      };
    },
  );

  app.get(
    '/api/exports/person/:file',
    {
      config: hr,
      schema: {
        summary: 'One employee over a period as <employeeNo>.csv or .xlsx (streamed, audited)',
        params: File,
        querystring: z.object({ from: Day.optional(), to: Day.optional() }),
        response: { 200: ExportFile },
      },
    },
    async (req, reply) => {
      const [employeeNo, format] = splitFile(req.params.file);
      if (employeeNo.length > 64) throw badRequest('an employee number has at most 64 characters');
      const { from, to } = svc.period(req.query.from, req.query.to);
      return stream(d, req, reply, format, await personExport(svc, who(req).lang, employeeNo, from, to));
    },
  );

  app.get(
    '/api/exports/site-day/:file',
    {
      config: hr,
      schema: {
        summary: 'The site on one day as <YYYY-MM-DD>.csv or .xlsx',
        params: File,
        response: { 200: ExportFile },
      },
    },
    async (req, reply) => {
      const [day, format] = splitFile(req.params.file);
      return stream(d, req, reply, format, await siteDayExport(svc, who(req).lang, svc.checkDay(day)));
    },
  );

  app.get(
    '/api/exports/site-month/:file',
    {
      config: hr,
      schema: {
        summary: 'The site for a month as <YYYY-MM>.csv or .xlsx (streamed day by day)',
        params: File,
        response: { 200: ExportFile },
      },
    },
    async (req, reply) => {
      const [month, format] = splitFile(req.params.file);
      return stream(d, req, reply, format, await siteMonthExport(svc, who(req).lang, month));
    },
  );

  app.get(
    '/api/exports/daily/:file',
    {
      config: hr,
      schema: {
        summary:
          'The daily report as <YYYY-MM-DD>.csv or .xlsx: generated at the request like the page (version=live), or the copy sent (version=sent); the generation time is in it',
        params: File,
        querystring: z.object({ version: z.enum(['live', 'sent']).default('live') }),
        response: { 200: ExportFile },
      },
    },
    async (req, reply) => {
      const [day, format] = splitFile(req.params.file);
      return stream(
        d,
        req,
        reply,
        format,
        await dailyExport(svc, who(req).lang, svc.checkDay(day), req.query.version),
      );
    },
  );

  app.get(
    '/api/exports/visitors/:file',
    {
      config: hr,
      schema: {
        summary: "The visitors' register (访客登记表) of a day as <YYYY-MM-DD>.csv or .xlsx",
        params: File,
        response: { 200: ExportFile },
      },
    },
    async (req, reply) => {
      const [day, format] = splitFile(req.params.file);
      if (!d.visitors) throw new DashboardError(DashErrorCode.NOT_FOUND, 404, 'no visitors register here');
      return stream(d, req, reply, format, visitorsExport(svc, who(req).lang, svc.checkDay(day), d.visitors));
    },
  );

  app.post(
    '/api/manual-readings',
    {
      config: { roles: ANY },
      schema: {
        summary: "A reading taken by hand (handheld, contact) or a self-report, stored with the user's name",
        body: z.object({
          employeeNo: EmployeeNo,
          temperatureTenths: z.number().int(),
          instrument: z.enum(['handheld', 'contact', 'self-report']),
          /** Epoch ms; default now. */
          at: z.number().int().nonnegative().optional(),
          /** Where it was taken; default 'manual' (at no gate). */
          gateId: z.string().regex(ID_PATTERN).optional(),
        }),
        response: { 201: ManualReadingAnswer },
      },
    },
    async (req, reply) => {
      const { actor } = who(req);
      const b = req.body;
      const at = b.at ?? svc.now();
      // A guard records what is measured now (a handheld at the gate, a person's word today);
      // dating one into an earlier day rewrites somebody's twice-daily log, which is HR's job
      // (a future time is the store's BAD_READING)
      // (issue #20: a guard could post a self-report 30 days back). Refused ones are audited too.
      if (actor.role === 'guard' && svc.dayOf(at) < svc.today()) {
        d.audit(actor, 'reading.manual-refused', b.employeeNo, {
          reason: 'backdated',
          at,
          instrument: b.instrument,
          temperatureTenths: b.temperatureTenths,
        });
        throw new DashboardError(
          ReportErrorCode.BACKDATE_FORBIDDEN,
          403,
          `a guard may record readings of today (${svc.today()}, site time) only; HR or an admin can enter other days`,
        );
      }
      // The readings schema knows no 'contact' source: both are hand instruments; the audit row keeps which.
      const source = b.instrument === 'self-report' ? 'self-report' : 'handheld';
      const reading = await svc.recordManual(
        {
          employeeNo: b.employeeNo,
          temperatureTenths: b.temperatureTenths,
          source,
          at,
          gateId: b.gateId ?? MANUAL_GATE_ID,
        },
        actor.username,
      );
      d.audit(actor, 'reading.manual', b.employeeNo, {
        readingId: reading.id,
        temperatureTenths: reading.temperatureTenths,
        instrument: b.instrument,
        at: reading.at,
        gateId: reading.gateId,
      });
      return reply.code(201).send({ reading });
    },
  );

  app.post(
    '/api/manual-readings/import',
    {
      config: hr,
      bodyLimit: CSV_LIMIT,
      schema: {
        summary:
          'Import self-reports (text/csv: employeeNo, temperature, and at or date + time); all lines or none',
        consumes: ['text/csv'],
        response: { 200: SelfReportImport },
      },
    },
    async (req) => {
      const { actor } = who(req);
      if (!Buffer.isBuffer(req.body) || req.body.toString('latin1').trim() === '')
        throw badRequest('send the CSV as the body (content-type text/csv)');
      try {
        const r = await svc.importSelfReports(req.body, actor.username);
        d.audit(actor, 'reading.import', 'self-report', { ...r });
        return r;
      } catch (err) {
        if (err instanceof DashboardError && err.code === ReportErrorCode.IMPORT_INVALID)
          d.audit(actor, 'reading.import-refused', 'self-report', { errors: err.extra?.errorCount });
        throw err;
      }
    },
  );
}
