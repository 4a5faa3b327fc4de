/**
 * One employee's twice-daily log: a row per day (morning, afternoon, highest, status; gaps
 * marked), the temperature chart, and exports of the same period.
 */
import { api, qs } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { addDays, fmtTempC, isDate, localDate } from '../format.ts';
import { t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { dayStatusCell, entryCell, exportLinks } from './cells.ts';
import { liftForm } from '../admin/holds.ts';
import { type HoldsAnswer, roomText, stageText } from '../holds-model.ts';
import { asPersonLog } from './log-model.ts';

export const renderPerson: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const today = localDate(Date.now(), tz);
  const no = ctx.params.get('no')?.trim() ?? '';
  const from = isDate(ctx.params.get('from') ?? '')
    ? (ctx.params.get('from') as string)
    : addDays(today, -13);
  const to = isDate(ctx.params.get('to') ?? '') ? (ctx.params.get('to') as string) : today;

  const noInput = h('input', {
    name: 'employeeNo',
    value: no,
    required: true,
    'aria-label': t('hr.employeeNoOrName'),
    placeholder: t('hr.employeeNoOrName'),
    'data-testid': 'employee-no',
  });
  const fromInput = h('input', { name: 'from', type: 'date', value: from, 'aria-label': t('hr.from') });
  const toInput = h('input', { name: 'to', type: 'date', value: to, 'aria-label': t('hr.to') });
  const result = h('div', { class: 'result', 'data-testid': 'person-log' });
  let destroyChart: (() => void) | undefined;
  let closed = false;

  mount(
    root,
    h('h1', null, t('nav.hrPerson')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const n = noInput.value.trim();
          if (n) ctx.go('/hr/person', { no: n, from: fromInput.value, to: toInput.value });
        },
      },
      h('label', null, t('hr.employeeNo'), noInput),
      h('label', null, t('hr.from'), fromInput),
      h('label', null, t('hr.to'), toInput),
      h('button', { type: 'submit', class: 'primary' }, t('hr.show')),
    ),
    result,
  );

  if (!no) {
    mount(result, h('p', { class: 'muted' }, t('hr.enterEmployee')));
    return;
  }
  mount(result, h('p', { class: 'muted' }, t('common.loading')));

  void (async () => {
    try {
      // HR types an employee number or a name: a name on the roster is its employee number; a
      // query that is neither, with no reading either, is "no such person" rather than 14 days
      // of 缺测 for somebody who does not exist (issue #18).
      const roster = await api
        .get<{ entries?: Array<{ employeeNo: string; name: string }> }>('/api/access-list')
        .catch(() => ({ entries: [] }));
      const entries = roster.entries ?? [];
      const listed =
        entries.find((e) => e.employeeNo === no) ?? entries.filter((e) => e.name === no).at(0) ?? null;
      const employeeNo = listed?.employeeNo ?? no;
      const [body, held] = await Promise.all([
        api.get<unknown>(`/api/reports/person/${encodeURIComponent(employeeNo)}${qs({ from, to })}`),
        api.get<HoldsAnswer>('/api/holds?state=all'),
      ]);
      if (closed) return;
      if (!listed && asPersonLog(body, employeeNo).points.length === 0) {
        mount(
          result,
          h('p', { class: 'muted big', 'data-testid': 'no-such-person' }, t('hr.noSuchPerson', { q: no })),
        );
        return;
      }
      const hold = held.holds.find((x) => x.employeeNo === employeeNo);
      const log = asPersonLog(body, employeeNo);
      const chartEl = h('div', { class: 'chart', 'data-testid': 'chart' });
      const q = qs({ from, to });
      mount(
        result,
        h(
          'div',
          { class: 'person-head' },
          h('h2', null, `${log.employeeNo} ${log.name}`),
          log.department ? h('span', { class: 'muted' }, log.department) : null,
          exportLinks(`/api/exports/person/${encodeURIComponent(employeeNo)}`, q),
        ),
        hold?.state === 'active'
          ? h(
              'div',
              { class: 'notice hold-banner', 'data-testid': 'person-hold' },
              h('strong', null, t('hold.personHeld', { stage: stageText(hold.stage) })),
              ` · ${roomText(hold)}`,
              hold.note ? ` · ${hold.note}` : '',
              liftForm(ctx, employeeNo, () => ctx.go('/hr/person', { no: employeeNo, from, to })),
            )
          : hold?.state === 'lifted' && hold.returnDate
            ? h('p', { class: 'muted' }, t('hold.returnOn', { date: hold.returnDate }))
            : null,
        chartEl,
        log.days.length === 0
          ? h('p', { class: 'muted' }, t('hr.noData'))
          : h(
              'table',
              { class: 'log' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  h('th', null, t('hr.date')),
                  h('th', null, t('hr.morning')),
                  h('th', null, t('hr.afternoon')),
                  h('th', null, t('hr.highest')),
                  h('th', null, t('hr.status')),
                ),
              ),
              h(
                'tbody',
                null,
                [...log.days]
                  .sort((a, b) => b.day.localeCompare(a.day))
                  .map((d) =>
                    h(
                      'tr',
                      { 'data-day': d.day },
                      h('td', null, d.day),
                      entryCell(d.morning, tz, log.thresholdTenths, d.expected),
                      entryCell(d.afternoon, tz, log.thresholdTenths, d.expected),
                      h(
                        'td',
                        {
                          class:
                            d.status === 'fever' ||
                            (d.highestTenths !== null &&
                              log.thresholdTenths !== null &&
                              d.highestTenths >= log.thresholdTenths)
                              ? 'fever'
                              : '',
                        },
                        fmtTempC(d.highestTenths),
                      ),
                      dayStatusCell(d),
                    ),
                  ),
              ),
            ),
      );
      if (log.points.length > 0) {
        const { drawChart } = await import('./chart.ts');
        if (!closed) destroyChart = drawChart(chartEl, log.points, tz);
      } else {
        mount(chartEl, h('p', { class: 'muted' }, t('hr.noChart')));
      }
    } catch (err) {
      if (!closed) mount(result, h('p', { class: 'error' }, errorText(err)));
    }
  })();

  return () => {
    closed = true;
    destroyChart?.();
  };
};
