/**
 * HR reports benchmark (not a test): `npx tsx bench/reports.ts [--quick]`. Issue 22's campus:
 * 50,000 employees × 31 days × 2 readings (3.1 M) on each store (embedded SQLite; InfluxDB 1.6
 * loaded with line protocol, the lines the writers send: each reading and its HR log projection),
 * the reports plugin served over real HTTP on 127.0.0.1:
 *   - one employee's month (GET /api/reports/person/:no), target < 100 ms
 *   - the site's day (GET /api/reports/site-day/:date?limit=500, the page HR reads), target < 2 s;
 *     the whole day in one answer and the daily report beside it
 *   - the site's month export (GET /api/exports/site-month/:month.csv|.xlsx) read as a stream,
 *     target < 60 s with memory flat: live memory (after forced GCs) and RSS over the export,
 *     minus before it.
 * InfluxDB reads HR's logs from the reading_log projection (readings.logMeasurement); one site
 * day read from `reading` itself beside it says why (a series per person).
 * The central database (docs/SCALE.md): 20 sites × 2,500 people (3.1 M readings more) in one
 * InfluxDB, site tag; the same report code pointed at it for one site.
 * --quick: 5,000 employees, 2 × 250 central (a smoke run). --xlsx: the XLSX month export of the
 * big site too (see XLSX_UP_TO). Medians of repeated runs.
 * The loaded stores are kept in bench/.cache/reports (bench/lib/reports-data.ts: keyed by the
 * code and sizes that decide their bytes, proven the same data on reuse); a run without an entry
 * for its key loads (a "cold run", said in its figures). --no-cache: load into a temp folder.
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InfluxReadingStore } from '../dashboard/store/influx-store.ts';
import { SqliteReadingStore } from '../dashboard/store/sqlite-store.ts';
import type { ReadingStore } from '../dashboard/store/types.ts';
import type { AccessListSnapshot } from '../protocols/gate/access-list.ts';
import { reportsApp, testConfig } from '../test/reports/fixture.ts';
import {
  CENTRAL_DB,
  DAYS,
  localMidnight,
  MONTH,
  prepareStores,
  REPORTS_DB,
  siteName,
} from './lib/reports-data.ts';
import { emitResult, fmt, say, type Target } from './lib/result.ts';
import { median, table } from './stats.ts';

const quick = process.argv.includes('--quick');
const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const PEOPLE = arg('--people') ?? (quick ? 5000 : 50_000);
/** The central database: SITES sites of PER_SITE people each (--no-central: skipped). */
const CENTRAL = !process.argv.includes('--no-central');
const SITES = quick ? 2 : 20;
const PER_SITE = quick ? 250 : 2500;
/**
 * Days of the month loaded (--days N, default all 31): on a machine too busy to load 6 M points
 * in time, the first N days give the day figures for real; the month export then still has a
 * row per expected employee and day (the others absent), and its target is not judged.
 */
const LOADED = Math.min(DAYS, arg('--days') ?? DAYS);
/**
 * The XLSX month export of the 50,000-people site only with --xlsx: exceljs costs 40–80 µs a row
 * on its own, so 1.55 M rows are 60–120 s per store whatever the store (bench/NOTES.md 5.), which
 * a run within the whole bench's 20 minutes cannot afford to re-measure each time. The central
 * site's (77,500 rows) is always made. CSV is the month format at that size and is judged.
 */
const XLSX_UP_TO = process.argv.includes('--xlsx') ? Number.POSITIVE_INFINITY : 5000;
/** The loaded stores kept between runs (bench/lib/reports-data.ts); --no-cache loads every time. */
const CACHE_ROOT = process.argv.includes('--no-cache')
  ? null
  : join(import.meta.dirname, '.cache', 'reports');
/** Rows per page of HR's site-day page (dashboard/web/app/hr/site-day.ts PAGE). */
const SITE_DAY_PAGE = 500;
const H = 3_600_000;
/** After the month: every day of it is in the past. */
const NOW = localMidnight(DAYS) + 33 * H;
const startedAt = performance.now();

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const rosterOf = (people: number, first = 0): AccessListSnapshot => ({
  v: 1,
  version: 1,
  issuedAt: 0,
  entries: Array.from({ length: people }, (_, i) => ({
    employeeNo: `E${first + i}`,
    name: `员工${first + i}`,
    department: `部门${(first + i) % 20}`,
    kind: 'employee' as const,
    validFrom: null,
    validUntil: null,
  })),
});

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
  people: number;
  personMs: number;
  /** The site's day as HR's page reads it: its first page (SITE_DAY_PAGE rows) and the counts. */
  siteDayMs: number;
  /** The whole day in one answer (every row, 40 MB at 50,000 people). */
  wholeDayMs: number;
  dailyMs: number;
  csv: ExportFigure;
  /** null: not measured (the 50,000-people site without --xlsx). */
  xlsx: ExportFigure | null;
}

async function measure(
  store: ReadingStore,
  readings: Parameters<typeof testConfig>[0],
  siteId: string,
  roster: AccessListSnapshot,
): Promise<StoreFigures> {
  const config = testConfig(readings, { siteId });
  const t = await reportsApp(
    { store, config, manual: { write: async () => {} } as never },
    { roster: () => roster, alerts: { list: () => [] }, now: () => NOW },
  );
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const hr = await t.sessionHeaders('hr1:hr');
  const people = roster.entries.length;
  try {
    const person: number[] = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      const no = (roster.entries[(i * 487) % people] as { employeeNo: string }).employeeNo;
      const { ms, body } = await timed(
        `${base}/api/reports/person/${no}?from=${MONTH}-01&to=${MONTH}-31`,
        hr,
      );
      const days = (body as { days: Array<{ status: string }> }).days;
      const short = days.slice(0, LOADED).filter((d) => d.status !== 'complete');
      if (days.length !== DAYS || short.length > 0)
        throw new Error(
          `person ${no}: ${days.length} days, not complete: ${JSON.stringify(short.slice(0, 2))}`,
        );
      person.push(ms);
    }
    const site: number[] = [];
    const whole: number[] = [];
    const daily: number[] = [];
    for (let i = 0; i < 3; i++) {
      const date = `${MONTH}-${String(1 + (i % LOADED)).padStart(2, '0')}`;
      // What HR's page asks for (dashboard/web/app/hr/site-day.ts): a page of rows and the counts.
      const p = await timed(`${base}/api/reports/site-day/${date}?limit=${SITE_DAY_PAGE}`, hr);
      const page = p.body as { rows: unknown[]; page: { total: number }; counts: { complete: number } };
      if (page.rows.length !== Math.min(SITE_DAY_PAGE, people) || page.page.total !== people)
        throw new Error(`site day page ${date}: ${page.rows.length} rows of ${page.page.total}`);
      if (page.counts.complete !== people)
        throw new Error(`site day ${date}: ${page.counts.complete} complete`);
      site.push(p.ms);
      if (i === 0) {
        // The whole day in one answer, once (a few seconds of serialisation each time).
        const s = await timed(`${base}/api/reports/site-day/${date}`, hr);
        const rows = (s.body as { rows: Array<{ status: string }> }).rows;
        if (rows.length !== people || rows.some((r) => r.status !== 'complete'))
          throw new Error(`site day ${date}: ${rows.length} rows`);
        whole.push(s.ms);
      }
      const r = await timed(`${base}/api/reports/daily/${date}?fresh=true`, hr);
      if ((r.body as { report: { complete: number } }).report.complete !== people)
        throw new Error('daily report');
      daily.push(r.ms);
    }
    say(`  month export, CSV…`);
    const csv = await streamExport(`${base}/api/exports/site-month/${MONTH}.csv`, hr, true);
    if (csv.rows !== people * DAYS)
      throw new Error(`CSV month export: ${csv.rows} rows, expected ${people * DAYS}`);
    let xlsx: ExportFigure | null = null;
    if (people <= XLSX_UP_TO) {
      say(`  month export, XLSX…`);
      xlsx = await streamExport(`${base}/api/exports/site-month/${MONTH}.xlsx`, hr, false);
    }
    return {
      people,
      personMs: median(person),
      siteDayMs: median(site),
      wholeDayMs: median(whole),
      dailyMs: median(daily),
      csv,
      xlsx,
    };
  } finally {
    await t.close();
  }
}

/** One site day straight from `reading` (a series per person): why InfluxDB reads the projection. */
async function rawSiteDayMs(store: ReadingStore, siteId: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const page of store.scanLogReadings({ from: localMidnight(1), to: localMidnight(2), siteId }))
    n += page.length;
  if (n !== PEOPLE * 2) throw new Error(`raw site day: ${n} readings`);
  return performance.now() - t0;
}

const results: Record<string, StoreFigures> = {};
let rawInfluxDayMs = Number.NaN;
const stores = await prepareStores(
  { people: PEOPLE, days: LOADED, sites: CENTRAL ? SITES : 0, perSite: PER_SITE },
  CACHE_ROOT,
);
const { influxd, loadSeconds } = stores;
try {
  const path = stores.sqlitePath;
  say('SQLite…');
  const sqliteStore = new SqliteReadingStore({ path, timeZone: 'Asia/Shanghai' });
  results.sqlite = await measure(sqliteStore, { kind: 'sqlite', path }, 'site-a', rosterOf(PEOPLE));
  await sqliteStore.close();

  say('InfluxDB…');
  const influxRaw = new InfluxReadingStore({ url: influxd.url, database: REPORTS_DB });
  rawInfluxDayMs = await rawSiteDayMs(influxRaw, 'site-a');
  const influxStore = new InfluxReadingStore({
    url: influxd.url,
    database: REPORTS_DB,
    timeZone: 'Asia/Shanghai',
    logMeasurement: true,
  });
  results.influx = await measure(
    influxStore,
    { kind: 'influx', url: influxd.url, database: REPORTS_DB, logMeasurement: true },
    'site-a',
    rosterOf(PEOPLE),
  );

  if (CENTRAL) {
    say('central InfluxDB, one site…');
    const k = SITES - 1; // the last site written: its series are the youngest
    const centralStore = new InfluxReadingStore({
      url: influxd.url,
      database: CENTRAL_DB,
      timeZone: 'Asia/Shanghai',
      logMeasurement: true,
    });
    results.central = await measure(
      centralStore,
      { kind: 'influx', url: influxd.url, database: CENTRAL_DB, logMeasurement: true },
      siteName(k),
      rosterOf(PER_SITE, k * PER_SITE),
    );
  }
} finally {
  await stores.close();
}

const n = PEOPLE * LOADED * 2;
const nCentral = SITES * PER_SITE * LOADED * 2;
const LABELS = [
  ['sqlite', 'SQLite'],
  ['influx', 'InfluxDB'],
  ['central', `central InfluxDB (${SITES} sites × ${fmt(PER_SITE)})`],
] as const;
const loadedWhen =
  stores.cache === 'hit' ? `loaded by the run of ${stores.createdAt} (cache)` : 'loaded in this run';
const loadTotal = Math.max(loadSeconds.sqlite ?? 0, loadSeconds.influx ?? 0) + (loadSeconds.central ?? 0);
const dataRow: [string, string, string] = [
  `the data: ${fmt(n)} readings${CENTRAL ? ` + ${fmt(nCentral)} central` : ''}`,
  stores.cache === 'hit'
    ? `cache hit, ${fmt(stores.prepareSeconds, 1)} s`
    : `${stores.cache === 'cold' ? 'cold run' : 'no cache'}: loaded in ${fmt(loadTotal)} s`,
  `bench/.cache/reports/${stores.key} (key: the generator, line protocol, SQLite sink and schema, sizes, influxd settings); copied, started and proven the same data (counts and sums of seq and temperature in every store) in ${fmt(stores.prepareSeconds, 1)} s`,
];
const rows: Array<[string, string, string]> = [dataRow];
for (const [name, label] of LABELS) {
  const r = results[name];
  if (!r) continue;
  const loaded = name === 'central' ? nCentral : n;
  rows.push(
    [
      `${label}: load ${fmt(loaded)} readings`,
      `${fmt(loadSeconds[name] ?? Number.NaN, 1)} s`,
      `${fmt(loaded / (loadSeconds[name] ?? 1))} readings/s${name === 'central' ? '' : ', SQLite and InfluxDB side by side'}${name === 'sqlite' ? '' : ' (and their reading_log lines)'}; ${loadedWhen}`,
    ],
    [
      `${label}: one employee's month (31 days, log + readings)`,
      `${fmt(r.personMs, 1)} ms`,
      'median of 20, over HTTP',
    ],
    [
      `${label}: the site's day (${fmt(r.people)} people), as HR's page reads it`,
      `${fmt(r.siteDayMs)} ms`,
      `median of 3, over HTTP: a page of ${SITE_DAY_PAGE} rows and the day's counts`,
    ],
    [
      `${label}: the site's day, every row in one answer`,
      `${fmt(r.wholeDayMs)} ms`,
      'once, over HTTP (no limit: the whole day)',
    ],
    ...(name === 'influx'
      ? [
          [
            `${label}: the site's day's readings from \`reading\` (no projection)`,
            `${fmt(rawInfluxDayMs)} ms`,
            'the store scan alone, once: a series per person',
          ] as [string, string, string],
        ]
      : []),
    [`${label}: the daily report`, `${fmt(r.dailyMs)} ms`, 'median of 3, generated on demand'],
    ...(['csv', 'xlsx'] as const).map((f): [string, string, string] => {
      const e = r[f];
      return [
        `${label}: the site's month export, ${f.toUpperCase()} (${fmt(r.people * DAYS)} rows)`,
        e ? `${fmt(e.seconds, 1)} s, ${fmt(e.mb, 1)} MB` : 'not measured (--xlsx measures it)',
        e ? `live memory +${fmt(e.liveDeltaMb)} MB at most, peak RSS +${fmt(e.rssDeltaMb)} MB` : '',
      ];
    }),
  );
}

console.log(
  `\n## Reports: ${fmt(PEOPLE)} employees × ${LOADED} days × 2 readings on each store${CENTRAL ? `; a central InfluxDB of ${SITES} sites × ${fmt(PER_SITE)}` : ''}\n`,
);
console.log(table(['what', 'result', 'notes'], rows));
console.log('');

/** Memory flat: what an export holds at most, whatever the month (two days of the site, bounded). */
const FLAT_MB = 200;
const targets: Target[] = [
  {
    figure: `reports: its data (${fmt(n + (CENTRAL ? nCentral : 0))} readings in SQLite and InfluxDB)`,
    value:
      stores.cache === 'hit'
        ? `reused from the cache (loaded ${stores.createdAt}), proven the same in ${fmt(stores.prepareSeconds, 1)} s`
        : `**cold run**: loaded in this run, ${fmt(loadTotal)} s${stores.cache === 'cold' ? ' (kept for the next run)' : ' (--no-cache)'}`,
    target: 'information (bench < 20 min with a warm cache)',
    met: null,
  },
];
for (const [name, label] of LABELS) {
  const r = results[name];
  if (!r) continue;
  const month = Math.max(r.csv.seconds, r.xlsx?.seconds ?? 0);
  const mem = Math.max(r.csv.liveDeltaMb, r.xlsx?.liveDeltaMb ?? 0);
  const rss = Math.max(r.csv.rssDeltaMb, r.xlsx?.rssDeltaMb ?? 0);
  const exportTarget: Target = {
    figure: `reports (${label}): the site's month export of ${fmt(r.people)} people, streamed (${r.xlsx ? 'slower of CSV, XLSX' : 'CSV'})`,
    value: `CSV ${fmt(r.csv.seconds, 1)} s, XLSX ${r.xlsx ? `${fmt(r.xlsx.seconds, 1)} s` : 'not measured'}; live memory +${fmt(mem)} MB, peak RSS +${fmt(rss)} MB`,
    target: `< 60 s, memory flat (live < +${FLAT_MB} MB)`,
    met: LOADED < DAYS ? null : month < 60 && mem < FLAT_MB,
  };
  if (LOADED < DAYS) exportTarget.value += ` (only ${LOADED} of ${DAYS} days loaded: not judged)`;
  else if (!r.xlsx) exportTarget.value += ' (XLSX with --xlsx: 60–120 s at this size, bench/NOTES.md)';
  if (name === 'central') {
    targets.push(exportTarget);
    continue;
  }
  targets.push(
    {
      figure: `reports (${label}): one employee's month, ${fmt(r.people)} people`,
      value: `${fmt(r.personMs, 1)} ms`,
      target: '< 100 ms',
      met: r.personMs < 100,
    },
    {
      figure: `reports (${label}): the site's day, ${fmt(r.people)} people (a page of ${SITE_DAY_PAGE} and the counts)`,
      value: `${fmt(r.siteDayMs)} ms (every row in one answer: ${fmt(r.wholeDayMs)} ms)`,
      target: '< 2 s',
      met: r.siteDayMs < 2000,
    },
    exportTarget,
  );
}
say(`reports bench: ${fmt((performance.now() - startedAt) / 1000)} s`);
emitResult({
  bench: 'reports',
  figures: {
    people: PEOPLE,
    days: LOADED,
    readings: n,
    central: { sites: SITES, perSite: PER_SITE, readings: nCentral },
    loadSeconds,
    cache: {
      state: stores.cache,
      key: stores.key,
      loadedAt: stores.createdAt,
      prepareSeconds: stores.prepareSeconds,
    },
    rawInfluxDayMs,
    results,
    seconds: (performance.now() - startedAt) / 1000,
  },
  targets,
});
