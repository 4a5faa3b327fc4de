/**
 * Storage at the gate: what the daemon and other modules import.
 *   const recorder = createRecorder({ outboxPath, capacity, policy, sink: cfg.storage.sink });
 *   recorder.on('fill', (e) => publish outbox-filling alert (active = e.active, severity = e.severity));
 *   heartbeat.outbox = { depth, oldestAgeS } from recorder.stats();
 * Unit tests of other modules use `new MemoryRecorder()`.
 */
export { StorageError, StorageErrorCode, SinkRejection, type RejectedRecord } from './errors.ts';
export {
  FILL_SEVERITY,
  FILL_THRESHOLDS,
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
export { MemoryRecorder, type MemoryRecorderOptions } from './memory-recorder.ts';
export { Outbox, type OutboxOptions, type OutboxPolicy, type QuarantinedRecord } from './outbox.ts';
export {
  createRecorder,
  createSink,
  DEFAULT_OUTBOX_CAPACITY,
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
