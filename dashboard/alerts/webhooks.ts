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
import type { Webhook } from '../config/schema.ts';

export type EscalationReason = 'unacknowledged' | 'rooms-full';

export interface Escalation {
  reason: EscalationReason;
  /** The alert as it was when it escalated. */
  alert: AlertState;
  text: string;
}

const tenths = (t: number) => `${(t / 10).toFixed(1)} °C`;

/** One line a guard's phone shows in full. */
export function escalationText(a: AlertState, reason: EscalationReason, escalateAfterMs: number): string {
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
        type: 'thermogate.alert.escalated',
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
