/** A scriptable in-memory ReadingSink for forwarder and recorder tests. */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { SinkRejection, StorageError, StorageErrorCode } from '../../edge/storage/errors.ts';
import type { ReadingSink } from '../../edge/storage/types.ts';

export class FakeSink implements ReadingSink {
  readonly name = 'fake';
  /** Stored by id: a replay overwrites, as in the real sinks. */
  readonly stored = new Map<string, ReadingRecord>();
  readonly batches: number[] = [];
  writes = 0;
  inits = 0;
  pings = 0;
  /** While true, writes (and init) fail with TG_STORE_UNREACHABLE and ping answers false. */
  down = false;
  /** Ids refused for good. */
  poison = new Set<string>();
  /** Resolve writes only when this promise does. */
  gate: Promise<void> | null = null;
  /** Set to leave ping out (a sink without a cheap liveness check). */
  ping?: () => Promise<boolean> = async () => {
    this.pings += 1;
    return !this.down;
  };

  async init(): Promise<void> {
    this.inits += 1;
    if (this.down) throw new StorageError(StorageErrorCode.STORE_UNREACHABLE, 'down');
  }

  async write(records: readonly ReadingRecord[]): Promise<void> {
    this.writes += 1;
    if (this.gate) await this.gate;
    if (this.down) throw new StorageError(StorageErrorCode.STORE_UNREACHABLE, 'down');
    this.batches.push(records.length);
    const rejected = [];
    for (const r of records) {
      if (this.poison.has(r.id))
        rejected.push({ id: r.id, code: StorageErrorCode.STORE_REJECTED, detail: 'poison' });
      else this.stored.set(r.id, r);
    }
    if (rejected.length > 0) throw new SinkRejection(rejected);
  }

  async close(): Promise<void> {}
}
