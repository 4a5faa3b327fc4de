/**
 * The columns and rows of every export, independent of the format. The daily report's tables are
 * also what HR's page renders (web/app/hr/daily-report.ts imports `reportTables`), so the page and
 * the download cannot say different things: same labels, same rows, same names (issue #18).
 * Pure: no I/O, nothing from node (the web bundle imports it).
 */
import type { DailyReport, ReportNames } from './daily-report.ts';
import { type ExportLang, type LabelKey, label, valueText } from './labels.ts';
import type { Cell, CellKind, Column } from './table-writer.ts';
import type { LogReading, PersonDayLog } from './twice-daily.ts';

/** The gate id of readings entered at no gate (reports/manual.ts MANUAL_GATE_ID). */
const MANUAL_GATE = 'manual';

const col = (lang: ExportLang, key: LabelKey, kind: CellKind, width?: number): Column => ({
  key,
  header: label(lang, key),
  kind,
  ...(width ? { width } : {}),
});

/** Names for ids; an id without a name stays itself. */
export interface Namer {
  gate(id: string): string;
  room(id: string | null): string | null;
  user(username: string | null): string | null;
}

export function namer(lang: ExportLang, names?: Partial<ReportNames>): Namer {
  return {
    gate: (id) => (id === MANUAL_GATE ? label(lang, 'manualGate') : (names?.gates?.[id] ?? id)),
    room: (id) => (id === null ? null : (names?.rooms?.[id] ?? id)),
    user: (u) => (u === null ? null : (names?.users?.[u] ?? u)),
  };
}

/** A namer that asks the dashboard now (the log exports: their rows carry ids only). */
export function liveNamer(
  lang: ExportLang,
  lookup?: {
    gate(id: string): string | undefined;
    room(id: string): string | undefined;
    user(u: string): string | undefined;
  },
): Namer {
  return {
    gate: (id) => (id === MANUAL_GATE ? label(lang, 'manualGate') : (lookup?.gate(id) ?? id)),
    room: (id) => (id === null ? null : (lookup?.room(id) ?? id)),
    user: (u) => (u === null ? null : (lookup?.user(u) ?? u)),
  };
}

export function logColumns(lang: ExportLang): Column[] {
  return [
    col(lang, 'day', 'date', 12),
    col(lang, 'employeeNo', 'text', 14),
    col(lang, 'name', 'text', 14),
    col(lang, 'department', 'text', 16),
    col(lang, 'kind', 'code'),
    col(lang, 'morningTime', 'time'),
    col(lang, 'morningTemp', 'temp'),
    col(lang, 'morningGate', 'text'),
    col(lang, 'morningSource', 'code'),
    col(lang, 'morningBy', 'text'),
    col(lang, 'afternoonTime', 'time'),
    col(lang, 'afternoonTemp', 'temp'),
    col(lang, 'afternoonGate', 'text'),
    col(lang, 'afternoonSource', 'code'),
    col(lang, 'afternoonBy', 'text'),
    col(lang, 'highestTemp', 'temp'),
    col(lang, 'highestTime', 'time'),
    col(lang, 'readings', 'int'),
    col(lang, 'status', 'code'),
    // The register HR keeps by hand beside the temperatures (issue #18).
    col(lang, 'mask', 'code'),
    col(lang, 'absenceReason', 'code'),
    col(lang, 'declared', 'text', 24),
    col(lang, 'episodeDisposition', 'code', 20),
    col(lang, 'notes', 'text', 24),
  ];
}

/** 口罩: what the terminal saw at the day's checks (无口罩 wins: the register notes a missing mask). */
function maskText(lang: ExportLang, r: PersonDayLog): string | null {
  const seen = [r.morning?.mask, r.afternoon?.mask].filter((m): m is string => m === 'yes' || m === 'no');
  if (seen.length === 0) return null;
  return label(lang, seen.includes('no') ? 'maskNo' : 'maskYes');
}

/** A declaration in words: symptoms (or 无), travel, contact. */
export function declarationCell(lang: ExportLang, d: PersonDayLog['declaration']): string | null {
  if (!d) return null;
  const parts = d.symptoms.map((x) =>
    x === 'fever' ? (lang === 'en' ? 'fever' : '发热') : (valueText(lang, x) ?? x),
  );
  if (d.contact) parts.push(label(lang, 'contactDeclared'));
  if (d.travel) parts.push(`${label(lang, 'travelDeclared')}: ${d.travel}`);
  return parts.length > 0 ? parts.join(lang === 'en' ? ', ' : '、') : lang === 'en' ? 'none' : '无';
}

/**
 * A half-day's check: time, temperature, gate, source, who entered it. A check an expected
 * employee did not have says 缺测 (missing) in its time column in every format, so an empty cell
 * never has to be guessed at; for people nobody expected (a visitor, a day off) it stays empty.
 */
const entry = (lang: ExportLang, n: Namer, e: LogReading | null, missing: boolean): Cell[] =>
  e
    ? [e.time, e.temperatureTenths, n.gate(e.gateId), valueText(lang, e.source), n.user(e.enteredBy)]
    : [missing ? label(lang, 'missingCheck') : null, null, null, null, null];

export function logRow(lang: ExportLang, r: PersonDayLog, n: Namer = namer(lang)): Cell[] {
  return [
    r.day,
    r.employeeNo,
    r.name,
    r.department,
    valueText(lang, r.kind),
    ...entry(lang, n, r.morning, r.expected),
    ...entry(lang, n, r.afternoon, r.expected),
    r.highestTenths,
    r.highest?.time ?? null,
    r.readings,
    statusText(lang, r),
    maskText(lang, r),
    r.absence ? valueText(lang, r.absence.reason) : null,
    declarationCell(lang, r.declaration),
    r.episode ? (valueText(lang, r.episode.disposition) ?? valueText(lang, 'active-acknowledged')) : null,
    [r.absence?.note, r.episode?.note].filter(Boolean).join('; ') || null,
  ];
}

/**
 * The day's status of a row. Missing checks are an expected employee's: a visitor or somebody
 * measured on a day off is "screened" (or has a high temperature), never "morning missing".
 */
export function statusText(
  lang: ExportLang,
  r: Pick<PersonDayLog, 'expected' | 'status' | 'readings'>,
): string | null {
  if (r.expected || r.status === 'fever') return valueText(lang, r.status);
  return r.readings > 0 ? label(lang, 'screenedStatus') : null;
}

export interface ReportTable {
  /** Stable name for pages and tests; `name` is the sheet's title. */
  id: 'summary' | 'departments' | 'missing' | 'fevers' | 'visitors';
  name: string;
  columns: Column[];
  rows: Cell[][];
}

/** The daily report as tables: summary, missing checks, people with a high temperature, visitors. */
export function reportTables(
  lang: ExportLang,
  r: DailyReport,
  generatedAt: string,
  kept = false,
): ReportTable[] {
  const n = namer(lang, r.names);
  const yesNo = (b: boolean) => label(lang, b ? 'yes' : 'no');
  const summary: Array<[LabelKey, Cell]> = [
    ['site', r.siteName || r.siteId],
    ['date', r.date],
    ['generatedAt', generatedAt],
    ['version', label(lang, kept ? 'versionSent' : 'versionLive')],
    ['expected', r.expected],
    ['screened', r.screened],
    ['complete', r.complete],
    ['missingChecks', r.missingChecks],
    // Reports kept before the count existed lack it: derived from the list, the same way.
    ['missedChecks', r.missedChecks ?? r.missing.reduce((k, m) => k + (m.checks === 'absent' ? 2 : 1), 0)],
    ['feverCount', r.feverCount],
    ['zeroReport', yesNo(r.zeroReport)],
    ['visitorsScreened', r.visitorsScreened],
    ['othersScreened', r.othersScreened],
    ['manualChecks', r.manualChecks],
    ['absent', r.absent ?? 0],
    ['declaredSymptoms', r.declaredSymptoms ?? 0],
  ];
  const missingCell = (e: LogReading | null, v: Cell): Cell => (e ? v : label(lang, 'missingCheck'));
  return [
    {
      id: 'summary',
      name: label(lang, 'summary'),
      columns: [col(lang, 'item', 'code', 30), col(lang, 'value', 'value', 40)],
      rows: summary.map(([k, v]) => [label(lang, k), v]),
    },
    {
      id: 'departments',
      name: label(lang, 'departments'),
      columns: [
        col(lang, 'department', 'text', 16),
        col(lang, 'expected', 'int'),
        col(lang, 'screened', 'int'),
        col(lang, 'complete', 'int'),
        col(lang, 'missingChecks', 'int'),
        col(lang, 'missedChecks', 'int'),
        col(lang, 'feverCount', 'int'),
      ],
      rows: (r.departments ?? []).map((d) => [
        d.department,
        d.expected,
        d.screened,
        d.complete,
        d.missingChecks,
        d.missedChecks,
        d.feverCount,
      ]),
    },
    {
      id: 'missing',
      name: label(lang, 'missing'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'checks', 'code'),
        col(lang, 'morningTime', 'time'),
        col(lang, 'morningTemp', 'temp'),
        col(lang, 'afternoonTime', 'time'),
        col(lang, 'afternoonTemp', 'temp'),
      ],
      rows: r.missing.map((m) => [
        m.employeeNo,
        m.name,
        m.department,
        valueText(lang, m.checks),
        missingCell(m.morning, m.morning?.time ?? null),
        m.morning?.temperatureTenths ?? null,
        missingCell(m.afternoon, m.afternoon?.time ?? null),
        m.afternoon?.temperatureTenths ?? null,
      ]),
    },
    {
      id: 'fevers',
      name: label(lang, 'fevers'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'kind', 'code'),
        col(lang, 'time', 'time'),
        col(lang, 'temp', 'temp'),
        col(lang, 'gate', 'text'),
        col(lang, 'source', 'code'),
        col(lang, 'alertState', 'code'),
        col(lang, 'disposition', 'code', 24),
        col(lang, 'room', 'text'),
      ],
      rows: r.fevers.map((f) => [
        f.employeeNo,
        f.name,
        f.department,
        valueText(lang, f.kind),
        f.time,
        f.temperatureTenths,
        n.gate(f.gateId),
        valueText(lang, f.source),
        valueText(lang, f.state),
        valueText(lang, f.disposition),
        n.room(f.roomId),
      ]),
    },
    {
      id: 'visitors',
      name: label(lang, 'visitors'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'firstTime', 'time'),
        col(lang, 'firstTemp', 'temp'),
        col(lang, 'gate', 'text'),
        col(lang, 'highestTemp', 'temp'),
        col(lang, 'status', 'code'),
      ],
      rows: r.visitors.map((v) => [
        v.employeeNo,
        v.name,
        v.department,
        v.first?.time ?? null,
        v.first?.temperatureTenths ?? null,
        v.first ? n.gate(v.first.gateId) : null,
        v.highest?.temperatureTenths ?? null,
        statusText(lang, { expected: false, status: v.status, readings: v.first ? 1 : 0 }),
      ]),
    },
  ];
}

/** A cell as text, the way the CSV writes it (and the page shows it): temperatures with one decimal. */
export function cellText(kind: CellKind, v: Cell): string {
  if (v === null) return '';
  if (kind === 'temp' && typeof v === 'number') return (v / 10).toFixed(1);
  return String(v);
}
