/**
 * Storage benchmark (not a test): `npx tsx bench/storage.ts [--quick]`.
 *   1. outbox record() cost per reading, synchronous=FULL (what ships) and NORMAL (for contrast)
 *   2. replay of a 100,000-reading backlog into a real influxd (target ≥ 20,000/s)
 *   3. live ingest: recording flat out while forwarding to influxd
 *   4. HR-scale reads: 5,000 people × 31 days × 2 readings, SQLite and InfluxDB
 * Medians of repeated runs. Starts its own influxd through the test harness.
 */
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InfluxReadingStore } from '../dashboard/store/influx-store.ts';
import { SqliteReadingStore } from '../dashboard/store/sqlite-store.ts';
import type { ReadingStore } from '../dashboard/store/types.ts';
import { InfluxSink } from '../edge/storage/influx-sink.ts';
import { Outbox } from '../edge/storage/outbox.ts';
import { createRecorder } from '../edge/storage/index.ts';
import { SqliteSink } from '../edge/storage/sqlite-sink.ts';
import type { ReadingSink } from '../edge/storage/types.ts';
import type { ReadingRecord } from '../protocols/gate/messages.ts';
import { startInfluxd } from '../test/harness/influxd.ts';
import { newReading, record } from '../test/storage/records.ts';
import { emitResult } from './lib/result.ts';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-storage-'));
const rows: Array<[string, string, string]> = [];
/** Replay rate of the default forwarder setting, for the target. */
let defaultReplayRate = Number.NaN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] as number;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const say = (s: string) => process.stderr.write(`${s}\n`);
const recent = () => Date.now() - 86_400_000; // inside any retention policy

function outboxWriteCost(sync: 'FULL' | 'NORMAL'): void {
  const n = quick ? 500 : 2000;
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = 0; run < RUNS + 2; run++) {
    const path = join(dir, `cost-${sync}-${run}.sqlite`);
    const ob = Outbox.open({ path, capacity: 1_000_000, synchronous: sync });
    const us: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = newReading({ employeeNo: `E${i % 5000}` });
      const t = process.hrtime.bigint();
      ob.append(r);
      us.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    ob.close();
    p50s.push(pct(us, 50));
    p99s.push(pct(us, 99));
  }
  rows.push([
    `outbox record() synchronous=${sync}`,
    `p50 ${fmt(median(p50s))} µs, p99 ${fmt(median(p99s))} µs`,
    `${RUNS + 2} runs × ${n}`,
  ]);
}

/** A backlog file of n readings, written once (NORMAL: only the replay is measured) and copied per run. */
function makeBacklog(n: number): string {
  const path = join(dir, `backlog-${n}.sqlite`);
  const ob = Outbox.open({ path, capacity: 10_000_000, synchronous: 'NORMAL' });
  const base = recent();
  for (let i = 0; i < n; i++)
    ob.append(newReading({ at: base + i, employeeNo: `E${i % 5000}`, temperatureTenths: 355 + (i % 30) }));
  ob.close();
  return path;
}

async function replay(
  backlog: string,
  n: number,
  url: string,
  batchSize: number,
  maxInFlight: number,
): Promise<void> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const outboxPath = join(dir, `replay-${batchSize}-${maxInFlight}-${run}.sqlite`);
    copyFileSync(backlog, outboxPath);
    // On disk before the clock starts, as a gate's outbox is: otherwise the copy's 100 MB are
    // written back during the replay, under influxd's WAL fsyncs.
    const fd = openSync(outboxPath, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    const database = `bench_replay_${batchSize}_${maxInFlight}_${run}`;
    const sink = new InfluxSink({ url, database });
    await sink.init(); // not part of the replay
    const t0 = performance.now();
    const rec = createRecorder(
      { outboxPath, capacity: 10_000_000, sink: { kind: 'none' }, forwarder: { batchSize, maxInFlight } },
      { logger, sink },
    );
    await rec.flush(300_000);
    const s = (performance.now() - t0) / 1000;
    if (rec.stats().forwarded !== n) throw new Error(`replay forwarded ${rec.stats().forwarded} of ${n}`);
    await rec.close();
    rates.push(n / s);
    say(`  run ${run + 1}: ${fmt(n / s)} readings/s`);
  }
  if (batchSize === 500 && maxInFlight === 2) defaultReplayRate = median(rates);
  rows.push([
    `replay ${fmt(n)} backlog → influxd, batch ${batchSize} × ${maxInFlight} in flight`,
    `${fmt(median(rates))} readings/s`,
    `median of ${RUNS}`,
  ]);
}

async function liveIngest(url: string): Promise<void> {
  const seconds = quick ? 2 : 5;
  const recorded: number[] = [];
  const lags: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const rec = createRecorder(
      {
        outboxPath: join(dir, `live-${run}.sqlite`),
        sink: { kind: 'influx', url, database: `bench_live_${run}` },
        forwarder: { lingerMs: 50 },
      },
      { logger },
    );
    let n = 0;
    const base = recent();
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      rec.record(newReading({ at: base + n, employeeNo: `E${n % 5000}` }));
      n += 1;
      if (n % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const t0 = performance.now();
    await rec.flush(120_000);
    lags.push(performance.now() - t0);
    await rec.close();
    recorded.push(n / seconds);
  }
  rows.push([
    'live ingest (record flat out, forwarding)',
    `${fmt(median(recorded))} readings/s recorded; all forwarded ${fmt(median(lags))} ms after the last`,
    `${seconds} s, median of ${RUNS}`,
  ]);
}

/** 5,000 people × 31 days × 2 readings (morning ~08:xx, afternoon ~13:xx Shanghai), plus remeasures. */
function hrMonth(): ReadingRecord[] {
  const people = 5000;
  const out: ReadingRecord[] = [];
  let seq = 0;
  for (let d = 1; d <= 31; d++) {
    const day = Date.UTC(2026, 9, d) - 8 * 3_600_000; // local midnight, Asia/Shanghai
    for (let p = 0; p < people; p++) {
      const gateId = `gate-${p % 4}`;
      const morning = day + 8 * 3_600_000 + ((p * 7919) % 5400) * 1000;
      const afternoon = day + 13 * 3_600_000 + ((p * 104_729) % 5400) * 1000;
      out.push(
        record(seq++, { gateId, employeeNo: `E${p}`, at: morning, temperatureTenths: 360 + (p % 12) }),
      );
      out.push(
        record(seq++, { gateId, employeeNo: `E${p}`, at: afternoon, temperatureTenths: 361 + (p % 11) }),
      );
    }
  }
  return out;
}

async function timeQueries(label: string, store: ReadingStore): Promise<void> {
  const month = { from: Date.UTC(2026, 9, 1) - 8 * 3_600_000, to: Date.UTC(2026, 10, 1) - 8 * 3_600_000 };
  const cases: Array<[string, () => Promise<unknown[]>, number]> = [
    [
      'first AM/PM per person-day, whole month',
      () => store.firstReadingsByPersonDay({ fromDay: '2026-10-01', toDay: '2026-10-31' }),
      155_000,
    ],
    [
      'first AM/PM, 50 people (one page), month',
      () =>
        store.firstReadingsByPersonDay({
          fromDay: '2026-10-01',
          toDay: '2026-10-31',
          employeeNos: Array.from({ length: 50 }, (_, i) => `E${i * 97}`),
        }),
      1550,
    ],
    ['one person, whole month', () => store.readingsByPerson({ employeeNo: 'E1234', ...month }), 62],
    [
      'one gate, one day',
      () => store.readingsByGate({ gateId: 'gate-1', from: month.from, to: month.from + 86_400_000 }),
      2500,
    ],
    ['counts by decision per gate, month', () => store.decisionCounts(month), 4],
  ];
  for (const [name, q, expected] of cases) {
    const ms: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const res = await q();
      ms.push(performance.now() - t0);
      if (res.length !== expected)
        throw new Error(`${label} ${name}: ${res.length} rows, expected ${expected}`);
    }
    rows.push([`${label}: ${name}`, `${fmt(median(ms))} ms`, `${fmt(expected)} rows`]);
  }
}

async function hrScale(url: string): Promise<void> {
  const data = hrMonth();
  const load = async (sink: ReadingSink) => {
    await sink.init();
    const t0 = performance.now();
    for (let i = 0; i < data.length; i += 5000) await sink.write(data.slice(i, i + 5000));
    return data.length / ((performance.now() - t0) / 1000);
  };
  const path = join(dir, 'hr.sqlite');
  const sqliteSink = new SqliteSink({ path });
  const sqliteRate = await load(sqliteSink);
  await sqliteSink.close();
  rows.push([
    `load ${fmt(data.length)} readings → SQLite store`,
    `${fmt(sqliteRate)} readings/s`,
    'batches of 5,000',
  ]);
  const influxSink = new InfluxSink({ url, database: 'bench_hr', retentionDays: 3650 });
  const influxRate = await load(influxSink);
  rows.push([
    `load ${fmt(data.length)} readings → influxd`,
    `${fmt(influxRate)} readings/s`,
    'batches of 5,000',
  ]);
  const sqliteStore = new SqliteReadingStore({ path, timeZone: 'Asia/Shanghai' });
  await timeQueries('SQLite', sqliteStore);
  await sqliteStore.close();
  await timeQueries(
    'InfluxDB',
    new InfluxReadingStore({ url, database: 'bench_hr', timeZone: 'Asia/Shanghai' }),
  );
}

const influxd = await startInfluxd();
try {
  say('outbox write cost…');
  outboxWriteCost('FULL');
  outboxWriteCost('NORMAL');
  const n = quick ? 20_000 : 100_000;
  say(`building a ${n}-reading backlog…`);
  const backlog = makeBacklog(n);
  for (const [batchSize, maxInFlight] of [
    [500, 2], // the default
    [500, 1],
    [1000, 2],
  ] as const) {
    say(`replay, batch ${batchSize} × ${maxInFlight}…`);
    await replay(backlog, n, influxd.url, batchSize, maxInFlight);
  }
  say('live ingest…');
  await liveIngest(influxd.url);
  say('HR scale…');
  await hrScale(influxd.url);
} finally {
  await influxd.destroy();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n## Storage: outbox, replay into InfluxDB, HR-scale queries\n`);
console.log('| what | result | runs |\n|---|---|---|');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
console.log('');
emitResult({
  bench: 'storage',
  figures: { rows: rows.map(([what, result, runs]) => ({ what, result, runs })) },
  targets: [
    {
      figure: 'storage: replay of a 100,000-reading backlog into InfluxDB (default forwarder)',
      value: `${fmt(defaultReplayRate)} readings/s`,
      target: '≥ 20,000 readings/s',
      met: defaultReplayRate >= 20_000,
    },
  ],
});
