/**
 * Typed storage errors with stable codes. Codes never change meaning once shipped; new ones are
 * appended. TG_OUTBOX_* is the local durable queue, TG_STORE_* the sink behind it.
 */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const StorageErrorCode = {
  /** The outbox holds `capacity` readings and the policy is 'refuse'. */
  OUTBOX_FULL: 'TG_OUTBOX_FULL',
  /** Another process has the outbox file open: one outbox, one owner. */
  OUTBOX_LOCKED: 'TG_OUTBOX_LOCKED',
  /** The outbox file cannot be opened (permissions, corrupt, newer schema). Never recreated. */
  OUTBOX_OPEN: 'TG_OUTBOX_OPEN',
  /** The commit failed (disk full, I/O error): the reading is NOT stored. */
  OUTBOX_WRITE: 'TG_OUTBOX_WRITE',
  /** The reading does not match the ReadingRecord schema: a bug upstream, refused loudly. */
  OUTBOX_INVALID: 'TG_OUTBOX_INVALID',
  /** record() after close(). */
  OUTBOX_CLOSED: 'TG_OUTBOX_CLOSED',
  /** A stored row is not valid JSON any more; moved to quarantine. */
  OUTBOX_CORRUPT_ROW: 'TG_OUTBOX_CORRUPT_ROW',
  /**
   * A commit failed (disk full, I/O error, or TG_OUTBOX_FULL under 'refuse'): the reading is held
   * in memory, numbered, and committed as soon as the outbox takes it again.
   */
  OUTBOX_SPILLED: 'TG_OUTBOX_SPILLED',
  /** The in-memory spill is at its bound as well: this reading is NOT kept (logged in full). */
  OUTBOX_SPILL_FULL: 'TG_OUTBOX_SPILL_FULL',
  /** Readings held in memory were lost (the process ended before the disk had room again). */
  OUTBOX_SPILL_LOST: 'TG_OUTBOX_SPILL_LOST',
  /** The seq guard file (seqs handed out while spilling) cannot be read or written. */
  OUTBOX_SEQ_GUARD: 'TG_OUTBOX_SEQ_GUARD',
  /** Free space on the outbox's filesystem is below 4 × storage.diskReserveMB. */
  OUTBOX_DISK_LOW: 'TG_OUTBOX_DISK_LOW',
  /** The free space of the outbox's filesystem cannot be read (statfs failed). */
  OUTBOX_STATFS: 'TG_OUTBOX_STATFS',

  /** Connection refused, reset, DNS: the link is down. */
  STORE_UNREACHABLE: 'TG_STORE_UNREACHABLE',
  /** No answer within the write timeout. The write may still have landed (replay is idempotent). */
  STORE_TIMEOUT: 'TG_STORE_TIMEOUT',
  /** The sink answered 5xx or is busy (SQLite lock): try again later. */
  STORE_SERVER: 'TG_STORE_SERVER',
  /** Credentials refused. */
  STORE_AUTH: 'TG_STORE_AUTH',
  /** The sink refused particular records for good (bad value, type conflict). */
  STORE_REJECTED: 'TG_STORE_REJECTED',
  /** The reading is older than the retention policy: InfluxDB would drop it. */
  STORE_BEYOND_RETENTION: 'TG_STORE_BEYOND_RETENTION',
  /** The store already holds a different reading under the same id (a reused seq). */
  STORE_ID_CONFLICT: 'TG_STORE_ID_CONFLICT',
  /** The store's schema is newer than this release understands. */
  STORE_SCHEMA: 'TG_STORE_SCHEMA',
  /** Invalid storage configuration. */
  STORE_CONFIG: 'TG_STORE_CONFIG',
  /** Any other failure of the sink. */
  STORE_WRITE: 'TG_STORE_WRITE',
  /**
   * The store's user is known but may not do this (InfluxDB 403): no WRITE on the database, or an
   * admin statement (CREATE DATABASE / RETENTION POLICY) with storage.sink.manageSchema true.
   */
  STORE_PRIVILEGE: 'TG_STORE_PRIVILEGE',
  /** The database or retention policy does not exist and the gate may not create it (manageSchema false). */
  STORE_MISSING: 'TG_STORE_MISSING',
} as const;
export type StorageErrorCode = CodeOf<typeof StorageErrorCode>;

export class StorageError extends codedErrors('StorageError', StorageErrorCode) {}

export interface RejectedRecord {
  id: string;
  code: StorageErrorCode;
  detail: string;
}

/**
 * The sink accepted every record of the batch EXCEPT `rejected`, which it will never accept.
 * The forwarder acknowledges the rest and moves these to the outbox's quarantine: a poison
 * record must neither block the queue forever nor vanish.
 */
export class SinkRejection extends StorageError {
  readonly rejected: readonly RejectedRecord[];
  constructor(rejected: readonly RejectedRecord[]) {
    super(StorageErrorCode.STORE_REJECTED, `${rejected.length} record(s) refused for good`);
    this.name = 'SinkRejection';
    this.rejected = rejected;
  }
}

/** The code of any error, for stats and logs: ours, a system error's, or a generic one. */
export function errorCode(err: unknown): string {
  if (err instanceof StorageError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : StorageErrorCode.STORE_WRITE;
}
