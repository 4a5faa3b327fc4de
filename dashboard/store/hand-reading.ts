/**
 * A reading a person entered (a guard's re-check in the isolation room, HR's handheld entry, an
 * employee's self-report, a visitor's check at the gate house) as the ReadingRecord the stores
 * keep beside the gates' readings. The re-check and HR's entries had each built the record field
 * by field, with their own copy of the body-temperature bounds.
 */
import { type ReadingRecord, SCHEMA_VERSION } from '../../protocols/gate/messages.ts';

/** What a body thermometer can show; anything else is a typo (3.7, 3700). */
export const BODY_MIN_TENTHS = 300;
export const BODY_MAX_TENTHS = 450;

export interface HandReading {
  id: string;
  siteId: string;
  gateId: string;
  /** Keeps two hand readings of one millisecond apart in InfluxDB. */
  seq: number;
  at: number;
  recordedAt: number;
  employeeNo: string;
  temperatureTenths: number;
  /** The readings schema has no 'contact' source: a contact re-check is stored as handheld. */
  source: 'handheld' | 'self-report';
  enteredBy: string;
}

export function handReading(h: HandReading): ReadingRecord {
  return {
    v: SCHEMA_VERSION,
    id: h.id,
    siteId: h.siteId,
    gateId: h.gateId,
    seq: h.seq,
    at: h.at,
    recordedAt: h.recordedAt,
    employeeNo: h.employeeNo,
    temperatureTenths: h.temperatureTenths,
    rawTenths: h.temperatureTenths,
    offsetTenths: 0,
    ambientTenths: null,
    source: h.source,
    sensor: 'manual',
    sensorSeq: null,
    decision: 'manual',
    reason: 'manual-entry',
    mask: 'unknown',
    pairingDelayMs: null,
    terminalId: null,
    terminalSerialNo: null,
    realtime: false,
    released: false,
    enteredBy: h.enteredBy.slice(0, 64),
    policyVersion: null,
    thresholdTenths: null,
  };
}
