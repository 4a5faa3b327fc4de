/**
 * The daily report as a webhook message: generic JSON (the whole report), or a text for the
 * DingTalk and WeCom group robots (the alerts' sender does the signing and the answer checks).
 * In the site's language (`language`, zh-CN by default), with the page's and the export's words.
 */
import { formatTenths } from '../../protocols/temperature.ts';
import { dingtalkSign, type WebhookRequest } from '../alerts/webhooks.ts';
import type { Webhook } from '../config/schema.ts';
import type { DailyReport, FeverCase } from './daily-report.ts';
import { namer } from './export-tables.ts';
import { type ExportLang, label, valueText } from './labels.ts';

/** Robots cut long messages; the full list is in the report. */
const MAX_LINES = 20;

/**
 * One line per person with a high temperature, in the site's language, with the same words and
 * names as the page and the export (labels.ts, the report's names).
 */
function feverLine(lang: ExportLang, r: DailyReport, f: FeverCase): string {
  const n = namer(lang, r.names);
  const who = [f.employeeNo, f.name].filter(Boolean).join(' ') || (lang === 'en' ? 'unknown' : '未识别人员');
  const t = f.temperatureTenths === null ? '' : ` ${formatTenths(f.temperatureTenths)} °C`;
  const what = f.disposition
    ? valueText(lang, f.disposition)
    : f.alertId
      ? valueText(lang, f.state)
      : lang === 'en'
        ? 'no episode'
        : '无处置记录';
  return `- ${who}${t} ${f.time} ${n.gate(f.gateId)}: ${what}`;
}

/** The text of the daily report for the group robots, in the site's language (config `language`). */
export function reportText(r: DailyReport, lang: ExportLang = 'zh-CN'): string {
  const L = (k: Parameters<typeof label>[1]) => label(lang, k);
  const sep = lang === 'en' ? ': ' : '：';
  const lines = [
    lang === 'en'
      ? `Daily temperature report — ${r.siteName || r.siteId} ${r.date}`
      : `【体温日报】${r.siteName || r.siteId} ${r.date}`,
    [
      `${L('expected')}${sep}${r.expected}`,
      `${L('screened')}${sep}${r.screened}`,
      `${L('complete')}${sep}${r.complete}`,
      `${L('missingChecks')}${sep}${r.missingChecks}`,
      `${L('missedChecks')}${sep}${r.missedChecks ?? r.missingChecks}`,
    ].join(' · '),
    [
      `${L('feverCount')}${sep}${r.feverCount}${r.zeroReport ? ` (${L('zeroReport')})` : ''}`,
      `${L('visitorsScreened')}${sep}${r.visitorsScreened}`,
    ].join(' · '),
    ...r.fevers.slice(0, MAX_LINES).map((f) => feverLine(lang, r, f)),
  ];
  if (r.fevers.length > MAX_LINES) lines.push(`… +${r.fevers.length - MAX_LINES}`);
  return lines.join('\n');
}

export function reportRequest(
  w: Webhook,
  r: DailyReport,
  now: number,
  secret?: string,
  lang: ExportLang = 'zh-CN',
): WebhookRequest {
  const text = reportText(r, lang);
  if (w.kind === 'generic')
    return { url: w.url, body: JSON.stringify({ type: 'thermogate.report.daily', text, report: r }) };
  const body = JSON.stringify({ msgtype: 'text', text: { content: text } });
  if (w.kind === 'dingtalk' && secret !== undefined) {
    const url = new URL(w.url);
    url.searchParams.set('timestamp', String(now));
    url.searchParams.set('sign', dingtalkSign(secret, now));
    return { url: url.toString(), body };
  }
  return { url: w.url, body };
}
