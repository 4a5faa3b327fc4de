/** Who is logged in, on which site; shared by every page. */
import { api, setCsrfToken } from './api.ts';

import type { Me } from './types.ts';

export type { Me, Role } from './types.ts';

/**
 * Set after a login, cleared on logout: without it the app shows the login form at once instead of
 * asking /api/me for a session it does not have (an expected 401 that would only clutter the log).
 */
const HINT = 'tg.session';

let me: Me | null = null;

export function currentMe(): Me | null {
  return me;
}

export function hadSession(): boolean {
  try {
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}

export async function loadMe(): Promise<Me> {
  const m = await api.get<Me>('/api/me');
  me = m;
  setCsrfToken(m.csrfToken);
  return m;
}

export async function login(username: string, password: string): Promise<Me> {
  const r = await api.post<{ csrfToken: string }>('/api/login', { username, password });
  setCsrfToken(r.csrfToken);
  try {
    localStorage.setItem(HINT, '1');
  } catch {}
  // /api/me has the site (time zone) as well; one more request at login is cheap.
  return loadMe();
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/logout');
  } finally {
    forget();
  }
}

/** The session is gone (logout, expiry). */
export function forget(): void {
  me = null;
  setCsrfToken('');
  try {
    localStorage.removeItem(HINT);
  } catch {}
}
