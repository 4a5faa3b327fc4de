/**
 * Where readings entered on the dashboard go (a guard's handheld re-check, HR's manual entry,
 * imported self-reports): into the very store the gates write, so every log and report sees them
 * next to the gates' readings.
 *
 *   const manual = createManualReadingSink(config.readings, { retentionDays });
 *   await manual.write(record);          // ManualReadingSink (alerts' re-checks)
 *   await manual.writeMany(records);     // all or nothing (a CSV import)
 *
 * The sink writes records as given; ids and gate ids are the callers' (reports/manual.ts:
 * readings taken at no gate carry gateId 'manual'). A manual reading can never overwrite a
 * gate's: its id is of another form, and in InfluxDB its `source` tag (handheld, self-report)
 * puts it in another series than any gate reading (gate-thermometer, terminal).
 */
import { ReadingRecord } from '../../protocols/gate/messages.ts';
import type { ManualReadingSink } from '../alerts/types.ts';
import type { DashboardConfig } from '../config/schema.ts';
import { InfluxManualSink, type InfluxManualSinkOptions } from './manual-influx.ts';
import { SqliteManualSink } from './manual-sqlite.ts';
import { WriteError, WriteErrorCode } from './write-errors.ts';

export interface ManualSink extends ManualReadingSink {
  /** Writes all the readings or none (SQLite: one transaction; InfluxDB: one request). */
  writeMany(rs: readonly ReadingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface ManualSinkOptions {
  /** InfluxDB: duration of the retention policy if the dashboard has to create it. */
  retentionDays?: number;
  /** InfluxDB requests (tests). */
  fetch?: typeof fetch;
}

interface Backend {
  writeMany(rs: readonly ReadingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export function createManualReadingSink(
  readings: DashboardConfig['readings'],
  opts: ManualSinkOptions = {},
): ManualSink {
  let backend: Backend;
  if (readings.kind === 'sqlite') backend = new SqliteManualSink({ path: readings.path });
  else {
    const o: InfluxManualSinkOptions = { url: readings.url, database: readings.database };
    if (readings.username !== undefined) o.username = readings.username;
    if (readings.passwordFile !== undefined) o.passwordFile = readings.passwordFile;
    if (opts.retentionDays !== undefined) o.retentionDays = opts.retentionDays;
    if (opts.fetch) o.fetch = opts.fetch;
    backend = new InfluxManualSink(o);
  }
  const writeMany = async (rs: readonly ReadingRecord[]): Promise<void> => {
    for (const r of rs) {
      const parsed = ReadingRecord.safeParse(r);
      if (!parsed.success)
        throw new WriteError(
          WriteErrorCode.INVALID,
          `reading ${String(r?.id)} is not a valid ReadingRecord: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
        );
    }
    await backend.writeMany(rs);
  };
  return {
    write: (r) => writeMany([r]),
    writeMany,
    close: () => backend.close(),
  };
}

export { WriteError, WriteErrorCode } from './write-errors.ts';
