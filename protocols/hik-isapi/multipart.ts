/**
 * A streaming multipart reader (RFC 2046 framing: `--boundary` delimiters, part headers, CRLF
 * line ends) for the two places the terminals use it (devices.md §5): the event push
 * (`multipart/form-data`, an event JSON part and a picture) and the alert stream
 * (`multipart/mixed`, a part per event, endless). Written here because no well-kept parser is in
 * the project's dependencies, and neither use needs more than this:
 *
 * - bytes come in chunks of any size (a delimiter split across chunks is found);
 * - each part is reported when its closing delimiter arrives, so an endless stream yields parts as
 *   they complete;
 * - a part's body is kept only when the caller asks (`keep`), up to `maxPartBytes`; others (a
 *   picture) are counted, not held;
 * - a body cut off (`end()` without the closing delimiter) reports the part in progress with
 *   `complete: false`: the event part before a cut picture is whole and usable.
 *
 * Pure: no I/O. Never throws on input; a framing fault is a typed error and the reader stops.
 */
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';

export interface PartHeaders {
  /** `name` of Content-Disposition (form-data), or '' when absent. */
  name: string;
  filename: string | undefined;
  /** Lowercased media type without parameters; '' when absent. */
  contentType: string;
  /** Every header, names lowercased. */
  raw: Record<string, string>;
}

export interface Part extends PartHeaders {
  /** The body when kept; undefined when only counted (or over `maxPartBytes`). */
  body: Buffer | undefined;
  /** Bytes of body seen. */
  size: number;
  /** false: the stream ended inside this part. */
  complete: boolean;
  /** The body went over maxPartBytes: what was kept was dropped. */
  oversized: boolean;
}

export interface MultipartOptions {
  boundary: string;
  /** Which parts to keep in memory (the event JSON); others are only counted. */
  keep: (h: PartHeaders) => boolean;
  /** Largest body kept per part (default 64 KiB). */
  maxPartBytes?: number;
  /** Largest header block of a part (default 8 KiB). */
  maxHeaderBytes?: number;
  /**
   * End a part at its Content-Length rather than at the next delimiter (the alert stream: its last
   * event must not wait for the next one). Off for uploads, where a wrong length would swallow a
   * delimiter and the body's end comes anyway.
   */
  partLength?: boolean;
}

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'afterBody' | 'done' | 'failed';

export class MultipartReader {
  private state: State = 'preamble';
  private buf: Buffer = Buffer.alloc(0);
  /** `--boundary` (the first delimiter may open the body with no CRLF before it). */
  private readonly dash: Buffer;
  /** `\r\n--boundary`: every later delimiter. */
  private readonly delim: Buffer;
  private current:
    | {
        h: PartHeaders;
        chunks: Buffer[] | undefined;
        size: number;
        oversized: boolean;
        length: number | undefined;
      }
    | undefined;
  private readonly maxPart: number;
  private readonly maxHeader: number;
  private error: ProtocolError | undefined;
  private closed = false;

  constructor(private readonly o: MultipartOptions) {
    this.dash = Buffer.from(`--${o.boundary}`, 'latin1');
    this.delim = Buffer.from(`\r\n--${o.boundary}`, 'latin1');
    this.maxPart = o.maxPartBytes ?? 64 * 1024;
    this.maxHeader = o.maxHeaderBytes ?? 8 * 1024;
  }

  /** Whether the closing delimiter was seen. */
  get finished(): boolean {
    return this.closed;
  }

  get failure(): ProtocolError | undefined {
    return this.error;
  }

  /** Feeds bytes; returns the parts completed by them (or the framing error, once). */
  push(chunk: Uint8Array): Result<Part[]> {
    if (this.state === 'failed') return fail(this.error as ProtocolError);
    if (this.state === 'done') return ok([]);
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const parts: Part[] = [];
    for (;;) {
      const progressed = this.step(parts);
      if (this.error) return fail(this.error);
      if (!progressed) break;
    }
    return ok(parts);
  }

  /** The stream ended: the part in progress, if any, reported as incomplete. */
  end(): Part[] {
    const c = this.current;
    if (this.state === 'body' && c) {
      // What is still buffered is body too (it only might have been the start of a delimiter).
      this.addBody(this.buf);
      this.buf = Buffer.alloc(0);
      this.current = undefined;
      this.state = 'done';
      return [this.finish(c, false)];
    }
    return [];
  }

  private failWith(code: (typeof C)[keyof typeof C], msg: string): boolean {
    this.error = new ProtocolError(code, msg);
    this.state = 'failed';
    return false;
  }

  /** One step of the state machine; false when it needs more bytes. */
  private step(parts: Part[]): boolean {
    switch (this.state) {
      case 'preamble': {
        const at = this.buf.indexOf(this.dash);
        if (at < 0) {
          // Keep a tail that could be the start of the delimiter; a preamble is not held forever.
          if (this.buf.length > this.maxHeader)
            return this.failWith(C.ISAPI_MULTIPART, `no boundary in the first ${this.buf.length} bytes`);
          return false;
        }
        this.buf = this.buf.subarray(at + this.dash.length);
        this.state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (this.buf.length < 2) return false;
        if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = 'done';
          this.closed = true;
          this.buf = Buffer.alloc(0);
          return false;
        }
        // Transport padding (spaces, tabs) is allowed before the CRLF.
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) {
          if (this.buf.length > 256)
            return this.failWith(C.ISAPI_MULTIPART, 'delimiter line not ended by CRLF');
          return false;
        }
        if (!/^[ \t]*$/.test(this.buf.subarray(0, eol).toString('latin1')))
          return this.failWith(C.ISAPI_MULTIPART, 'text after a delimiter');
        this.buf = this.buf.subarray(eol + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        // A part with no headers at all starts with the blank line straight away.
        const blank =
          this.buf.subarray(0, 2).toString('latin1') === '\r\n' ? -2 : this.buf.indexOf('\r\n\r\n');
        if (blank === -1) {
          if (this.buf.length > this.maxHeader)
            return this.failWith(C.ISAPI_MULTIPART, 'part headers too long');
          return false;
        }
        const text = blank === -2 ? '' : this.buf.subarray(0, blank).toString('utf8');
        if (text.length > this.maxHeader) return this.failWith(C.ISAPI_MULTIPART, 'part headers too long');
        this.buf = this.buf.subarray(blank === -2 ? 2 : blank + 4);
        const h = parsePartHeaders(text);
        const len = h.raw['content-length'];
        const length =
          this.o.partLength && len !== undefined && /^\d{1,10}$/.test(len) ? Number(len) : undefined;
        this.current = { h, chunks: this.o.keep(h) ? [] : undefined, size: 0, oversized: false, length };
        this.state = 'body';
        return true;
      }
      case 'body': {
        const c = this.current as NonNullable<typeof this.current>;
        if (c.length !== undefined) {
          // A part that says its length (the alert stream's) is whole when that many bytes came:
          // an endless stream's last event must not wait for the next one's delimiter.
          const need = c.length - c.size;
          if (this.buf.length < need) {
            this.addBody(this.buf);
            this.buf = Buffer.alloc(0);
            return false;
          }
          this.addBody(this.buf.subarray(0, need));
          this.buf = this.buf.subarray(need);
          this.current = undefined;
          parts.push(this.finish(c, true));
          this.state = 'afterBody';
          return true;
        }
        const at = this.buf.indexOf(this.delim);
        if (at < 0) {
          // Everything but a possible delimiter start is body.
          const safe = this.buf.length - (this.delim.length - 1);
          if (safe > 0) {
            this.addBody(this.buf.subarray(0, safe));
            this.buf = Buffer.from(this.buf.subarray(safe));
          }
          return false;
        }
        this.addBody(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at + this.delim.length);
        this.current = undefined;
        parts.push(this.finish(c, true));
        this.state = 'afterDelimiter';
        return true;
      }
      case 'afterBody': {
        // CRLF(s) after a counted body, then the next delimiter.
        let i = 0;
        while (i < this.buf.length && (this.buf[i] === 0x0d || this.buf[i] === 0x0a)) i++;
        this.buf = this.buf.subarray(i);
        if (this.buf.length < this.dash.length) return false;
        if (!this.buf.subarray(0, this.dash.length).equals(this.dash))
          return this.failWith(C.ISAPI_MULTIPART, 'no delimiter after a part of declared length');
        this.buf = this.buf.subarray(this.dash.length);
        this.state = 'afterDelimiter';
        return true;
      }
      default:
        return false;
    }
  }

  private addBody(b: Buffer): void {
    const c = this.current;
    if (!c || b.length === 0) return;
    c.size += b.length;
    if (!c.chunks) return;
    if (c.size > this.maxPart) {
      c.chunks = undefined;
      c.oversized = true;
      return;
    }
    c.chunks.push(Buffer.from(b));
  }

  private finish(c: NonNullable<typeof this.current>, complete: boolean): Part {
    return {
      ...c.h,
      body: c.chunks ? Buffer.concat(c.chunks) : undefined,
      size: c.size,
      complete,
      oversized: c.oversized,
    };
  }
}

function parsePartHeaders(text: string): PartHeaders {
  const raw: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    raw[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const disp = raw['content-disposition'] ?? '';
  return {
    name: headerParam(disp, 'name') ?? '',
    filename: headerParam(disp, 'filename'),
    contentType: mediaType(raw['content-type']),
    raw,
  };
}

/** `type/subtype` lowercased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A parameter of a header value: `name="x"` or `name=x`. */
export function headerParam(value: string, param: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** The boundary of a multipart Content-Type (RFC 2046: 1 to 70 characters). */
export function multipartBoundary(contentType: string | undefined): Result<string> {
  const t = mediaType(contentType);
  if (!t.startsWith('multipart/'))
    return fail(new ProtocolError(C.ISAPI_CONTENT_TYPE, `not multipart: ${JSON.stringify(t.slice(0, 60))}`));
  const b = headerParam(contentType ?? '', 'boundary');
  if (!b || b.length > 70)
    return fail(new ProtocolError(C.ISAPI_CONTENT_TYPE, 'multipart without a usable boundary'));
  return ok(b);
}
