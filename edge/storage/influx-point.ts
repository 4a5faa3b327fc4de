/**
 * ReadingRecord → InfluxDB point, per protocols/storage/influx-schema.ts. Values are handed to
 * the `influx` client as finished line-protocol literals: its own escaping mangles strings
 * containing `\'` and cannot write some tag values, and a health record must round-trip exactly.
 */
import { Raw } from 'influx';
import type { IPoint } from 'influx';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  influxTagText,
  readingFieldTexts,
  readingLogFieldTexts,
  readingTagTexts,
} from '../../protocols/storage/influx-line.ts';
import {
  INFLUX_LOG_MEASUREMENT,
  INFLUX_MEASUREMENT,
  pointTimeNs,
} from '../../protocols/storage/influx-schema.ts';

/** A value the client writes verbatim: without a schema it calls String() on non-strings. */
class Literal {
  constructor(private readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function toPoint(r: ReadingRecord): IPoint {
  const tags: Record<string, Raw> = {};
  for (const [k, v] of readingTagTexts(r)) tags[k] = new Raw(v);
  const fields: Record<string, Literal> = {};
  for (const [k, v] of readingFieldTexts(r)) fields[k] = new Literal(v);
  // Raw/Literal are what the client passes through untouched; its typings only know primitives.
  return {
    measurement: INFLUX_MEASUREMENT,
    tags,
    fields,
    timestamp: pointTimeNs(r.at, r.seq),
  } as unknown as IPoint;
}

/**
 * The reading's point in HR's log projection (protocols/storage/influx-schema.ts
 * INFLUX_LOG_MEASUREMENT), or null when the logs never read it (no temperature, unknown face).
 */
export function toLogPoint(r: ReadingRecord): IPoint | null {
  const texts = readingLogFieldTexts(r);
  if (texts === null) return null;
  const fields: Record<string, Literal> = {};
  for (const [k, v] of texts) fields[k] = new Literal(v);
  return {
    measurement: INFLUX_LOG_MEASUREMENT,
    tags: { gateId: new Raw(influxTagText(r.gateId)), siteId: new Raw(influxTagText(r.siteId)) },
    fields,
    timestamp: pointTimeNs(r.at, r.seq),
  } as unknown as IPoint;
}

/** Every point a reading is written as: the record, and its log projection when it has one. */
export function toPoints(r: ReadingRecord): IPoint[] {
  const log = toLogPoint(r);
  return log === null ? [toPoint(r)] : [toPoint(r), log];
}
