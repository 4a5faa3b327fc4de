/**
 * HR's import of self-reported temperatures (a CSV from a form or a spreadsheet). The server takes
 * the whole file or nothing: a refusal lists each bad line next to the upload, as the access-list
 * import does; a good file shows how many readings went in.
 */
import { ApiError, api } from '../api.ts';
import { lineErrors } from '../admin/access-list.ts';
import { errorText } from '../board/alerts.ts';
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
      const lines = err instanceof ApiError ? lineErrors(err.body) : [];
      const shown = lines.filter((l) => l.line !== null || l.message);
      mount(
        report,
        h(
          'p',
          { class: 'error' },
          shown.length
            ? t('selfReport.refused', {
                n: refusedCount(err instanceof ApiError ? err.body : null, shown.length),
              })
            : errorText(err),
        ),
        shown.length
          ? h(
              'ul',
              { class: 'line-errors' },
              shown.map((l) =>
                h(
                  'li',
                  { 'data-line': l.line ?? '' },
                  l.line === null ? l.message : `${t('selfReport.line', { n: l.line })}: ${l.message}`,
                ),
              ),
            )
          : null,
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
