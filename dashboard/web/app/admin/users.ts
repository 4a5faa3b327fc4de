/** Users and roles: list, add (with a first password), change role, delete. */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime } from '../format.ts';
import { t } from '../i18n.ts';
import type { Render } from '../router.ts';
import type { Role } from '../session.ts';
import type { UserView } from '../types.ts';
import { field, load, table } from './ui.ts';

type UserRow = UserView;

const ROLES: Role[] = ['guard', 'hr', 'admin'];

function roleSelect(value: Role | '', name = 'role'): HTMLSelectElement {
  return h(
    'select',
    { name, 'aria-label': t('user.role') },
    ROLES.map((r) => h('option', { value: r, selected: r === value }, t(`role.${r}`))),
  );
}

export const renderUsers: Render = (root, ctx) => {
  const list = h('div', { 'data-testid': 'users' });
  const refresh = () =>
    load(
      list,
      () => api.get<UserRow[] | { users: UserRow[] }>('/api/users'),
      (body) => {
        const users = Array.isArray(body) ? body : body.users;
        mount(
          list,
          table(
            [t('user.username'), t('user.displayName'), t('user.role'), t('user.created'), ''],
            users.map((u) => {
              const role = roleSelect(u.role);
              role.addEventListener('change', async () => {
                try {
                  await api.patch(`/api/users/${encodeURIComponent(u.username)}`, { role: role.value });
                  ctx.toast(t('common.saved'));
                } catch (err) {
                  ctx.toast(errorText(err), 'error');
                  role.value = u.role;
                }
              });
              const self = u.username === ctx.me.user.username;
              return h(
                'tr',
                { 'data-user': u.username },
                h('td', null, u.username),
                h('td', null, u.displayName ?? ''),
                h('td', null, self ? t(`role.${u.role}`) : role),
                h('td', null, u.createdAt ? fmtDateTime(u.createdAt, ctx.me.site.timezone) : ''),
                h(
                  'td',
                  null,
                  self
                    ? null
                    : confirmButton(
                        t('common.delete'),
                        t('user.confirmDelete', { user: u.username }),
                        async () => {
                          await api.del(`/api/users/${encodeURIComponent(u.username)}`);
                          ctx.toast(t('common.deleted'));
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

  const username = h('input', { name: 'username', required: true, maxlength: 64, autocomplete: 'off' });
  const displayName = h('input', { name: 'displayName', maxlength: 128 });
  const password = h('input', {
    name: 'password',
    type: 'password',
    required: true,
    minlength: 8,
    autocomplete: 'new-password',
  });
  const role = roleSelect('guard');
  const form = h(
    'form',
    {
      class: 'inline add',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        try {
          await api.post('/api/users', {
            username: username.value.trim(),
            displayName: displayName.value.trim() || username.value.trim(),
            password: password.value,
            role: role.value,
          });
          ctx.toast(t('user.added', { user: username.value.trim() }));
          form.reset();
          void refresh();
        } catch (err) {
          ctx.toast(errorText(err), 'error');
        }
      },
    },
    field(t('user.username'), username),
    field(t('user.displayName'), displayName),
    field(t('user.password'), password),
    field(t('user.role'), role),
    h('button', { type: 'submit', class: 'primary' }, t('user.add')),
  );

  mount(root, h('h1', null, t('nav.users')), list, h('h2', null, t('user.add')), form);
  void refresh();
  return undefined;
};

/** A button that asks "are you sure?" in place (no blocking browser dialog). */
export function confirmButton(
  label: string,
  question: string,
  action: () => Promise<void>,
  toast: (m: string, k?: 'ok' | 'error') => void,
): HTMLElement {
  const wrap = h('span', { class: 'confirm' });
  const idle = () => mount(wrap, h('button', { type: 'button', class: 'danger', onclick: ask }, label));
  const ask = () =>
    mount(
      wrap,
      h('span', null, question, ' '),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-confirm': 'yes',
          onclick: async () => {
            try {
              await action();
            } catch (err) {
              toast(errorText(err), 'error');
              idle();
            }
          },
        },
        t('common.confirm'),
      ),
      h('button', { type: 'button', onclick: idle }, t('common.cancel')),
    );
  idle();
  return wrap;
}
