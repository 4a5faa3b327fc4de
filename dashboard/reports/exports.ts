/**
 * The exports: one employee over a period, the site for a day, the site for a month, the daily
 * report; each as CSV or XLSX. Each builder does the first store work before anything is sent, so
 * a store that is down is a clean 503, not a cut-off file; the job's write() streams the rest.
 * The month goes one day at a time (the store scanned page by page, at most two days' logs in
 * memory), whatever the size of the site.
 */
import type { DailyReport } from './daily-report.ts';
import { liveNamer, logColumns, logRow, type Namer, reportTables } from './export-tables.ts';
import { safePart } from './filename.ts';
import { type ExportLang, label } from './labels.ts';
import { type ReportService, viaStore } from './service.ts';
import type { PersonLog, SiteDayLog } from './site-log.ts';
import type { TableWriter } from './table-writer.ts';
import { type VisitorStore, visitorColumns, visitorRow } from './visitors.ts';

export type ExportKind = 'person' | 'site-day' | 'site-month' | 'daily' | 'visitors';

export interface ExportJob {
  kind: ExportKind;
  /** File name without extension. */
  filename: string;
  /** What the audit log names (an employee number, a date, a month). */
  target: string;
  detail: Record<string, unknown>;
  write(w: TableWriter): Promise<void>;
}

/** An XLSX sheet holds 1,048,576 rows: a larger month goes on in a second sheet. */
const XLSX_MAX_ROWS = 1_000_000;

async function writeDay(w: TableWriter, lang: ExportLang, log: SiteDayLog, n: Namer): Promise<number> {
  for (const r of log.rows) await w.row(logRow(lang, r, n));
  for (const r of log.visitors) await w.row(logRow(lang, r, n));
  return log.rows.length + log.visitors.length;
}

const base = (svc: ReportService, ...parts: string[]) =>
  ['thermogate', safePart(svc.siteId), ...parts.map(safePart)].join('_');

export async function personExport(
  svc: ReportService,
  lang: ExportLang,
  employeeNo: string,
  from: string,
  to: string,
): Promise<ExportJob> {
  const log: PersonLog = await svc.personLog(employeeNo, from, to);
  const who = log.name ? [employeeNo, log.name] : [employeeNo];
  return {
    kind: 'person',
    filename: base(svc, 'person', ...who, from, to),
    target: employeeNo,
    detail: { from, to, days: log.days.length },
    async write(w) {
      await w.table(label(lang, 'log'), logColumns(lang));
      const n = liveNamer(lang, svc.names);
      for (const d of log.days) await w.row(logRow(lang, d, n));
    },
  };
}

export async function siteDayExport(svc: ReportService, lang: ExportLang, day: string): Promise<ExportJob> {
  const log = await svc.siteDay(day);
  return {
    kind: 'site-day',
    filename: base(svc, 'site-day', day),
    target: day,
    detail: { people: log.rows.length, visitors: log.visitors.length },
    async write(w) {
      await w.table(label(lang, 'log'), logColumns(lang));
      await writeDay(w, lang, log, liveNamer(lang, svc.names));
    },
  };
}

export async function siteMonthExport(
  svc: ReportService,
  lang: ExportLang,
  month: string,
): Promise<ExportJob> {
  const { from, to } = svc.month(month);
  const days = svc.siteDays(from, to);
  // The first day before the reply: a store that is down is answered properly.
  const first = await viaStore(() => days.next()).catch(async (err) => {
    await days.return(undefined);
    throw err;
  });
  return {
    kind: 'site-month',
    filename: base(svc, 'site-month', month),
    target: month,
    detail: { from, to },
    async write(w) {
      let sheet = 1;
      let rows = 0;
      const n = liveNamer(lang, svc.names);
      await w.table(label(lang, 'log'), logColumns(lang));
      let next = first;
      while (!next.done) {
        if (
          w.format === 'xlsx' &&
          rows + next.value.rows.length + next.value.visitors.length > XLSX_MAX_ROWS
        ) {
          sheet += 1;
          rows = 0;
          await w.table(`${label(lang, 'log')} (${sheet})`, logColumns(lang));
        }
        rows += await writeDay(w, lang, next.value, n);
        next = await days.next();
      }
    },
  };
}

/** The daily report exactly as the page shows it: generated for this request (or the sent copy when asked). */
export async function dailyExport(
  svc: ReportService,
  lang: ExportLang,
  day: string,
  version: 'live' | 'sent' = 'live',
): Promise<ExportJob> {
  const { report, kept }: { report: DailyReport; kept: boolean } = await svc.daily(day, version);
  return {
    kind: 'daily',
    filename: base(svc, 'daily-report', day),
    target: day,
    detail: { kept, generatedAt: report.generatedAt },
    async write(w) {
      for (const t of reportTables(lang, report, svc.clock.dateTime(report.generatedAt), kept)) {
        await w.table(t.name, t.columns);
        for (const r of t.rows) await w.row(r);
      }
    },
  };
}

/** The visitors' register of a day (访客登记表), with the register's own columns. */
export function visitorsExport(
  svc: ReportService,
  lang: ExportLang,
  day: string,
  store: VisitorStore,
): ExportJob {
  const list = store.onDay(day);
  const n = liveNamer(lang, svc.names);
  return {
    kind: 'visitors',
    filename: base(svc, 'visitors', day),
    target: day,
    detail: { visitors: list.length },
    async write(w) {
      await w.table(label(lang, 'visitorRegister'), visitorColumns(lang));
      for (const v of list)
        await w.row(
          visitorRow(
            lang,
            v,
            (t) => svc.clock.time(t),
            (u) => n.user(u) ?? u,
          ),
        );
    },
  };
}
