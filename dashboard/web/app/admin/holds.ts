/**
 * Person holds (HR and admins): who is refused at every gate and why, lifting a hold (hospital
 * certificate seen, return date) and opening a manual one. Both ask the hub and wait for its
 * answer; hold requests from guards' episode actions that the hub has not confirmed are listed.
 */
import { api, qs } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtTempC, fmtTime } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import { type HoldsAnswer, type PersonHold, roomText, stageText } from '../holds-model.ts';
import type { PageContext, Render } from '../router.ts';
import { load, table } from './ui.ts';

/** The lift form for one person (also on HR's person page). */
export function liftForm(ctx: PageContext, employeeNo: string, done: () => void): HTMLElement {
  const reason = h(
    'select',
    { name: 'reason' },
    h('option', { value: 'certificate' }, t('hold.liftReason.certificate')),
    h('option', { value: 'other' }, t('hold.liftReason.other')),
  );
  const note = h('input', { name: 'note', required: true, maxlength: 200, size: 30 });
  const returnDate = h('input', { name: 'returnDate', type: 'date' });
  const err = h('p', { class: 'error' });
  return h(
    'form',
    {
      class: 'inline lift-form',
      'data-testid': `lift-${employeeNo}`,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        err.textContent = '';
        try {
          await api.post(`/api/holds/${encodeURIComponent(employeeNo)}/lift`, {
            reason: reason.value,
            note: note.value.trim(),
            returnDate: returnDate.value || null,
          });
          ctx.toast(t('hold.liftedOk'));
          done();
        } catch (e) {
          err.textContent = errorText(e);
        }
      },
    },
    h('label', null, t('hold.reason'), reason),
    h('label', null, t('hold.note'), note),
    h('label', null, t('hold.returnDate'), returnDate),
    h('button', { type: 'submit', class: 'primary' }, t('hold.lift')),
    err,
  );
}

function holdRow(ctx: PageContext, x: PersonHold, refresh: () => void): HTMLElement {
  const tz = ctx.me.site.timezone;
  const lang = getLang();
  return h(
    'tr',
    { 'data-employee': x.employeeNo, class: x.state === 'active' ? 'held' : 'lifted' },
    h('td', null, x.employeeNo),
    h('td', null, x.name),
    h('td', null, t(`hold.state.${x.state}`)),
    h('td', null, stageText(x.stage)),
    h('td', null, roomText(x)),
    h('td', null, x.gateId ?? '—', x.temperatureTenths !== null ? ` ${fmtTempC(x.temperatureTenths)}` : ''),
    h('td', null, fmtTime(x.since, tz, lang)),
    h(
      'td',
      null,
      x.note,
      x.liftReason ? ` · ${t(`hold.liftReason.${x.liftReason}`)}` : '',
      x.returnDate ? ` · ${t('hold.returnOn', { date: x.returnDate })}` : '',
    ),
    h('td', null, x.state === 'active' ? liftForm(ctx, x.employeeNo, refresh) : (x.liftedBy ?? '')),
  );
}

export const renderHolds: Render = (root, ctx) => {
  const list = h('div', { 'data-testid': 'holds-admin' });
  const showAll = h('input', { type: 'checkbox', name: 'all' });
  const no = h('input', { name: 'employeeNo', required: true, maxlength: 64 });
  const name = h('input', { name: 'name', maxlength: 128 });
  const note = h('input', { name: 'note', required: true, maxlength: 200, size: 30 });
  const err = h('p', { class: 'error' });

  const refresh = () =>
    load(
      list,
      () => api.get<HoldsAnswer>(`/api/holds${qs({ state: showAll.checked ? 'all' : 'active' })}`),
      (a) =>
        mount(
          list,
          a.holds.length === 0
            ? h('p', { class: 'muted' }, t('hold.none'))
            : table(
                [
                  t('hold.employeeNo'),
                  t('hold.name'),
                  t('hold.col.state'),
                  t('hold.col.stage'),
                  t('hold.col.room'),
                  t('alert.gate'),
                  t('hold.col.since'),
                  t('hold.note'),
                  t('hold.col.action'),
                ],
                a.holds.map((x) => holdRow(ctx, x, () => void refresh())),
              ),
          a.requests.length === 0
            ? null
            : h(
                'section',
                { class: 'panel', 'data-testid': 'hold-requests' },
                h('h2', null, t('hold.requests')),
                h(
                  'ul',
                  null,
                  a.requests.map((r) =>
                    h(
                      'li',
                      { class: r.state },
                      `${r.employeeNo} · ${t(`hold.action.${r.action}`)} · `,
                      r.state === 'pending'
                        ? t('hold.req.pending', { n: r.attempts })
                        : t('hold.req.refused', { code: r.code ?? r.error ?? '' }),
                    ),
                  ),
                ),
              ),
        ),
    );
  showAll.addEventListener('change', () => void refresh());

  mount(
    root,
    h('h1', null, t('hold.title')),
    h('label', { class: 'check' }, showAll, t('hold.showAll')),
    list,
    h(
      'section',
      { class: 'panel editor' },
      h('h2', null, t('hold.open')),
      h(
        'form',
        {
          class: 'stack',
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            err.textContent = '';
            try {
              await api.post('/api/holds', {
                employeeNo: no.value.trim(),
                ...(name.value.trim() ? { name: name.value.trim() } : {}),
                note: note.value.trim(),
              });
              ctx.toast(t('hold.openOk'));
              no.value = '';
              name.value = '';
              note.value = '';
              void refresh();
            } catch (e) {
              err.textContent = errorText(e);
            }
          },
        },
        h('label', null, t('hold.employeeNo'), no),
        h('label', null, t('hold.name'), name),
        h('label', null, t('hold.note'), note),
        h('button', { type: 'submit', class: 'primary' }, t('hold.open')),
        err,
      ),
    ),
  );
  void refresh();
  return undefined;
};
