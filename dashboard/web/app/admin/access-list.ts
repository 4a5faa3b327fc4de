/**
 * The access list (who may enter): the roster the gates hold, and a CSV import. A bad file is
 * refused whole with its errors per line, shown next to the upload.
 */
import { ApiError, api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { addDays, fmtDateTime } from '../format.ts';
import { t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { load, table } from './ui.ts';

interface Entry {
  employeeNo: string;
  name: string;
  department: string;
  kind: 'employee' | 'visitor';
  validFrom: number | null;
  validUntil: number | null;
}

export interface LineError {
  line: number | null;
  message: string;
}

/** Per-line errors from an import refusal, whatever the exact field names. */
export function lineErrors(body: unknown): LineError[] {
  const b = (body ?? {}) as Record<string, unknown>;
  const detail = b.detail as Record<string, unknown> | undefined;
  const list = (b.issues ?? b.errors ?? b.lines ?? detail?.issues ?? detail?.errors ?? []) as unknown[];
  if (!Array.isArray(list)) return [];
  return list.map((e) => {
    if (typeof e === 'string') return { line: null, message: e };
    const r = e as Record<string, unknown>;
    // The hub says { where: "3", reason }; other importers { line: 3, message }.
    const raw = r.line ?? r.lineNo ?? r.where;
    const line =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : null;
    const where = line === null && typeof raw === 'string' ? raw : null;
    const msg = [where, r.field ?? r.column, r.message ?? r.error ?? r.reason].filter(Boolean).join(': ');
    return { line, message: msg || JSON.stringify(r) };
  });
}

/**
 * Validity bounds as HR wrote them: "valid until 2026-12-31" is stored as the first instant after
 * that day (exclusive end), and shown as the day again; a bound at another time shows the time.
 */
export function fmtValidity(ms: number | null, side: 'from' | 'until', tz: string): string {
  if (ms === null) return '';
  const s = fmtDateTime(ms, tz);
  if (!s.endsWith(' 00:00')) return s;
  const day = s.slice(0, 10);
  return side === 'until' ? addDays(day, -1) : day;
}

export const renderAccessList: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  const list = h('div', { 'data-testid': 'access-list' });
  const report = h('div', { class: 'import-report', 'data-testid': 'import-report' });
  const refresh = () =>
    load(
      list,
      () => api.get<unknown>('/api/access-list'),
      (body) => {
        const snap = (body ?? {}) as { version?: number; issuedAt?: number; entries?: Entry[] };
        const entries = snap.entries ?? (Array.isArray(body) ? (body as Entry[]) : []);
        mount(
          list,
          h(
            'p',
            { class: 'muted' },
            typeof snap.version === 'number'
              ? t('access.summary', {
                  version: snap.version,
                  n: entries.length,
                  at: fmtDateTime(snap.issuedAt, tz),
                })
              : t('access.none'),
          ),
          table(
            [
              t('hr.employeeNo'),
              t('hr.name'),
              t('hr.department'),
              t('access.kind'),
              t('access.validFrom'),
              t('access.validUntil'),
            ],
            entries.map((e) =>
              h(
                'tr',
                { 'data-employee': e.employeeNo },
                h('td', null, e.employeeNo),
                h('td', null, e.name),
                h('td', null, e.department),
                h('td', null, t(`access.kind.${e.kind}`)),
                h('td', null, fmtValidity(e.validFrom, 'from', tz)),
                h('td', null, fmtValidity(e.validUntil, 'until', tz)),
              ),
            ),
          ),
        );
      },
    );

  const file = h('input', {
    type: 'file',
    name: 'csv',
    accept: '.csv,text/csv',
    required: true,
    'data-testid': 'csv-file',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('access.import'));
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const f = file.files?.[0];
        if (!f) return;
        submit.disabled = true;
        mount(report);
        try {
          const text = await f.text();
          const r = await api.postText<Record<string, unknown>>('/api/access-list/import', text, 'text/csv');
          const n =
            typeof r?.entries === 'number' ? r.entries : Array.isArray(r?.entries) ? r.entries.length : null;
          mount(
            report,
            h(
              'p',
              { class: 'ok' },
              t('access.imported', { version: String(r?.version ?? '?'), n: String(n ?? '?') }),
            ),
          );
          form.reset();
          void refresh();
        } catch (err) {
          const lines = err instanceof ApiError ? lineErrors(err.body) : [];
          mount(
            report,
            h(
              'p',
              { class: 'error' },
              lines.length ? t('access.refused', { n: lines.length }) : errorText(err),
            ),
            lines.length
              ? h(
                  'ul',
                  { class: 'line-errors' },
                  lines.map((l) =>
                    h(
                      'li',
                      null,
                      l.line === null ? l.message : `${t('access.line', { n: l.line })}: ${l.message}`,
                    ),
                  ),
                )
              : null,
          );
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('label', null, t('access.csvFile'), file),
    submit,
  );

  mount(
    root,
    h('h1', null, t('nav.access')),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('access.import')),
      h('p', { class: 'muted' }, t('access.csvHelp')),
      form,
      report,
    ),
    list,
  );
  void refresh();
  return undefined;
};
