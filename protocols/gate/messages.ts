/**
 * ThermoGate's own messages on `tg/{siteId}/gate/{gateId}/...` (see topics.ts). Every payload
 * carries `v` so that a gate and a hub of different releases can tell each other apart.
 * Temperatures are tenths of °C (integers); times are epoch milliseconds.
 */
import { z } from 'zod';
import { MaskState } from '../face-mqtt/index.ts';
import { TENTHS_MAX, TENTHS_MIN } from '../temperature.ts';
import { ID_PATTERN } from '../topics.ts';

export const SCHEMA_VERSION = 1;
const Id = z.string().regex(ID_PATTERN);
const Tenths = z.number().int().min(TENTHS_MIN).max(TENTHS_MAX);
const EpochMs = z.number().int().nonnegative();

/** Where a temperature came from. Manual and self-reported readings come through the dashboard. */
export const TemperatureSource = z.enum(['gate-thermometer', 'terminal', 'handheld', 'self-report']);
export type TemperatureSource = z.infer<typeof TemperatureSource>;

export const SensorKind = z.enum(['modbus-ir', 'gy-mlx90615', 'terminal', 'manual']);

export const Decision = z.enum(['pass', 'flagged', 'remeasure', 'denied', 'unpaired', 'manual']);
export type Decision = z.infer<typeof Decision>;

/** Why a decision came out as it did; stable codes, shown translated on the dashboard. */
export const DecisionReason = z.enum([
  'ok',
  'fever',
  'below-range',
  'above-range',
  'no-measurement',
  'sensor-fault',
  'thermometer-offline',
  'unknown-face',
  'not-on-access-list',
  'mask-missing',
  'health-code',
  'lockdown',
  'fire-alarm',
  'offline-record',
  'no-face-event',
  'manual-entry',
  /** A person hold is open (flagged earlier, at this or another gate): refused whatever the reading. */
  'held',
  /** Decided after the terminal's deadline: the person was turned away already; nothing opens. */
  'late',
  /** The reading could not be stored (outbox refusing): nobody passes unrecorded. */
  'not-recording',
]);
export type DecisionReason = z.infer<typeof DecisionReason>;

/**
 * One temperature reading with its full provenance. The unit of storage: the outbox, InfluxDB and
 * the embedded store all hold exactly these. `id` is unique per site and stable across retries,
 * so a replayed write is idempotent.
 */
export const ReadingRecord = z.object({
  v: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(160),
  siteId: Id,
  gateId: Id,
  /** Per-gate counter, persisted across restarts: orders readings and makes timestamps unique. */
  seq: z.number().int().nonnegative(),
  /** When the person was measured / seen (the terminal's time for offline records). */
  at: EpochMs,
  /** When the edge recorded it. */
  recordedAt: EpochMs,
  employeeNo: z.string().max(64),
  /** Final temperature after offset; null when there was no valid measurement. */
  temperatureTenths: Tenths.nullable(),
  rawTenths: Tenths.nullable(),
  offsetTenths: z.number().int().min(-100).max(100),
  ambientTenths: Tenths.nullable(),
  source: TemperatureSource,
  sensor: SensorKind,
  /** The thermometer's measurement sequence, or the terminal's serialNo. */
  sensorSeq: z.number().int().nonnegative().nullable(),
  decision: Decision,
  reason: DecisionReason,
  mask: MaskState,
  /** ms between the measurement and the face event (absent when not paired). */
  pairingDelayMs: z.number().int().nullable(),
  terminalId: z.string().max(64).nullable(),
  terminalSerialNo: z.number().int().nonnegative().nullable(),
  /** false for records a terminal cached offline: stored, never actuated on. */
  realtime: z.boolean(),
  /** Whether this decision released the turnstile. */
  released: z.boolean(),
  /** Who entered a manual reading (handheld, self-report); null for devices. */
  enteredBy: z.string().max(64).nullable(),
  /** The site policy version the decision was made with (0: the built-in default; null: older gates). */
  policyVersion: z.number().int().nonnegative().nullable().default(null),
  /** The fever threshold the decision was made with. */
  thresholdTenths: Tenths.nullable().default(null),
});
export type ReadingRecord = z.infer<typeof ReadingRecord>;

/** Decision message for the dashboard: the reading plus what the person was told. */
export const DecisionMessage = z.object({
  v: z.literal(SCHEMA_VERSION),
  reading: ReadingRecord,
  name: z.string().max(128),
  display: z.string(),
  /** The isolation room's id the person was sent to (null: the isolation area, or not flagged). */
  isolationRoom: z.string().nullable(),
  /** Its name as the terminal showed it (absent from older gates). */
  isolationRoomName: z.string().max(24).nullable().optional(),
});
export type DecisionMessage = z.infer<typeof DecisionMessage>;

export const AlertKind = z.enum([
  'fever',
  'remeasure-repeated',
  'mask-missing',
  'unknown-person',
  'not-on-access-list',
  'sensor-fault',
  'thermometer-offline',
  'gate-offline',
  'tailgating',
  'fire-alarm',
  'outbox-filling',
  /** A held person (flagged earlier) tried a gate. */
  'held-person',
  /** The face terminal's clock is off from the gate's by more than the tolerance. */
  'terminal-clock',
  /**
   * A person's health declaration names a symptom or a contact (raised by the dashboard, never by
   * a gate; added for issue #18).
   */
  'declared-symptom',
  /**
   * An ISAPI face terminal's person list has stayed out of line with HR's access list (person
   * sync on, devices.md §5): somebody HR removed may still be recognised there (the gate still
   * refuses them), or a new person is not yet.
   */
  'terminal-person-sync',
  /**
   * The gate refused a snapshot or change of a site list it holds (the access list, the holds, the
   * site policy): it keeps deciding with the copy it has, which may lack a person held since.
   * Ended by the gate once that list is known current again (edge/core/site-lists.ts), or by a
   * status of the gate that names no refused list (`GateStatus.listsRejected`).
   */
  'site-list-rejected',
]);
export type AlertKind = z.infer<typeof AlertKind>;
export const Severity = z.enum(['critical', 'major', 'minor', 'info']);

export const AlertMessage = z.object({
  v: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(160),
  siteId: Id,
  gateId: Id,
  kind: AlertKind,
  severity: Severity,
  at: EpochMs,
  /** false when the condition cleared (fire alarm over, thermometer back). */
  active: z.boolean(),
  employeeNo: z.string().max(64).nullable(),
  name: z.string().max(128).nullable(),
  temperatureTenths: Tenths.nullable(),
  readingId: z.string().nullable(),
  detail: z.string().max(500),
  /**
   * A condition alert's device when it is not the gate itself (the hub's `gate-offline` about a
   * face terminal): with `kind` it names the condition (alert-kinds.ts `conditionKey`). Absent:
   * the gate `gateId`.
   */
  device: z.object({ kind: z.enum(['gate', 'terminal']), id: Id }).optional(),
});
export type AlertMessage = z.infer<typeof AlertMessage>;

export const ThermometerState = z.enum(['online', 'offline', 'fault', 'none']);
export const GateState = z.enum(['locked', 'released', 'lockdown', 'fire']);
/** The site's lists a gate holds a copy of (the `site-list-rejected` alert and `listsRejected`). */
export const SiteListName = z.enum(['access-list', 'holds', 'policy']);
export type SiteListName = z.infer<typeof SiteListName>;

/** Where a gate stands in keeping its ISAPI terminal's person list in line with HR's access list. */
export const PersonSyncStatus = z.object({
  /**
   * `waiting`: no access list held yet (nothing is changed on the terminal without one);
   * `syncing`: a pass is running; `in-sync`: the last pass applied every difference;
   * `retrying`: the last pass failed or left differences, another follows after a backoff.
   */
  state: z.enum(['waiting', 'syncing', 'in-sync', 'retrying']),
  /** When a pass last left the terminal in line with the list (epoch ms; null: not yet). */
  lastSyncAt: z.number().int().nonnegative().nullable(),
  /** The access list version that pass applied. */
  listVersion: z.number().int().nonnegative().nullable(),
  /** Differences not applied yet (records, changes and deletions; null: the terminal not read yet). */
  pending: z.number().int().nonnegative().nullable(),
  /** Persons the terminal holds: as last read, or as a pass that applied everything left it. */
  terminalPersons: z.number().int().nonnegative().nullable(),
  /** Why the last pass did not finish: a TG_ISAPI_* code, and the terminal's own answer when it gave one. */
  errorCode: z.string().max(64).nullable(),
  statusCode: z.number().int().nullable(),
  subStatusCode: z.string().max(128).nullable(),
  /** Since when the terminal has been out of line (null: in line). */
  outOfSyncSince: z.number().int().nonnegative().nullable(),
});
export type PersonSyncStatus = z.infer<typeof PersonSyncStatus>;

/** Retained on `.../status`; the gate's last will publishes the same with online=false. */
export const GateStatus = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: Id,
  gateId: Id,
  online: z.boolean(),
  at: EpochMs,
  thermometer: ThermometerState,
  gateState: GateState,
  softwareVersion: z.string(),
  configVersion: z.string(),
  accessListVersion: z.number().int().nonnegative().nullable(),
  /** The site policy version the gate decides with (0: built-in default, before any reached it). */
  policyVersion: z.number().int().nonnegative().nullable().default(null),
  /** Site rules this gate's own config overrides (shown in the fleet view). */
  policyOverrides: z.array(z.string().max(64)).max(16).default([]),
  holdsVersion: z.number().int().nonnegative().nullable().default(null),
  /**
   * Site lists whose last snapshot or change this gate refused (it decides with the copy it had):
   * the `site-list-rejected` alert is open while this is not empty, and a status without it ends
   * that alert (also after the gate restarted and forgot the refusal).
   */
  listsRejected: z.array(SiteListName).max(3).default([]),
  /** The face terminal's clock offset from the gate's, ms (null: not yet observed). */
  terminalClockOffsetMs: z.number().int().nullable().default(null),
  /**
   * The gate's face terminal as its driver sees it: for an ISAPI terminal (devices.md §5) its
   * deviceInfo and whether it answers. Absent from older gates and from MQTT terminals (whose
   * own status topic says whether they are online).
   */
  terminal: z
    .object({
      protocol: z.string().max(32),
      online: z.boolean().nullable(),
      model: z.string().max(128).nullable(),
      serialNumber: z.string().max(128).nullable(),
      firmwareVersion: z.string().max(128).nullable(),
      /**
       * Keeping the terminal's person list in line with the access list (ISAPI person sync;
       * absent when the gate does not manage the terminal's persons).
       */
      personSync: PersonSyncStatus.optional(),
    })
    .nullable()
    .optional(),
});
export type GateStatus = z.infer<typeof GateStatus>;

export const Counters = z.object({
  passed: z.number().int().nonnegative(),
  flagged: z.number().int().nonnegative(),
  remeasure: z.number().int().nonnegative(),
  denied: z.number().int().nonnegative(),
  unpaired: z.number().int().nonnegative(),
  offlineRecords: z.number().int().nonnegative(),
  /** Realtime events that arrived too late to act on (queued by the broker while the gate was away). */
  staleEvents: z.number().int().nonnegative(),
  duplicateEvents: z.number().int().nonnegative(),
  badFrames: z.number().int().nonnegative(),
  badPayloads: z.number().int().nonnegative(),
  /**
   * Requests the gate's ISAPI listener refused before reading an event: wrong source, wrong
   * path or method, oversized (malformed ones count as badPayloads). Absent from older gates.
   */
  refusedRequests: z.number().int().nonnegative().optional(),
  /** Verdicts that did not reach an ISAPI terminal in time. Absent from older gates. */
  verdictsFailed: z.number().int().nonnegative().optional(),
});
export type Counters = z.infer<typeof Counters>;

export const Heartbeat = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: Id,
  gateId: Id,
  at: EpochMs,
  uptimeS: z.number().nonnegative(),
  thermometer: ThermometerState,
  gateState: GateState,
  counters: Counters,
  outbox: z.object({
    depth: z.number().int().nonnegative(),
    oldestAgeS: z.number().nonnegative().nullable(),
    /** Free bytes on the filesystem holding the outbox (absent from older gates; null: unknown). */
    freeDiskBytes: z.number().int().nonnegative().nullable().optional(),
    /** Readings held in memory because the outbox could not commit them (disk full). */
    spilled: z.number().int().nonnegative().optional(),
  }),
  accessListVersion: z.number().int().nonnegative().nullable(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const GateCommand = z.object({
  v: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(64),
  kind: z.enum(['open-once', 'lockdown', 'release-lockdown']),
  reason: z.string().max(200),
  by: z.string().max(64),
  at: EpochMs,
});
export type GateCommand = z.infer<typeof GateCommand>;

/**
 * Why a gate refused a command, as a stable code the dashboard and OPC UA translate (the gate's
 * `error` sentence is English, for logs): `stale` (older or newer than the gate's tolerance by its
 * clock: a replay or a skewed clock), `lockdown` (open-once while locked down: release it first).
 */
export const CommandRefusal = z.enum(['stale', 'lockdown']);
export type CommandRefusal = z.infer<typeof CommandRefusal>;

export const GateCommandAck = z.object({
  v: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(64),
  ok: z.boolean(),
  error: z.string().max(200).nullable(),
  /** Set when ok is false (gates before issue #21 send only `error`). */
  code: CommandRefusal.nullable().optional(),
  at: EpochMs,
});
export type GateCommandAck = z.infer<typeof GateCommandAck>;
