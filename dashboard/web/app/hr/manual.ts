/**
 * HR's manual readings page: record a reading taken by hand, and import employees' self-reports.
 * Both end up in the twice-daily log, marked with their source and who entered them.
 */
import { api } from '../api.ts';
import { h, mount } from '../dom.ts';
import { t } from '../i18n.ts';
import { manualReadingForm } from '../manual/form.ts';
import type { Render } from '../router.ts';
import { asGateTiles } from '../board/gates-model.ts';
import { selfReportImport } from './self-report-import.ts';

export const renderManual: Render = (root, ctx) => {
  let closed = false;
  const form = manualReadingForm(ctx, { linkToLog: true });
  mount(
    root,
    h('h1', null, t('nav.hrManual')),
    h(
      'div',
      { class: 'manual-page' },
      h(
        'section',
        { class: 'panel', 'data-testid': 'manual-panel' },
        h('h2', null, t('manual.title')),
        h('p', { class: 'muted' }, t('manual.help')),
        form.el,
      ),
      selfReportImport(),
    ),
  );
  // Naming the gate is optional; without the list the form still records at no gate.
  api.get<unknown>('/api/gates').then(
    (g) => {
      if (!closed) form.setGates(asGateTiles(g).map((x) => x.gateId));
    },
    () => {},
  );
  return () => {
    closed = true;
  };
};
