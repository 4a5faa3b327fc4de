/**
 * Device credentials on the hub (gates, terminals, dashboards, services): add one (its password
 * is shown once, here, and never again), revoke one.
 */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { type Key, t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { confirmButton } from './users.ts';
import type { DeviceView } from '../types.ts';
import { field, load, table } from './ui.ts';

type DeviceRow = DeviceView;

const ROLES = ['gate', 'terminal', 'dashboard', 'service'] as const;

export const renderDevices: Render = (root, ctx) => {
  const list = h('div', { 'data-testid': 'devices' });
  const secret = h('div', { class: 'secret', 'data-testid': 'device-secret' });

  const refresh = () =>
    load(
      list,
      () => api.get<DeviceRow[] | { devices: DeviceRow[] }>('/api/devices'),
      (body) => {
        const devices = Array.isArray(body) ? body : body.devices;
        mount(
          list,
          table(
            [t('device.id'), t('device.role'), t('device.gate'), t('device.terminal'), t('device.state'), ''],
            devices.map((d) => {
              const revoked = d.revokedAt !== null;
              return h(
                'tr',
                { 'data-device': d.id, class: revoked ? 'revoked' : null },
                h('td', null, d.id),
                h(
                  'td',
                  { 'data-role': d.role },
                  (ROLES as readonly string[]).includes(d.role) ? t(`deviceRole.${d.role}` as Key) : d.role,
                ),
                h('td', null, d.gate ?? ''),
                h('td', null, d.terminal ?? ''),
                h('td', null, revoked ? t('device.revoked') : t('device.active')),
                h(
                  'td',
                  null,
                  revoked
                    ? null
                    : confirmButton(
                        t('device.revoke'),
                        t('device.confirmRevoke', { id: d.id }),
                        async () => {
                          await api.post(`/api/devices/${encodeURIComponent(d.id)}/revoke`);
                          ctx.toast(t('device.revokedOk', { id: d.id }));
                          void refresh();
                        },
                        ctx.toast,
                      ),
                ),
              );
            }),
          ),
        );
      },
    );

  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}' });
  const role = h(
    'select',
    { name: 'role' },
    ROLES.map((r) => h('option', { value: r }, t(`deviceRole.${r}` as Key))),
  );
  const gate = h('input', { name: 'gate', placeholder: 'gate-a' });
  const terminal = h('input', { name: 'terminal', placeholder: 'T1' });
  const form = h(
    'form',
    {
      class: 'inline add',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const body: Record<string, string> = { id: id.value.trim(), role: role.value };
        if (gate.value.trim()) body.gate = gate.value.trim();
        if (terminal.value.trim()) body.terminal = terminal.value.trim();
        try {
          const r = await api.post<{ id?: string; password?: string }>('/api/devices', body);
          mount(
            secret,
            h('p', null, t('device.passwordOnce', { id: r.id ?? body.id ?? '' })),
            h('code', { class: 'password', 'data-testid': 'device-password' }, r.password ?? ''),
            h('button', { type: 'button', onclick: () => mount(secret) }, t('device.copied')),
          );
          form.reset();
          void refresh();
        } catch (err) {
          ctx.toast(errorText(err), 'error');
        }
      },
    },
    field(t('device.id'), id),
    field(t('device.role'), role),
    field(t('device.gate'), gate),
    field(t('device.terminal'), terminal),
    h('button', { type: 'submit', class: 'primary' }, t('device.add')),
  );

  mount(root, h('h1', null, t('nav.devices')), list, h('h2', null, t('device.add')), form, secret);
  void refresh();
  return undefined;
};
