/**
 * The reports benchmark's data (bench/reports.ts): the month of readings it generates, its load
 * into SQLite (the gate's sink) and InfluxDB (the writers' line protocol), and a cache of the
 * loaded stores between runs.
 *
 * The cache (bench/.cache/reports/KEY, gitignored) is keyed by a hash of everything that decides
 * the stores' bytes: this file and every module it imports (found by following the relative
 * imports: the generator, the line protocol writer, the SQLite sink and schema, …), the data
 * sizes, the influxd settings of the load, better-sqlite3's and influxd's versions. A run whose
 * key has an entry reuses it; one without loads (and says so) and keeps the result. Either way
 * the run measures a copy of the same entry, so a cold and a warm run measure the same state
 * (influxd stopped after its load, its TSM files as they were then). A hit is proven the same
 * data: each store's count and sums of `seq` and the temperature, against the figures that
 * were counted from the generated readings when the entry was made.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { readingLines } from '../../protocols/storage/influx-line.ts';
import { type Influxd, startInfluxd } from '../../test/harness/influxd.ts';
import { record } from '../../test/storage/records.ts';
import { say } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const MONTH = '2026-10';
export const DAYS = 31;
const H = 3_600_000;
export const localMidnight = (d: number): number => Date.UTC(2026, 9, d) - 8 * H; // Asia/Shanghai
export const siteName = (k: number): string => `site-${String(k + 1).padStart(2, '0')}`;
export const REPORTS_DB = 'bench_reports';
export const CENTRAL_DB = 'bench_central';

/** What is loaded: `people` at site-a into SQLite and REPORTS_DB, `sites` × `perSite` into CENTRAL_DB. */
export interface DataSpec {
  people: number;
  /** Days of the month loaded, from the 1st. */
  days: number;
  /** 0: no central database. */
  sites: number;
  perSite: number;
}

/**
 * One day: a morning (~08:xx) and an afternoon (~13:xx) reading per employee, four gates per
 * site; `sites` × `people` employees numbered E0… across sites, at site-a when `single`.
 */
export function day(
  d: number,
  seq: { n: number },
  sites: number,
  people: number,
  single: boolean,
): ReadingRecord[] {
  const base = localMidnight(d);
  const out: ReadingRecord[] = [];
  for (let k = 0; k < sites; k++) {
    const siteId = single ? 'site-a' : siteName(k);
    for (let i = 0; i < people; i++) {
      const p = k * people + i;
      const gateId = `gate-${p % 4}`;
      const employeeNo = `E${p}`;
      const morning = base + 8 * H + ((p * 7919) % 5400) * 1000;
      const afternoon = base + 13 * H + ((p * 104_729) % 5400) * 1000;
      out.push(
        record(seq.n++, { siteId, gateId, employeeNo, at: morning, temperatureTenths: 360 + (p % 12) }),
        record(seq.n++, { siteId, gateId, employeeNo, at: afternoon, temperatureTenths: 361 + (p % 11) }),
      );
    }
  }
  return out;
}

/** What landed in a store: readings, and the sums of their `seq` and temperature. */
export interface Fingerprint {
  count: number;
  seqSum: number;
  tenthsSum: number;
}

const addUp = (f: Fingerprint, rs: readonly ReadingRecord[]): void => {
  for (const r of rs) {
    f.count++;
    f.seqSum += r.seq;
    f.tenthsSum += r.temperatureTenths ?? 0;
  }
};

/**
 * influxd for the bulk load (the queries run on its defaults). The load is CPU-bound in influxd
 * (parsing, the cache, snapshots and compactions); these settings trade its memory for fewer,
 * larger snapshots (the default snapshots every 25 MB of cache) and batch its fsyncs: 600,000
 * lines in 21–37 s against 43–62 s with the defaults (bench/NOTES.md § HR at 50,000 people).
 * Part of the cache key.
 */
export const INFLUXD_DATA: Record<string, string | number> = {
  'cache-max-memory-size': '2g',
  'cache-snapshot-memory-size': '256m',
  'cache-snapshot-write-cold-duration': '10s',
  'wal-fsync-delay': '200ms',
  'max-concurrent-compactions': 1,
};
/** A write outlasting influxd's default 10 s on a busy machine is answered "timeout" (and lands anyway). */
export const INFLUXD_COORDINATOR = { 'write-timeout': '60s' };
/** Lines per write request. */
const BATCH = 10_000;
/** Write requests in flight: influxd parses one while it files another (ingest ~25 % faster than 2). */
const IN_FLIGHT = 4;

/**
 * The lines the writers send (readingLines: the reading and its log projection), about BATCH
 * lines a request, IN_FLIGHT requests in flight across days: the next request's lines are made
 * while influxd ingests the others, so neither side waits for the other (the load is CPU-bound
 * on both; one day's lines made before its first request left influxd idle ~2 s a day). A
 * {"error":"timeout"} from a busy influxd (the points still land) is written again, which is
 * idempotent (same points).
 */
export class InfluxLoad {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(
    private readonly url: string,
    private readonly database: string,
  ) {}

  /** Resolves when the readings' lines are all sent or queued behind at most IN_FLIGHT requests. */
  async add(rs: readonly ReadingRecord[]): Promise<void> {
    // Two lines a reading (each reading here has its log line): BATCH / 2 readings a request.
    for (let i = 0; i < rs.length; i += BATCH / 2) {
      this.check();
      const body = rs
        .slice(i, i + BATCH / 2)
        .flatMap(readingLines)
        .join('\n');
      const p: Promise<void> = this.post(body).then(
        () => void this.pending.delete(p),
        (e: unknown) => {
          this.pending.delete(p);
          this.failure ??= e;
        },
      );
      this.pending.add(p);
      if (this.pending.size >= IN_FLIGHT) await Promise.race(this.pending);
    }
    this.check();
  }

  /** Every request answered; throws the first failure. */
  async done(): Promise<void> {
    await Promise.all(this.pending);
    this.check();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  private async post(body: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${this.url}/write?db=${this.database}&rp=readings&precision=n`, {
        method: 'POST',
        body,
      });
      const text = await res.text();
      if (res.status === 204) return;
      if (attempt >= 5) throw new Error(`influx write: ${res.status} ${text}`);
    }
  }
}

async function influxQuery(url: string, db: string, q: string): Promise<number[]> {
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q, db }),
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw new Error(`influx ${q}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results?: { series?: { values?: number[][] }[] }[] };
  return body.results?.[0]?.series?.[0]?.values?.[0]?.slice(1) ?? [0, 0, 0];
}

/** The fingerprint of `reading` and of `reading_log` (each reading here has its log line). */
async function influxFingerprints(url: string, db: string): Promise<Fingerprint[]> {
  const out: Fingerprint[] = [];
  for (const m of ['reading', 'reading_log']) {
    const [count, seqSum, tenthsSum] = await influxQuery(
      url,
      db,
      `SELECT count("seq"), sum("seq"), sum("temperatureTenths") FROM "${m}"`,
    );
    out.push({ count: count ?? 0, seqSum: seqSum ?? 0, tenthsSum: tenthsSum ?? 0 });
  }
  return out;
}

function sqliteFingerprint(path: string): Fingerprint {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const r = db
      .prepare(
        'SELECT count(*) AS count, coalesce(sum(seq), 0) AS seqSum, coalesce(sum(temperature_tenths), 0) AS tenthsSum FROM reading',
      )
      .get() as Fingerprint;
    return { count: r.count, seqSum: r.seqSum, tenthsSum: r.tenthsSum };
  } finally {
    db.close();
  }
}

const same = (a: Fingerprint, b: Fingerprint) =>
  a.count === b.count && a.seqSum === b.seqSum && a.tenthsSum === b.tenthsSum;

/** Every store holds exactly what was generated: a busy influxd must not thin the data out. */
async function verify(url: string, sqlitePath: string, spec: DataSpec, expected: Manifest['expected']) {
  const check = (what: string, got: Fingerprint, want: Fingerprint) => {
    if (!same(got, want))
      throw new Error(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)} (generated)`);
  };
  check('SQLite reading', sqliteFingerprint(sqlitePath), expected.site);
  const [reading, log] = await influxFingerprints(url, REPORTS_DB);
  check(`${REPORTS_DB}.reading`, reading as Fingerprint, expected.site);
  check(`${REPORTS_DB}.reading_log`, log as Fingerprint, expected.site);
  if (spec.sites > 0) {
    const [cr, cl] = await influxFingerprints(url, CENTRAL_DB);
    check(`${CENTRAL_DB}.reading`, cr as Fingerprint, expected.central);
    check(`${CENTRAL_DB}.reading_log`, cl as Fingerprint, expected.central);
  }
}

/** This file and every module it imports at run time, relative imports followed (type-only ones are not code). */
export function sourceClosure(entry = join(ROOT, 'bench/lib/reports-data.ts')): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)) {
      if (m[2]) continue;
      const target = resolve(dirname(file), m[3] as string);
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return [...seen].map((f) => relative(ROOT, f)).sort();
}

const firstLine = (cmd: string, args: string[]): string =>
  `${spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? ''}`.trim().split('\n')[0] ?? '';

/** The cache key: a hash of the sources, the sizes, influxd's settings and both engines' versions. */
export function cacheKey(spec: DataSpec): { key: string; files: string[] } {
  const files = sourceClosure();
  const h = createHash('sha256');
  for (const f of files)
    h.update(`${f}\0`)
      .update(readFileSync(join(ROOT, f)))
      .update('\0');
  h.update(JSON.stringify({ spec, INFLUXD_DATA, INFLUXD_COORDINATOR, BATCH, IN_FLIGHT }));
  h.update(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json')));
  h.update(firstLine('influxd', ['version']));
  return { key: h.digest('hex').slice(0, 16), files };
}

interface Manifest {
  key: string;
  spec: DataSpec;
  createdAt: string;
  /** Seconds each load took (from its start to its last day written; SQLite's beside InfluxDB's). */
  loadSeconds: Record<string, number>;
  /** Counted from the generated readings while they were written. */
  expected: { site: Fingerprint; central: Fingerprint };
  files: string[];
}

export interface Stores {
  /** 'hit': loaded by an earlier run (createdAt); 'cold': loaded now and kept; 'off': --no-cache. */
  cache: 'hit' | 'cold' | 'off';
  key: string;
  createdAt: string;
  loadSeconds: Record<string, number>;
  /** Seconds to make the copy this run measures and to prove it is the same data. */
  prepareSeconds: number;
  sqlitePath: string;
  influxd: Influxd;
  close(): Promise<void>;
}

interface Loader {
  name: string;
  write(rs: readonly ReadingRecord[]): Promise<void>;
  /** After the last day: waits for what write() left in flight. */
  done?(): Promise<void>;
}

/**
 * Day by day (a day of readings in memory per loader at a time), the loaders side by side: the
 * gate's SQLite sink works in this process while influxd ingests in its own, so SQLite's load
 * hides behind InfluxDB's. Seconds per loader: from its start to its last day written, so each
 * includes the other's share of the machine.
 */
async function load(
  days: number,
  loaders: Loader[],
  make: (d: number, seq: { n: number }) => ReadingRecord[],
): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  await Promise.all(
    loaders.map(async (l) => {
      const seq = { n: 1 };
      const t0 = performance.now();
      for (let d = 1; d <= days; d++) {
        await l.write(make(d, seq));
        if (d % 10 === 0) say(`  ${l.name}: day ${d} loaded`);
      }
      await l.done?.();
      seconds[l.name] = (performance.now() - t0) / 1000;
    }),
  );
  return seconds;
}

/** Loads both stores into `dir` (readings.sqlite, influx/); influxd is stopped at the end. */
async function loadInto(dir: string, spec: DataSpec): Promise<Omit<Manifest, 'key' | 'createdAt' | 'files'>> {
  const sqlitePath = join(dir, 'readings.sqlite');
  const influxd = await startInfluxd({
    dataDir: join(dir, 'influx'),
    data: INFLUXD_DATA,
    coordinator: INFLUXD_COORDINATOR,
  });
  try {
    const sink = new SqliteSink({ path: sqlitePath });
    await sink.init();
    // init() creates the database and the retention policy as a gate would; the lines go in directly.
    for (const database of [REPORTS_DB, CENTRAL_DB])
      await new InfluxSink({ url: influxd.url, database, retentionDays: 3650 }).init();
    const expected = {
      site: { count: 0, seqSum: 0, tenthsSum: 0 },
      central: { count: 0, seqSum: 0, tenthsSum: 0 },
    };
    say(
      `loading ${(spec.people * spec.days * 2).toLocaleString('en-US')} readings into SQLite and InfluxDB, day by day…`,
    );
    const loadSeconds = await load(
      spec.days,
      [
        {
          name: 'sqlite',
          write: async (rs) => {
            for (let i = 0; i < rs.length; i += 20_000) {
              await sink.write(rs.slice(i, i + 20_000));
              // A macrotask between batches: InfluxDB's requests go out and come back meanwhile.
              await new Promise((r) => setImmediate(r));
            }
            addUp(expected.site, rs);
          },
        },
        (() => {
          const w = new InfluxLoad(influxd.url, REPORTS_DB);
          return { name: 'influx', write: (rs) => w.add(rs), done: () => w.done() };
        })(),
      ],
      (d, seq) => day(d, seq, 1, spec.people, true),
    );
    await sink.close();
    if (spec.sites > 0) {
      say(
        `loading ${(spec.sites * spec.perSite * spec.days * 2).toLocaleString('en-US')} readings of ${spec.sites} sites into the central InfluxDB…`,
      );
      const w = new InfluxLoad(influxd.url, CENTRAL_DB);
      const central = await load(
        spec.days,
        [
          {
            name: 'central',
            write: async (rs) => {
              await w.add(rs);
              addUp(expected.central, rs);
            },
            done: () => w.done(),
          },
        ],
        (d, seq) => day(d, seq, spec.sites, spec.perSite, false),
      );
      loadSeconds.central = central.central as number;
    }
    await verify(influxd.url, sqlitePath, spec, expected);
    await walWritten(join(dir, 'influx', 'wal'));
    return { spec, loadSeconds, expected };
  } finally {
    await influxd.stop();
  }
}

/** Bytes of the files under `dir` (a file influxd removes meanwhile counts 0). */
const bytesUnder = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + (statSync(join(e.parentPath, e.name), { throwIfNoEntry: false })?.size ?? 0), 0);

/**
 * Waits until influxd has snapshotted its cache into TSM files (cache-snapshot-write-cold-duration
 * after the last write; the WAL segments then go): influxd does not do it when stopped, and a run
 * must not start by replaying hundreds of MB of WAL, or measure a different state cold than warm.
 */
async function walWritten(wal: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (bytesUnder(wal) > 1_000_000) {
    if (Date.now() > deadline) throw new Error(`influxd kept ${bytesUnder(wal)} bytes of WAL for 5 min`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The stores of `spec`, ready to measure: from the cache entry of its key (made now when there
 * is none), influxd started on a copy of the entry's data. `cacheRoot` null: no cache, loaded
 * into a temp folder that close() removes.
 */
export async function prepareStores(spec: DataSpec, cacheRoot: string | null): Promise<Stores> {
  const { key, files } = cacheKey(spec);
  let cache: Stores['cache'] = 'off';
  let entry: string;
  let manifest: Manifest;
  if (cacheRoot === null) {
    entry = await mkdtemp(join(tmpdir(), 'tg-bench-reports-'));
    manifest = { key, createdAt: new Date().toISOString(), files, ...(await loadInto(entry, spec)) };
  } else {
    entry = join(cacheRoot, key);
    const manifestFile = join(entry, 'manifest.json');
    if (existsSync(manifestFile)) {
      cache = 'hit';
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      say(`reports data: cache hit ${relative(ROOT, entry)} (loaded ${manifest.createdAt})`);
    } else {
      cache = 'cold';
      mkdirSync(cacheRoot, { recursive: true });
      // One entry kept: the others were made by other code or sizes (1–2 GB each).
      for (const old of readdirSync(cacheRoot))
        rmSync(join(cacheRoot, old), { recursive: true, force: true });
      say(`reports data: no cache entry for key ${key}: loading (cold run)`);
      const partial = `${entry}.partial`;
      mkdirSync(partial, { recursive: true });
      manifest = { key, createdAt: new Date().toISOString(), files, ...(await loadInto(partial, spec)) };
      writeFileSync(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      renameSync(partial, entry);
    }
  }
  // The run measures a copy: influxd rewrites its files as it likes (WAL, compactions), and the
  // SQLite reader opens the file read-write (WAL mode) even though it only queries.
  const t0 = performance.now();
  const work = cacheRoot === null ? entry : await mkdtemp(join(tmpdir(), 'tg-bench-reports-'));
  if (work !== entry) {
    await cp(join(entry, 'influx'), join(work, 'influx'), { recursive: true });
    await cp(join(entry, 'readings.sqlite'), join(work, 'readings.sqlite'));
  }
  const sqlitePath = join(work, 'readings.sqlite');
  // Measured with influxd's own settings: the bulk load's are for the load only.
  const influxd = await startInfluxd({ dataDir: join(work, 'influx'), readyTimeoutMs: 120_000 });
  try {
    await verify(influxd.url, sqlitePath, spec, manifest.expected);
  } catch (e) {
    await influxd.destroy();
    await rm(work, { recursive: true, force: true });
    if (cache === 'hit') rmSync(entry, { recursive: true, force: true });
    throw e;
  }
  const prepareSeconds = (performance.now() - t0) / 1000;
  say(`reports data: copied and verified in ${prepareSeconds.toFixed(1)} s`);
  return {
    cache,
    key,
    createdAt: manifest.createdAt,
    loadSeconds: manifest.loadSeconds,
    prepareSeconds,
    sqlitePath,
    influxd,
    async close() {
      await influxd.destroy();
      await rm(work, { recursive: true, force: true });
    },
  };
}
