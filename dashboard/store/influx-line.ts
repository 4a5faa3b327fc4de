/**
 * ReadingRecord → one line of InfluxDB line protocol, per protocols/storage/influx-schema.ts: the
 * same measurement, tags, fields and point time the edge's sink writes, so a reading entered on
 * the dashboard sits in the same series as the gates' and reads back identically.
 */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  encodeEmployeeTag,
  INFLUX_FIELDS,
  INFLUX_MEASUREMENT,
  type InfluxField,
  type InfluxFieldType,
  pointTimeNs,
} from '../../protocols/storage/influx-schema.ts';

/** Comma, equals and space are escaped; backslashes never reach a tag (encodeEmployeeTag, ID_PATTERN). */
const tag = (v: string): string => v.replace(/[,= ]/g, (c) => `\\${c}`);

function field(value: string | number | boolean, type: InfluxFieldType): string {
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

export function toLine(r: ReadingRecord): string {
  const tags = [
    `decision=${tag(r.decision)}`,
    `gateId=${tag(r.gateId)}`,
    `siteId=${tag(r.siteId)}`,
    `source=${tag(r.source)}`,
  ];
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee !== null) tags.push(`employeeNo=${tag(employee)}`);
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
  };
  const fields: string[] = [];
  for (const [name, type] of FIELD_TYPES) {
    const v = values[name];
    if (v !== null) fields.push(`${name}=${field(v, type)}`);
  }
  return `${INFLUX_MEASUREMENT},${tags.join(',')} ${fields.join(',')} ${pointTimeNs(r.at, r.seq)}`;
}
