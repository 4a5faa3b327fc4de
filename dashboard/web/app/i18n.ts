/**
 * zh-CN (default) and English. The Chinese table defines the keys; the English one must have
 * exactly the same (the type says so, and a unit test checks the placeholders match).
 * The choice is kept in localStorage.
 */
import type { Lang } from './format.ts';
import { en } from './strings-en.ts';
import { zh } from './strings-zh.ts';

export type Key = keyof typeof zh;
export const TABLES: Record<Lang, Record<Key, string>> = { zh, en };

const STORE = 'tg.lang';
let lang: Lang = readStored();
const listeners = new Set<() => void>();

function readStored(): Lang {
  try {
    return globalThis.localStorage?.getItem(STORE) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORE, next);
  } catch {}
  for (const fn of listeners) fn();
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** "Hello {name}" with params; an unknown key shows itself (never an empty label). */
export function translate(
  table: Record<string, string>,
  key: string,
  params?: Record<string, string | number>,
): string {
  const s = table[key] ?? key;
  return params ? s.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : s;
}

export function t(key: Key, params?: Record<string, string | number>): string {
  return translate(TABLES[lang], key, params);
}
