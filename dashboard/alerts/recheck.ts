/**
 * A guard's re-check in the isolation room, as a reading of its own: a handheld (or contact)
 * measurement with the guard's name, stored next to the gate's readings so HR sees both.
 */
import { createHash } from 'node:crypto';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { BODY_MAX_TENTHS, BODY_MIN_TENTHS, handReading } from '../store/hand-reading.ts';
import { AlertsError, AlertsErrorCode } from './errors.ts';
import type { AlertRecord } from './store.ts';
import type { Actor, RecheckInput } from './types.ts';

export function validateRecheck(input: RecheckInput, now: number): void {
  const t = input.temperatureTenths;
  if (!Number.isInteger(t) || t < BODY_MIN_TENTHS || t > BODY_MAX_TENTHS)
    throw new AlertsError(
      AlertsErrorCode.ALERT_INPUT_INVALID,
      `temperatureTenths must be an integer from ${BODY_MIN_TENTHS} to ${BODY_MAX_TENTHS} (tenths of °C)`,
      [{ where: 'temperatureTenths', reason: `got ${String(t)}` }],
    );
  if (input.instrument !== 'handheld' && input.instrument !== 'contact')
    throw new AlertsError(AlertsErrorCode.ALERT_INPUT_INVALID, 'instrument must be handheld or contact', [
      { where: 'instrument', reason: `got ${String(input.instrument)}` },
    ]);
  if (input.at !== undefined && (!Number.isInteger(input.at) || input.at < 0 || input.at > now + 60_000))
    throw new AlertsError(
      AlertsErrorCode.ALERT_INPUT_INVALID,
      'at must be a time in epoch ms, not in the future',
      [{ where: 'at', reason: `got ${String(input.at)}` }],
    );
}

/** Unique per site and stable for one re-check number, so a retried write stays one reading. */
export function recheckReadingId(siteId: string, alertId: string, n: number): string {
  const id = `${siteId}:manual:${alertId}:${n}`;
  if (id.length <= 160) return id;
  const digest = createHash('sha256').update(alertId).digest('hex').slice(0, 32);
  return `${siteId}:manual:${digest}:${n}`;
}

export function recheckReading(
  siteId: string,
  alert: AlertRecord,
  by: Actor,
  input: RecheckInput,
  n: number,
  now: number,
): ReadingRecord {
  return handReading({
    id: recheckReadingId(siteId, alert.id, n),
    siteId,
    gateId: alert.gateId,
    // The re-check number: two re-checks of one episode in the same millisecond stay two points.
    seq: n,
    at: input.at ?? now,
    recordedAt: now,
    employeeNo: alert.employeeNo ?? '',
    temperatureTenths: input.temperatureTenths,
    // The instrument itself (handheld or contact) is in the alert's detail and the audit log.
    source: 'handheld',
    enteredBy: by.username,
  });
}
