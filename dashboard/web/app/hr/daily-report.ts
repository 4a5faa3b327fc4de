/**
 * The daily report for the authorities. The page draws the very tables the CSV/XLSX export writes
 * (reports/export-tables.ts `reportTables`: same labels, rows and names), from a report generated
 * for this request like the export's, with its generation time on it: what HR downloads is what
 * HR sees (issue #18). The copy kept and sent at the send time can be looked at on its own
 * (`version=sent`), and the page says whether it still matches.
 */
import type { DailyReport } from '../../../reports/daily-report.ts';
import { cellText, type ReportTable, reportTables } from '../../../reports/export-tables.ts';
import type { ExportLang } from '../../../reports/labels.ts';
import { LocalTime } from '../../../reports/local-format.ts';
import { api } from '../api.ts';
import type { DailyAnswer } from '../types.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime, isDate, localDate } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { exportLinks } from './cells.ts';

/** The route's answer, with the report as the report module types it (the schema keeps it loose). */
type Answer = Omit<DailyAnswer, 'report'> & { report: DailyReport };

const exportLang = (): ExportLang => (getLang() === 'en' ? 'en' : 'zh-CN');

/** One of the report's tables as HTML; cells as the CSV writes them. */
function table(tb: ReportTable): HTMLElement {
  return h(
    'table',
    { class: `log report-${tb.id}`, 'data-table': tb.id },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        tb.columns.map((c) => h('th', null, c.header)),
      ),
    ),
    h(
      'tbody',
      null,
      tb.rows.map((row) =>
        h(
          'tr',
          { 'data-employee': tb.id === 'summary' ? null : String(row[0] ?? '') },
          row.map((v, i) => {
            const kind = tb.columns[i]?.kind ?? 'text';
            const text = cellText(kind, v);
            return h('td', { class: `k-${kind}` }, text);
          }),
        ),
      ),
    ),
  );
}

export const renderDailyReport: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const today = localDate(Date.now(), tz);
  const date = isDate(ctx.params.get('date') ?? '') ? (ctx.params.get('date') as string) : today;
  const sent = ctx.params.get('version') === 'sent';
  const query = sent ? '?version=sent' : '';
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
      exportLinks(`/api/exports/daily/${date}`, query),
    ),
    h(
      'p',
      { class: 'exports-line', 'data-testid': 'visitor-register-export' },
      t('visitor.registerExport'),
      ' ',
      exportLinks(`/api/exports/visitors/${date}`, ''),
    ),
    result,
  );

  mount(result, h('p', { class: 'muted' }, t('common.loading')));
  void (async () => {
    try {
      const body = await api.get<Answer>(`/api/reports/daily/${date}${query}`);
      if (closed) return;
      const r = body.report;
      const lang = exportLang();
      const clock = new LocalTime(tz);
      const tables = reportTables(lang, r, clock.dateTime(r.generatedAt), body.kept);
      const [summary, departments, missing, fevers, visitors] = tables as [
        ReportTable,
        ReportTable,
        ReportTable,
        ReportTable,
        ReportTable,
      ];
      const isToday = date === today;
      mount(
        result,
        h(
          'p',
          { class: 'muted', 'data-testid': 'report-version' },
          body.kept
            ? t('report.sentCopy', { at: fmtDateTime(r.generatedAt, tz) })
            : t('report.liveCopy', { at: fmtDateTime(r.generatedAt, tz) }),
        ),
        body.sent && !body.kept
          ? h(
              'p',
              { class: body.sent.identical ? 'muted' : 'warn', 'data-testid': 'report-sent' },
              t(body.sent.identical ? 'report.sentSame' : 'report.sentDiffers', {
                at: fmtDateTime(body.sent.generatedAt, tz),
              }),
              ' ',
              h('a', { href: `#/hr/report?date=${date}&version=sent` }, t('report.showSent')),
            )
          : null,
        body.kept ? h('p', null, h('a', { href: `#/hr/report?date=${date}` }, t('report.showLive'))) : null,
        h(
          'dl',
          { class: 'summary', 'data-testid': 'report-summary' },
          summary.rows.flatMap((row) => [
            h('dt', null, cellText('code', row[0] ?? null)),
            h('dd', null, cellText('value', row[1] ?? null)),
          ]),
        ),
        departments.rows.length > 0 ? [h('h2', null, departments.name), table(departments)] : null,
        h('h2', null, fevers.name),
        fevers.rows.length === 0
          ? h(
              'p',
              { class: 'zero', 'data-testid': 'zero-report' },
              isToday ? t('report.zeroToday') : t('report.zeroDay', { date }),
            )
          : table(fevers),
        missing.rows.length > 0 ? [h('h2', null, missing.name), table(missing)] : null,
        visitors.rows.length > 0 ? [h('h2', null, visitors.name), table(visitors)] : null,
      );
    } catch (err) {
      if (!closed) mount(result, h('p', { class: 'error' }, errorText(err)));
    }
  })();
  return () => {
    closed = true;
  };
};
