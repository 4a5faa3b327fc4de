/**
 * How readings are laid out in InfluxDB 1.x. The edge writer and the dashboard reader both build
 * on these names, so they cannot drift apart. Pure data and pure functions: no I/O here.
 * The reasoning behind every choice is in edge/storage/README.md.
 */
import type { ReadingRecord } from '../gate/messages.ts';

export const INFLUX_DEFAULT_DATABASE = 'thermogate';
/** Our retention policy; created (or its duration corrected) by the sink's init(). */
export const INFLUX_RETENTION_POLICY = 'readings';
/** Personal health data: keep no longer than needed. Sites set their own in the edge config. */
export const INFLUX_DEFAULT_RETENTION_DAYS = 400;
export const INFLUX_MEASUREMENT = 'reading';

/**
 * Tags: indexed, GROUP BY-able, and part of the series key. employeeNo is a tag because HR's
 * per-person queries and the per-person-day first() must GROUP BY it (InfluxQL cannot group by
 * a field); ~5,000 employees × a few gates/decisions/sources stays far below what the index copes with.
 */
export const INFLUX_TAGS = ['siteId', 'gateId', 'employeeNo', 'decision', 'source'] as const;
export type InfluxTag = (typeof INFLUX_TAGS)[number];

export type InfluxFieldType = 'integer' | 'float' | 'string' | 'boolean';

/**
 * Fields: everything else of the ReadingRecord, under the record's own key names, plus
 * temperatureC (a float for Grafana). A null in the record is an absent field (Influx has no
 * null). `seq` is always present, so count(seq) counts readings.
 */
export const INFLUX_FIELDS = {
  v: 'integer',
  id: 'string',
  seq: 'integer',
  recordedAt: 'integer',
  temperatureC: 'float',
  temperatureTenths: 'integer',
  rawTenths: 'integer',
  offsetTenths: 'integer',
  ambientTenths: 'integer',
  sensor: 'string',
  sensorSeq: 'integer',
  reason: 'string',
  mask: 'string',
  pairingDelayMs: 'integer',
  terminalId: 'string',
  terminalSerialNo: 'integer',
  realtime: 'boolean',
  released: 'boolean',
  enteredBy: 'string',
  policyVersion: 'integer',
  thresholdTenths: 'integer',
} as const satisfies Record<string, InfluxFieldType>;
export type InfluxField = keyof typeof INFLUX_FIELDS;

/** Compile-time proof that tags + fields + the point time carry every key of a ReadingRecord. */
type Uncovered = Exclude<keyof ReadingRecord, InfluxTag | InfluxField | 'at'>;
const everyKeyStored: [Uncovered] extends [never] ? true : Uncovered = true;
void everyKeyStored;

/** Readings of one gate that share a millisecond are told apart by seq in the sub-ms digits. */
export const SEQ_SLOTS_PER_MS = 1_000_000;

/**
 * The point's timestamp in ns: `at` (ms) * 1e6 + seq mod 1e6, as a decimal string (it does not
 * fit a JS number). Two readings of one gate can only collide if they share the same `at`
 * millisecond AND their seqs differ by a multiple of 1e6; a replay of the same reading always
 * lands on the same point, so it overwrites itself instead of doubling. The sub-ms part keeps
 * the value within `at`'s millisecond: reading the time back at ms precision gives `at`.
 */
export function pointTimeNs(atMs: number, seq: number): string {
  const slot = String(seq % SEQ_SLOTS_PER_MS);
  if (atMs === 0) return slot;
  return `${atMs}${slot.padStart(6, '0')}`;
}

/**
 * employeeNo as a tag value. Influx tags cannot hold newlines or end in a backslash, and the
 * `influx` client mangles `\'`, so a value containing a backslash or a control character (or
 * starting with the marker) is stored as `~` + hex of its UTF-8 bytes. Ordinary employee numbers
 * (letters, digits, spaces, punctuation, CJK) are stored as they are, so Grafana shows them.
 * The empty string (unknown face) means "no tag".
 */
const TAG_HEX_MARKER = '~';
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NEEDS_TAG_ENCODING = /[\\\u0000-\u001f\u007f]/;

export function encodeEmployeeTag(employeeNo: string): string | null {
  if (employeeNo === '') return null;
  if (!employeeNo.startsWith(TAG_HEX_MARKER) && !NEEDS_TAG_ENCODING.test(employeeNo)) return employeeNo;
  let hex = '';
  for (const b of new TextEncoder().encode(employeeNo)) hex += b.toString(16).padStart(2, '0');
  return TAG_HEX_MARKER + hex;
}

export function decodeEmployeeTag(tag: string | null | undefined): string {
  if (!tag) return '';
  if (!tag.startsWith(TAG_HEX_MARKER)) return tag;
  const hex = tag.slice(TAG_HEX_MARKER.length);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return new TextDecoder().decode(bytes);
}

/** A retention policy duration as InfluxQL spells it. */
export const retentionDuration = (days: number): string => `${days}d`;

/**
 * HR's log projection (issue 22): every reading that counts for the logs (a temperature, a known
 * person), once more, with only what the twice-daily logs read, in series of one gate of one
 * site. `reading` keeps a series per person (employeeNo is a tag), and a site's day at 50,000
 * people means InfluxDB opening 50,000 series per field: 2.6 s or more per day. Here a day is a
 * few series and a scan of them. Written beside the reading by every writer (same batch, same
 * point time, so a replay overwrites itself here too); `reading` stays the record. employeeNo is
 * a string field holding the encoded tag form (encodeEmployeeTag), so the backfill statement
 * below (which copies the tag as a field) and the writers store the same text.
 */
export const INFLUX_LOG_MEASUREMENT = 'reading_log';
export const INFLUX_LOG_TAGS = ['siteId', 'gateId'] as const satisfies readonly InfluxTag[];
export const INFLUX_LOG_FIELDS = {
  id: 'string',
  seq: 'integer',
  employeeNo: 'string',
  temperatureTenths: 'integer',
  source: 'string',
  decision: 'string',
  mask: 'string',
  enteredBy: 'string',
} as const satisfies Record<string, InfluxFieldType>;

/**
 * Builds the log projection of readings written before it existed (a store older than issue 22):
 * run once as an admin for a database, e.g. month by month with a time range in `where`. It is
 * idempotent (the same points land on the same times), so running it over a period the writers
 * already covered changes nothing. The tags not grouped by are written as fields, as InfluxQL's
 * INTO does.
 */
export function influxLogBackfill(opts: {
  database: string;
  retentionPolicy?: string;
  where?: string;
}): string {
  const id = (x: string) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const rp = `${id(opts.database)}.${id(opts.retentionPolicy ?? INFLUX_RETENTION_POLICY)}`;
  const fields = Object.keys(INFLUX_LOG_FIELDS).map(id).join(', ');
  const cond = [
    `"employeeNo" != ''`,
    `"temperatureTenths" >= -1000`,
    ...(opts.where ? [`(${opts.where})`] : []),
  ];
  return `SELECT ${fields} INTO ${rp}.${id(INFLUX_LOG_MEASUREMENT)} FROM ${rp}.${id(INFLUX_MEASUREMENT)} WHERE ${cond.join(' AND ')} GROUP BY ${INFLUX_LOG_TAGS.map(id).join(', ')}`;
}
