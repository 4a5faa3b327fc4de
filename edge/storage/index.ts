/**
 * Storage at the gate: what the daemon and other modules import.
 *   const recorder = createRecorder({ outboxPath, capacity, policy, diskReserveMB, sink: cfg.storage.sink });
 *   recorder.on('fill', (e) => publish outbox-filling alert (active, severity, describeFill(e)));
 *   if (!recorder.accepting()) keep the turnstile shut: the reading could not be kept;
 *   heartbeat.outbox = { depth, oldestAgeS, freeDiskBytes, spilled } from recorder.stats();
 * Unit tests of other modules use `new MemoryRecorder()` from test/doubles/edge/memory-recorder.ts (a test double:
 * never exported from here, so nothing in production can pick it up).
 */
export { StorageError, StorageErrorCode, SinkRejection, type RejectedRecord } from './errors.ts';
export { DiskWatch, type DiskWatchOptions, type StatFs } from './disk-space.ts';
export {
  DISK_RESERVE_MULTIPLES,
  DiskGauge,
  describeFill,
  diskLevelFor,
  FILL_SEVERITY,
  FILL_THRESHOLDS,
  type FillCause,
  type FillEvent,
  type FillLevel,
  type FillSeverity,
} from './fill-level.ts';
export {
  DEFAULT_FORWARDER_OPTIONS,
  Forwarder,
  type ForwarderOptions,
  type ForwarderStats,
  type LinkEvent,
  type QuarantineEvent,
} from './forwarder.ts';
export { InfluxSink, type InfluxSinkOptions } from './influx-sink.ts';
export {
  Outbox,
  type OutboxOptions,
  type OutboxPolicy,
  type QuarantinedRecord,
  type SkippedSeqs,
} from './outbox.ts';
export {
  createRecorder,
  createSink,
  DEFAULT_DISK_RESERVE_MB,
  DEFAULT_OUTBOX_CAPACITY,
  DEFAULT_SPILL_LIMIT,
  DurableRecorder,
  type RecorderConfig,
  type RecorderDeps,
  type RecorderEvents,
  type RecorderStats,
  type SinkConfig,
  type StorageRecorder,
} from './recorder.ts';
export { SqliteSink, type SqliteSinkOptions } from './sqlite-sink.ts';
export {
  type NewReading,
  type OutboxStats,
  type ReadingRecorder,
  type ReadingSink,
  readingId,
} from './types.ts';
