/** The whole site on one day: every expected person with both half-days, gaps marked. */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtTempC, isDate, localDate } from '../format.ts';
import { t } from '../i18n.ts';
import { hashFor, type Render } from '../router.ts';
import { dayStatusCell, entryCell, exportLinks } from './cells.ts';
import { asLogDay, type LogDay } from './log-model.ts';

export const renderSiteDay: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const date = isDate(ctx.params.get('date') ?? '')
    ? (ctx.params.get('date') as string)
    : localDate(Date.now(), tz);
  const dateInput = h('input', { type: 'date', name: 'date', value: date, 'aria-label': t('hr.date') });
  const filter = h('select', { name: 'status', 'aria-label': t('hr.status') });
  const result = h('div', { class: 'result', 'data-testid': 'site-day' });
  let rows: LogDay[] = [];
  /** The site policy's threshold the server made the statuses with; whether the day is a working day. */
  let threshold: number | null = null;
  let workingDay = true;
  let closed = false;

  mount(
    root,
    h('h1', null, t('nav.hrDay')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          if (isDate(dateInput.value)) ctx.go('/hr/day', { date: dateInput.value });
        },
      },
      h('label', null, t('hr.date'), dateInput),
      h('button', { type: 'submit', class: 'primary' }, t('hr.show')),
      h('label', null, t('hr.onlyStatus'), filter),
      exportLinks(`/api/exports/site-day/${date}`, ''),
      h('span', { class: 'muted' }, t('hr.month')),
      exportLinks(`/api/exports/site-month/${date.slice(0, 7)}`, ''),
    ),
    result,
  );
  mount(
    filter,
    h('option', { value: '' }, t('hr.all')),
    (['complete', 'morning-missing', 'afternoon-missing', 'absent', 'fever'] as const).map((s) =>
      h('option', { value: s }, t(`status.${s}`)),
    ),
  );

  const draw = () => {
    const shown = filter.value ? rows.filter((r) => r.status === filter.value) : rows;
    mount(
      result,
      workingDay ? null : h('p', { class: 'notice', 'data-testid': 'day-off' }, t('hr.dayOff')),
      h('p', { class: 'muted' }, t('hr.people', { n: shown.length, total: rows.length })),
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
              t('hr.highest'),
              t('hr.status'),
            ].map((x) => h('th', null, x)),
          ),
        ),
        h(
          'tbody',
          null,
          shown.map((r) =>
            h(
              'tr',
              { 'data-employee': r.employeeNo },
              h(
                'td',
                null,
                h(
                  'a',
                  { href: hashFor('/hr/person', { no: r.employeeNo, from: date, to: date }) },
                  r.employeeNo,
                ),
              ),
              h('td', null, r.name),
              h('td', null, r.department),
              entryCell(r.morning, tz, threshold, r.expected),
              entryCell(r.afternoon, tz, threshold, r.expected),
              h('td', null, fmtTempC(r.highestTenths)),
              dayStatusCell(r),
            ),
          ),
        ),
      ),
    );
  };
  filter.addEventListener('change', draw);

  mount(result, h('p', { class: 'muted' }, t('common.loading')));
  void (async () => {
    try {
      const body = await api.get<unknown>(`/api/reports/site-day/${date}`);
      if (closed) return;
      // { rows: expected employees then others measured, visitors: visitors screened }.
      const b = body as {
        rows?: unknown[];
        visitors?: unknown[];
        thresholdTenths?: unknown;
        workingDay?: unknown;
      };
      threshold = typeof b.thresholdTenths === 'number' ? b.thresholdTenths : null;
      workingDay = b.workingDay !== false;
      const list = Array.isArray(body) ? (body as unknown[]) : [...(b.rows ?? []), ...(b.visitors ?? [])];
      rows = list.map((x) => asLogDay({ day: date, ...(x as object) }));
      draw();
    } catch (err) {
      if (!closed) mount(result, h('p', { class: 'error' }, errorText(err)));
    }
  })();
  return () => {
    closed = true;
  };
};
