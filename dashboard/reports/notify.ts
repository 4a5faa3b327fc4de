/**
 * The daily report as a webhook message: generic JSON (the whole report), or a text for the
 * DingTalk and WeCom group robots (the alerts' sender does the signing and the answer checks).
 * Chinese first, English after, so either reader of the group understands it.
 */
import { formatTenths } from '../../protocols/temperature.ts';
import { dingtalkSign, type WebhookRequest } from '../alerts/webhooks.ts';
import type { Webhook } from '../config/schema.ts';
import type { DailyReport, FeverCase } from './daily-report.ts';

const DISPOSITION: Record<string, string> = {
  'cleared-to-enter': '复测正常准予进入 cleared to enter',
  'sent-home': '劝返回家 sent home',
  'referred-to-hospital': '转送医院 referred to hospital',
};
/** Robots cut long messages; the full list is in the report. */
const MAX_LINES = 20;

function feverLine(f: FeverCase): string {
  const who = [f.employeeNo, f.name].filter(Boolean).join(' ') || '未识别 unknown';
  const t = f.temperatureTenths === null ? '' : ` ${formatTenths(f.temperatureTenths)} °C`;
  const what = f.disposition
    ? (DISPOSITION[f.disposition] ?? f.disposition)
    : f.alertId
      ? '处置中 open'
      : '无处置记录 no episode';
  return `- ${who}${t} ${f.time} ${f.gateId}: ${what}`;
}

export function reportText(r: DailyReport): string {
  const lines = [
    `ThermoGate 体温日报 daily report — ${r.siteName || r.siteId} ${r.date}`,
    `应检 expected ${r.expected} · 已检 screened ${r.screened} · 两次齐全 complete ${r.complete} · 缺检 missing ${r.missingChecks}`,
    `发热 fevers ${r.feverCount}${r.zeroReport ? ' (零报告 zero report)' : ''} · 访客 visitors ${r.visitorsScreened}`,
    ...r.fevers.slice(0, MAX_LINES).map(feverLine),
  ];
  if (r.fevers.length > MAX_LINES) lines.push(`… +${r.fevers.length - MAX_LINES}`);
  return lines.join('\n');
}

export function reportRequest(w: Webhook, r: DailyReport, now: number, secret?: string): WebhookRequest {
  const text = reportText(r);
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
