/** The storage contract against the embedded SQLite store and against a real InfluxDB 1.6. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { InfluxReadingStore } from '../../dashboard/store/influx-store.ts';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import type { ReadingStore } from '../../dashboard/store/types.ts';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import { influxLogBackfill } from '../../protocols/storage/influx-schema.ts';
import { readingToLine } from '../../protocols/storage/influx-line.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { readingStoreContract } from './contract.ts';

readingStoreContract({
  name: 'sqlite',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'tg-contract-'));
    const path = join(dir, 'readings.sqlite');
    const sink = new SqliteSink({ path });
    await sink.init();
    const stores: ReadingStore[] = [];
    return {
      sink,
      store: (time) => {
        const s = new SqliteReadingStore({ path, ...time });
        stores.push(s);
        return s;
      },
      async cleanup() {
        for (const s of stores) await s.close();
        await sink.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

let influxd: Influxd;
let n = 0;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.destroy();
});

readingStoreContract({
  name: 'influx',
  async fresh() {
    const database = `contract_${++n}`;
    // The fixed 2024 dates must stay inside the retention policy whenever this runs.
    const sink = new InfluxSink({ url: influxd.url, database, retentionDays: 36_500 });
    await sink.init();
    return {
      sink,
      store: (time) => new InfluxReadingStore({ url: influxd.url, database, ...time }),
      summaryStore: (time) =>
        new InfluxReadingStore({ url: influxd.url, database, logMeasurement: true, ...time }),
      legacy: {
        // The lines a writer of before issue 22 sent: the reading only.
        async write(rs) {
          const res = await fetch(`${influxd.url}/write?db=${database}&rp=readings&precision=n`, {
            method: 'POST',
            body: rs.map(readingToLine).join('\n'),
          });
          if (res.status !== 204) throw new Error(`legacy write: ${res.status} ${await res.text()}`);
        },
        async migrate() {
          await influxd.query(influxLogBackfill({ database }));
        },
      },
      async cleanup() {
        await sink.close();
      },
    };
  },
});
