/**
 * The gate's "listening host" for an ISAPI terminal (devices.md §5): the terminal POSTs each event
 * here. `node:http`, streaming, never buffering more than the event JSON:
 *
 * - The event is handed on the moment its JSON part is whole, before the picture has arrived: the
 *   person is waiting, and a body cut off inside the picture still yields it.
 * - The answer (`200 {"statusCode":1,"statusString":"OK"}`) goes at the end of the body and never
 *   waits on the gate's decision, its storage or the hub. Only a re-sent event (nobody waiting)
 *   is answered after the gate has stored it, so one the outbox could not keep is answered 503
 *   and the terminal sends it again.
 * - Wrong source (403), method (405), path (404), oversized (413, by Content-Length at once or
 *   when the body grows past the limit), wrong Content-Type (415) and malformed bodies (400) get an
 *   ISAPI ResponseStatus naming the TG_ISAPI_* code; each is counted and logged; none can throw
 *   out of here.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  IsapiPushReader,
  type IsapiEvent,
  PUSH_OK_BODY,
  parseIsapiEvent,
} from '../../../protocols/hik-isapi/index.ts';
import type { Logger } from '../../log.ts';

export type EventOutcome = 'ok' | 'retry';

export interface ListenerOptions {
  host: string;
  port: number;
  path: string;
  /** IPs allowed to push, or '*' among them for any. */
  allowFrom: string[];
  maxBodyBytes: number;
  keepPictures: boolean;
  log: Logger;
  /** An event was read. Realtime ones are not awaited; a re-sent one is, for its answer. */
  onEvent(ev: IsapiEvent): EventOutcome | Promise<EventOutcome>;
  /** The pictures of a whole body, when keepPictures. */
  onPictures?(ev: IsapiEvent, pictures: Buffer[]): void;
  /** A request refused before an event was read (source, method, path, size). */
  onRefused(reason: string): void;
  /** A request whose body was no usable event. */
  onBadPayload(code: string): void;
}

/** `::ffff:10.0.0.21` and `10.0.0.21` are the same source. */
export const normalizeIp = (ip: string | undefined): string =>
  (ip ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

export class IsapiListener {
  private readonly server: http.Server;
  private readonly allowAny: boolean;
  private readonly allowed: Set<string>;

  constructor(private readonly o: ListenerOptions) {
    this.allowAny = o.allowFrom.includes('*');
    this.allowed = new Set(o.allowFrom.map(normalizeIp));
    this.server = http.createServer((req, res) => {
      try {
        this.handle(req, res);
      } catch (err) {
        // Nothing in here should throw; if it did, one request fails, never the gate.
        o.log.error({ code: 'TG_ISAPI_LISTENER', err: String(err) }, 'isapi request handling failed');
        if (!res.headersSent) answer(res, 500, 'TG_ISAPI_LISTENER');
      }
    });
    // A terminal that opens a connection and never sends its headers does not hold it forever.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // A terminal that dropped its connection mid-request (a cut push) is not a bad request.
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      o.onRefused('bad-http');
      o.log.warn({ code: 'TG_ISAPI_BAD_HTTP', err: err.message }, 'isapi listener: malformed HTTP');
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private refuse(res: ServerResponse, status: number, code: string, reason: string, detail: object): void {
    this.o.onRefused(reason);
    this.o.log.warn({ code, status, ...detail }, `isapi push refused: ${reason}`);
    answer(res, status, code, true);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const from = normalizeIp(req.socket.remoteAddress);
    const path = (req.url ?? '').split('?')[0];
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!this.allowAny && !this.allowed.has(from))
      this.refuse(res, 403, 'TG_ISAPI_FORBIDDEN', 'source not allowed', { from });
    else if (path !== this.o.path) this.refuse(res, 404, 'TG_ISAPI_NOT_FOUND', 'wrong path', { from, path });
    else if (req.method !== 'POST')
      this.refuse(res, 405, 'TG_ISAPI_METHOD', 'wrong method', { from, method: req.method });
    else if (declared > this.o.maxBodyBytes)
      this.refuse(res, 413, 'TG_ISAPI_TOO_LARGE', 'body over the limit', { from, declared });
    else this.read(req, res, from);
  }

  private read(req: IncomingMessage, res: ServerResponse, from: string): void {
    const reader = IsapiPushReader.forContentType(req.headers['content-type'], {
      keepPictures: this.o.keepPictures,
    });
    if (!reader.ok) {
      this.o.onBadPayload(reader.error.code);
      this.o.log.warn({ code: reader.error.code, from, reason: reader.error.message }, 'isapi push refused');
      answer(res, 415, reader.error.code, true);
      return;
    }
    let size = 0;
    let settled = false;
    let dispatched: Promise<EventOutcome> | EventOutcome | undefined;
    let event: IsapiEvent | undefined;

    const bad = (status: number, code: string, reason: string) => {
      if (settled) return;
      settled = true;
      this.o.onBadPayload(code);
      this.o.log.warn({ code, from, reason }, 'isapi push refused');
      answer(res, status, code, true);
    };
    /** Reads the event as soon as its JSON is whole; realtime ones go to the gate right away. */
    const take = (json: Buffer | undefined): boolean => {
      if (event || !json) return true;
      const r = parseIsapiEvent(json);
      if (!r.ok) {
        bad(r.error.code === 'TG_ISAPI_TOO_LARGE' ? 413 : 400, r.error.code, r.error.message);
        return false;
      }
      event = r.value;
      dispatched = this.dispatch(event);
      return true;
    };

    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > this.o.maxBodyBytes) {
        settled = true;
        this.refuse(res, 413, 'TG_ISAPI_TOO_LARGE', 'body over the limit', { from, size });
        return;
      }
      const r = reader.value.push(chunk);
      if (!r.ok) return bad(r.error.code === 'TG_ISAPI_TOO_LARGE' ? 413 : 400, r.error.code, r.error.message);
      take(r.value.eventJson);
    });
    req.on('end', () => {
      if (settled) return;
      const c = reader.value.end(false);
      if (!take(c.eventJson)) return;
      if (event && c.pictures.length > 0) this.o.onPictures?.(event, c.pictures);
      if (!event) return bad(400, 'TG_ISAPI_NO_EVENT', 'no whole event JSON in the body');
      settled = true;
      if (event.kind === 'face' && !event.event.isRealtime) {
        // Nobody waits on a re-sent event: answer once it is stored, so a failure gets it sent again.
        Promise.resolve(dispatched).then(
          (o) => (o === 'retry' ? answer(res, 503, 'TG_ISAPI_NOT_STORED') : ok(res)),
          () => answer(res, 503, 'TG_ISAPI_NOT_STORED'),
        );
        return;
      }
      ok(res);
    });
    req.on('close', () => {
      if (settled || req.complete) return;
      // Cut off mid-body: the event in it, if its JSON was whole, still counts.
      settled = true;
      const c = reader.value.end(true);
      if (take(c.eventJson) && event)
        this.o.log.debug({ from }, 'isapi push cut off after its event JSON: event taken');
      else this.o.onBadPayload('TG_ISAPI_CUT');
    });
  }

  private dispatch(ev: IsapiEvent): Promise<EventOutcome> | EventOutcome {
    try {
      const r = this.o.onEvent(ev);
      return r instanceof Promise
        ? r.catch((err: unknown) => {
            this.o.log.error(
              { code: 'TG_EDGE_EVENT_FAILED', err: String(err) },
              'isapi event handling failed',
            );
            return 'retry' as const;
          })
        : r;
    } catch (err) {
      this.o.log.error({ code: 'TG_EDGE_EVENT_FAILED', err: String(err) }, 'isapi event handling failed');
      return 'retry';
    }
  }
}

function ok(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(PUSH_OK_BODY),
  });
  res.end(PUSH_OK_BODY);
}

const STATUS_STRING: Record<number, [number, string]> = {
  400: [6, 'Invalid Content'],
  403: [4, 'Invalid Operation'],
  404: [4, 'Invalid Operation'],
  405: [4, 'Invalid Operation'],
  413: [6, 'Invalid Content'],
  415: [6, 'Invalid Content'],
  500: [2, 'Device Busy'],
  503: [2, 'Device Busy'],
};

/** An ISAPI-style ResponseStatus with our stable code in `errorMsg`. */
function answer(res: ServerResponse, status: number, code: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const [statusCode, statusString] = STATUS_STRING[status] ?? [6, 'Invalid Content'];
  const body = JSON.stringify({ statusCode, statusString, subStatusCode: code, errorMsg: code });
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  };
  // The rest of a refused body is not read: close the connection rather than leave it half-read.
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}
