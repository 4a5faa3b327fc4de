/**
 * The edge's HTTP client for an ISAPI terminal: `node:http` (the shipped edge runs under
 * `node --lite-mode`, without WebAssembly, so neither fetch nor undici), one keep-alive
 * connection, HTTP Digest (RFC 7616 MD5, qop=auth) with the challenge cached and the nonce count
 * incremented per request, so a verdict costs one round trip, not two. A 401 answers a cached
 * nonce the terminal has dropped (or `stale=true`): the client takes the new challenge and
 * retries once; a 401 to a fresh challenge is a wrong password (TG_ISAPI_AUTH).
 *
 * A request is opened ahead of need (`prepare`): node:http attaches a new request's socket on
 * the next tick and writes nothing before, so a verdict asked for inside the gate's decision went
 * out only after everything else of that tick, the outbox commit's fsync included (bench/NOTES.md,
 * ISAPI). A prepared request already holds its connected socket: `end()` writes its headers and
 * body into that socket at once, inside the call.
 */
import { randomBytes } from 'node:crypto';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  buildDigestAuthorization,
  type DigestChallenge,
  parseDigestChallenge,
} from '../../../protocols/hik-isapi/index.ts';
import { type CodeOf, codedErrors } from '../../../kernel/errors.ts';
import type { Logger } from '../../log.ts';

export const IsapiClientErrorCode = {
  AUTH: 'TG_ISAPI_AUTH',
  DIGEST: 'TG_ISAPI_DIGEST',
  UNREACHABLE: 'TG_ISAPI_UNREACHABLE',
  TIMEOUT: 'TG_ISAPI_TIMEOUT',
  HTTP: 'TG_ISAPI_HTTP',
  STATUS: 'TG_ISAPI_STATUS',
  RESPONSE: 'TG_ISAPI_RESPONSE',
} as const;
export type IsapiClientErrorCode = CodeOf<typeof IsapiClientErrorCode>;

export class IsapiClientError extends codedErrors('IsapiClientError', IsapiClientErrorCode) {
  constructor(
    code: IsapiClientErrorCode,
    message: string,
    readonly httpStatus?: number,
    readonly statusCode?: number,
    readonly subStatusCode?: string,
  ) {
    super(code, message);
  }
}

export interface IsapiClientOptions {
  /** http://host[:port] */
  address: string;
  username: string;
  password: string;
  log: Logger;
}

export interface SendOptions {
  body?: string | Buffer;
  contentType?: string;
  /** The whole exchange (both legs of a challenge) ends by then: epoch ms of Date.now(). */
  deadline: number;
  /** Keep the response body streaming (alert stream): no timeout once the headers came. */
  stream?: boolean;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request opened ahead: its socket attached, nothing written yet. */
interface Spare {
  req: ClientRequest;
  method: string;
  path: string;
  socket: Socket | undefined;
  connectedAt: number;
}

/** A spare that stayed connected this long and was then closed was closed for idling: replace it. */
const SPARE_IDLE_CLOSE_MS = 1000;

export class IsapiHttpClient {
  private readonly url: URL;
  /** One socket kept open: the verdict must not wait for a TCP handshake. */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 });
  private challenge: DigestChallenge | undefined;
  private nc = 0;
  private spare: Spare | undefined;
  private closed = false;

  constructor(private readonly o: IsapiClientOptions) {
    this.url = new URL(o.address);
  }

  /** A request with its whole answer (bodies of ISAPI answers are small). */
  async request(method: string, path: string, opts: SendOptions): Promise<Response> {
    const res = await this.send(method, path, opts);
    const body = await readAll(res, opts.deadline);
    return { status: res.statusCode ?? 0, headers: res.headers, body };
  }

  /** A request whose response streams (the caller consumes or destroys it). */
  async send(method: string, path: string, opts: SendOptions): Promise<IncomingMessage> {
    let fresh = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.once(method, path, opts);
      if (res.statusCode !== 401) return res;
      res.resume();
      const c = parseDigestChallenge(res.headers['www-authenticate']);
      if (!c.ok) throw new IsapiClientError('TG_ISAPI_DIGEST', c.error.message, 401);
      // Refused on a challenge we had just taken, and the terminal does not call it stale: the
      // credentials are wrong. Trying again would only lock the account on some firmwares.
      if (fresh && !c.value.stale)
        throw new IsapiClientError('TG_ISAPI_AUTH', `terminal refused user ${this.o.username} (401)`, 401);
      this.o.log.debug({ stale: c.value.stale, realm: c.value.realm }, 'isapi digest challenge');
      this.challenge = c.value;
      this.nc = 0;
      fresh = true;
    }
    throw new IsapiClientError('TG_ISAPI_AUTH', 'terminal keeps answering 401', 401);
  }

  /**
   * Opens the next `method path` request now, so that when it is sent its bytes leave within the
   * call (see the header). One at a time; dropped quietly if its connection fails or is closed
   * (the next exchange then opens a fresh request, and prepares again).
   */
  prepare(method: string, path: string): void {
    if (this.closed || this.spare) return;
    const req = http.request({
      host: this.url.hostname,
      port: this.url.port || 80,
      method,
      path,
      agent: this.agent,
    });
    const spare: Spare = { req, method, path, socket: undefined, connectedAt: 0 };
    this.spare = spare;
    req.on('socket', (socket: Socket) => {
      spare.socket = socket;
      if (!socket.connecting) spare.connectedAt = Date.now();
      else socket.once('connect', () => (spare.connectedAt = Date.now()));
    });
    const drop = () => {
      if (this.spare !== spare) return;
      this.spare = undefined;
      // The terminal closes connections that idle (keep-alive timeout): open the next one. A spare
      // that never connected or died at once (terminal away) waits for the next exchange instead.
      if (spare.connectedAt > 0 && Date.now() - spare.connectedAt >= SPARE_IDLE_CLOSE_MS)
        this.prepare(method, path);
    };
    // An unused spare's failure is no one's error.
    req.on('error', drop);
    req.on('close', drop);
  }

  /** A prepared request is connected and ready to write at once. */
  get prepared(): boolean {
    const s = this.spare?.socket;
    return s !== undefined && !s.connecting && !s.destroyed && s.writable;
  }

  /** The prepared request for this exchange, when it is ready to write at once. */
  private takeSpare(method: string, path: string): ClientRequest | undefined {
    const s = this.spare;
    if (!s || s.method !== method || s.path !== path) return undefined;
    this.spare = undefined;
    const ready =
      s.socket !== undefined &&
      !s.socket.connecting &&
      !s.socket.destroyed &&
      s.socket.writable &&
      !s.req.destroyed &&
      !s.req.headersSent;
    if (ready) return s.req;
    s.req.destroy();
    return undefined;
  }

  private once(method: string, path: string, opts: SendOptions, noSpare = false): Promise<IncomingMessage> {
    const left = opts.deadline - Date.now();
    if (left <= 0)
      return Promise.reject(new IsapiClientError('TG_ISAPI_TIMEOUT', `${method} ${path}: no time left`));
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json, application/xml, */*' };
    if (this.challenge) {
      this.nc += 1;
      headers.Authorization = buildDigestAuthorization(this.challenge, {
        username: this.o.username,
        password: this.o.password,
        method,
        uri: path,
        nc: this.nc,
        cnonce: randomBytes(8).toString('hex'),
      });
    }
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    if (body) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const spare = noSpare ? undefined : this.takeSpare(method, path);
    return new Promise((resolve, reject) => {
      const req =
        spare ??
        http.request({
          host: this.url.hostname,
          port: this.url.port || 80,
          method,
          path,
          headers,
          agent: this.agent,
        });
      if (spare) for (const [k, v] of Object.entries(headers)) if (v !== undefined) req.setHeader(k, v);
      let answered = false;
      const timer = setTimeout(() => {
        req.destroy(
          new IsapiClientError('TG_ISAPI_TIMEOUT', `${method} ${path}: no answer within ${left} ms`),
        );
      }, left);
      req.on('response', (res) => {
        answered = true;
        if (opts.stream) clearTimeout(timer);
        else res.once('close', () => clearTimeout(timer));
        resolve(res);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        // The prepared connection was closed by the terminal just then: once more on a fresh one.
        if (spare && !answered && !(err instanceof IsapiClientError)) {
          this.once(method, path, opts, true).then(resolve, reject);
          return;
        }
        reject(
          err instanceof IsapiClientError
            ? err
            : new IsapiClientError(
                'TG_ISAPI_UNREACHABLE',
                `${method} ${path}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
              ),
        );
      });
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    this.spare?.req.destroy();
    this.spare = undefined;
    this.agent.destroy();
  }
}

/** The body, up to 256 KiB (ISAPI answers are a few hundred bytes), by the deadline. */
function readAll(res: IncomingMessage, deadline: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => res.destroy(new IsapiClientError('TG_ISAPI_TIMEOUT', 'answer body not complete in time')),
      Math.max(1, deadline - Date.now()),
    );
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 256 * 1024) res.destroy(new IsapiClientError('TG_ISAPI_RESPONSE', 'answer over 256 KiB'));
      else chunks.push(c);
    });
    res.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    res.on('error', (err) => {
      clearTimeout(timer);
      reject(
        err instanceof IsapiClientError ? err : new IsapiClientError('TG_ISAPI_UNREACHABLE', err.message),
      );
    });
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.complete) reject(new IsapiClientError('TG_ISAPI_UNREACHABLE', 'connection closed mid-answer'));
    });
  });
}
