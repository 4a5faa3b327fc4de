/**
 * The whole site on one day: every expected person with both half-days, gaps marked. Read a page
 * of PAGE rows at a time (the status filter asks the server): at 50,000 people the whole day is
 * a 40 MB answer (bench/NOTES.md, issue 22).
 */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtTempC, isDate, localDate } from '../format.ts';
import { t } from '../i18n.ts';
import { hashFor, type Render } from '../router.ts';
import { dayStatusCell, entryCell, exportLinks } from './cells.ts';
import type { SiteDayAnswer } from '../types.ts';
import { asLogDay, type LogDay } from './log-model.ts';

/** Rows per page. */
export const PAGE = 500;

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
  /** Where the shown page starts; rows matching the filter in the whole day. */
  let offset = 0;
  let total = 0;
  /** Everybody of the day, whatever the filter (employees' rows and visitors). */
  let everybody = 0;
  /** Visitors screened that day (every page carries them; shown on the first). */
  let visitors: LogDay[] = [];

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
    const onFirst = offset === 0 ? visitors.filter((r) => !filter.value || r.status === filter.value) : [];
    const shown = [...rows, ...onFirst];
    const pager = (dir: -1 | 1, label: string, enabled: boolean) =>
      h(
        'button',
        {
          type: 'button',
          'data-page': dir < 0 ? 'prev' : 'next',
          disabled: !enabled,
          onclick: () => void load(Math.max(0, offset + dir * PAGE)),
        },
        label,
      );
    mount(
      result,
      workingDay ? null : h('p', { class: 'notice', 'data-testid': 'day-off' }, t('hr.dayOff')),
      h(
        'p',
        { class: 'muted' },
        total > rows.length
          ? t('hr.pageRange', { from: offset + 1, to: offset + rows.length, total })
          : t('hr.people', { n: shown.length, total: everybody }),
      ),
      total > PAGE
        ? h(
            'p',
            { class: 'pager' },
            pager(-1, t('hr.prevPage'), offset > 0),
            pager(1, t('hr.nextPage'), offset + PAGE < total),
          )
        : null,
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
  const load = async (from: number) => {
    const status = filter.value;
    try {
      const body = await api.get<SiteDayAnswer>(
        `/api/reports/site-day/${date}?limit=${PAGE}&offset=${from}${status ? `&status=${status}` : ''}`,
      );
      if (closed || status !== filter.value) return;
      threshold = body.thresholdTenths;
      workingDay = body.workingDay;
      offset = body.page?.offset ?? 0;
      total = body.page?.total ?? body.rows.length;
      // rows: expected employees then others measured; visitors: visitors screened.
      rows = body.rows.map((x) => asLogDay(x));
      visitors = body.visitors.map((x) => asLogDay(x));
      const counted = body.counts ? Object.values(body.counts).reduce((a, b) => a + b, 0) : total;
      everybody = counted + visitors.length;
      draw();
    } catch (err) {
      if (!closed) mount(result, h('p', { class: 'error' }, errorText(err)));
    }
  };
  filter.addEventListener('change', () => void load(0));

  mount(result, h('p', { class: 'muted' }, t('common.loading')));
  void load(0);
  return () => {
    closed = true;
  };
};
