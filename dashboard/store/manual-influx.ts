/**
 * Manual readings into InfluxDB 1.x over plain HTTP (/write, precision n, our retention policy),
 * as the lines protocols/storage/influx-line.ts builds. One request per call: InfluxDB applies a batch whole
 * unless single points are refused (partial write), and the callers check what could be refused
 * (range, retention) before writing. A repeated write lands on the same points (same series key
 * and time) and changes nothing.
 *
 * A dashboard may be first to write (no gate has yet): then the database and the retention
 * policy are created as the edge's sink would create them. An existing policy is never altered:
 * its duration is the edges' configuration.
 */
import { readFileSync } from 'node:fs';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import {
  INFLUX_DEFAULT_DATABASE,
  INFLUX_DEFAULT_RETENTION_DAYS,
  INFLUX_RETENTION_POLICY,
  retentionDuration,
} from '../../protocols/storage/influx-schema.ts';
import { readingLines } from '../../protocols/storage/influx-line.ts';
import { WriteError, WriteErrorCode } from './write-errors.ts';

export interface InfluxManualSinkOptions {
  url: string;
  database?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  retentionPolicy?: string;
  /** Duration of the retention policy if this sink has to create it (default 400 days). */
  retentionDays?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class InfluxManualSink {
  private readonly base: string;
  private readonly database: string;
  private readonly rp: string;
  private readonly fetch: typeof fetch;
  private auth: string | null | undefined;

  constructor(private readonly opts: InfluxManualSinkOptions) {
    try {
      new URL(opts.url);
    } catch (err) {
      throw new WriteError(WriteErrorCode.REJECTED, `bad InfluxDB url ${opts.url}`, { cause: err });
    }
    this.base = opts.url.replace(/\/+$/, '');
    this.database = opts.database ?? INFLUX_DEFAULT_DATABASE;
    this.rp = opts.retentionPolicy ?? INFLUX_RETENTION_POLICY;
    this.fetch = opts.fetch ?? fetch;
  }

  async writeMany(rs: readonly ReadingRecord[]): Promise<void> {
    if (rs.length === 0) return;
    const body = rs.flatMap(readingLines).join('\n');
    const first = await this.post(body);
    if (first.ok) return;
    if (first.status === 404 || /retention policy not found|database not found/i.test(first.text)) {
      await this.ensureSchema();
      const again = await this.post(body);
      if (again.ok) return;
      throw refusal(again.status, again.text);
    }
    throw refusal(first.status, first.text);
  }

  async close(): Promise<void> {
    // No connection is kept open.
  }

  private async post(body: string): Promise<{ ok: boolean; status: number; text: string }> {
    const q = new URLSearchParams({ db: this.database, rp: this.rp, precision: 'n' });
    const res = await this.request(`${this.base}/write?${q}`, body, 'text/plain; charset=utf-8');
    return { ok: res.status === 204 || res.status === 200, status: res.status, text: res.text };
  }

  private async ensureSchema(): Promise<void> {
    const days = this.opts.retentionDays ?? INFLUX_DEFAULT_RETENTION_DAYS;
    await this.influxql(`CREATE DATABASE ${ident(this.database)}`);
    const policies = await this.influxql(`SHOW RETENTION POLICIES ON ${ident(this.database)}`);
    const names = (policies.results?.[0]?.series?.[0]?.values ?? []).map((v) => v[0]);
    if (!names.includes(this.rp))
      await this.influxql(
        `CREATE RETENTION POLICY ${ident(this.rp)} ON ${ident(this.database)} DURATION ${retentionDuration(days)} REPLICATION 1 DEFAULT`,
      );
  }

  private async influxql(
    q: string,
  ): Promise<{ results?: Array<{ error?: string; series?: Array<{ values?: unknown[][] }> }> }> {
    const res = await this.request(
      `${this.base}/query`,
      new URLSearchParams({ q }).toString(),
      'application/x-www-form-urlencoded',
    );
    if (res.status !== 200) throw refusal(res.status, res.text);
    const doc = JSON.parse(res.text) as Awaited<ReturnType<InfluxManualSink['influxql']>>;
    const error = doc.results?.find((r) => r.error)?.error;
    if (error) throw new WriteError(WriteErrorCode.REJECTED, `InfluxDB: ${error}`);
    return doc;
  }

  private async request(url: string, body: string, type: string): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { 'content-type': type };
    const auth = this.authorization();
    if (auth) headers.authorization = auth;
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      throw new WriteError(
        WriteErrorCode.UNAVAILABLE,
        `InfluxDB unreachable at ${this.opts.url}: ${String(err)}`,
        { cause: err },
      );
    }
  }

  /** Read once, on first use: a password file that appears after start is still picked up. */
  private authorization(): string | null {
    if (this.auth !== undefined) return this.auth;
    if (this.opts.username === undefined) {
      this.auth = null;
      return null;
    }
    let password = this.opts.password ?? '';
    if (this.opts.passwordFile) {
      try {
        password = readFileSync(this.opts.passwordFile, 'utf8').trim();
      } catch (err) {
        throw new WriteError(
          WriteErrorCode.UNAVAILABLE,
          `cannot read the InfluxDB password file ${this.opts.passwordFile}: ${String(err)}`,
          { cause: err },
        );
      }
    }
    this.auth = `Basic ${Buffer.from(`${this.opts.username}:${password}`).toString('base64')}`;
    return this.auth;
  }
}

function refusal(status: number, text: string): WriteError {
  const detail = `InfluxDB answered ${status}: ${text.slice(0, 300)}`;
  if (/beyond retention/i.test(text)) return new WriteError(WriteErrorCode.BEYOND_RETENTION, detail);
  if (status >= 400 && status < 500) return new WriteError(WriteErrorCode.REJECTED, detail);
  return new WriteError(WriteErrorCode.UNAVAILABLE, detail);
}
