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

// The encoder runs for every reading a gate forwards (twice with the log projection): a replay of
// a 100,000-reading backlog spends its CPU here, so the common case (nothing to escape) is a test
// and no replace, and lines are built by concatenation (bench/NOTES.md § Storage).
const TAG_SPECIAL = /[,= ]/;
const STRING_SPECIAL = /[\\"]/;

/** Comma, equals and space are escaped; backslashes never reach a tag (encodeEmployeeTag, ID_PATTERN). */
export const influxTagText = (v: string): string =>
  TAG_SPECIAL.test(v) ? v.replace(/[,= ]/g, (c) => `\\${c}`) : v;

export function influxFieldText(value: string | number | boolean, type: InfluxFieldType): string {
  switch (type) {
    case 'integer':
      return `${value as number}i`;
    case 'float':
      return String(value as number);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string': {
      const text = String(value);
      return STRING_SPECIAL.test(text) ? `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${text}"`;
    }
  }
}

type FieldValue = string | number | boolean | null;

/** Each field's value in a record, in INFLUX_FIELDS order; null is an absent field (Influx has no null). */
const FIELD_VALUES: { [F in InfluxField]: (r: ReadingRecord) => FieldValue } = {
  v: (r) => r.v,
  id: (r) => r.id,
  seq: (r) => r.seq,
  recordedAt: (r) => r.recordedAt,
  temperatureC: (r) => (r.temperatureTenths === null ? null : r.temperatureTenths / 10),
  temperatureTenths: (r) => r.temperatureTenths,
  rawTenths: (r) => r.rawTenths,
  offsetTenths: (r) => r.offsetTenths,
  ambientTenths: (r) => r.ambientTenths,
  sensor: (r) => r.sensor,
  sensorSeq: (r) => r.sensorSeq,
  reason: (r) => r.reason,
  mask: (r) => r.mask,
  pairingDelayMs: (r) => r.pairingDelayMs,
  terminalId: (r) => r.terminalId,
  terminalSerialNo: (r) => r.terminalSerialNo,
  realtime: (r) => r.realtime,
  released: (r) => r.released,
  enteredBy: (r) => r.enteredBy,
  policyVersion: (r) => r.policyVersion ?? null,
  thresholdTenths: (r) => r.thresholdTenths ?? null,
};
const FIELDS = (Object.entries(INFLUX_FIELDS) as Array<[InfluxField, InfluxFieldType]>).map(
  ([name, type]) => [name, type, FIELD_VALUES[name]] as const,
);

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
  const fields: Array<[InfluxField, string]> = [];
  for (const [name, type, get] of FIELDS) {
    const v = get(r);
    if (v !== null) fields.push([name, influxFieldText(v, type)]);
  }
  return fields;
}

export function readingToLine(r: ReadingRecord): string {
  // readingTagTexts and readingFieldTexts, written out without the intermediate arrays.
  let line = `${INFLUX_MEASUREMENT},decision=${influxTagText(r.decision)},gateId=${influxTagText(r.gateId)},siteId=${influxTagText(r.siteId)},source=${influxTagText(r.source)}`;
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee !== null) line += `,employeeNo=${influxTagText(employee)}`;
  let sep = ' ';
  for (const [name, type, get] of FIELDS) {
    const v = get(r);
    if (v === null) continue;
    line += `${sep}${name}=${influxFieldText(v, type)}`;
    sep = ',';
  }
  return `${line} ${pointTimeNs(r.at, r.seq)}`;
}

type LogField = keyof typeof INFLUX_LOG_FIELDS;
/** Each log field's value, given the reading and its encoded employee tag; null is absent. */
const LOG_FIELD_VALUES: { [F in LogField]: (r: ReadingRecord, employee: string) => string | number | null } =
  {
    id: (r) => r.id,
    seq: (r) => r.seq,
    employeeNo: (_r, employee) => employee,
    temperatureTenths: (r) => r.temperatureTenths,
    source: (r) => r.source,
    decision: (r) => r.decision,
    mask: (r) => r.mask,
    enteredBy: (r) => r.enteredBy,
  };
const LOG_FIELDS = (Object.entries(INFLUX_LOG_FIELDS) as Array<[LogField, InfluxFieldType]>).map(
  ([name, type]) => [name, type, LOG_FIELD_VALUES[name]] as const,
);

/**
 * The field literals of a reading in HR's log projection (INFLUX_LOG_MEASUREMENT), or null for a
 * reading the logs never read (no temperature, or an unknown face). Its tags are siteId and gateId.
 */
export function readingLogFieldTexts(r: ReadingRecord): Array<[string, string]> | null {
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee === null || r.temperatureTenths === null) return null;
  const fields: Array<[string, string]> = [];
  for (const [name, type, get] of LOG_FIELDS) {
    const v = get(r, employee);
    if (v !== null) fields.push([name, influxFieldText(v, type)]);
  }
  return fields;
}

/** The reading's line in HR's log projection, same point time as its `reading` line; or null. */
export function readingToLogLine(r: ReadingRecord): string | null {
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee === null || r.temperatureTenths === null) return null;
  let line = `${INFLUX_LOG_MEASUREMENT},gateId=${influxTagText(r.gateId)},siteId=${influxTagText(r.siteId)}`;
  let sep = ' ';
  for (const [name, type, get] of LOG_FIELDS) {
    const v = get(r, employee);
    if (v === null) continue;
    line += `${sep}${name}=${influxFieldText(v, type)}`;
    sep = ',';
  }
  return `${line} ${pointTimeNs(r.at, r.seq)}`;
}

/** Every line a reading is written as: the record, and its log projection when it has one. */
export function readingLines(r: ReadingRecord): string[] {
  const log = readingToLogLine(r);
  return log === null ? [readingToLine(r)] : [readingToLine(r), log];
}
