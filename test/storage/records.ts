/** Test readings: valid by the schema, every field settable. */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type NewReading, readingId } from '../../edge/storage/types.ts';

export const SITE = 'site-a';
export const GATE = 'gate-1';

/** An instant given as local time in Asia/Shanghai (UTC+8, no DST), e.g. '2024-03-05T11:59:59.999'. */
export const shanghai = (local: string): number => Date.parse(`${local}+08:00`);

export function newReading(over: Partial<NewReading> = {}): NewReading {
  const at = over.at ?? shanghai('2024-03-05T08:00:00');
  return {
    siteId: SITE,
    gateId: GATE,
    at,
    recordedAt: at + 150,
    employeeNo: 'E0001',
    temperatureTenths: 365,
    rawTenths: 360,
    offsetTenths: 5,
    ambientTenths: 215,
    source: 'gate-thermometer',
    sensor: 'modbus-ir',
    sensorSeq: 42,
    decision: 'pass',
    reason: 'ok',
    mask: 'yes',
    pairingDelayMs: 120,
    terminalId: 'T1',
    terminalSerialNo: 9001,
    realtime: true,
    released: true,
    enteredBy: null,
    policyVersion: null,
    thresholdTenths: null,
    ...over,
  };
}

/** A numbered record, as the outbox would hand it to a sink. */
export function record(seq: number, over: Partial<NewReading> = {}): ReadingRecord {
  const r = newReading(over);
  return { v: 1, id: readingId(r.siteId, r.gateId, seq), seq, ...r };
}
