/**
 * The gate's storage boundary. The gate hands every reading to a ReadingRecorder, which commits it
 * locally (the durable outbox) before returning; forwarding to InfluxDB or the embedded store
 * happens behind it, never on the gate's decision path.
 */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';

/** A reading before the recorder numbers it. */
export type NewReading = Omit<ReadingRecord, 'seq' | 'id' | 'v'>;

export interface OutboxStats {
  depth: number;
  /** Age of the oldest unforwarded reading, seconds; null when empty. */
  oldestAgeS: number | null;
  capacity: number;
  /** Readings forwarded since start. */
  forwarded: number;
  /** The sink's last error code, if the last attempt failed. */
  lastError: string | null;
  /** Free bytes on the outbox's filesystem at the last check (null: unknown / not on a disk). */
  freeDiskBytes?: number | null;
  /** Readings held in memory because the outbox could not commit them (not counted in depth). */
  spilled?: number;
}

export interface ReadingRecorder {
  /**
   * Assigns the per-gate sequence number and id, commits durably, and returns the stored record.
   * When the commit fails (disk full, I/O error, TG_OUTBOX_FULL under 'refuse') the durable
   * recorder holds the numbered reading in memory and returns it all the same; it throws a typed
   * StorageError only for an invalid reading, after close(), or when that memory is full too
   * (TG_OUTBOX_SPILL_FULL). Callers must catch: the reading is then NOT recorded.
   */
  record(reading: NewReading): ReadingRecord;
  /**
   * Records the reading a source event produced (a face event: terminal, serialNo, time), in the
   * same commit as the event's key. Returns undefined, writing nothing, when that event has already
   * produced a reading: redeliveries after a crash are neither lost nor doubled.
   */
  recordEvent(reading: NewReading, eventKey: string): ReadingRecord | undefined;
  /** Whether an event with this key has already produced a reading. */
  hasEvent(eventKey: string): boolean;
  /**
   * Whether a reading recorded now would be kept. The gate asks before it releases anybody, so
   * that nobody passes unrecorded (policy 'refuse' at capacity or below the disk reserve, or
   * nowhere left to hold readings).
   */
  accepting(): boolean;
  stats(): OutboxStats;
  close(): Promise<void>;
}

/** Where the outbox forwards to: InfluxDB or the embedded SQLite store. Must be idempotent by id. */
export interface ReadingSink {
  readonly name: string;
  /** Prepares the target (database, retention policy, tables). Safe to call again. */
  init(): Promise<void>;
  /** Resolves only when the target has accepted every record. */
  write(records: readonly ReadingRecord[]): Promise<void>;
  /**
   * Optional cheap liveness check (InfluxDB /ping): lets the forwarder retry as soon as the link
   * is back instead of sleeping out its backoff. Resolves false (never rejects) when down.
   */
  ping?(): Promise<boolean>;
  close(): Promise<void>;
}

/** Deterministic id: unique per site, stable across retries and restarts. */
export const readingId = (siteId: string, gateId: string, seq: number): string =>
  `${siteId}:${gateId}:${seq}`;
