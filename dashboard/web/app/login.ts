/** The login form. */
import { ApiError } from './api.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';
import { login, type Me } from './session.ts';

export function renderLogin(onSuccess: (me: Me) => Promise<void>): HTMLElement {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        error.textContent = '';
        submit.disabled = true;
        try {
          const me = await login(user.value.trim(), pass.value);
          await onSuccess(me);
        } catch (err) {
          const code = err instanceof ApiError ? err.status : 0;
          error.textContent =
            code === 401
              ? t('login.failed')
              : code === 429
                ? retryAfter(err)
                  ? t('login.rateLimitedFor', { seconds: retryAfter(err) as number })
                  : t('login.rateLimited')
                : t('common.unreachable');
          pass.value = '';
          submit.disabled = false;
        }
      },
    },
    h('h1', null, t('login.title')),
    h('label', null, t('login.username'), user),
    h('label', null, t('login.password'), pass),
    submit,
    error,
  );
  return h('main', { id: 'page', 'data-page': 'login' }, form);
}

/** Seconds the server asked us to wait (the 429 answer's retryAfterS), if it said. */
function retryAfter(err: unknown): number | undefined {
  const body = err instanceof ApiError ? (err.body as { retryAfterS?: unknown } | null) : null;
  return typeof body?.retryAfterS === 'number' && body.retryAfterS > 0 ? body.retryAfterS : undefined;
}
