/**
 * HTTP: HR's notes of people (hr, admin): absences with a reason, and daily health declarations
 * entered by HR or imported from the self-reports. A declaration naming a symptom or a contact
 * raises an alert on the guards' board and a webhook message at once, like a fever, and may open
 * a hold at the hub (every gate then turns the person away until HR lifts it). All audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../alerts/types.ts';
import { decodeCsvBytes } from '../server/csv-decode.ts';
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import { CsvSyntaxError, parseCsv } from './csv.ts';
import { badRequest, ReportErrorCode } from './errors.ts';
import {
  ABSENCE_REASONS,
  type Declaration,
  declaresSomething,
  type HrRecords,
  SYMPTOMS,
  type Symptom,
} from './hr-records.ts';
import type { LineError } from './import.ts';
import type { ReportService } from './service.ts';
import type { AuditFn } from './types.ts';
import { NoContent } from '../server/responses.ts';

const HR = ['hr', 'admin'] as const;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const EmployeeNo = z.string().trim().min(1).max(64);
const AbsenceBody = z.object({
  employeeNo: EmployeeNo,
  from: Day,
  to: Day,
  reason: z.enum(ABSENCE_REASONS),
  note: z.string().max(200).default(''),
});
const DeclarationBody = z.object({
  employeeNo: EmployeeNo,
  day: Day.optional(),
  symptoms: z.array(z.enum(SYMPTOMS)).max(SYMPTOMS.length).default([]),
  travel: z.string().max(200).default(''),
  contact: z.boolean().default(false),
  /** Also turn the person away at every gate until HR lifts it (a HoldRequest 'open' to the hub). */
  hold: z.boolean().default(false),
});
export const AbsenceView = z.object({
  id: z.number().int(),
  employeeNo: z.string(),
  from: z.string(),
  to: z.string(),
  reason: z.enum(ABSENCE_REASONS),
  note: z.string(),
  by: z.string(),
  at: z.number(),
});
export const DeclarationView = z.object({
  id: z.number().int(),
  employeeNo: z.string(),
  day: z.string(),
  symptoms: z.array(z.enum(SYMPTOMS)),
  travel: z.string(),
  contact: z.boolean(),
  source: z.enum(['hr', 'self-report']),
  by: z.string(),
  at: z.number(),
});

export interface HrRouteDeps {
  svc: ReportService;
  records: HrRecords;
  audit: AuditFn;
  /** Raises the declaration's alert (AlertsService.declared); absent: no alert. */
  declared?: (d: {
    employeeNo: string;
    name: string | null;
    day: string;
    what: string;
    at: number;
  }) => unknown;
  /** Opens a hold at the hub (SiteService.openHold); absent: refused with 503. */
  openHold?: (by: Actor, body: { employeeNo: string; name?: string; note: string }) => Promise<unknown>;
}

function actor(req: FastifyRequest): Actor {
  const u = req.user;
  if (!u) throw new DashboardError(DashErrorCode.UNAUTHENTICATED, 401, 'log in first');
  return { username: u.username, role: u.role };
}

const SYMPTOM_ZH: Record<Symptom, string> = {
  fever: '发热',
  cough: '咳嗽',
  fatigue: '乏力',
  'sore-throat': '咽痛',
  'shortness-of-breath': '气促',
  other: '其他症状',
};

/** What a declaration says, for the alert and the robots (Chinese: the site's plans' words). */
export function declarationText(d: Pick<Declaration, 'symptoms' | 'travel' | 'contact'>): string {
  const parts = d.symptoms.map((s) => SYMPTOM_ZH[s]);
  if (d.contact) parts.push('14天内有病例接触史');
  if (d.travel) parts.push(`14天内行程：${d.travel}`);
  return parts.join('、');
}

const SYMPTOM_WORDS: Record<string, Symptom> = {
  发热: 'fever',
  发烧: 'fever',
  fever: 'fever',
  咳嗽: 'cough',
  cough: 'cough',
  乏力: 'fatigue',
  fatigue: 'fatigue',
  咽痛: 'sore-throat',
  'sore-throat': 'sore-throat',
  气促: 'shortness-of-breath',
  呼吸困难: 'shortness-of-breath',
  'shortness-of-breath': 'shortness-of-breath',
  其他: 'other',
  other: 'other',
};
const NONE = new Set(['', '无', '否', 'none', 'no']);
const YES = new Set(['是', '有', 'yes', 'y', 'true', '1']);

const HEADERS: Record<string, 'employeeNo' | 'day' | 'symptoms' | 'travel' | 'contact'> = {
  employeeno: 'employeeNo',
  工号: 'employeeNo',
  date: 'day',
  day: 'day',
  日期: 'day',
  申报日期: 'day',
  symptoms: 'symptoms',
  症状: 'symptoms',
  travel: 'travel',
  行程: 'travel',
  '14天行程': 'travel',
  近14天行程: 'travel',
  contact: 'contact',
  接触史: 'contact',
  病例接触史: 'contact',
};
const norm = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s_()（）]/g, '');

/** The self-reported declarations file (Excel's GBK or UTF-8), all lines or none. */
export function parseDeclarations(
  bytes: Uint8Array,
  today: string,
): { rows: Array<Omit<Declaration, 'id' | 'source' | 'by' | 'at'>>; errors: LineError[] } {
  const decoded = decodeCsvBytes(bytes);
  if ('error' in decoded)
    return { rows: [], errors: [{ line: 1, reason: 'neither UTF-8 nor GBK/GB18030', problem: 'encoding' }] };
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(decoded.text).filter((r) => r.cells.some((c) => c.trim() !== ''));
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      return { rows: [], errors: [{ line: err.line, reason: err.message, problem: 'csv-syntax' }] };
    throw err;
  }
  const [head, ...data] = records;
  if (!head) return { rows: [], errors: [{ line: 1, reason: 'the file is empty', problem: 'empty-file' }] };
  const at: Partial<Record<(typeof HEADERS)[string], number>> = {};
  head.cells.forEach((c, i) => {
    const k = HEADERS[norm(c)];
    if (k && at[k] === undefined) at[k] = i;
  });
  if (at.employeeNo === undefined)
    return {
      rows: [],
      errors: [{ line: head.line, reason: 'no employeeNo (工号) column', problem: 'no-employee-no-column' }],
    };
  const rows: Array<Omit<Declaration, 'id' | 'source' | 'by' | 'at'>> = [];
  const errors: LineError[] = [];
  const cell = (cells: string[], k: keyof typeof at) =>
    at[k] === undefined ? '' : (cells[at[k] as number] ?? '').trim();
  for (const { line, cells } of data) {
    const employeeNo = cell(cells, 'employeeNo');
    if (!employeeNo) {
      errors.push({ line, field: 'employeeNo', reason: 'employeeNo is empty', problem: 'employee-no-empty' });
      continue;
    }
    const dayText = cell(cells, 'day').replace(/\//g, '-');
    const day =
      dayText === '' ? today : /^\d{4}-\d{1,2}-\d{1,2}$/.test(dayText) ? normalizeDay(dayText) : null;
    if (day === null || day > today) {
      errors.push({ line, field: 'at', reason: `not a day up to today: '${dayText}'`, problem: 'bad-time' });
      continue;
    }
    const words = cell(cells, 'symptoms')
      .split(/[、,，;；\s]+/)
      .map((w) => w.trim().toLowerCase())
      .filter((w) => !NONE.has(w));
    const unknown = words.filter((w) => !SYMPTOM_WORDS[w]);
    if (unknown.length > 0) {
      errors.push({
        line,
        field: 'symptoms',
        reason: `unknown symptom '${unknown[0]}'`,
        problem: 'bad-symptom',
        params: { value: unknown[0] as string },
      });
      continue;
    }
    const travel = cell(cells, 'travel');
    rows.push({
      employeeNo,
      day,
      symptoms: [...new Set(words.map((w) => SYMPTOM_WORDS[w] as Symptom))],
      travel: NONE.has(travel.toLowerCase()) ? '' : travel,
      contact: YES.has(cell(cells, 'contact').toLowerCase()),
    });
  }
  return { rows, errors };
}

function normalizeDay(s: string): string | null {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
  return t.toISOString().slice(0, 10);
}

export function registerHrRoutes(root: FastifyInstance, d: HrRouteDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { svc, records } = d;
  const config = { roles: HR };

  const declare = async (by: Actor, decl: Omit<Declaration, 'id' | 'by' | 'at'>, hold: boolean) => {
    const at = svc.now();
    records.putDeclaration({ ...decl, by: by.username, at });
    const name = svc.context().roster.get(decl.employeeNo)?.name ?? null;
    let alerted = false;
    if (declaresSomething(decl) && d.declared) {
      d.declared({ employeeNo: decl.employeeNo, name, day: decl.day, what: declarationText(decl), at });
      alerted = true;
    }
    d.audit(by, 'declaration.record', decl.employeeNo, { day: decl.day, source: decl.source, alerted });
    if (hold && declaresSomething(decl)) {
      if (!d.openHold)
        throw new DashboardError(DashErrorCode.SITE_ADMIN_UNAVAILABLE, 503, 'no hub to open a hold with');
      await d.openHold(by, {
        employeeNo: decl.employeeNo,
        ...(name ? { name } : {}),
        note: `健康申报：${declarationText(decl)}`.slice(0, 200),
      });
    }
    return alerted;
  };

  app.get(
    '/api/absences',
    {
      config,
      schema: {
        summary: 'Absences (leave, sick leave, …) covering a local day',
        querystring: z.object({ day: Day.optional() }),
        response: { 200: z.array(AbsenceView) },
      },
    },
    async (req) => records.absencesOn(svc.checkDayAny(req.query.day ?? svc.today())),
  );

  app.post(
    '/api/absences',
    {
      config,
      schema: {
        summary: 'Record an absence with its reason: the person is not expected those days (not "missing")',
        body: AbsenceBody,
        response: { 201: AbsenceView },
      },
    },
    async (req, reply) => {
      const by = actor(req);
      const b = req.body;
      if (b.from > b.to)
        throw new DashboardError(ReportErrorCode.BAD_PERIOD, 400, `from ${b.from} is after to ${b.to}`);
      svc.checkDayAny(b.from);
      svc.checkDayAny(b.to);
      const a = records.addAbsence({ ...b, by: by.username, at: svc.now() });
      d.audit(by, 'absence.record', b.employeeNo, { from: b.from, to: b.to, reason: b.reason });
      return reply.code(201).send(a);
    },
  );

  app.delete(
    '/api/absences/:id',
    {
      config,
      schema: {
        summary: 'Remove an absence recorded by mistake',
        params: z.object({ id: z.coerce.number().int() }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const a = records.getAbsence(req.params.id);
      if (!a || !records.removeAbsence(req.params.id))
        throw new DashboardError(DashErrorCode.NOT_FOUND, 404, `no absence ${req.params.id}`);
      d.audit(actor(req), 'absence.remove', a.employeeNo, { from: a.from, to: a.to, reason: a.reason });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/declarations',
    {
      config,
      schema: {
        summary: 'Health declarations of a local day',
        querystring: z.object({ day: Day.optional() }),
        response: { 200: z.array(DeclarationView) },
      },
    },
    async (req) => {
      const day = svc.checkDay(req.query.day ?? svc.today());
      return records.declarations(day, day);
    },
  );

  app.post(
    '/api/declarations',
    {
      config,
      schema: {
        summary:
          "An employee's daily health declaration entered by HR; a symptom or contact raises an alert (and with hold=true a hold at the hub)",
        body: DeclarationBody,
        response: { 201: z.object({ alerted: z.boolean() }) },
      },
    },
    async (req, reply) => {
      const by = actor(req);
      const { hold, ...b } = req.body;
      const day = svc.checkDay(b.day ?? svc.today());
      const alerted = await declare(by, { ...b, day, source: 'hr' }, hold);
      return reply.code(201).send({ alerted });
    },
  );

  app.post(
    '/api/declarations/import',
    {
      config,
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary:
          'Import self-reported declarations (text/csv, UTF-8 or GBK: 工号, 日期, 症状, 行程, 接触史); all lines or none',
        consumes: ['text/csv'],
        response: { 200: z.object({ imported: z.number().int(), alerted: z.number().int() }) },
      },
    },
    async (req) => {
      const by = actor(req);
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw badRequest('send the CSV as the body (content-type text/csv)');
      const { rows, errors } = parseDeclarations(req.body, svc.today());
      if (errors.length > 0 || rows.length === 0) {
        const all: LineError[] =
          errors.length > 0
            ? errors
            : [{ line: 1, reason: 'no declarations in the file', problem: 'no-rows' }];
        d.audit(by, 'declaration.import-refused', 'self-report', { errors: all.length });
        throw new DashboardError(
          ReportErrorCode.IMPORT_INVALID,
          400,
          `nothing imported: ${all.length} bad line(s)`,
          {
            errors: all,
            errorCount: all.length,
          },
        );
      }
      let alerted = 0;
      for (const r of rows) if (await declare(by, { ...r, source: 'self-report' }, false)) alerted += 1;
      d.audit(by, 'declaration.import', 'self-report', { imported: rows.length, alerted });
      return { imported: rows.length, alerted };
    },
  );
}
