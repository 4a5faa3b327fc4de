/**
 * InfluxQL over HTTP with chunked responses. Chunking is not optional at HR's scale: a
 * non-chunked answer is capped by the server's max-row-limit (only a series flag tells), and
 * InfluxDB 1.6 leaves that same flag set on series it merged from chunks, so truncation cannot
 * be told from a complete answer. Chunks arrive as newline-separated JSON documents and are
 * parsed as they stream in; a series continued across chunks is merged back into one.
 */
import { StoreError, StoreErrorCode } from './errors.ts';

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
  partial?: boolean;
}

export interface StatementResult {
  statement_id: number;
  series?: Series[];
  error?: string;
  partial?: boolean;
}

export interface InfluxHttpOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  requestTimeoutMs: number;
  chunkSize?: number;
}

/**
 * What the answers may be compressed with. An InfluxDB on this machine answers uncompressed:
 * gzipping a month export's 240 MB of JSON cost influxd and the dashboard the two cores they
 * share (a 50,000-people month export 37 → 28 s without, bench/NOTES.md). Over a network (a
 * central database, docs/SCALE.md) the bytes count more: gzip, as fetch asks by default.
 */
export function acceptEncoding(url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'gzip, deflate';
  }
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? 'identity' : 'gzip, deflate';
}

export class InfluxHttp {
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: InfluxHttpOptions) {
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/query`;
    this.headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'accept-encoding': acceptEncoding(opts.url),
    };
    if (opts.username !== undefined) {
      const token = Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${token}`;
    }
  }

  /** Runs the statements in one request; one result per statement, in order, series merged. */
  async query(statements: readonly string[]): Promise<StatementResult[]> {
    const results = new Map<number, StatementResult>();
    await this.stream(statements, (r) => merge(results, r));
    return statements.map((_, i) => results.get(i) ?? { statement_id: i });
  }

  /**
   * Runs the statements and hands over each chunk's partial result as it arrives; a long series
   * comes in several pieces (same name and tags). Keeps only what the caller keeps.
   */
  async stream(statements: readonly string[], onResult: (r: StatementResult) => void): Promise<void> {
    const body = new URLSearchParams({
      db: this.opts.database,
      q: statements.join(';\n'),
      epoch: 'ms',
      chunked: 'true',
      chunk_size: String(this.opts.chunkSize ?? 10_000),
    });
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
    } catch (err) {
      throw new StoreError(
        StoreErrorCode.UNAVAILABLE,
        `InfluxDB unreachable at ${this.opts.url}: ${String(err)}`,
        { cause: err },
      );
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new StoreError(
        StoreErrorCode.UNAVAILABLE,
        `InfluxDB answered ${res.status}: ${text.slice(0, 300)}`,
      );
    }
    const decoder = new TextDecoder();
    // The text of the document under way, in the pieces it came in: a 10,000-row chunk is ~1 MB
    // of JSON in some 16 network reads, and appending to one string and searching it from the
    // start after each read copied and scanned it again every time (13 s of a 50,000-people
    // month export, bench/NOTES.md). Only the new piece is searched; the line is joined once.
    let pending: string[] = [];
    const take = (line: string) => {
      if (line.trim() === '') return;
      const doc = JSON.parse(line) as { results?: StatementResult[]; error?: string };
      if (doc.error) throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB: ${doc.error}`);
      for (const r of doc.results ?? []) {
        // A database that does not exist yet simply holds no readings.
        if (r.error && !/database not found/i.test(r.error)) {
          throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB: ${r.error}`);
        }
        onResult(r);
      }
    };
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        let start = 0;
        let nl = text.indexOf('\n');
        while (nl >= 0) {
          pending.push(text.slice(start, nl));
          take(pending.join(''));
          pending = [];
          start = nl + 1;
          nl = text.indexOf('\n', start);
        }
        if (start < text.length) pending.push(text.slice(start));
      }
      pending.push(decoder.decode());
      take(pending.join(''));
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(StoreErrorCode.UNAVAILABLE, `InfluxDB answer broke off: ${String(err)}`, {
        cause: err,
      });
    }
  }
}

const seriesKey = (s: Series): string => `${s.name}\u0000${JSON.stringify(s.tags ?? {})}`;

function merge(results: Map<number, StatementResult>, r: StatementResult): void {
  const have = results.get(r.statement_id);
  if (!have) {
    results.set(r.statement_id, { ...r, series: [...(r.series ?? [])] });
    return;
  }
  const list = have.series ?? [];
  have.series = list;
  for (const s of r.series ?? []) {
    const last = list[list.length - 1];
    if (last && seriesKey(last) === seriesKey(s) && last.columns.join() === s.columns.join()) {
      for (const v of s.values) last.values.push(v);
    } else list.push(s);
  }
}
