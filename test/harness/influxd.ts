import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.ts';
import { awaitReady, keepOnExit, removeOnExit, spawnTracked, type Tracked, tail } from './proc.ts';

export const INFLUXD_BIN = '/usr/bin/influxd';

export interface Influxd {
  /** http://127.0.0.1:PORT, for `new InfluxDB(url)` or fetch. */
  readonly url: string;
  readonly port: number;
  /** Temp folder with the config (and meta, data and wal unless `dataDir` put them elsewhere). */
  readonly dir: string;
  /** SIGTERM and wait for exit; data stays on disk for restart(). */
  stop(): Promise<void>;
  /** SIGKILL (crash simulation); does not wait. Follow with restart() to recover. */
  kill(): void;
  /** Starts again (stopping first if needed) on the same ports and data; resolves when /ping is 204. */
  restart(): Promise<void>;
  /** Stops and deletes the temp folder. Not part of restart cycles; call once in afterAll. */
  destroy(): Promise<void>;
  /** Last lines influxd printed, for assertions and debugging. */
  log(): string;
  /** With `auth`: the admin created at first start (all privileges). */
  readonly admin: { username: string; password: string } | undefined;
  /**
   * One InfluxQL statement (or several, ";"-separated) through the HTTP /query API, as `as` (the
   * admin by default when auth is on); throws with influxd's error text when any statement fails.
   */
  query(q: string, as?: { username: string; password: string }): Promise<unknown[]>;
}

export interface InfluxdOptions {
  readyTimeoutMs?: number;
  /**
   * `auth-enabled = true`, as a production server runs: an admin with all privileges is created
   * at first start (the one statement influxd accepts without credentials while it has no users).
   */
  auth?: { username: string; password: string };
  /**
   * meta, data and wal in this folder (created when missing) instead of the temp folder, and left
   * there by destroy(): a benchmark's store kept between runs (bench/lib/reports-data.ts).
   */
  dataDir?: string;
  /** Extra `[data]` settings, e.g. `{ 'cache-snapshot-memory-size': '256m' }` for a bulk load. */
  data?: Record<string, string | number | boolean>;
  /** Extra `[coordinator]` settings, e.g. `{ 'write-timeout': '60s' }`. */
  coordinator?: Record<string, string | number | boolean>;
}

/** TOML lines of a settings table (strings quoted). */
const tomlLines = (o: Record<string, string | number | boolean> = {}): string =>
  Object.entries(o)
    .map(([k, v]) => `\n  ${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join('');

/** POST /query; resolves with each statement's result, rejects on an HTTP or statement error. */
export async function influxQuery(
  url: string,
  q: string,
  as?: { username: string; password: string },
): Promise<unknown[]> {
  const body = new URLSearchParams({ q });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (as) headers.authorization = `Basic ${Buffer.from(`${as.username}:${as.password}`).toString('base64')}`;
  const r = await fetch(`${url}/query`, {
    method: 'POST',
    body,
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let json: { error?: string; results?: Array<{ error?: string }> } = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* reported below with the raw text */
  }
  const failed = json.error ?? json.results?.find((x) => x.error)?.error;
  if (!r.ok || failed) throw new Error(`influxd ${r.status} for "${q}": ${failed ?? text}`);
  return json.results ?? [];
}

export function influxdAvailable(): boolean {
  return existsSync(INFLUXD_BIN);
}

/**
 * A private InfluxDB 1.6 for one test file. Debian's package does not start a server (and a
 * shared one would mix data between tests), so each caller gets its own folder and ports.
 * Throws (never skips) when influxd is missing: `npm test` installs it.
 */
export async function startInfluxd(opts: InfluxdOptions = {}): Promise<Influxd> {
  if (!influxdAvailable()) {
    throw new Error(
      `${INFLUXD_BIN} not found: install Debian packages influxdb influxdb-client (test/run.sh does it as root)`,
    );
  }
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'thermogate-influxd-'));
  removeOnExit(dir);
  const [port, rpcPort] = (await freePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${port}`;
  const store = opts.dataDir ?? dir;
  for (const d of ['meta', 'data', 'wal']) await mkdir(join(store, d), { recursive: true });
  const config = join(dir, 'influxdb.conf');
  // Debian's build spells the switch reporting-enabled; upstream uses reporting-disabled. Unknown
  // keys are ignored, so both are set. _internal monitoring is off: it writes every 10 s and
  // shows up in SHOW DATABASES.
  await writeFile(
    config,
    `reporting-disabled = true
reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(store, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(store, 'data')}"
  wal-dir = "${join(store, 'wal')}"
  query-log-enabled = false${tomlLines(opts.data)}

[coordinator]${tomlLines(opts.coordinator)}

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  pprof-enabled = false
  auth-enabled = ${opts.auth ? 'true' : 'false'}

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  log-enabled = false
`,
  );
  // INFLUXDB_* variables override the config file; a developer's shell must not redirect us.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));

  // `last` outlives stop()/kill() so restart() can wait for the old process to release its
  // ports and files, and log() still has something to show after a crash.
  let last: Tracked | undefined;

  async function start(): Promise<void> {
    if (last) await last.exited;
    const p = spawnTracked(INFLUXD_BIN, ['-config', config], { env });
    last = p;
    await awaitReady(
      p,
      async () => (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })).status === 204,
      {
        name: 'influxd',
        what: `influxd /ping on ${url}`,
        timeoutMs: readyTimeoutMs,
        intervalMs: 100,
        config,
      },
    );
  }

  async function stop(): Promise<void> {
    if (last) await last.stop('SIGTERM', 15_000);
  }

  try {
    await start();
    if (opts.auth) {
      const a = opts.auth;
      await influxQuery(url, `CREATE USER "${a.username}" WITH PASSWORD '${a.password}' WITH ALL PRIVILEGES`);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    keepOnExit(dir);
    throw err;
  }

  return {
    url,
    port,
    dir,
    stop,
    kill() {
      if (last?.alive()) last.child.kill('SIGKILL');
    },
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
      keepOnExit(dir);
    },
    log: () => tail(last?.output() ?? '', 50),
    admin: opts.auth,
    query: (q, as) => influxQuery(url, q, as ?? opts.auth),
  };
}
