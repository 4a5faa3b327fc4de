/** Gates with their software, configuration and access-list versions. */
import { api } from '../api.ts';
import { asGateTiles, personSyncLine } from '../board/gates-model.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime } from '../format.ts';
import { type Key, t, TABLES } from '../i18n.ts';
import type { Render } from '../router.ts';
import type { GateTile } from '../types.ts';
import { load, table } from './ui.ts';

/** The gate's face terminal: its id and protocol, and what an ISAPI terminal's deviceInfo says. */
function terminalCell(g: GateTile): HTMLElement {
  const info = g.terminal;
  const protocolKey = `terminal.protocol.${info?.protocol}`;
  const protocol = info ? (protocolKey in TABLES.zh ? t(protocolKey as Key) : info.protocol) : null;
  const head = [g.terminalId, protocol].filter((x) => x).join(' · ') || '—';
  const facts = info
    ? [
        [t('terminal.model'), info.model],
        [t('terminal.serial'), info.serialNumber],
        [t('terminal.firmware'), info.firmwareVersion],
      ]
        .filter(([, v]) => v)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')
    : '';
  return h(
    'td',
    { 'data-terminal': g.terminalId ?? '' },
    h('div', null, head),
    info ? h('div', { class: 'muted' }, facts || t('terminal.noInfo')) : null,
    info?.personSync
      ? h(
          'div',
          {
            class: info.personSync.state === 'retrying' ? 'error' : 'muted',
            'data-testid': 'person-sync',
            'data-state': info.personSync.state,
          },
          (({ key, params }) => t(key, params))(personSyncLine(info.personSync)),
        )
      : null,
  );
}

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
            t('gate.terminal'),
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
              terminalCell(g),
              h('td', null, fmtDateTime(g.lastSeenAt, tz)),
            ),
          ),
        ),
      );
    },
  );
  return undefined;
};
