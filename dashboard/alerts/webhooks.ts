/**
 * Escalation webhooks: a generic JSON body, and the DingTalk and WeCom group-robot formats that
 * Chinese sites use. DingTalk's "加签" (signing): `timestamp` (ms) and `sign` =
 * base64(HMAC-SHA256(key = secret, `${timestamp}\n${secret}`)) as query parameters; the robot
 * refuses a timestamp more than an hour off. Both robots answer HTTP 200 with `errcode` ≠ 0 when
 * they refuse a message, so that counts as a failure too.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import type { AlertKind } from '../../protocols/gate/messages.ts';
import type { Webhook } from '../config/schema.ts';

/** Why a webhook message goes out: a fever was raised (随时报), or an alert escalated. */
export type EscalationReason = 'raised' | 'unacknowledged' | 'rooms-full';
export type NotifyLanguage = 'zh-CN' | 'en';

/** The plans' words for each alert kind (the web pages have their own table, strings-zh.ts). */
const KIND_ZH = {
  fever: '体温异常',
  'fire-alarm': '消防报警',
  'remeasure-repeated': '多次测温无效',
  'held-person': '体温异常人员（未解除）试图通行',
  'sensor-fault': '测温仪故障',
  'thermometer-offline': '测温仪离线',
  'gate-offline': '闸机离线',
  'terminal-clock': '人脸终端时钟偏差',
  'terminal-person-sync': '人脸终端人员名单未同步',
  'site-list-rejected': '闸机名单更新失败',
  'outbox-filling': '数据积压',
  'mask-missing': '未戴口罩',
  'unknown-person': '陌生人',
  'not-on-access-list': '不在通行名单',
  tailgating: '尾随通行',
  'declared-symptom': '健康申报异常',
} as const satisfies Record<AlertKind, string>;

/** The message for a declaration that names a symptom or a contact, sent at once like a fever's. */
export function declaredText(
  a: AlertState,
  c: { language: NotifyLanguage; siteName: string; department: string | null; what: string },
): string {
  if (c.language === 'en')
    return [
      `[Health declaration] ${c.siteName || a.siteId}`,
      `${a.name ?? ''} (employee no. ${a.employeeNo ?? '—'})${c.department ? `, department ${c.department}` : ''}`,
      c.what,
      'contact the person before they come to work',
    ].join(' — ');
  return [
    `【健康申报异常】${c.siteName || a.siteId}`,
    `人员：${a.name ?? ''}（工号 ${a.employeeNo ?? '—'}）`,
    c.department ? `部门：${c.department}` : null,
    `申报：${c.what}`,
    '请立即联系本人核实，必要时安排就医，暂勿到岗',
  ]
    .filter(Boolean)
    .join('；');
}

/** What a fever notification says besides the alert: who the person is, where they were sent. */
export interface RaisedContext {
  language: NotifyLanguage;
  siteName: string;
  department: string | null;
  roomName: string | null;
  /** Local time of the flag, e.g. 08:01:14. */
  time: string | null;
}

/**
 * The message sent when a fever is raised, at once (the plans: report abnormal temperatures
 * immediately, 随时报): person, employee number, department, gate, temperature, isolation room.
 */
export function raisedText(a: AlertState, c: RaisedContext): string {
  const t = a.temperatureTenths !== null ? tenths(a.temperatureTenths) : null;
  if (c.language === 'en') {
    const who = [a.name, a.employeeNo ? `(employee no. ${a.employeeNo})` : null].filter(Boolean).join(' ');
    return [
      `[Abnormal temperature] ${c.siteName || a.siteId}`,
      `${who || 'unknown person'}${c.department ? `, department ${c.department}` : ''}`,
      `gate ${a.gateId}${c.time ? ` at ${c.time}` : ''}`,
      t,
      c.roomName
        ? `sent to temporary isolation room ${c.roomName}: re-check with a contact thermometer`
        : 'every temporary isolation room is full: a guard must find a place now',
    ]
      .filter(Boolean)
      .join(' — ');
  }
  const who = a.name ? `${a.name}（工号 ${a.employeeNo ?? '—'}）` : `工号 ${a.employeeNo ?? '未知人员'}`;
  return [
    `【体温异常】${c.siteName || a.siteId}`,
    `人员：${who}`,
    c.department ? `部门：${c.department}` : null,
    `闸机：${a.gateId}${c.time ? `（${c.time}）` : ''}`,
    t ? `体温：${t}` : null,
    c.roomName
      ? `已安排至临时隔离室：${c.roomName}，请立即复测（水银/电子体温计）`
      : '临时隔离室已满，请保安立即安排隔离',
  ]
    .filter(Boolean)
    .join('；');
}

export interface Escalation {
  reason: EscalationReason;
  /** The alert as it was when it escalated. */
  alert: AlertState;
  text: string;
}

const tenths = (t: number) => `${(t / 10).toFixed(1)} °C`;

/** One line a guard's phone shows in full. */
export function escalationText(
  a: AlertState,
  reason: Exclude<EscalationReason, 'raised'>,
  escalateAfterMs: number,
  language: NotifyLanguage = 'en',
  names: { siteName?: string; roomName?: string | null } = {},
): string {
  if (language === 'zh-CN') {
    // Said from the kind and fields, never with the gate's English detail (issue #18).
    const who = [a.name, a.employeeNo ? `（工号 ${a.employeeNo}）` : null].filter(Boolean).join('');
    const parts = [
      `【告警升级】${names.siteName || a.siteId}：${KIND_ZH[a.kind]}，闸机 ${a.gateId}`,
      who || null,
      a.temperatureTenths !== null ? tenths(a.temperatureTenths) : null,
      a.roomId ? `临时隔离室 ${names.roomName ?? a.roomId}` : null,
      a.facts?.device === 'terminal' ? `人脸终端 ${a.facts.deviceId} 离线` : null,
    ].filter(Boolean);
    const why =
      reason === 'rooms-full'
        ? '所有临时隔离室已满，请保安立即安排。'
        : `${Math.round(escalateAfterMs / 1000)} 秒内无人确认，请立即处置。`;
    return `${parts.join('，')}。${why}`;
  }
  const who = [a.name, a.employeeNo ? `(${a.employeeNo})` : null].filter(Boolean).join(' ');
  const parts = [
    `ThermoGate ${a.siteId}: ${a.severity.toUpperCase()} ${a.kind} at gate ${a.gateId}`,
    who || null,
    a.temperatureTenths !== null ? tenths(a.temperatureTenths) : null,
    a.roomId ? `room ${a.roomId}` : null,
    a.detail || null,
  ].filter(Boolean);
  const why =
    reason === 'rooms-full'
      ? 'Every isolation room is full: a guard must find a place now.'
      : `Not acknowledged within ${Math.round(escalateAfterMs / 1000)} s.`;
  return `${parts.join(' — ')}. ${why}`;
}

export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

export interface WebhookRequest {
  url: string;
  body: string;
}

/** The request for one webhook; `secret` only for DingTalk robots with signing on. */
export function webhookRequest(w: Webhook, e: Escalation, now: number, secret?: string): WebhookRequest {
  if (w.kind === 'generic')
    return {
      url: w.url,
      body: JSON.stringify({
        type: e.reason === 'raised' ? 'thermogate.alert.raised' : 'thermogate.alert.escalated',
        reason: e.reason,
        text: e.text,
        alert: e.alert,
      }),
    };
  const body = JSON.stringify({ msgtype: 'text', text: { content: e.text } });
  if (w.kind === 'dingtalk' && secret !== undefined) {
    const url = new URL(w.url);
    url.searchParams.set('timestamp', String(now));
    url.searchParams.set('sign', dingtalkSign(secret, now));
    return { url: url.toString(), body };
  }
  return { url: w.url, body };
}

export async function readSecret(w: Webhook): Promise<string | undefined> {
  if (!w.secretFile) return undefined;
  return (await readFile(w.secretFile, 'utf8')).trim();
}

/** Sends one request; throws with a short reason when the receiver did not take it. */
export async function post(
  fetchFn: typeof fetch,
  w: Webhook,
  req: WebhookRequest,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetchFn(req.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: req.body,
    signal,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (w.kind === 'generic') return;
  let answer: { errcode?: unknown; errmsg?: unknown } | undefined;
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return;
  }
  if (answer && typeof answer.errcode === 'number' && answer.errcode !== 0)
    throw new Error(`${w.kind} errcode ${answer.errcode}: ${String(answer.errmsg ?? '').slice(0, 200)}`);
}
