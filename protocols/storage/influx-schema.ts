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
