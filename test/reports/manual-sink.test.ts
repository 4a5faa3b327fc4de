/**
 * The dashboard's manual-reading writer against the very stores the edges write: same table and
 * idempotency (SQLite), same measurement, tags, fields and point time (InfluxDB). Proven by
 * writing the same record through the edge's sink and the manual sink: it stays one reading.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualRecord } from '../../dashboard/reports/manual.ts';
import { InfluxReadingStore } from '../../dashboard/store/influx-store.ts';
import { createManualReadingSink } from '../../dashboard/store/manual-sink.ts';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { record, shanghai } from '../storage/records.ts';
import { type Backend, type Env, influxBackend, SITE, sqliteBackend } from './fixture.ts';

let influxd: Influxd;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.destroy();
});

const AT = shanghai('2024-03-05T09:00:00');
const ALL = { from: shanghai('2024-01-01T00:00:00'), to: shanghai('2025-01-01T00:00:00') };
const handheld = (employeeNo: string, tenths: number, at = AT): ReadingRecord =>
  manualRecord(
    SITE,
    { employeeNo, temperatureTenths: tenths, source: 'handheld', at, gateId: 'manual' },
    'hr1',
    at + 5,
  );

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['influx', () => influxBackend(() => influxd)],
] as Array<[string, () => Backend]>)('manual sink on %s', (_name, backend) => {
  let env: Env;
  beforeEach(async () => {
    env = await backend().fresh();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('a manual reading reads back exactly, beside a gate reading of the same person and millisecond', async () => {
    const gate = record(7, { employeeNo: 'E1', at: AT, gateId: 'manual' });
    const manual = handheld('E1', 371);
    expect(manual.id).toMatch(/^site-a:manual:handheld:[0-9a-f]{24}$/);
    await env.gate.write([gate]);
    await env.manual.write(manual);
    const back = await env.store.readingsByPerson({ employeeNo: 'E1', ...ALL });
    expect(back).toHaveLength(2);
    expect(back).toContainEqual(gate);
    expect(back).toContainEqual(manual);
  });

  it('the same reading written by the edge and by the dashboard is one reading (same layout)', async () => {
    const r = { ...handheld('张三', 368), enteredBy: 'O\'Brien "nurse"\nward 3' };
    await env.gate.write([r]);
    await env.manual.write(r);
    await env.manual.writeMany([r, r]);
    expect(await env.store.readingsByGate({ gateId: 'manual', ...ALL })).toEqual([r]);
  });

  it('writes a batch whole, and refuses an invalid record with TG_STORE_INVALID', async () => {
    const rs = Array.from({ length: 300 }, (_, i) => handheld(`E${i}`, 360 + (i % 10), AT + i));
    await env.manual.writeMany(rs);
    const back = [];
    for await (const page of env.store.scanReadings({ ...ALL, pageSize: 128 })) back.push(...page);
    expect(back).toEqual(rs);
    await expect(
      env.manual.write({ ...rs[0], temperatureTenths: 99_999 } as ReadingRecord),
    ).rejects.toMatchObject({
      code: 'TG_STORE_INVALID',
    });
  });
});

describe('manual sink on sqlite only', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-manual-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the store when no gate has yet; the gate and the reader then use it as theirs', async () => {
    const path = join(dir, 'sub', 'readings.sqlite');
    const manual = createManualReadingSink({ kind: 'sqlite', path });
    const r = handheld('E1', 366);
    await manual.write(r);
    const gate = new SqliteSink({ path });
    await gate.init();
    const g = record(1, { employeeNo: 'E1', at: AT + 1 });
    await gate.write([g]);
    const store = new SqliteReadingStore({ path });
    expect(await store.readingsByPerson({ employeeNo: 'E1', ...ALL })).toEqual([r, g]);
    await Promise.all([store.close(), gate.close(), manual.close()]);
  });

  it('a different reading under a taken id is refused, and nothing of its batch is written', async () => {
    const env: Env = await sqliteBackend().fresh();
    try {
      const r = handheld('E1', 366);
      await env.manual.write(r);
      // Same id, another temperature: never silently ignored.
      const clash = { ...r, temperatureTenths: 399 };
      const fresh = handheld('E2', 365);
      await expect(env.manual.writeMany([fresh, clash])).rejects.toMatchObject({
        code: 'TG_STORE_ID_CONFLICT',
      });
      expect(await env.store.readingsByPerson({ employeeNo: 'E2', ...ALL })).toEqual([]);
      // A repeat entered by someone else later is the same reading, not a conflict.
      await env.manual.write({ ...r, enteredBy: 'guard2', recordedAt: r.recordedAt + 1000 });
      expect(await env.store.readingsByPerson({ employeeNo: 'E1', ...ALL })).toEqual([r]);
    } finally {
      await env.cleanup();
    }
  });

  it('an unwritable path is TG_STORE_UNAVAILABLE', async () => {
    // Under a regular file: no directory can be made there.
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const manual = createManualReadingSink({ kind: 'sqlite', path: join(file, 'sub', 'readings.sqlite') });
    await expect(manual.write(handheld('E1', 366))).rejects.toMatchObject({ code: 'TG_STORE_UNAVAILABLE' });
  });
});

describe('manual sink on influx only', () => {
  it('creates the database and retention policy when no gate has written yet', async () => {
    const database = `manual_first_${process.pid}`;
    const manual = createManualReadingSink(
      { kind: 'influx', url: influxd.url, database },
      { retentionDays: 36_500 },
    );
    const r = handheld('E1', 367);
    await manual.write(r);
    const store = new InfluxReadingStore({ url: influxd.url, database });
    expect(await store.readingsByPerson({ employeeNo: 'E1', ...ALL })).toEqual([r]);
    const res = await fetch(
      `${influxd.url}/query?q=${encodeURIComponent(`SHOW RETENTION POLICIES ON "${database}"`)}`,
    );
    const rp = (await res.json()).results[0].series[0].values.find((v: unknown[]) => v[0] === 'readings');
    expect(rp?.[1]).toBe('876000h0m0s');
    expect(rp?.[4]).toBe(true);
  });

  it('an unreachable server is TG_STORE_UNAVAILABLE; a point beyond retention is TG_STORE_BEYOND_RETENTION', async () => {
    const down = createManualReadingSink({ kind: 'influx', url: 'http://127.0.0.1:9', database: 'x' });
    await expect(down.write(handheld('E1', 367))).rejects.toMatchObject({ code: 'TG_STORE_UNAVAILABLE' });
    const database = `manual_short_${process.pid}`;
    const short = createManualReadingSink(
      { kind: 'influx', url: influxd.url, database },
      { retentionDays: 30 },
    );
    await short.write(handheld('E1', 367, Date.now()));
    await expect(short.write(handheld('E1', 367, Date.now() - 90 * 86_400_000))).rejects.toMatchObject({
      code: 'TG_STORE_BEYOND_RETENTION',
    });
  });
});
