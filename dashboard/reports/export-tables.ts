/** The columns and rows of every export, independent of the format. */
import type { DailyReport } from './daily-report.ts';
import { type ExportLang, type LabelKey, label, valueText } from './labels.ts';
import type { Cell, CellKind, Column } from './table-writer.ts';
import type { LogReading, PersonDayLog } from './twice-daily.ts';

const col = (lang: ExportLang, key: LabelKey, kind: CellKind, width?: number): Column => ({
  key,
  header: label(lang, key),
  kind,
  ...(width ? { width } : {}),
});

export function logColumns(lang: ExportLang): Column[] {
  return [
    col(lang, 'day', 'code', 12),
    col(lang, 'employeeNo', 'text', 14),
    col(lang, 'name', 'text', 14),
    col(lang, 'department', 'text', 16),
    col(lang, 'kind', 'code'),
    col(lang, 'morningTime', 'code'),
    col(lang, 'morningTemp', 'temp'),
    col(lang, 'morningGate', 'text'),
    col(lang, 'morningSource', 'code'),
    col(lang, 'morningBy', 'text'),
    col(lang, 'afternoonTime', 'code'),
    col(lang, 'afternoonTemp', 'temp'),
    col(lang, 'afternoonGate', 'text'),
    col(lang, 'afternoonSource', 'code'),
    col(lang, 'afternoonBy', 'text'),
    col(lang, 'highestTemp', 'temp'),
    col(lang, 'highestTime', 'code'),
    col(lang, 'readings', 'int'),
    col(lang, 'status', 'code'),
  ];
}

const entry = (lang: ExportLang, e: LogReading | null): Cell[] =>
  e
    ? [e.time, e.temperatureTenths, e.gateId, valueText(lang, e.source), e.enteredBy]
    : [null, null, null, null, null];

export function logRow(lang: ExportLang, r: PersonDayLog): Cell[] {
  return [
    r.day,
    r.employeeNo,
    r.name,
    r.department,
    valueText(lang, r.kind),
    ...entry(lang, r.morning),
    ...entry(lang, r.afternoon),
    r.highestTenths,
    r.highest?.time ?? null,
    r.readings,
    valueText(lang, r.status),
  ];
}

/** The daily report as tables: summary, missing checks, fevers, visitors. */
export function reportTables(
  lang: ExportLang,
  r: DailyReport,
  generatedAt: string,
): Array<{ name: string; columns: Column[]; rows: Cell[][] }> {
  const yesNo = (b: boolean) => label(lang, b ? 'yes' : 'no');
  const summary: Array<[LabelKey, Cell]> = [
    ['site', r.siteName || r.siteId],
    ['date', r.date],
    ['generatedAt', generatedAt],
    ['expected', r.expected],
    ['screened', r.screened],
    ['complete', r.complete],
    ['missingChecks', r.missingChecks],
    ['feverCount', r.feverCount],
    ['zeroReport', yesNo(r.zeroReport)],
    ['visitorsScreened', r.visitorsScreened],
    ['othersScreened', r.othersScreened],
    ['manualChecks', r.manualChecks],
  ];
  return [
    {
      name: label(lang, 'summary'),
      columns: [col(lang, 'item', 'code', 30), col(lang, 'value', 'text', 24)],
      rows: summary.map(([k, v]) => [label(lang, k), v === null ? null : String(v)]),
    },
    {
      name: label(lang, 'missing'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'checks', 'code'),
        col(lang, 'morningTime', 'code'),
        col(lang, 'morningTemp', 'temp'),
        col(lang, 'afternoonTime', 'code'),
        col(lang, 'afternoonTemp', 'temp'),
      ],
      rows: r.missing.map((m) => [
        m.employeeNo,
        m.name,
        m.department,
        valueText(lang, m.checks),
        m.morning?.time ?? null,
        m.morning?.temperatureTenths ?? null,
        m.afternoon?.time ?? null,
        m.afternoon?.temperatureTenths ?? null,
      ]),
    },
    {
      name: label(lang, 'fevers'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'kind', 'code'),
        col(lang, 'time', 'code'),
        col(lang, 'temp', 'temp'),
        col(lang, 'gate', 'text'),
        col(lang, 'source', 'code'),
        col(lang, 'alertState', 'code'),
        col(lang, 'disposition', 'code', 20),
        col(lang, 'room', 'text'),
      ],
      rows: r.fevers.map((f) => [
        f.employeeNo,
        f.name,
        f.department,
        valueText(lang, f.kind),
        f.time,
        f.temperatureTenths,
        f.gateId,
        valueText(lang, f.source),
        valueText(lang, f.state),
        valueText(lang, f.disposition),
        f.roomId,
      ]),
    },
    {
      name: label(lang, 'visitors'),
      columns: [
        col(lang, 'employeeNo', 'text', 14),
        col(lang, 'name', 'text', 14),
        col(lang, 'department', 'text', 16),
        col(lang, 'firstTime', 'code'),
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
        v.first?.gateId ?? null,
        v.highest?.temperatureTenths ?? null,
        valueText(lang, v.status),
      ]),
    },
  ];
}
