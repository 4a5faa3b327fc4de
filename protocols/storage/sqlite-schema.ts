/**
 * The embedded store: one SQLite file written by the gate's SqliteSink and read by the
 * dashboard on the same machine. The DDL lives here so writer and reader agree; the writer
 * applies it, the reader only checks `user_version`. No I/O here.
 */

import type { ReadingRecord } from '../gate/messages.ts';

/** PRAGMA user_version of a store created by this release. Bump with a migration when the DDL changes. */
export const SQLITE_SCHEMA_VERSION = 3;
/**
 * The oldest schema a reader of this release reads: 2 → 3 only replaced an index, so a dashboard
 * upgraded before its gate still reads the older file (slower, through the old index).
 */
export const SQLITE_READS_FROM = 2;
export const SQLITE_READING_TABLE = 'reading';

/**
 * One column per ReadingRecord key, so HR can query the file with any SQLite tool. Times are
 * epoch ms; booleans 0/1. `id` is UNIQUE: the sink writes with INSERT OR IGNORE, so a replay
 * is a no-op. A rowid table (not WITHOUT ROWID): the secondary indexes then point at a small
 * integer instead of repeating the id.
 */
export const SQLITE_DDL = `
CREATE TABLE IF NOT EXISTS reading (
  id                 TEXT    NOT NULL UNIQUE,
  v                  INTEGER NOT NULL,
  site_id            TEXT    NOT NULL,
  gate_id            TEXT    NOT NULL,
  seq                INTEGER NOT NULL,
  at                 INTEGER NOT NULL,
  recorded_at        INTEGER NOT NULL,
  employee_no        TEXT    NOT NULL,
  temperature_tenths INTEGER,
  raw_tenths         INTEGER,
  offset_tenths      INTEGER NOT NULL,
  ambient_tenths     INTEGER,
  source             TEXT    NOT NULL,
  sensor             TEXT    NOT NULL,
  sensor_seq         INTEGER,
  decision           TEXT    NOT NULL,
  reason             TEXT    NOT NULL,
  mask               TEXT    NOT NULL,
  pairing_delay_ms   INTEGER,
  terminal_id        TEXT,
  terminal_serial_no INTEGER,
  realtime           INTEGER NOT NULL,
  released           INTEGER NOT NULL,
  entered_by         TEXT,
  policy_version     INTEGER,
  threshold_tenths   INTEGER
);
-- A period over everybody (first reading per person-day, counts by decision, HR's logs of a
-- site's day and month): covering, so those scans never touch the table. Key order as the log
-- scan pages (at, site, gate, seq); then what the scans read. Without id, source, entered_by and
-- mask every reading of HR's logs was a table lookup (schema 2's reading_at; bench/NOTES.md).
CREATE INDEX IF NOT EXISTS reading_period ON reading (at, site_id, gate_id, seq, employee_no, temperature_tenths, decision, id, source, entered_by, mask);
-- One person's history.
CREATE INDEX IF NOT EXISTS reading_employee_at ON reading (employee_no, at);
-- One gate's history.
CREATE INDEX IF NOT EXISTS reading_gate_at ON reading (gate_id, at);
`;

/** ReadingRecord key → column, in DDL order. Both sides map rows with this table. */
export const SQLITE_COLUMNS = {
  id: 'id',
  v: 'v',
  siteId: 'site_id',
  gateId: 'gate_id',
  seq: 'seq',
  at: 'at',
  recordedAt: 'recorded_at',
  employeeNo: 'employee_no',
  temperatureTenths: 'temperature_tenths',
  rawTenths: 'raw_tenths',
  offsetTenths: 'offset_tenths',
  ambientTenths: 'ambient_tenths',
  source: 'source',
  sensor: 'sensor',
  sensorSeq: 'sensor_seq',
  decision: 'decision',
  reason: 'reason',
  mask: 'mask',
  pairingDelayMs: 'pairing_delay_ms',
  terminalId: 'terminal_id',
  terminalSerialNo: 'terminal_serial_no',
  realtime: 'realtime',
  released: 'released',
  enteredBy: 'entered_by',
  policyVersion: 'policy_version',
  thresholdTenths: 'threshold_tenths',
} as const satisfies { [K in keyof ReadingRecord]-?: string };

/** Columns holding booleans as 0/1. */
export const SQLITE_BOOLEAN_COLUMNS = ['realtime', 'released'] as const;

/**
 * What turns a store of an older schema into this one, after SQLITE_DDL ran (which creates a new
 * file at the current schema, so a fresh file needs nothing). Every writer applies these.
 */
export function sqliteMigrations(fromVersion: number): string[] {
  const steps: string[] = [];
  // 1 → 2: the site policy version and threshold each decision was made with.
  if (fromVersion === 1)
    steps.push(
      'ALTER TABLE reading ADD COLUMN policy_version INTEGER',
      'ALTER TABLE reading ADD COLUMN threshold_tenths INTEGER',
    );
  // 2 → 3: reading_period (created by SQLITE_DDL) replaces reading_at.
  if (fromVersion >= 1 && fromVersion < 3) steps.push('DROP INDEX IF EXISTS reading_at');
  return steps;
}
