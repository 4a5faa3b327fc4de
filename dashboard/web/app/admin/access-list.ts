/**
 * The access list (who may enter): the roster the gates hold, and a CSV import. A bad file is
 * refused whole with its errors per line, shown next to the upload.
 */
import { ApiError, api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { addDays, fmtDateTime } from '../format.ts';
import { type Key, t, TABLES } from '../i18n.ts';
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

const FIELDS = [
  'employeeNo',
  'name',
  'department',
  'kind',
  'validFrom',
  'validUntil',
  'temperature',
  'at',
  'gateId',
];

/**
 * Per-line errors from an import refusal, said in the page's language from each error's stable
 * `problem` code and fields (the server's English `message`/`reason` is never shown: issue #18).
 */
export function lineErrors(body: unknown): LineError[] {
  const b = (body ?? {}) as Record<string, unknown>;
  const detail = b.detail as Record<string, unknown> | undefined;
  const list = (b.issues ?? b.errors ?? b.lines ?? detail?.issues ?? detail?.errors ?? []) as unknown[];
  if (!Array.isArray(list)) return [];
  return list.map((e) => {
    const r = (typeof e === 'object' && e ? e : {}) as Record<string, unknown>;
    const raw = r.line ?? r.lineNo ?? r.where;
    const line =
      typeof raw === 'number' && raw > 0
        ? raw
        : typeof raw === 'string' && /^\d+$/.test(raw)
          ? Number(raw)
          : null;
    const field =
      typeof r.field === 'string' && FIELDS.includes(r.field) ? t(`import.field.${r.field}` as Key) : '';
    const params = { ...((r.params as Record<string, string | number> | undefined) ?? {}), field };
    const problem = typeof r.problem === 'string' ? `import.problem.${r.problem}` : '';
    const message = problem in TABLES.zh ? t(problem as Key, params) : t('import.problem.unknown', params);
    return { line, message };
  });
}

/**
 * What a refused import shows next to its upload (the access list, declarations, self-reports):
 * `refused(n)` says how many lines were wrong, then each bad line in the page's language; any other
 * failure is its error text.
 */
export function importRefusal(
  err: unknown,
  refused: (n: number) => string,
  lineKey: Key = 'access.line',
): HTMLElement[] {
  const lines = (err instanceof ApiError ? lineErrors(err.body) : []).filter(
    (l) => l.line !== null || l.message,
  );
  if (lines.length === 0) return [h('p', { class: 'error' }, errorText(err))];
  return [
    h('p', { class: 'error' }, refused(lines.length)),
    h(
      'ul',
      { class: 'line-errors' },
      lines.map((l) =>
        h(
          'li',
          { 'data-line': l.line ?? '' },
          l.line === null ? l.message : `${t(lineKey, { n: l.line })}: ${l.message}`,
        ),
      ),
    ),
  ];
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
        const send = async (mode: 'replace' | 'merge' | null) => {
          submit.disabled = true;
          mount(report);
          try {
            // The file's own bytes: Excel's GBK file must reach the server undecoded.
            const r = await api.postText<Record<string, unknown>>(
              `/api/access-list/import${mode ? `?mode=${mode}` : ''}`,
              f,
              'text/csv',
            );
            const n =
              typeof r?.entries === 'number'
                ? r.entries
                : Array.isArray(r?.entries)
                  ? r.entries.length
                  : null;
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
            if (err instanceof ApiError && err.code === 'TG_DASH_ACCESS_LIST_SHRINKS') {
              const d = ((err.body as Record<string, unknown>)?.detail ?? err.body ?? {}) as Record<
                string,
                unknown
              >;
              const counts = { incoming: Number(d.incoming ?? 0), current: Number(d.current ?? 0) };
              mount(
                report,
                h(
                  'div',
                  { class: 'choice warn', 'data-testid': 'import-choice' },
                  h('p', null, t('access.shrinks', counts)),
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-mode': 'merge',
                      class: 'primary',
                      onclick: () => void send('merge'),
                    },
                    t('access.merge', counts),
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-mode': 'replace',
                      class: 'danger',
                      onclick: () => void send('replace'),
                    },
                    t('access.replace', counts),
                  ),
                  h('button', { type: 'button', onclick: () => mount(report) }, t('common.cancel')),
                ),
              );
              return;
            }
            mount(
              report,
              importRefusal(err, (n) => t('access.refused', { n })),
            );
          } finally {
            submit.disabled = false;
          }
        };
        await send(null);
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
