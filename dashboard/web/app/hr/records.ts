/**
 * HR's notes of a day: absences with their reason (such a person is not counted as missing a
 * check) and the employees' daily health declarations (entered here, or imported from the
 * self-report form's file). A declaration naming a symptom or a contact raises an alert on the
 * guards' board at once; HR may also stop the person at every gate (a hold).
 */
import { importRefusal } from '../admin/access-list.ts';
import { load, table } from '../admin/ui.ts';
import { api } from '../api.ts';
import { h, mount } from '../dom.ts';
import { errorText } from '../errors.ts';
import { isDate, localDate } from '../format.ts';
import type { Absence, Declaration } from '../types.ts';
import { type Key, t } from '../i18n.ts';
import type { Render } from '../router.ts';

const REASONS = ['leave', 'sick-leave', 'business-trip', 'day-off', 'other'] as const;
const SYMPTOMS = ['fever', 'cough', 'fatigue', 'sore-throat', 'shortness-of-breath', 'other'] as const;

export const renderRecords: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const day = isDate(ctx.params.get('date') ?? '')
    ? (ctx.params.get('date') as string)
    : localDate(Date.now(), tz);
  const absences = h('div', { 'data-testid': 'absences' });
  const declarations = h('div', { 'data-testid': 'declarations' });
  const refresh = () => {
    void load(
      absences,
      () => api.get<Absence[]>(`/api/absences?day=${day}`),
      (list) =>
        mount(
          absences,
          list.length === 0
            ? h('p', { class: 'muted' }, t('records.noAbsence'))
            : table(
                [
                  t('hr.employeeNo'),
                  t('records.from'),
                  t('records.to'),
                  t('records.reason'),
                  t('records.note'),
                  '',
                ],
                list.map((a) =>
                  h(
                    'tr',
                    { 'data-employee': a.employeeNo },
                    h('td', null, a.employeeNo),
                    h('td', null, a.from),
                    h('td', null, a.to),
                    h('td', null, t(`absence.${a.reason}` as Key)),
                    h('td', null, a.note),
                    h(
                      'td',
                      null,
                      h(
                        'button',
                        {
                          type: 'button',
                          onclick: async () => {
                            try {
                              await api.del(`/api/absences/${a.id}`);
                              refresh();
                            } catch (e) {
                              ctx.toast(errorText(e), 'error');
                            }
                          },
                        },
                        t('common.delete'),
                      ),
                    ),
                  ),
                ),
              ),
        ),
    );
    void load(
      declarations,
      () => api.get<Declaration[]>(`/api/declarations?day=${day}`),
      (list) =>
        mount(
          declarations,
          list.length === 0
            ? h('p', { class: 'muted' }, t('records.noDeclaration'))
            : table(
                [
                  t('hr.employeeNo'),
                  t('records.symptoms'),
                  t('records.travel'),
                  t('records.contact'),
                  t('records.source'),
                ],
                list.map((d) =>
                  h(
                    'tr',
                    {
                      'data-employee': d.employeeNo,
                      class: d.symptoms.length || d.contact ? 'declared' : '',
                    },
                    h('td', null, d.employeeNo),
                    h(
                      'td',
                      null,
                      d.symptoms.length
                        ? d.symptoms.map((s) => t(`symptom.${s}` as Key)).join('、')
                        : t('records.none'),
                    ),
                    h('td', null, d.travel || t('records.none')),
                    h('td', null, d.contact ? t('records.yes') : t('records.no')),
                    h('td', null, t(`records.source.${d.source}` as Key)),
                  ),
                ),
              ),
        ),
    );
  };

  // An absence.
  const aNo = h('input', {
    name: 'employeeNo',
    required: true,
    maxlength: 64,
    'data-testid': 'absence-employee',
  });
  const aFrom = h('input', { name: 'from', type: 'date', value: day, required: true });
  const aTo = h('input', { name: 'to', type: 'date', value: day, required: true });
  const aReason = h(
    'select',
    { name: 'reason', 'data-testid': 'absence-reason' },
    REASONS.map((r) => h('option', { value: r }, t(`absence.${r}` as Key))),
  );
  const aNote = h('input', { name: 'note', maxlength: 200, placeholder: t('records.notePlaceholder') });
  const aErr = h('p', { class: 'error' });
  const absenceForm = h(
    'form',
    {
      class: 'inline',
      'data-testid': 'absence-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        aErr.textContent = '';
        try {
          await api.post('/api/absences', {
            employeeNo: aNo.value.trim(),
            from: aFrom.value,
            to: aTo.value,
            reason: aReason.value,
            note: aNote.value.trim(),
          });
          ctx.toast(t('records.absenceSaved'));
          aNo.value = '';
          aNote.value = '';
          refresh();
        } catch (e) {
          aErr.textContent = errorText(e);
        }
      },
    },
    h('label', null, t('hr.employeeNo'), aNo),
    h('label', null, t('records.from'), aFrom),
    h('label', null, t('records.to'), aTo),
    h('label', null, t('records.reason'), aReason),
    aNote,
    h('button', { type: 'submit', class: 'primary' }, t('common.save')),
    aErr,
  );

  // A declaration.
  const dNo = h('input', {
    name: 'employeeNo',
    required: true,
    maxlength: 64,
    'data-testid': 'declaration-employee',
  });
  const boxes = SYMPTOMS.map((s) => ({
    s,
    el: h('input', { type: 'checkbox', name: 'symptom', value: s, 'data-symptom': s }),
  }));
  const dTravel = h('input', { name: 'travel', maxlength: 200, placeholder: t('records.travelPlaceholder') });
  const dContact = h('input', { type: 'checkbox', name: 'contact' });
  const dHold = h('input', { type: 'checkbox', name: 'hold' });
  const dErr = h('p', { class: 'error' });
  const declarationForm = h(
    'form',
    {
      class: 'stack',
      'data-testid': 'declaration-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        dErr.textContent = '';
        try {
          const r = await api.post<{ alerted: boolean }>('/api/declarations', {
            employeeNo: dNo.value.trim(),
            day,
            symptoms: boxes.filter((b) => b.el.checked).map((b) => b.s),
            travel: dTravel.value.trim(),
            contact: dContact.checked,
            hold: dHold.checked,
          });
          ctx.toast(r.alerted ? t('records.declaredAlerted') : t('records.declarationSaved'));
          declarationForm.reset();
          refresh();
        } catch (e) {
          dErr.textContent = errorText(e);
        }
      },
    },
    h('label', null, t('hr.employeeNo'), dNo),
    h(
      'fieldset',
      { class: 'symptoms' },
      h('legend', null, t('records.symptoms')),
      boxes.map((b) => h('label', { class: 'check' }, b.el, t(`symptom.${b.s}` as Key))),
    ),
    h('label', null, t('records.travel'), dTravel),
    h('label', { class: 'check' }, dContact, t('records.contactQuestion')),
    h('label', { class: 'check' }, dHold, t('records.holdQuestion')),
    h('button', { type: 'submit', class: 'primary' }, t('records.saveDeclaration')),
    dErr,
  );

  // The self-report form's file.
  const file = h('input', { type: 'file', accept: '.csv,text/csv', 'data-testid': 'declaration-file' });
  const importReport = h('div', { class: 'import-report', 'data-testid': 'declaration-import-report' });
  const importForm = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const f = file.files?.[0];
        if (!f) return;
        mount(importReport);
        try {
          const r = await api.postText<{ imported: number; alerted: number }>(
            '/api/declarations/import',
            f,
            'text/csv',
          );
          mount(
            importReport,
            h('p', { class: 'ok' }, t('records.imported', { n: r.imported, alerted: r.alerted })),
          );
          refresh();
        } catch (err) {
          mount(
            importReport,
            importRefusal(err, (n) => t('selfReport.refused', { n })),
          );
        }
      },
    },
    h('label', null, t('selfReport.file'), file),
    h('button', { type: 'submit', class: 'primary' }, t('records.import')),
  );

  const dateInput = h('input', { type: 'date', value: day, 'aria-label': t('hr.date') });
  mount(
    root,
    h('h1', null, t('nav.records')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          if (isDate(dateInput.value)) ctx.go('/hr/records', { date: dateInput.value });
        },
      },
      h('label', null, t('hr.date'), dateInput),
      h('button', { type: 'submit', class: 'primary' }, t('hr.show')),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('records.absences')),
      h('p', { class: 'muted' }, t('records.absenceHelp')),
      absenceForm,
      absences,
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('records.declarations')),
      h('p', { class: 'muted' }, t('records.declarationHelp')),
      declarationForm,
      h('h3', null, t('records.importTitle')),
      h('p', { class: 'muted' }, t('records.importHelp')),
      h('pre', { class: 'sample' }, t('records.importSample')),
      importForm,
      importReport,
      declarations,
    ),
  );
  refresh();
  return undefined;
};
