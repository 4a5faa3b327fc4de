/**
 * The daily report for the authorities: counts, and each fever with its disposition. A day with
 * no case still has its report (a "zero report").
 */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime, fmtTempC, isDate, localDate } from '../format.ts';
import { type Key, t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { entryCell, exportLinks, statusCell } from './cells.ts';
import { asLogDay } from './log-model.ts';

type Raw = Record<string, unknown>;

/** Report counters in the order HR reads them; the keys the reports API uses. */
const COUNTERS: [string[], Key][] = [
  [['expected', 'peopleExpected'], 'report.expected'],
  [['screened', 'peopleScreened'], 'report.screened'],
  [['complete', 'completeRecords'], 'report.complete'],
  [['missingChecks', 'missing'], 'report.missing'],
  [['feverCount', 'fevers'], 'report.fevers'],
  [['visitorsScreened', 'visitors'], 'report.visitors'],
  [['manualChecks'], 'report.manualChecks'],
  [['othersScreened'], 'report.others'],
];

function pick(r: Raw, keys: string[]): unknown {
  for (const k of keys) if (k in r) return r[k];
  return undefined;
}

function count(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return String(v.length);
  if (v && typeof v === 'object' && typeof (v as Raw).count === 'number') return String((v as Raw).count);
  return '—';
}

/** Expected employees whose twice-daily record is not complete that day. */
function missingTable(r: Raw, tz: string): HTMLElement | null {
  const missing = Array.isArray(r.missing) ? (r.missing as Raw[]) : [];
  if (missing.length === 0) return null;
  return h(
    'section',
    null,
    h('h2', null, t('report.missingList')),
    h(
      'table',
      { class: 'log' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [
            t('hr.employeeNo'),
            t('hr.name'),
            t('hr.department'),
            t('hr.morning'),
            t('hr.afternoon'),
            t('hr.status'),
          ].map((x) => h('th', null, x)),
        ),
      ),
      h(
        'tbody',
        null,
        missing.map((m) => {
          const e = asLogDay(m);
          return h(
            'tr',
            { 'data-employee': e.employeeNo },
            h('td', null, e.employeeNo),
            h('td', null, e.name),
            h('td', null, e.department),
            entryCell(e.morning, tz, null),
            entryCell(e.afternoon, tz, null),
            statusCell(typeof m.checks === 'string' ? m.checks : e.status),
          );
        }),
      ),
    ),
  );
}

export const renderDailyReport: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const date = isDate(ctx.params.get('date') ?? '')
    ? (ctx.params.get('date') as string)
    : localDate(Date.now(), tz);
  const dateInput = h('input', { type: 'date', name: 'date', value: date, 'aria-label': t('hr.date') });
  const result = h('div', { class: 'result', 'data-testid': 'daily-report' });
  let closed = false;

  mount(
    root,
    h('h1', null, t('nav.hrReport')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          if (isDate(dateInput.value)) ctx.go('/hr/report', { date: dateInput.value });
        },
      },
      h('label', null, t('hr.date'), dateInput),
      h('button', { type: 'submit', class: 'primary' }, t('hr.show')),
      exportLinks(`/api/exports/daily/${date}`, ''),
    ),
    result,
  );

  mount(result, h('p', { class: 'muted' }, t('common.loading')));
  void (async () => {
    try {
      // Today is not over: show it as it stands now (a fever after the scheduled report time is in
      // it). A past day shows the report that was kept and sent.
      const live = date === localDate(Date.now(), tz) ? '?fresh=true' : '';
      const body = await api.get<Raw>(`/api/reports/daily/${date}${live}`);
      if (closed) return;
      const r = ((body.report as Raw | undefined) ?? body) as Raw;
      const feverList = (pick(r, ['feverCases', 'fevers', 'cases']) ?? []) as unknown;
      const fevers = Array.isArray(feverList) ? (feverList as Raw[]) : [];
      mount(
        result,
        h(
          'dl',
          { class: 'summary' },
          COUNTERS.flatMap(([keys, label]) => [h('dt', null, t(label)), h('dd', null, count(pick(r, keys)))]),
        ),
        typeof r.generatedAt === 'number'
          ? h('p', { class: 'muted' }, `${t('report.generatedAt')} ${fmtDateTime(r.generatedAt, tz)}`)
          : null,
        typeof body.kept === 'boolean'
          ? h('p', { class: 'muted' }, body.kept ? t('report.kept') : t('report.live'))
          : null,
        h('h2', null, t('report.feverCases')),
        fevers.length === 0
          ? h('p', { class: 'zero', 'data-testid': 'zero-report' }, t('report.zero'))
          : h(
              'table',
              { class: 'log' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  [
                    t('hr.employeeNo'),
                    t('hr.name'),
                    t('report.time'),
                    t('report.temp'),
                    t('alert.gate'),
                    t('report.disposition'),
                  ].map((x) => h('th', null, x)),
                ),
              ),
              h(
                'tbody',
                null,
                fevers.map((f) =>
                  h(
                    'tr',
                    null,
                    h('td', null, String(f.employeeNo ?? '')),
                    h('td', null, String(f.name ?? '')),
                    h(
                      'td',
                      null,
                      fmtDateTime(typeof f.at === 'number' ? f.at : (f.raisedAt as number | undefined), tz),
                    ),
                    h('td', null, fmtTempC(f.temperatureTenths as number | null)),
                    h('td', null, String(f.gateId ?? '')),
                    h(
                      'td',
                      null,
                      typeof f.disposition === 'string'
                        ? t(`disposition.${f.disposition}` as Key)
                        : t('report.open'),
                    ),
                  ),
                ),
              ),
            ),
        missingTable(r, tz),
      );
    } catch (err) {
      if (!closed) mount(result, h('p', { class: 'error' }, errorText(err)));
    }
  })();
  return () => {
    closed = true;
  };
};
