/**
 * One event push (devices.md §5), read as it streams in: `multipart/form-data` with the event JSON
 * in a part named `event_log` or `AccessControllerEvent` (or any `application/json` part) and
 * optionally a `Picture`; or the JSON alone as `application/json`. The event is available as soon
 * as its part is whole, so a body cut off inside the picture still yields it. Pictures are
 * counted, and kept only when asked. Also the encoders the simulator writes with.
 */
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { EVENT_PART_NAMES, ISAPI_EVENT_MAX_BYTES } from './event.ts';
import { MultipartReader, mediaType, multipartBoundary, type Part, type PartHeaders } from './multipart.ts';

export interface PushContent {
  /** The event JSON bytes, once whole. */
  eventJson: Buffer | undefined;
  /** Bytes of picture parts seen (kept or not). */
  pictureBytes: number;
  /** The pictures, when `keepPictures`. */
  pictures: Buffer[];
  /** The body ended with its closing delimiter (or the whole JSON body arrived). */
  complete: boolean;
}

const isEventPart = (h: PartHeaders) =>
  (EVENT_PART_NAMES as readonly string[]).includes(h.name) || h.contentType === 'application/json';

export class IsapiPushReader {
  private readonly multipart: MultipartReader | undefined;
  private readonly jsonChunks: Buffer[] = [];
  private jsonSize = 0;
  private readonly content: PushContent = {
    eventJson: undefined,
    pictureBytes: 0,
    pictures: [],
    complete: false,
  };

  private constructor(
    mp: MultipartReader | undefined,
    private readonly keepPictures: boolean,
    private readonly maxPictureBytes: number,
  ) {
    this.multipart = mp;
  }

  /** A reader for one request by its Content-Type. */
  static forContentType(
    contentType: string | undefined,
    opts: { keepPictures?: boolean; maxPictureBytes?: number } = {},
  ): Result<IsapiPushReader> {
    const t = mediaType(contentType);
    const keepPictures = opts.keepPictures ?? false;
    const maxPic = opts.maxPictureBytes ?? 1024 * 1024;
    if (t === 'application/json' || t === 'text/json')
      return ok(new IsapiPushReader(undefined, keepPictures, maxPic));
    const b = multipartBoundary(contentType);
    if (!b.ok)
      return fail(
        new ProtocolError(
          C.ISAPI_CONTENT_TYPE,
          `expected multipart/form-data or application/json, got ${JSON.stringify(t.slice(0, 60))}`,
        ),
      );
    const mp = new MultipartReader({
      boundary: b.value,
      keep: (h) => isEventPart(h) || (keepPictures && h.contentType.startsWith('image/')),
      maxPartBytes: Math.max(ISAPI_EVENT_MAX_BYTES, keepPictures ? maxPic : 0),
    });
    return ok(new IsapiPushReader(mp, keepPictures, maxPic));
  }

  /** Feeds body bytes. A framing error ends the reading (the caller answers 400). */
  push(chunk: Uint8Array): Result<PushContent> {
    if (!this.multipart) {
      this.jsonSize += chunk.byteLength;
      if (this.jsonSize > ISAPI_EVENT_MAX_BYTES)
        return fail(new ProtocolError(C.ISAPI_TOO_LARGE, `JSON body over ${ISAPI_EVENT_MAX_BYTES} bytes`));
      this.jsonChunks.push(Buffer.from(chunk));
      return ok(this.content);
    }
    const r = this.multipart.push(chunk);
    if (!r.ok) return r;
    for (const p of r.value) this.take(p);
    this.content.complete = this.multipart.finished;
    return ok(this.content);
  }

  /** The body ended (or was cut off): what was read. */
  end(cut = false): PushContent {
    if (!this.multipart) {
      // A cut JSON body is no event; a whole one is the event.
      if (!cut && this.jsonSize > 0) {
        this.content.eventJson = Buffer.concat(this.jsonChunks);
        this.content.complete = true;
      }
      return this.content;
    }
    for (const p of this.multipart.end()) this.take(p);
    this.content.complete = this.multipart.finished;
    return this.content;
  }

  private take(p: Part): void {
    if (isEventPart(p)) {
      // The first whole event part wins; a cut one is no event (the terminal re-sends it).
      if (p.complete && p.body && this.content.eventJson === undefined) this.content.eventJson = p.body;
      return;
    }
    if (p.contentType.startsWith('image/') || p.name === 'Picture') {
      this.content.pictureBytes += p.size;
      if (this.keepPictures && p.complete && p.body && p.body.length <= this.maxPictureBytes)
        this.content.pictures.push(p.body);
    }
  }
}

/** Reads a whole push body at once (tests, fuzzing): the event JSON or why there is none. */
export function readIsapiPush(
  contentType: string | undefined,
  body: Uint8Array,
  cut = false,
): Result<PushContent> {
  const r = IsapiPushReader.forContentType(contentType);
  if (!r.ok) return r;
  const p = r.value.push(body);
  if (!p.ok) return p;
  const c = r.value.end(cut);
  if (!c.eventJson) return fail(new ProtocolError(C.ISAPI_NO_EVENT, 'no whole event JSON part in the body'));
  return ok(c);
}

// ---- encoders (the simulator's side) ----------------------------------------------------------

export interface PushParts {
  boundary: string;
  /** §5: `event_log` on most firmwares, `AccessControllerEvent` on some. */
  partName: string;
  json: string;
  picture?: Uint8Array;
}

/** A multipart/form-data push body as the terminals send it. */
export function encodeMultipartPush(p: PushParts): Buffer {
  const chunks: Buffer[] = [
    Buffer.from(
      `--${p.boundary}\r\nContent-Disposition: form-data; name="${p.partName}"\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(p.json)}\r\n\r\n`,
    ),
    Buffer.from(p.json),
    Buffer.from('\r\n'),
  ];
  if (p.picture) {
    chunks.push(
      Buffer.from(
        `--${p.boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n` +
          `Content-Type: image/jpeg\r\nContent-Length: ${p.picture.byteLength}\r\n\r\n`,
      ),
      Buffer.from(p.picture),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${p.boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** One part of the alert stream (`multipart/mixed`): delimiter, headers, the event JSON. */
export function encodeStreamPart(boundary: string, json: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Type: application/json; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`,
  );
}
