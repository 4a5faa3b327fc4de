/** Gates with their software, configuration and access-list versions. */
import { api } from '../api.ts';
import { asGateTiles } from '../board/gates-model.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime } from '../format.ts';
import { t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { load, table } from './ui.ts';

export const renderGates: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const list = h('div', { 'data-testid': 'gates-admin' });
  mount(root, h('h1', null, t('nav.gates')), list);
  void load(
    list,
    () => api.get<unknown>('/api/gates'),
    (body) => {
      const gates = asGateTiles(body).sort((a, b) => a.gateId.localeCompare(b.gateId));
      const versions = new Set(gates.map((g) => g.configVersion));
      mount(
        list,
        versions.size > 1 ? h('p', { class: 'warn' }, t('gate.configsDiffer')) : null,
        table(
          [
            t('gate.id'),
            t('gate.status'),
            t('gate.thermometer'),
            t('gate.software'),
            t('gate.config'),
            t('gate.accessList'),
            t('gate.lastSeen'),
          ],
          gates.map((g) =>
            h(
              'tr',
              { 'data-gate': g.gateId },
              h('td', null, g.gateId),
              h(
                'td',
                null,
                h(
                  'span',
                  { class: `pill ${g.online ? 'ok' : 'bad'}` },
                  g.online ? t('gate.online') : t('gate.offline'),
                ),
              ),
              h('td', null, t(`therm.${g.thermometer}`)),
              h('td', null, g.softwareVersion || '—'),
              h('td', null, g.configVersion || '—'),
              h('td', null, g.accessListVersion === null ? '—' : String(g.accessListVersion)),
              h('td', null, fmtDateTime(g.lastSeenAt, tz)),
            ),
          ),
        ),
      );
    },
  );
  return undefined;
};
