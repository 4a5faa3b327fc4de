/**
 * Forwards readings to InfluxDB 1.x: batches of finished line protocol at ns precision into our retention
 * policy (see README.md for the schema). init() creates the database and the retention policy,
 * or corrects the policy's duration to the configured one; with `manageSchema: false` (least
 * privilege: a user with WRITE on the database only) it issues no statement at all, both must
 * exist, and a write refused for want of a privilege is TG_STORE_PRIVILEGE, a missing database
 * TG_STORE_MISSING, each with what to do in the message.
 *
 * Error handling is what keeps the outbox moving: link failures are thrown (the forwarder backs
 * off and retries the whole batch, which is idempotent); a 4xx for a batch means some point is
 * bad, so the batch is bisected until the bad points are isolated and rejected (SinkRejection),
 * while the good ones are written. InfluxDB's own retries and host backoff are switched off:
 * the forwarder owns retrying, and a client-side "host disabled" would hide a recovered server.
 */
import http from 'node:http';
import https from 'node:https';
import { InfluxDB, type IPoolOptions } from 'influx';
// The client's own HTTP pool (same timeouts, same error objects): writes hand it finished lines.
import { Pool } from 'influx/lib/src/pool.js';
import pino from 'pino';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { readingLines } from '../../protocols/storage/influx-line.ts';
import {
  INFLUX_DEFAULT_DATABASE,
  INFLUX_DEFAULT_RETENTION_DAYS,
  INFLUX_RETENTION_POLICY,
  retentionDuration,
} from '../../protocols/storage/influx-schema.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { type RejectedRecord, SinkRejection, StorageError, StorageErrorCode } from './errors.ts';
import type { ReadingSink } from './types.ts';

export interface InfluxSinkOptions {
  /** http(s)://host:port[/path] */
  url: string;
  database?: string;
  username?: string;
  password?: string;
  retentionDays?: number;
  retentionPolicy?: string;
  /**
   * Default true: init() creates the database and the retention policy and corrects its duration
   * (CREATE/ALTER need an InfluxDB admin). false: never an admin statement; WRITE is enough.
   */
  manageSchema?: boolean;
  /** Per HTTP request (default 10 s). */
  requestTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

const DAY_MS = 86_400_000;

type IBackoffStrategy = NonNullable<IPoolOptions['backoff']>;

/** Never take the host out of the client's pool: a restarted server must be used at once. */
const noBackoff: IBackoffStrategy = {
  getDelay: () => 0,
  next: () => noBackoff,
  reset: () => noBackoff,
};

export class InfluxSink implements ReadingSink {
  readonly name = 'influx';
  readonly database: string;
  readonly retentionPolicy: string;
  readonly retentionDays: number;
  readonly manageSchema: boolean;
  private readonly username: string | undefined;
  private readonly influx: InfluxDB;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Writes go out as finished line protocol through the client's pool (see post()). */
  private readonly writes: Pool;
  private readonly writeAuth: string | undefined;
  private readonly agent: http.Agent;

  constructor(opts: InfluxSinkOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch (err) {
      throw new StorageError(StorageErrorCode.STORE_CONFIG, `bad InfluxDB url ${opts.url}`, { cause: err });
    }
    this.database = opts.database ?? INFLUX_DEFAULT_DATABASE;
    this.retentionPolicy = opts.retentionPolicy ?? INFLUX_RETENTION_POLICY;
    this.retentionDays = opts.retentionDays ?? INFLUX_DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(this.retentionDays) || this.retentionDays < 1) {
      throw new StorageError(StorageErrorCode.STORE_CONFIG, `retentionDays must be a positive integer`);
    }
    this.manageSchema = opts.manageSchema ?? true;
    this.username = opts.username;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? pino({ level: 'silent' });
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const host = url.hostname;
    const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 8086;
    const path = url.pathname !== '/' ? url.pathname.replace(/\/$/, '') : '';
    const pool: IPoolOptions = {
      maxRetries: 0,
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      backoff: noBackoff,
    };
    // Two batches in flight by default: keep their connections open between batches.
    this.agent = new (protocol === 'https' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 8 });
    this.writeAuth = opts.username !== undefined ? `${opts.username}:${opts.password ?? ''}` : undefined;
    this.writes = new Pool(pool);
    this.writes.addHost(`${protocol}://${host}:${port}${path}`, { agent: this.agent });
    this.influx = new InfluxDB({
      host,
      port,
      protocol,
      ...(path !== '' ? { path } : {}),
      database: this.database,
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      pool,
      options: { agent: this.agent },
    });
  }

  async init(): Promise<void> {
    if (!this.manageSchema) {
      // A write-only user may not even look (SHOW RETENTION POLICIES needs READ): the first write
      // tells whether database, policy and privilege are there.
      this.log.info(
        { database: this.database, rp: this.retentionPolicy, user: this.username ?? null },
        'InfluxDB schema managed by the operator (manageSchema: false): no admin statements',
      );
      return;
    }
    try {
      // CREATE DATABASE is a no-op when it exists.
      await this.influx.createDatabase(this.database);
      const wanted = retentionDuration(this.retentionDays);
      const existing = (await this.influx.showRetentionPolicies(this.database)).find(
        (p) => p.name === this.retentionPolicy,
      );
      if (!existing) {
        await this.influx.createRetentionPolicy(this.retentionPolicy, {
          database: this.database,
          duration: wanted,
          replication: 1,
          isDefault: true,
        });
        this.log.info(
          { database: this.database, rp: this.retentionPolicy, duration: wanted },
          'created retention policy',
        );
      } else if (parseDurationMs(existing.duration) !== this.retentionDays * DAY_MS || !existing.default) {
        await this.influx.alterRetentionPolicy(this.retentionPolicy, {
          database: this.database,
          duration: wanted,
          replication: 1,
          isDefault: true,
        });
        this.log.warn(
          { database: this.database, rp: this.retentionPolicy, from: existing.duration, to: wanted },
          'retention policy changed to the configured duration',
        );
      }
    } catch (err) {
      throw this.explain(classify(err), 'schema');
    }
  }

  /** Adds what the operator has to do to a privilege or missing-schema error. */
  private explain(e: StorageError, during: 'schema' | 'write'): StorageError {
    const who = this.username === undefined ? 'the anonymous user' : `InfluxDB user "${this.username}"`;
    if (e.code === StorageErrorCode.STORE_PRIVILEGE) {
      const fix =
        during === 'schema'
          ? `it may not create or alter database "${this.database}" / retention policy "${this.retentionPolicy}" (admin only): ` +
            'create them as an admin and set storage.sink.manageSchema: false (edge/storage/README.md), or use an admin'
          : `grant it WRITE: GRANT WRITE ON "${this.database}" TO "${this.username ?? ''}"`;
      return new StorageError(e.code, `${who}: ${fix} (${e.message})`, { cause: e.cause });
    }
    if (e.code === StorageErrorCode.STORE_MISSING)
      return new StorageError(
        e.code,
        `database "${this.database}" or retention policy "${this.retentionPolicy}" does not exist and ` +
          'storage.sink.manageSchema is false: create them as an admin (edge/storage/README.md) ' +
          `(${e.message})`,
        { cause: e.cause },
      );
    return e;
  }

  async write(records: readonly ReadingRecord[]): Promise<void> {
    if (records.length === 0) return;
    // InfluxDB drops points older than the retention policy ("partial write"); set them aside
    // before writing rather than discovering them one by one.
    const cutoff = this.clock.now() - this.retentionDays * DAY_MS;
    const rejected: RejectedRecord[] = [];
    const writable: ReadingRecord[] = [];
    for (const r of records) {
      if (r.at < cutoff) {
        rejected.push({
          id: r.id,
          code: StorageErrorCode.STORE_BEYOND_RETENTION,
          detail: `measured ${new Date(r.at).toISOString()}, before the ${this.retentionDays}-day retention`,
        });
      } else writable.push(r);
    }
    await this.writeIsolating(writable, rejected, true);
    if (rejected.length > 0) throw new SinkRejection(rejected);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.influx.ping(1000)).some((h) => h.online);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // The kept-alive connections of writes and statements.
    this.agent.destroy();
  }

  /**
   * POST /write with finished lines (protocols/storage/influx-line.ts, the encoder every writer
   * uses), through the client's own pool: its writePoints built each point again from objects and
   * escaped it, about half the forwarder's CPU in a replay (40 → 20 µs a reading). The pool's
   * errors are the client's, so classify() reads them as before.
   */
  private post(body: string): Promise<void> {
    return this.writes.discard({
      method: 'POST',
      path: '/write',
      query: { db: this.database, rp: this.retentionPolicy, precision: 'n' },
      body,
      ...(this.writeAuth !== undefined ? { auth: this.writeAuth } : {}),
    });
  }

  /** Writes; on a 4xx splits the batch in halves until the refused points are alone. */
  private async writeIsolating(
    records: readonly ReadingRecord[],
    rejected: RejectedRecord[],
    mayInit: boolean,
  ): Promise<void> {
    if (records.length === 0) return;
    try {
      let body = '';
      for (const r of records) for (const line of readingLines(r)) body += body === '' ? line : `\n${line}`;
      await this.post(body);
    } catch (err) {
      let e = classify(err);
      if (!this.manageSchema) {
        // Nothing to create: say what is missing (a lost retention policy answers a bare 500, which
        // stays TG_STORE_SERVER and is retried like any server error).
        if (isMissingSchema(err))
          e = new StorageError(StorageErrorCode.STORE_MISSING, e.message, { cause: err });
        if (e.code === StorageErrorCode.STORE_PRIVILEGE || e.code === StorageErrorCode.STORE_MISSING)
          throw this.explain(e, 'write');
      }
      // A lost database answers 404 "database not found"; a lost retention policy answers a bare
      // 500 (the client drops the body). Either way: make sure database and policy exist (an
      // operator's DROP, a fresh InfluxDB behind the same URL), then try once more.
      if (
        this.manageSchema &&
        mayInit &&
        (isMissingSchema(err) || e.code === StorageErrorCode.STORE_SERVER)
      ) {
        this.log.warn(
          { database: this.database, rp: this.retentionPolicy, code: e.code },
          'write failed; checking database and retention policy',
        );
        await this.init();
        return this.writeIsolating(records, rejected, false);
      }
      if (e.code !== StorageErrorCode.STORE_REJECTED) throw this.explain(e, 'write');
      if (records.length === 1) {
        const r = records[0] as ReadingRecord;
        const beyond = /beyond retention/i.test(e.message);
        rejected.push({
          id: r.id,
          code: beyond ? StorageErrorCode.STORE_BEYOND_RETENTION : StorageErrorCode.STORE_REJECTED,
          detail: e.message.slice(0, 500),
        });
        return;
      }
      const mid = Math.ceil(records.length / 2);
      await this.writeIsolating(records.slice(0, mid), rejected, false);
      await this.writeIsolating(records.slice(mid), rejected, false);
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { res?: { statusCode?: number } } | null)?.res?.statusCode;
}

function isMissingSchema(err: unknown): boolean {
  return /database not found|retention policy not found/i.test(String((err as Error)?.message ?? err));
}

/** Maps the client's errors onto our codes: what is worth retrying and what never will be. */
export function classify(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = String((err as Error)?.message ?? err);
  const status = statusOf(err);
  const sysCode = (err as { code?: unknown } | null)?.code;
  let code: StorageErrorCode;
  // 401: unknown user or wrong password. 403: a known user without the privilege (no WRITE on the
  // database, or an admin statement by a non-admin): the fix is a GRANT, not a password.
  if (status === 401) code = StorageErrorCode.STORE_AUTH;
  else if (status === 403) code = StorageErrorCode.STORE_PRIVILEGE;
  else if (status !== undefined && status >= 400 && status < 500 && !isMissingSchema(err)) {
    code = StorageErrorCode.STORE_REJECTED;
  } else if (/timed out/i.test(message) || sysCode === 'ETIMEDOUT') code = StorageErrorCode.STORE_TIMEOUT;
  else if (typeof sysCode === 'string' && /^E[A-Z]+$/.test(sysCode))
    code = StorageErrorCode.STORE_UNREACHABLE;
  else if (/no host available/i.test(message)) code = StorageErrorCode.STORE_UNREACHABLE;
  else code = StorageErrorCode.STORE_SERVER;
  return new StorageError(code, message, { cause: err });
}

/** InfluxDB prints durations like "9600h0m0s"; "0s" is infinite. */
export function parseDurationMs(d: string): number {
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(h|m|s)/g)) {
    ms += Number(n) * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
  }
  return ms;
}
