/**
 * Visitors and walk-ins at the gate house (7 of the 11 plans): the guard registers the visitor —
 * name, phone, ID number (only its masked form is stored), company, host, reason, expected stay,
 * health-code colour, a declaration (symptoms, 14-day travel, contact) and a handheld temperature.
 * A visitor who passes all of it is admitted for that visit only: an access-list entry of kind
 * `visitor` valid from now until the expected end (the gates then let them through); one who does
 * not is recorded and refused, and a temperature or a declared symptom raises an alert like a
 * fever. The exit is recorded and the entry ends at once. The temperature is stored as a handheld
 * reading, so the visitor is in HR's logs and daily report too. The register (访客登记表) is
 * exported like the other logs.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessEntry } from '../../protocols/gate/access-list.ts';
import type { Actor } from '../alerts/types.ts';
import { migrate } from '../db/migrate.ts';
import { DashboardError, DashErrorCode } from '../server/errors.ts';
import type { SiteAdmin } from '../server/site-admin.ts';
import { SYMPTOMS, type Symptom } from './hr-records.ts';
import { declarationText } from './hr-routes.ts';
import { type ExportLang, label } from './labels.ts';
import { MANUAL_GATE_ID, manualRecord } from './manual.ts';
import type { ReportService } from './service.ts';
import type { Cell, Column } from './table-writer.ts';
import type { AuditFn } from './types.ts';

export const HEALTH_CODES = ['green', 'yellow', 'red'] as const;
export type HealthCode = (typeof HEALTH_CODES)[number];

export interface Visitor {
  /** The visitor's number for this visit (their "employee number" on the access list and in logs). */
  id: string;
  name: string;
  phone: string;
  /** The ID number masked (110105********1234): the full number is never stored. */
  idNumber: string;
  company: string;
  host: string;
  reason: string;
  expectedUntil: number;
  healthCode: HealthCode;
  symptoms: Symptom[];
  travel: string;
  contact: boolean;
  temperatureTenths: number;
  admitted: boolean;
  /** Why not admitted: high temperature, a symptom or contact, a health code not green. */
  refused: Array<'temperature' | 'declaration' | 'health-code'>;
  registeredBy: string;
  registeredAt: number;
  exitAt: number | null;
  exitBy: string | null;
}

const STEPS = [
  `
CREATE TABLE visitor (
  id              TEXT    PRIMARY KEY,
  day             TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  registered_at   INTEGER NOT NULL
);
CREATE INDEX visitor_day ON visitor (day, registered_at);
`,
];

/** 18-digit (or 15-digit) ID numbers keep their first 6 and last 4 characters. */
export function maskIdNumber(s: string): string {
  const t = s.trim().toUpperCase();
  if (t.length <= 6) return '*'.repeat(t.length);
  const keepEnd = t.length >= 15 ? 4 : 2;
  return `${t.slice(0, 6)}${'*'.repeat(t.length - 6 - keepEnd)}${t.slice(t.length - keepEnd)}`;
}

export class VisitorStore {
  private readonly s: Record<'put' | 'get' | 'day' | 'count', Statement>;

  constructor(db: Database) {
    migrate(db, 'visitors', STEPS);
    this.s = {
      put: db.prepare(
        `INSERT INTO visitor (id, day, body, registered_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body`,
      ),
      get: db.prepare('SELECT body FROM visitor WHERE id = ?'),
      day: db.prepare('SELECT body FROM visitor WHERE day = ? ORDER BY registered_at, id'),
      count: db.prepare('SELECT COUNT(*) AS n FROM visitor WHERE day = ?'),
    };
  }

  put(day: string, v: Visitor): void {
    this.s.put.run(v.id, day, JSON.stringify(v), v.registeredAt);
  }

  get(id: string): Visitor | null {
    const r = this.s.get.get(id) as { body: string } | undefined;
    return r ? (JSON.parse(r.body) as Visitor) : null;
  }

  onDay(day: string): Visitor[] {
    return (this.s.day.all(day) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Visitor);
  }

  /** The next visitor number of a day: V + YYMMDD + two digits. */
  nextId(day: string): string {
    const n = (this.s.count.get(day) as { n: number }).n + 1;
    return `V${day.slice(2).replace(/-/g, '')}${String(n).padStart(2, '0')}`;
  }
}

const VisitorBody = z.object({
  name: z.string().trim().min(1).max(64),
  phone: z
    .string()
    .trim()
    .regex(/^[0-9+\- ]{5,20}$/, 'a phone number'),
  idNumber: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{6,20}$/, 'an ID number'),
  company: z.string().trim().max(64).default(''),
  host: z.string().trim().min(1).max(64),
  reason: z.string().trim().min(1).max(100),
  /** Hours the visit is expected to last (the access entry ends then, or at the exit). */
  expectedHours: z.number().min(0.25).max(24),
  healthCode: z.enum(HEALTH_CODES),
  symptoms: z.array(z.enum(SYMPTOMS)).max(SYMPTOMS.length).default([]),
  travel: z.string().trim().max(200).default(''),
  contact: z.boolean().default(false),
  temperatureTenths: z.number().int().min(300).max(450),
  instrument: z.enum(['handheld', 'contact']).default('handheld'),
});

export const VisitorView = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string(),
  idNumber: z.string(),
  company: z.string(),
  host: z.string(),
  reason: z.string(),
  expectedUntil: z.number(),
  healthCode: z.enum(HEALTH_CODES),
  symptoms: z.array(z.enum(SYMPTOMS)),
  travel: z.string(),
  contact: z.boolean(),
  temperatureTenths: z.number(),
  admitted: z.boolean(),
  refused: z.array(z.enum(['temperature', 'declaration', 'health-code'])),
  registeredBy: z.string(),
  registeredAt: z.number(),
  exitAt: z.number().nullable(),
  exitBy: z.string().nullable(),
});

export interface VisitorDeps {
  svc: ReportService;
  store: VisitorStore;
  audit: AuditFn;
  siteAdmin?: SiteAdmin;
  /** Stores the handheld reading in the readings store. */
  writeReading: (r: ReturnType<typeof manualRecord>) => Promise<void>;
  declared?: (d: {
    employeeNo: string;
    name: string | null;
    day: string;
    what: string;
    at: number;
  }) => unknown;
}

function actor(req: FastifyRequest): Actor {
  const u = req.user;
  if (!u) throw new DashboardError(DashErrorCode.UNAUTHENTICATED, 401, 'log in first');
  return { username: u.username, role: u.role };
}

/** Visitor entries that ended this long ago leave the roster (their register stays here). */
const KEEP_ENDED_VISITORS_MS = 30 * 86_400_000;

/**
 * The visitor's entry put in (or replaced) on the hub's access list. An exit ends the entry
 * (validUntil = now) rather than removing it: the gates refuse the visitor from then on, and HR's
 * logs still know whose readings these were. Visitor entries ended more than 30 days ago are
 * dropped, so the roster does not grow with every visit. The hub applies it to its own current
 * list: sending a whole roster built from this dashboard's view lost a visitor admitted at the
 * same moment, or undid an HR import the view had not seen yet.
 */
async function putVisitorEntry(d: VisitorDeps, entry: AccessEntry, now: number): Promise<void> {
  if (!d.siteAdmin)
    throw new DashboardError(
      DashErrorCode.SITE_ADMIN_UNAVAILABLE,
      503,
      'this dashboard runs without the site hub: a visitor cannot be admitted here',
    );
  const r = await d.siteAdmin.putAccessEntries([entry], {
    dropVisitorsEndedBefore: now - KEEP_ENDED_VISITORS_MS,
  });
  if ('errors' in r)
    throw new DashboardError(
      'TG_DASH_SITE_ADMIN_REFUSED',
      400,
      `the hub refused the access list: ${r.errors[0]?.message}`,
    );
}

const visitorEntry = (v: Visitor, until: number): AccessEntry => ({
  employeeNo: v.id,
  name: v.name,
  department: v.company || '访客',
  kind: 'visitor',
  validFrom: v.registeredAt,
  validUntil: until,
});

export function registerVisitorRoutes(root: FastifyInstance, d: VisitorDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { svc, store } = d;

  app.get(
    '/api/visitors',
    {
      config: { roles: ['guard', 'hr', 'admin'] },
      schema: {
        summary: 'Visitors registered on a local day (default today)',
        querystring: z.object({
          day: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/)
            .optional(),
        }),
        response: { 200: z.array(VisitorView) },
      },
    },
    async (req) => store.onDay(svc.checkDay(req.query.day ?? svc.today())),
  );

  app.post(
    '/api/visitors',
    {
      config: { roles: ['guard', 'admin'] },
      schema: {
        summary:
          'Register a visitor at the gate house; admitted (an access-list entry of kind visitor for this visit) when the temperature, declaration and health code allow',
        body: VisitorBody,
        response: { 201: VisitorView },
      },
    },
    async (req, reply) => {
      const by = actor(req);
      const b = req.body;
      const now = svc.now();
      const day = svc.today();
      const threshold = svc.context().rules.feverThresholdTenths;
      const refused: Visitor['refused'] = [];
      if (b.temperatureTenths >= threshold) refused.push('temperature');
      if (b.symptoms.length > 0 || b.contact) refused.push('declaration');
      if (b.healthCode !== 'green') refused.push('health-code');
      const v: Visitor = {
        id: store.nextId(day),
        name: b.name,
        phone: b.phone,
        idNumber: maskIdNumber(b.idNumber),
        company: b.company,
        host: b.host,
        reason: b.reason,
        expectedUntil: now + Math.round(b.expectedHours * 3_600_000),
        healthCode: b.healthCode,
        symptoms: b.symptoms,
        travel: b.travel,
        contact: b.contact,
        temperatureTenths: b.temperatureTenths,
        admitted: refused.length === 0,
        refused,
        registeredBy: by.username,
        registeredAt: now,
        exitAt: null,
        exitBy: null,
      };
      // The reading first: a refused visitor's temperature is kept all the same.
      await d.writeReading(
        manualRecord(
          svc.siteId,
          {
            employeeNo: v.id,
            temperatureTenths: b.temperatureTenths,
            source: 'handheld',
            at: now,
            gateId: MANUAL_GATE_ID,
          },
          by.username,
          now,
        ),
      );
      if (v.admitted) await putVisitorEntry(d, visitorEntry(v, v.expectedUntil), now);
      store.put(day, v);
      if (refused.includes('temperature') || refused.includes('declaration')) {
        const what = [
          refused.includes('temperature') ? `访客体温 ${(b.temperatureTenths / 10).toFixed(1)} °C` : null,
          refused.includes('declaration') ? declarationText(b) : null,
        ]
          .filter(Boolean)
          .join('、');
        d.declared?.({ employeeNo: v.id, name: v.name, day, what, at: now });
      }
      d.audit(by, 'visitor.register', v.id, { admitted: v.admitted, refused, host: v.host });
      return reply.code(201).send(v);
    },
  );

  app.post(
    '/api/visitors/:id/exit',
    {
      config: { roles: ['guard', 'admin'] },
      schema: {
        summary: 'A visitor left: the exit is recorded and their access entry ends',
        params: z.object({ id: z.string().regex(/^V\d{6,10}$/) }),
        response: { 200: VisitorView },
      },
    },
    async (req) => {
      const by = actor(req);
      const v = store.get(req.params.id);
      if (!v) throw new DashboardError(DashErrorCode.NOT_FOUND, 404, `no visitor ${req.params.id}`);
      if (v.exitAt !== null) return v;
      const now = svc.now();
      // The entry ends now (it may have ended by itself already: nothing to change then).
      if (v.admitted && v.expectedUntil > now) await putVisitorEntry(d, visitorEntry(v, now), now);
      const out = { ...v, exitAt: now, exitBy: by.username };
      store.put(svc.dayOf(v.registeredAt), out);
      d.audit(by, 'visitor.exit', v.id, {});
      return out;
    },
  );
}

/** The visitors' register (访客登记表) as one table, for the exports. */
export function visitorColumns(lang: ExportLang): Column[] {
  const c = (key: Parameters<typeof label>[1], kind: Column['kind'], width?: number): Column => ({
    key,
    header: label(lang, key),
    kind,
    ...(width ? { width } : {}),
  });
  return [
    c('visitorNo', 'text', 12),
    c('name', 'text', 12),
    c('phone', 'text', 14),
    c('idNumber', 'text', 20),
    c('company', 'text', 16),
    c('host', 'text', 12),
    c('visitReason', 'text', 16),
    c('healthCode', 'code'),
    c('declared', 'text', 20),
    c('temp', 'temp'),
    c('entryTime', 'time'),
    c('expectedUntil', 'time'),
    c('exitTime', 'time'),
    c('admitted', 'code'),
    c('registeredBy', 'text'),
  ];
}

export function visitorRow(
  lang: ExportLang,
  v: Visitor,
  time: (t: number) => string,
  user: (u: string) => string,
): Cell[] {
  const words =
    lang === 'en'
      ? { green: 'green', yellow: 'yellow', red: 'red' }
      : { green: '绿码', yellow: '黄码', red: '红码' };
  const declared = declarationText(v);
  return [
    v.id,
    v.name,
    v.phone,
    v.idNumber,
    v.company,
    v.host,
    v.reason,
    words[v.healthCode],
    declared || (lang === 'en' ? 'none' : '无'),
    v.temperatureTenths,
    time(v.registeredAt),
    time(v.expectedUntil),
    v.exitAt === null ? null : time(v.exitAt),
    label(lang, v.admitted ? 'yes' : 'no'),
    user(v.registeredBy),
  ];
}
