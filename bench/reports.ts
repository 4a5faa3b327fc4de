/**
 * HR reports benchmark (not a test): `npx tsx bench/reports.ts [--quick]`.
 * 5,000 employees × 31 days × 2 readings (310,000) on each store (embedded SQLite, InfluxDB 1.6
 * loaded with batched writes), the reports plugin served over real HTTP on 127.0.0.1:
 *   - one employee's month (GET /api/reports/person/:no), target < 100 ms
 *   - the site's day (GET /api/reports/site-day/:date), target < 1 s; the daily report beside it
 *   - the site's month export (GET /api/exports/site-month/:month.csv|.xlsx) read as a stream,
 *     target < 30 s with memory flat: live memory (after forced GCs) and RSS over the export,
 *     minus before it; a month of 5,000 people must cost what a day costs, not 31 times more.
 * --quick: 1,000 employees (a smoke run; the targets are for 5,000). Medians of repeated runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InfluxReadingStore } from '../dashboard/store/influx-store.ts';
import { SqliteReadingStore } from '../dashboard/store/sqlite-store.ts';
import type { ReadingStore } from '../dashboard/store/types.ts';
import { InfluxSink } from '../edge/storage/influx-sink.ts';
import { SqliteSink } from '../edge/storage/sqlite-sink.ts';
import type { ReadingSink } from '../edge/storage/types.ts';
import type { AccessListSnapshot } from '../protocols/gate/access-list.ts';
import type { ReadingRecord } from '../protocols/gate/messages.ts';
import { startInfluxd } from '../test/harness/influxd.ts';
import { reportsApp, testConfig } from '../test/reports/fixture.ts';
import { record } from '../test/storage/records.ts';
import { emitResult, fmt, say, type Target } from './lib/result.ts';
import { median, table } from './stats.ts';

const quick = process.argv.includes('--quick');
const PEOPLE = quick ? 1000 : 5000;
const DAYS = 31;
const MONTH = '2026-10';
const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-reports-'));
const localMidnight = (d: number) => Date.UTC(2026, 9, d) - 8 * H; // Asia/Shanghai
/** After the month: every day of it is in the past. */
const NOW = localMidnight(DAYS) + 33 * H;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const roster: AccessListSnapshot = {
  v: 1,
  version: 1,
  issuedAt: 0,
  entries: Array.from({ length: PEOPLE }, (_, p) => ({
    employeeNo: `E${p}`,
    name: `员工${p}`,
    department: `部门${p % 20}`,
    kind: 'employee' as const,
    validFrom: null,
    validUntil: null,
  })),
};

/** One day: a morning (~08:xx) and an afternoon (~13:xx) reading per employee, four gates. */
function day(d: number, seq: { n: number }): ReadingRecord[] {
  const base = localMidnight(d);
  const out: ReadingRecord[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    const gateId = `gate-${p % 4}`;
    const employeeNo = `E${p}`;
    const morning = base + 8 * H + ((p * 7919) % 5400) * 1000;
    const afternoon = base + 13 * H + ((p * 104_729) % 5400) * 1000;
    out.push(record(seq.n++, { gateId, employeeNo, at: morning, temperatureTenths: 360 + (p % 12) }));
    out.push(record(seq.n++, { gateId, employeeNo, at: afternoon, temperatureTenths: 361 + (p % 11) }));
  }
  return out;
}

async function load(sinks: Array<[string, ReadingSink]>): Promise<Record<string, number>> {
  const seconds: Record<string, number> = Object.fromEntries(sinks.map(([n]) => [n, 0]));
  const seq = { n: 1 };
  for (let d = 1; d <= DAYS; d++) {
    const rs = day(d, seq);
    for (const [name, sink] of sinks) {
      const t0 = performance.now();
      for (let i = 0; i < rs.length; i += 5000) await sink.write(rs.slice(i, i + 5000));
      seconds[name] = (seconds[name] as number) + (performance.now() - t0) / 1000;
    }
  }
  return seconds;
}

async function timed(url: string, headers: Record<string, string>): Promise<{ ms: number; body: unknown }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.json();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

interface ExportFigure {
  seconds: number;
  mb: number;
  rows: number | null;
  /** Peak RSS during the export minus RSS just before it. */
  rssDeltaMb: number;
  /** Live memory (heap + buffers, measured after a forced GC every 0.5 s): its peak minus before. */
  liveDeltaMb: number;
}

const live = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * Reads the export as a stream (bytes counted, never kept) while sampling memory. RSS alone
 * says little (V8 grows its heap lazily and keeps it), so live memory is sampled after a forced
 * GC every half second; those GCs cost the export a few percent of its time.
 */
async function streamExport(
  url: string,
  headers: Record<string, string>,
  csv: boolean,
): Promise<ExportFigure> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const live0 = live();
  let rssPeak = rss0;
  let livePeak = live0;
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 25);
  const gcTimer = setInterval(() => {
    gc();
    livePeak = Math.max(livePeak, live());
  }, 500);
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  if (res.status !== 200 || !res.body) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (csv) for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
  }
  const ms = performance.now() - t0;
  clearInterval(rssTimer);
  clearInterval(gcTimer);
  return {
    seconds: ms / 1000,
    mb: bytes / 1e6,
    rows: csv ? newlines - 1 : null,
    rssDeltaMb: (Math.max(rssPeak, process.memoryUsage().rss) - rss0) / 1e6,
    liveDeltaMb: (livePeak - live0) / 1e6,
  };
}

interface StoreFigures {
  personMs: number;
  siteDayMs: number;
  dailyMs: number;
  csv: ExportFigure;
  xlsx: ExportFigure;
}

async function measure(
  store: ReadingStore,
  readings: Parameters<typeof testConfig>[0],
): Promise<StoreFigures> {
  const config = testConfig(readings, { siteId: 'site-a' });
  const t = await reportsApp(
    { store, config, manual: { write: async () => {} } as never },
    { roster: () => roster, alerts: { list: () => [] }, now: () => NOW },
  );
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const hr = { 'x-test-user': 'hr1:hr' };
  try {
    const person: number[] = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      const no = `E${(i * 487) % PEOPLE}`;
      const { ms, body } = await timed(
        `${base}/api/reports/person/${no}?from=${MONTH}-01&to=${MONTH}-31`,
        hr,
      );
      const days = (body as { days: Array<{ status: string }> }).days;
      if (days.length !== DAYS || days.some((d) => d.status !== 'complete'))
        throw new Error(`person ${no}: ${days.length} days, not all complete`);
      person.push(ms);
    }
    const site: number[] = [];
    const daily: number[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const date = `${MONTH}-${String(10 + i).padStart(2, '0')}`;
      const s = await timed(`${base}/api/reports/site-day/${date}`, hr);
      const rows = (s.body as { rows: Array<{ status: string }> }).rows;
      if (rows.length !== PEOPLE || rows.some((r) => r.status !== 'complete'))
        throw new Error(`site day ${date}: ${rows.length} rows`);
      site.push(s.ms);
      const r = await timed(`${base}/api/reports/daily/${date}?fresh=true`, hr);
      if ((r.body as { report: { complete: number } }).report.complete !== PEOPLE)
        throw new Error('daily report');
      daily.push(r.ms);
    }
    say(`  month export, CSV…`);
    const csv = await streamExport(`${base}/api/exports/site-month/${MONTH}.csv`, hr, true);
    if (csv.rows !== PEOPLE * DAYS)
      throw new Error(`CSV month export: ${csv.rows} rows, expected ${PEOPLE * DAYS}`);
    say(`  month export, XLSX…`);
    const xlsx = await streamExport(`${base}/api/exports/site-month/${MONTH}.xlsx`, hr, false);
    return { personMs: median(person), siteDayMs: median(site), dailyMs: median(daily), csv, xlsx };
  } finally {
    await t.close();
  }
}

const influxd = await startInfluxd();
const results: Record<string, StoreFigures> = {};
let loadSeconds: Record<string, number> = {};
try {
  const path = join(dir, 'readings.sqlite');
  const sqliteSink = new SqliteSink({ path });
  await sqliteSink.init();
  const influxSink = new InfluxSink({ url: influxd.url, database: 'bench_reports', retentionDays: 3650 });
  await influxSink.init();
  say(`loading ${fmt(PEOPLE * DAYS * 2)} readings into SQLite and InfluxDB (batches of 5,000)…`);
  loadSeconds = await load([
    ['sqlite', sqliteSink],
    ['influx', influxSink],
  ]);
  await sqliteSink.close();
  say('SQLite…');
  const sqliteStore = new SqliteReadingStore({ path, timeZone: 'Asia/Shanghai' });
  results.sqlite = await measure(sqliteStore, { kind: 'sqlite', path });
  await sqliteStore.close();
  say('InfluxDB…');
  const influxStore = new InfluxReadingStore({
    url: influxd.url,
    database: 'bench_reports',
    timeZone: 'Asia/Shanghai',
  });
  results.influx = await measure(influxStore, {
    kind: 'influx',
    url: influxd.url,
    database: 'bench_reports',
  });
} finally {
  await influxd.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const n = PEOPLE * DAYS * 2;
const rows: Array<[string, string, string]> = [];
for (const [name, label] of [
  ['sqlite', 'SQLite'],
  ['influx', 'InfluxDB'],
] as const) {
  const r = results[name] as StoreFigures;
  rows.push(
    [
      `${label}: load ${fmt(n)} readings`,
      `${fmt(loadSeconds[name] ?? Number.NaN, 1)} s`,
      `${fmt(n / (loadSeconds[name] ?? 1))} readings/s`,
    ],
    [
      `${label}: one employee's month (31 days, log + readings)`,
      `${fmt(r.personMs, 1)} ms`,
      'median of 20, over HTTP',
    ],
    [`${label}: the site's day (${fmt(PEOPLE)} people)`, `${fmt(r.siteDayMs)} ms`, 'median of 5, over HTTP'],
    [`${label}: the daily report`, `${fmt(r.dailyMs)} ms`, 'median of 5, generated on demand'],
    ...(['csv', 'xlsx'] as const).map((f): [string, string, string] => [
      `${label}: the site's month export, ${f.toUpperCase()} (${fmt(PEOPLE * DAYS)} rows)`,
      `${fmt(r[f].seconds, 1)} s, ${fmt(r[f].mb, 1)} MB`,
      `live memory +${fmt(r[f].liveDeltaMb)} MB at most, peak RSS +${fmt(r[f].rssDeltaMb)} MB`,
    ]),
  );
}

console.log(`\n## Reports: ${fmt(PEOPLE)} employees × ${DAYS} days × 2 readings on each store\n`);
console.log(table(['what', 'result', 'notes'], rows));
console.log('');

const targets: Target[] = [];
for (const [name, label] of [
  ['sqlite', 'SQLite'],
  ['influx', 'InfluxDB'],
] as const) {
  const r = results[name] as StoreFigures;
  const month = Math.max(r.csv.seconds, r.xlsx.seconds);
  const mem = Math.max(r.csv.liveDeltaMb, r.xlsx.liveDeltaMb);
  const rss = Math.max(r.csv.rssDeltaMb, r.xlsx.rssDeltaMb);
  targets.push(
    {
      figure: `reports (${label}): one employee's month`,
      value: `${fmt(r.personMs, 1)} ms`,
      target: '< 100 ms',
      met: r.personMs < 100,
    },
    {
      figure: `reports (${label}): the site's day`,
      value: `${fmt(r.siteDayMs)} ms`,
      target: '< 1 s',
      met: r.siteDayMs < 1000,
    },
    {
      figure: `reports (${label}): the site's month export, streamed (slower of CSV, XLSX)`,
      value: `${fmt(month, 1)} s; live memory +${fmt(mem)} MB, peak RSS +${fmt(rss)} MB`,
      target: '< 30 s, memory flat',
      met: month < 30,
    },
  );
}
emitResult({
  bench: 'reports',
  figures: { people: PEOPLE, days: DAYS, readings: n, loadSeconds, results },
  targets,
});
