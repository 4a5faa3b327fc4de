/**
 * ReadingRecord → InfluxDB point, per protocols/storage/influx-schema.ts. Values are handed to
 * the `influx` client as finished line-protocol literals: its own escaping mangles strings
 * containing `\'` and cannot write some tag values, and a health record must round-trip exactly.
 */
import { Raw } from 'influx';
import type { IPoint } from 'influx';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  encodeEmployeeTag,
  INFLUX_FIELDS,
  INFLUX_MEASUREMENT,
  type InfluxField,
  type InfluxFieldType,
  pointTimeNs,
} from '../../protocols/storage/influx-schema.ts';

/** A value the client writes verbatim: without a schema it calls String() on non-strings. */
class Literal {
  constructor(private readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Tag values: comma, equals and space are escaped; backslashes never get here (see encodeEmployeeTag). */
const tagLiteral = (v: string): Raw => new Raw(v.replace(/[,= ]/g, (c) => `\\${c}`));

function fieldLiteral(value: string | number | boolean, type: InfluxFieldType): Literal {
  switch (type) {
    case 'integer':
      return new Literal(`${value as number}i`);
    case 'float':
      return new Literal(String(value as number));
    case 'boolean':
      return new Literal(value ? 'true' : 'false');
    case 'string':
      return new Literal(`"${String(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  }
}

const FIELD_TYPES = Object.entries(INFLUX_FIELDS) as Array<[InfluxField, InfluxFieldType]>;

export function toPoint(r: ReadingRecord): IPoint {
  const tags: Record<string, Raw> = {
    siteId: tagLiteral(r.siteId),
    gateId: tagLiteral(r.gateId),
    decision: tagLiteral(r.decision),
    source: tagLiteral(r.source),
  };
  const employee = encodeEmployeeTag(r.employeeNo);
  if (employee !== null) tags.employeeNo = tagLiteral(employee);

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
  const fields: Record<string, Literal> = {};
  for (const [name, type] of FIELD_TYPES) {
    const v = values[name];
    if (v !== null) fields[name] = fieldLiteral(v, type);
  }
  // Raw/Literal are what the client passes through untouched; its typings only know primitives.
  return {
    measurement: INFLUX_MEASUREMENT,
    tags,
    fields,
    timestamp: pointTimeNs(r.at, r.seq),
  } as unknown as IPoint;
}
