/**
 * Hash routes ("#/hr/person?no=E1"). Each page declares the roles that may open it; the navigation
 * shows only those, and a page opened by URL without the role shows "forbidden" (the server
 * refuses the data anyway: this only keeps the guard's screen honest).
 */
import type { Key } from './i18n.ts';
import type { Me, Role } from './session.ts';

export interface PageContext {
  me: Me;
  params: URLSearchParams;
  /** Navigates within the app (updates the hash). */
  go(path: string, params?: Record<string, string>): void;
  /** Sets the feed indicator in the header (pages that use the feed). */
  setFeedStatus(status: 'connecting' | 'open' | 'reconnecting' | null): void;
  /** The feed says it is this many seconds behind the site (null: it keeps up). */
  setFeedBehind(behindS: number | null): void;
  toast(message: string, kind?: 'ok' | 'error'): void;
}

/** Renders into root; returns a cleanup (close the feed, stop timers) or nothing. */
export type Render = (root: HTMLElement, ctx: PageContext) => undefined | (() => void);

export interface Page {
  path: string;
  title: Key;
  roles: readonly Role[];
  /** Shown in the navigation bar. */
  nav: boolean;
  load: () => Promise<Render>;
}

export function parseHash(hash: string): { path: string; params: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?', 2) as [string, string?];
  return { path, params: new URLSearchParams(query) };
}

export function hashFor(path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

/** Where a role lands after logging in. */
export function homeFor(role: Role): string {
  return role === 'hr' ? '/hr/person' : '/board';
}

export function allowed(page: Page, role: Role): boolean {
  return page.roles.includes(role);
}
