/**
 * HR's import of self-reported temperatures (a CSV from a form or a spreadsheet). The server takes
 * the whole file or nothing: a refusal lists each bad line next to the upload, as the access-list
 * import does; a good file shows how many readings went in.
 */
import { ApiError, api } from '../api.ts';
import { importRefusal } from '../admin/access-list.ts';
import { h, mount } from '../dom.ts';
import { t } from '../i18n.ts';
import { asImportResult, refusedCount } from '../manual/model.ts';

export function selfReportImport(): HTMLElement {
  const report = h('div', { class: 'import-report', 'data-testid': 'self-report-report' });
  const file = h('input', {
    type: 'file',
    name: 'csv',
    accept: '.csv,text/csv',
    required: true,
    'data-testid': 'self-report-file',
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'self-report-submit' },
    t('selfReport.import'),
  );

  const send = async () => {
    const f = file.files?.[0];
    if (!f) {
      mount(report, h('p', { class: 'error' }, t('selfReport.chooseFile')));
      return;
    }
    submit.disabled = true;
    mount(report);
    try {
      const r = asImportResult(await api.postText<unknown>('/api/manual-readings/import', f, 'text/csv'));
      mount(
        report,
        h(
          'p',
          { class: 'ok', 'data-testid': 'self-report-ok', 'data-imported': r.imported },
          t('selfReport.imported', { n: r.imported, lines: r.lines }),
          r.duplicates > 0 ? ` ${t('selfReport.duplicates', { n: r.duplicates })}` : '',
        ),
      );
      form.reset();
    } catch (err) {
      const body = err instanceof ApiError ? err.body : null;
      mount(
        report,
        importRefusal(err, (n) => t('selfReport.refused', { n: refusedCount(body, n) }), 'selfReport.line'),
      );
    } finally {
      submit.disabled = false;
    }
  };

  const form = h(
    'form',
    {
      class: 'inline',
      'data-testid': 'self-report-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        if (!submit.disabled) void send();
      },
    },
    h('label', null, t('selfReport.file'), file),
    submit,
  );

  return h(
    'section',
    { class: 'panel', 'data-testid': 'self-report-import' },
    h('h2', null, t('selfReport.title')),
    h('p', { class: 'muted' }, t('selfReport.help')),
    h('pre', { class: 'sample' }, t('selfReport.sample')),
    form,
    report,
  );
}
