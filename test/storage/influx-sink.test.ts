/** InfluxSink against a real InfluxDB 1.6: schema setup, retention, poison points, lost database. */
import { createServer, type Socket } from 'node:net';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxReadingStore } from '../../dashboard/store/influx-store.ts';
import { SinkRejection } from '../../edge/storage/errors.ts';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { record } from './records.ts';

// InfluxDB applies retention against its own wall clock, so the test's 'now' is the real one.
const NOW = Date.now();
const clock = { now: () => NOW, setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) };
const ALL = { from: 0, to: Date.UTC(2100, 0, 1) };

describe('InfluxSink', () => {
  let influxd: Influxd;
  let admin: InfluxDB;
  let n = 0;
  const db = () => `sink_${++n}`;

  beforeAll(async () => {
    influxd = await startInfluxd();
    admin = new InfluxDB({ host: '127.0.0.1', port: influxd.port });
  });
  afterAll(async () => {
    await influxd?.destroy();
  });

  it('creates the database and a default retention policy, and corrects its duration later', async () => {
    const database = db();
    await new InfluxSink({ url: influxd.url, database }).init();
    await new InfluxSink({ url: influxd.url, database }).init();
    expect(await admin.showRetentionPolicies(database)).toContainEqual(
      expect.objectContaining({ name: 'readings', duration: '9600h0m0s', default: true }),
    );
    await new InfluxSink({ url: influxd.url, database, retentionDays: 30 }).init();
    expect(await admin.showRetentionPolicies(database)).toContainEqual(
      expect.objectContaining({ name: 'readings', duration: '720h0m0s', default: true }),
    );
  });

  it('sets aside readings older than the retention policy, writes the rest', async () => {
    const database = db();
    const sink = new InfluxSink({ url: influxd.url, database, retentionDays: 30, clock });
    await sink.init();
    const fresh = record(1, { at: NOW - 86_400_000 });
    const stale = record(2, { at: NOW - 31 * 86_400_000 });
    const err = await sink.write([fresh, stale]).catch((e) => e);
    expect(err).toBeInstanceOf(SinkRejection);
    expect((err as SinkRejection).rejected).toEqual([
      expect.objectContaining({ id: stale.id, code: 'TG_STORE_BEYOND_RETENTION' }),
    ]);
    const store = new InfluxReadingStore({ url: influxd.url, database });
    expect(await store.readingsByGate({ gateId: 'gate-1', ...ALL })).toEqual([fresh]);
  });

  it('isolates a point InfluxDB refuses (field type conflict) and writes the others of the batch', async () => {
    const database = db();
    const sink = new InfluxSink({ url: influxd.url, database, retentionDays: 36_500 });
    await sink.init();
    const at = Date.UTC(2026, 0, 10);
    // Someone else wrote sensorSeq as a string into the same shard: our integer can never go in.
    await admin.writePoints(
      [{ measurement: 'reading', fields: { sensorSeq: 'x' }, timestamp: new Date(at) }],
      {
        database,
        retentionPolicy: 'readings',
      },
    );
    const rs = Array.from({ length: 9 }, (_, i) => record(i, { at: at + i, sensorSeq: null }));
    const bad = record(100, { at: at + 100, sensorSeq: 7 });
    rs.splice(4, 0, bad);
    const err = await sink.write(rs).catch((e) => e);
    expect((err as SinkRejection).rejected).toEqual([
      expect.objectContaining({ id: bad.id, code: 'TG_STORE_REJECTED' }),
    ]);
    expect((err as SinkRejection).rejected[0]?.detail).toMatch(/field type conflict/);
    const store = new InfluxReadingStore({ url: influxd.url, database });
    expect((await store.readingsByGate({ gateId: 'gate-1', ...ALL })).map((r) => r.seq)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });

  it('recreates a database or retention policy that disappeared behind its back', async () => {
    const database = db();
    const sink = new InfluxSink({ url: influxd.url, database, retentionDays: 36_500 });
    await sink.init();
    await admin.dropDatabase(database);
    await sink.write([record(1)]);
    await admin.dropRetentionPolicy('readings', database);
    await sink.write([record(2)]);
    const store = new InfluxReadingStore({ url: influxd.url, database });
    expect(await store.readingsByGate({ gateId: 'gate-1', ...ALL })).toEqual([record(2)]);
  });

  it('maps an unreachable server to TG_STORE_UNREACHABLE and pings false', async () => {
    const sink = new InfluxSink({ url: 'http://127.0.0.1:1', database: db() });
    await expect(sink.write([record(1, { at: NOW })])).rejects.toThrow(/TG_STORE_UNREACHABLE/);
    await expect(sink.init()).rejects.toThrow(/TG_STORE_UNREACHABLE/);
    expect(await sink.ping()).toBe(false);
    expect(await new InfluxSink({ url: influxd.url }).ping()).toBe(true);
  });

  it('maps a server that takes the write and never answers to TG_STORE_TIMEOUT', async () => {
    const held: Socket[] = [];
    const silent = createServer((sock) => held.push(sock)); // reads nothing, answers nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const sink = new InfluxSink({ url: `http://127.0.0.1:${port}`, database: db(), requestTimeoutMs: 50 });
    try {
      await expect(sink.write([record(1, { at: NOW })])).rejects.toThrow(/TG_STORE_TIMEOUT/);
    } finally {
      await sink.close();
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
