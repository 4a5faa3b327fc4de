/**
 * The single-page app: a header (site, navigation for the user's role, live-feed indicator,
 * language, logout) and the current page. Starts with the login form when there is no session.
 */
import { installAudioUnlock, setAlarmSound } from './alarm.ts';
import { ApiError, setOnUnauthenticated } from './api.ts';
import { h, mount } from './dom.ts';
import { getLang, onLangChange, setLang, t } from './i18n.ts';
import { renderLogin } from './login.ts';
import { findPage, PAGES } from './pages.ts';
import { allowed, hashFor, homeFor, type PageContext, parseHash } from './router.ts';
import { currentMe, forget, hadSession, loadMe, logout, type Me } from './session.ts';

const root = document.getElementById('app') as HTMLElement;
let cleanup: (() => void) | undefined;
let renderSeq = 0;
let feedStatus: 'connecting' | 'open' | 'reconnecting' | null = null;
/** Seconds the live feed is behind the site, as the server said (null: it keeps up). */
let feedBehindS: number | null = null;
const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });

function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const el = h('div', { class: `toast toast-${kind}` }, message);
  toasts.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

function teardown(): void {
  cleanup?.();
  cleanup = undefined;
  setAlarmSound(false);
  feedStatus = null;
  feedBehindS = null;
}

function langButton(): HTMLElement {
  const other = getLang() === 'zh' ? 'en' : 'zh';
  return h(
    'button',
    { class: 'lang', type: 'button', 'data-testid': 'lang', lang: other, onclick: () => setLang(other) },
    other === 'en' ? 'English' : '中文',
  );
}

function showLogin(): void {
  teardown();
  document.title = `${t('login.title')} · ThermoGate`;
  mount(
    root,
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, 'ThermoGate'),
      h('span', { class: 'spacer' }),
      langButton(),
    ),
    renderLogin(async (me) => {
      const { path } = parseHash(location.hash);
      const page = findPage(path);
      if (!page || !allowed(page, me.user.role)) location.hash = hashFor(homeFor(me.user.role));
      await route();
    }),
    toasts,
  );
}

function feedIndicator(): HTMLElement {
  const s = feedStatus;
  // A feed that is open but late says so: a fever shown late must not look live.
  const behind = s === 'open' && feedBehindS !== null;
  const el = h('span', {
    class: 'feed',
    'data-testid': 'feed-status',
    'data-state': behind ? 'behind' : (s ?? 'none'),
  });
  if (behind) el.textContent = t('feed.behind', { s: feedBehindS as number });
  else if (s) el.textContent = t(`feed.${s}`);
  return el;
}

function header(me: Me, currentPath: string): HTMLElement {
  const links = PAGES.filter((p) => p.nav && allowed(p, me.user.role)).map((p) =>
    h(
      'a',
      { href: hashFor(p.path), class: p.path === currentPath ? 'active' : null, 'data-nav': p.path },
      t(p.title),
    ),
  );
  return h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, 'ThermoGate'),
    h('span', { class: 'site' }, me.site.siteName || me.site.siteId),
    h('nav', { 'aria-label': t('nav.label') }, links),
    h('span', { class: 'spacer' }),
    feedIndicator(),
    h('span', { class: 'who' }, `${me.user.displayName || me.user.username} · ${t(`role.${me.user.role}`)}`),
    langButton(),
    h(
      'button',
      {
        type: 'button',
        class: 'logout',
        onclick: async () => {
          teardown();
          try {
            await logout();
          } catch {
            // The session may be gone already; the login form is what matters.
          }
          showLogin();
        },
      },
      t('nav.logout'),
    ),
  );
}

async function route(): Promise<void> {
  const me = currentMe();
  if (!me) return showLogin();
  const seq = ++renderSeq;
  teardown();
  toasts.replaceChildren();
  const { path, params } = parseHash(location.hash);
  const page = findPage(path);
  if (!page) {
    location.replace(hashFor(homeFor(me.user.role)));
    return;
  }
  const main = h('main', { id: 'page', 'data-page': page.path });
  const head = h('div');
  const drawHeader = () => mount(head, header(me, page.path));
  drawHeader();
  mount(root, head, main, toasts);
  document.title = `${t(page.title)} · ThermoGate`;
  if (!allowed(page, me.user.role)) {
    mount(
      main,
      h(
        'section',
        { class: 'forbidden', 'data-testid': 'forbidden' },
        h('h1', null, t('forbidden.title')),
        h('p', null, t('forbidden.text')),
      ),
    );
    return;
  }
  const ctx: PageContext = {
    me,
    params,
    go: (p, q) => {
      location.hash = hashFor(p, q);
    },
    setFeedStatus: (s) => {
      feedStatus = s;
      drawHeader();
    },
    setFeedBehind: (s) => {
      if (s === feedBehindS) return;
      feedBehindS = s;
      drawHeader();
    },
    toast,
  };
  mount(main, h('p', { class: 'muted' }, t('common.loading')));
  const render = await page.load();
  if (seq !== renderSeq) return;
  main.replaceChildren();
  cleanup = render(main, ctx) ?? undefined;
}

async function boot(): Promise<void> {
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  if (!hadSession()) return showLogin();
  try {
    await loadMe();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      forget();
      return showLogin();
    }
    mount(
      root,
      h(
        'section',
        { class: 'fatal' },
        h('p', null, t('common.unreachable')),
        h('button', { type: 'button', onclick: () => void boot() }, t('common.retry')),
      ),
    );
    return;
  }
  await route();
}

installAudioUnlock();
setOnUnauthenticated(() => {
  if (!currentMe()) return;
  forget();
  showLogin();
});
window.addEventListener('hashchange', () => void route());
onLangChange(() => {
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  if (currentMe()) void route();
  else showLogin();
});
void boot();
