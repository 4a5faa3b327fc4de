/** Table pieces shared by the HR pages. */
import { h } from '../dom.ts';
import { fmtTempC, fmtTime } from '../format.ts';
import { getLang, type Key, t } from '../i18n.ts';
import type { LogEntry } from './log-model.ts';

const SOURCES = ['gate-thermometer', 'terminal', 'handheld', 'self-report'];
const STATUSES = ['complete', 'morning-missing', 'afternoon-missing', 'absent', 'fever', 'screened'];

/** The status a row shows: missing checks only for people expected that day. */
export function shownStatus(r: { status: string; expected: boolean }): string {
  return r.expected || r.status === 'fever' ? r.status : 'screened';
}

/** The status cell of a day row: an absence HR recorded says its reason instead of 缺测. */
export function dayStatusCell(r: { status: string; expected: boolean; absence: string | null }): HTMLElement {
  if (r.absence && r.status !== 'fever')
    return h(
      'td',
      { class: 'status status-absence', 'data-absence': r.absence },
      t(`absence.${r.absence}` as Key),
    );
  return statusCell(shownStatus(r));
}

export function sourceText(source: string): string {
  return SOURCES.includes(source) ? t(`source.${source}` as Key) : source;
}

export function statusCell(status: string): HTMLElement {
  return h(
    'td',
    { class: `status status-${status}` },
    STATUSES.includes(status) ? t(`status.${status}` as Key) : status,
  );
}

/** One half-day: the reading (time, temperature, gate, source), or a marked gap. */
/**
 * `threshold`: the site policy's fever threshold the log was made with (the server says which;
 * never a number of the page's own). null: no fever mark.
 */
export function entryCell(
  e: LogEntry | null,
  tz: string,
  threshold: number | null,
  expected = true,
): HTMLElement {
  if (!e) return expected ? h('td', { class: 'gap' }, t('hr.missing')) : h('td', { class: 'none' });
  const manual = e.source === 'handheld' || e.source === 'self-report';
  return h(
    'td',
    {
      class: `entry ${manual ? 'manual' : ''} ${e.temperatureTenths !== null && threshold !== null && e.temperatureTenths >= threshold ? 'fever' : ''}`,
      'data-source': e.source,
    },
    h('span', { class: 'temp' }, fmtTempC(e.temperatureTenths)),
    ' ',
    h('span', { class: 'time' }, fmtTime(e.at, tz, getLang())),
    h(
      'div',
      { class: 'muted small' },
      [
        e.gateId === 'manual' ? t('alert.noGate') : e.gateId,
        sourceText(e.source),
        manual && e.enteredBy ? `${t('hr.enteredBy')} ${e.enteredBy}` : null,
      ]
        .filter(Boolean)
        .join(' · '),
    ),
  );
}

export function exportLinks(base: string, query: string): HTMLElement {
  return h(
    'span',
    { class: 'exports' },
    h(
      'a',
      { class: 'button', href: `${base}.csv${query}`, download: '', 'data-export': 'csv' },
      t('hr.exportCsv'),
    ),
    h(
      'a',
      { class: 'button', href: `${base}.xlsx${query}`, download: '', 'data-export': 'xlsx' },
      t('hr.exportXlsx'),
    ),
  );
}
