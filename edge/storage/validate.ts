/**
 * The one check every reading passes before it is stored, shared by the durable outbox and the
 * in-memory recorder so that other modules' unit tests fail on the same readings production would.
 */
import { ReadingRecord, SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import { type NewReading, readingId } from './types.ts';

const NewReadingSchema = ReadingRecord.omit({ v: true, id: true, seq: true });

/** Parses (dropping unknown keys, so only schema fields are stored) or throws TG_OUTBOX_INVALID. */
export function validateReading(reading: NewReading): NewReading {
  const r = NewReadingSchema.safeParse(reading);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StorageError(StorageErrorCode.OUTBOX_INVALID, `reading refused: ${issues}`);
  }
  return r.data;
}

/** The stored form: schema version, id and seq first, then the reading. */
export function numberReading(reading: NewReading, seq: number): ReadingRecord {
  return { v: SCHEMA_VERSION, id: readingId(reading.siteId, reading.gateId, seq), seq, ...reading };
}
