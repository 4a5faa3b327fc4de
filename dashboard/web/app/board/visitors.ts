/**
 * The gate house's visitor register on the guard's board: the form (who, whom they visit, why,
 * how long, health code, declaration, handheld temperature) and today's visitors with their exit.
 * Admitted visitors may pass the gates until they leave or their expected stay ends.
 */
import { api } from '../api.ts';
import { h, mount } from '../dom.ts';
import { errorText } from '../errors.ts';
import { fmtTempC, fmtTime, parseCelsius } from '../format.ts';
import { getLang, type Key, t } from '../i18n.ts';
import type { PageContext } from '../router.ts';
import type { VisitorView } from '../types.ts';

const SYMPTOMS = ['fever', 'cough', 'fatigue', 'sore-throat', 'shortness-of-breath', 'other'] as const;

export function visitorPanel(ctx: PageContext): HTMLElement {
  const tz = ctx.me.site.timezone;
  const list = h('div', { 'data-testid': 'visitor-list' });
  const input = (name: string, attrs: Record<string, string | number | boolean> = {}) =>
    h('input', { name, 'data-testid': `visitor-${name}`, ...attrs });
  const name = input('name', { required: true, maxlength: 64 });
  const phone = input('phone', { required: true, inputmode: 'tel', maxlength: 20 });
  const idNumber = input('idNumber', { required: true, maxlength: 20, autocomplete: 'off' });
  const company = input('company', { maxlength: 64 });
  const host = input('host', { required: true, maxlength: 64 });
  const reason = input('reason', { required: true, maxlength: 100 });
  const hours = input('hours', { type: 'number', min: 0.25, max: 24, step: 0.25, value: 2, required: true });
  const code = h(
    'select',
    { name: 'healthCode', 'data-testid': 'visitor-healthCode' },
    (['green', 'yellow', 'red'] as const).map((c) =>
      h('option', { value: c }, t(`visitor.code.${c}` as Key)),
    ),
  );
  const boxes = SYMPTOMS.map((s) => ({ s, el: h('input', { type: 'checkbox', 'data-symptom': s }) }));
  const travel = input('travel', { maxlength: 200, placeholder: t('records.travelPlaceholder') });
  const contact = h('input', { type: 'checkbox', name: 'contact' });
  const temp = input('temperature', { required: true, inputmode: 'decimal', placeholder: '36.5', size: 5 });
  const err = h('p', { class: 'error' });

  const refresh = async () => {
    try {
      const vs = await api.get<VisitorView[]>('/api/visitors');
      mount(
        list,
        vs.length === 0
          ? h('p', { class: 'muted' }, t('visitor.none'))
          : h(
              'ul',
              { class: 'visitors' },
              vs.map((v) =>
                h(
                  'li',
                  { 'data-visitor': v.id, class: v.admitted ? 'admitted' : 'refused' },
                  h('strong', null, `${v.id} ${v.name}`),
                  ` · ${v.company ? `${v.company} · ` : ''}${t('visitor.visits', { host: v.host })} · ${fmtTempC(v.temperatureTenths)}`,
                  ' · ',
                  h(
                    'span',
                    { class: v.admitted ? 'ok' : 'error', 'data-testid': 'visitor-state' },
                    v.admitted
                      ? v.exitAt === null
                        ? t('visitor.admittedUntil', { time: fmtTime(v.expectedUntil, tz, getLang()) })
                        : t('visitor.left', { time: fmtTime(v.exitAt, tz, getLang()) })
                      : t('visitor.refused', {
                          why: v.refused.map((r) => t(`visitor.refused.${r}` as Key)).join('、'),
                        }),
                  ),
                  v.admitted && v.exitAt === null
                    ? h(
                        'button',
                        {
                          type: 'button',
                          'data-action': 'visitor-exit',
                          onclick: async () => {
                            try {
                              await api.post(`/api/visitors/${encodeURIComponent(v.id)}/exit`, {});
                              ctx.toast(t('visitor.exitDone', { name: v.name }));
                              void refresh();
                            } catch (e) {
                              ctx.toast(errorText(e), 'error');
                            }
                          },
                        },
                        t('visitor.exit'),
                      )
                    : null,
                ),
              ),
            ),
      );
    } catch (e) {
      mount(list, h('p', { class: 'error' }, errorText(e)));
    }
  };

  const form = h(
    'form',
    {
      class: 'stack visitor-form',
      'data-testid': 'visitor-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const p = parseCelsius(temp.value);
        if (!p.ok) {
          err.textContent = t(`recheck.bad.${p.reason}`);
          temp.focus();
          return;
        }
        err.textContent = '';
        try {
          const v = await api.post<VisitorView>('/api/visitors', {
            name: name.value.trim(),
            phone: phone.value.trim(),
            idNumber: idNumber.value.trim(),
            company: company.value.trim(),
            host: host.value.trim(),
            reason: reason.value.trim(),
            expectedHours: Number(hours.value),
            healthCode: code.value,
            symptoms: boxes.filter((b) => b.el.checked).map((b) => b.s),
            travel: travel.value.trim(),
            contact: contact.checked,
            temperatureTenths: p.tenths,
          });
          ctx.toast(
            v.admitted
              ? t('visitor.admittedToast', { id: v.id, name: v.name })
              : t('visitor.refusedToast', { name: v.name }),
            v.admitted ? 'ok' : 'error',
          );
          form.reset();
          // reset() empties what h() set as a property: the usual stay is the default again.
          hours.value = '2';
          void refresh();
        } catch (e) {
          err.textContent = errorText(e);
        }
      },
    },
    h('label', null, t('visitor.name'), name),
    h('label', null, t('visitor.phone'), phone),
    h('label', null, t('visitor.idNumber'), idNumber),
    h('label', null, t('visitor.company'), company),
    h('label', null, t('visitor.host'), host),
    h('label', null, t('visitor.reason'), reason),
    h('label', null, t('visitor.hours'), hours),
    h('label', null, t('visitor.healthCode'), code),
    h(
      'fieldset',
      { class: 'symptoms' },
      h('legend', null, t('records.symptoms')),
      boxes.map((b) => h('label', { class: 'check' }, b.el, t(`symptom.${b.s}` as Key))),
    ),
    h('label', null, t('records.travel'), travel),
    h('label', { class: 'check' }, contact, t('records.contactQuestion')),
    h('label', null, `${t('visitor.temperature')} (°C)`, temp),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'visitor-submit' }, t('visitor.register')),
    err,
  );
  void refresh();
  return h(
    'details',
    { class: 'panel visitor-panel', 'data-testid': 'visitor-panel' },
    h('summary', null, t('visitor.title')),
    h('p', { class: 'muted small' }, t('visitor.help')),
    form,
    h('h3', null, t('visitor.today')),
    list,
  );
}
