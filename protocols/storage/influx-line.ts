/**
 * A ReadingRecord in InfluxDB line protocol, per influx-schema.ts: the finished tag and field
 * texts and the whole line. One encoder for every writer (the edge's sink, the dashboard's manual
 * readings), so a reading entered by hand sits in the same series as the gates' and reads back
 * identically. Pure: no I/O.
 */
import type { ReadingRecord } from '../gate/messages.ts';
import {
  encodeEmployeeTag,
  INFLUX_FIELDS,
  INFLUX_LOG_FIELDS,
  INFLUX_LOG_MEASUREMENT,
  INFLUX_MEASUREMENT,
  type InfluxField,
  type InfluxFieldType,
  type InfluxTag,
  pointTimeNs,
} from './influx-schema.ts';

/** Comma, equals and space are escaped; backslashes never reach a tag (encodeEmployeeTag, ID_PATTERN). */
export const influxTagText = (v: string): string => v.replace(/[,= ]/g, (c) => `\\${c}`);

export function influxFieldText(value: string | number | boolean, type: InfluxFieldType): string {
  switch (type) {
    case 'integer':
      return `${value as number}i`;
    case 'float':
      return String(value as number);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return `"${String(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
}

const FIELD_TYPES = Object.entries(INFLUX_FIELDS) as Array<[InfluxField, InfluxFieldType]>;

/** Escaped tag values in key order; employeeNo is absent for an unknown face. */
export function readingTagTexts(r: ReadingRecord): Array<[InfluxTag, string]> {
  const tags: Array<[InfluxTag, string]> = [
    ['decision', influxTagText(r.decision)],
    ['gateId', influxTagText(r.gateId)],
    ['siteId', influxTagText(r.siteId)],
    ['source', influxTagText(r.source)],
  ];
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee !== null) tags.push(['employeeNo', influxTagText(employee)]);
  return tags;
}

/** Field literals; a null in the record is an absent field (Influx has no null). */
export function readingFieldTexts(r: ReadingRecord): Array<[InfluxField, string]> {
  const values: Record<InfluxField, string | number | boolean | null> = {
    v: r.v,
    id: r.id,
    seq: r.seq,
    recordedAt: r.recordedAt,
    temperatureC: r.temperatureTenths === null ? null : r.temperatureTenths / 10,
    temperatureTenths: r.temperatureTenths,
    rawTenths: r.rawTenths,
    offsetTenths: r.offsetTenths,
    ambientTenths: r.ambientTenths,
    sensor: r.sensor,
    sensorSeq: r.sensorSeq,
    reason: r.reason,
    mask: r.mask,
    pairingDelayMs: r.pairingDelayMs,
    terminalId: r.terminalId,
    terminalSerialNo: r.terminalSerialNo,
    realtime: r.realtime,
    released: r.released,
    enteredBy: r.enteredBy,
    policyVersion: r.policyVersion ?? null,
    thresholdTenths: r.thresholdTenths ?? null,
  };
  const fields: Array<[InfluxField, string]> = [];
  for (const [name, type] of FIELD_TYPES) {
    const v = values[name];
    if (v !== null) fields.push([name, influxFieldText(v, type)]);
  }
  return fields;
}

export function readingToLine(r: ReadingRecord): string {
  const tags = readingTagTexts(r).map(([k, v]) => `${k}=${v}`);
  const fields = readingFieldTexts(r).map(([k, v]) => `${k}=${v}`);
  return `${INFLUX_MEASUREMENT},${tags.join(',')} ${fields.join(',')} ${pointTimeNs(r.at, r.seq)}`;
}

/**
 * The field literals of a reading in HR's log projection (INFLUX_LOG_MEASUREMENT), or null for a
 * reading the logs never read (no temperature, or an unknown face). Its tags are siteId and gateId.
 */
export function readingLogFieldTexts(r: ReadingRecord): Array<[string, string]> | null {
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee === null || r.temperatureTenths === null) return null;
  const values: Record<keyof typeof INFLUX_LOG_FIELDS, string | number | null> = {
    id: r.id,
    seq: r.seq,
    employeeNo: employee,
    temperatureTenths: r.temperatureTenths,
    source: r.source,
    decision: r.decision,
    mask: r.mask,
    enteredBy: r.enteredBy,
  };
  const fields: Array<[string, string]> = [];
  for (const [name, type] of Object.entries(INFLUX_LOG_FIELDS) as Array<
    [keyof typeof values, InfluxFieldType]
  >) {
    const v = values[name];
    if (v !== null) fields.push([name, influxFieldText(v, type)]);
  }
  return fields;
}

/** The reading's line in HR's log projection, same point time as its `reading` line; or null. */
export function readingToLogLine(r: ReadingRecord): string | null {
  const fields = readingLogFieldTexts(r);
  if (fields === null) return null;
  return `${INFLUX_LOG_MEASUREMENT},gateId=${influxTagText(r.gateId)},siteId=${influxTagText(r.siteId)} ${fields.map(([k, v]) => `${k}=${v}`).join(',')} ${pointTimeNs(r.at, r.seq)}`;
}

/** Every line a reading is written as: the record, and its log projection when it has one. */
export function readingLines(r: ReadingRecord): string[] {
  const log = readingToLogLine(r);
  return log === null ? [readingToLine(r)] : [readingToLine(r), log];
}
