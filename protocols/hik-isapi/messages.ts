/**
 * The rest of what the edge and a terminal say over ISAPI (devices.md §5): the remote-check
 * verdict, the terminal's `ResponseStatus` answers (JSON with `?format=json`, XML otherwise), its
 * `DeviceInfo` (XML on most firmwares, JSON on some), the alert-stream reader, and the paths.
 */
import { z } from 'zod';
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { fitDisplay } from '../face-mqtt/index.ts';
import { describeIssues } from '../parse.ts';
import { fail, ok, type Result } from '../result.ts';
import { type IsapiEvent, parseIsapiEvent } from './event.ts';
import { MultipartReader, multipartBoundary } from './multipart.ts';

export const IsapiPath = {
  remoteCheck: '/ISAPI/AccessControl/remoteCheck?format=json',
  deviceInfo: '/ISAPI/System/deviceInfo',
  alertStream: '/ISAPI/Event/notification/alertStream',
} as const;

/** What the edge answers a push: at once, always the same (§5). */
export const PUSH_OK_BODY = '{"statusCode":1,"statusString":"OK"}';

export const RemoteCheck = z.object({
  RemoteCheck: z.object({
    serialNo: z.number().int().nonnegative(),
    checkResult: z.enum(['success', 'failed']),
    /** The screen text (the terminal's limit is the §3 display's, 64 characters). */
    info: z.string().max(256).optional(),
  }),
});
export type RemoteCheck = z.infer<typeof RemoteCheck>;

/** The verdict body: `{"RemoteCheck":{"serialNo":…,"checkResult":…,"info":…}}`. */
export function encodeRemoteCheck(v: { serialNo: number; open: boolean; display: string }): string {
  const body: RemoteCheck = {
    RemoteCheck: {
      serialNo: v.serialNo,
      checkResult: v.open ? 'success' : 'failed',
      info: fitDisplay(v.display),
    },
  };
  return JSON.stringify(body);
}

export function parseRemoteCheck(payload: Uint8Array | string): Result<RemoteCheck> {
  return parseJson(payload, RemoteCheck, 16 * 1024);
}

export interface ResponseStatus {
  statusCode: number;
  statusString: string;
  subStatusCode: string;
  errorCode?: number;
  errorMsg?: string;
}

const ResponseStatusJson = z.object({
  statusCode: z.coerce.number().int(),
  statusString: z.string().max(256).default(''),
  subStatusCode: z.string().max(256).default(''),
  errorCode: z.coerce.number().int().optional(),
  errorMsg: z.string().max(512).optional(),
});

/** A terminal's answer: `{"statusCode":1,...}` or `<ResponseStatus><statusCode>1</statusCode>...`. */
export function parseResponseStatus(payload: Uint8Array | string): Result<ResponseStatus> {
  const text = asText(payload, 64 * 1024);
  if (text === undefined) return fail(new ProtocolError(C.ISAPI_RESPONSE, 'answer too large'));
  const t = text.trim();
  if (t.startsWith('{')) {
    const r = parseJson(
      t,
      z.union([z.object({ ResponseStatus: ResponseStatusJson }), ResponseStatusJson]),
      64 * 1024,
    );
    if (!r.ok) return r;
    const v = 'ResponseStatus' in r.value ? r.value.ResponseStatus : r.value;
    return ok(clean(v));
  }
  if (t.startsWith('<')) {
    const code = xmlTag(t, 'statusCode');
    if (code === undefined || !/^-?\d+$/.test(code))
      return fail(new ProtocolError(C.ISAPI_RESPONSE, 'XML answer without a statusCode'));
    const errorCode = xmlTag(t, 'errorCode');
    return ok(
      clean({
        statusCode: Number(code),
        statusString: xmlTag(t, 'statusString') ?? '',
        subStatusCode: xmlTag(t, 'subStatusCode') ?? '',
        ...(errorCode !== undefined && /^-?\d+$/.test(errorCode) ? { errorCode: Number(errorCode) } : {}),
        ...(xmlTag(t, 'errorMsg') !== undefined ? { errorMsg: xmlTag(t, 'errorMsg') } : {}),
      }),
    );
  }
  return fail(new ProtocolError(C.ISAPI_RESPONSE, `neither JSON nor XML: ${JSON.stringify(t.slice(0, 40))}`));
}

function clean(v: z.infer<typeof ResponseStatusJson>): ResponseStatus {
  const out: ResponseStatus = {
    statusCode: v.statusCode,
    statusString: v.statusString,
    subStatusCode: v.subStatusCode,
  };
  if (v.errorCode !== undefined) out.errorCode = v.errorCode;
  if (v.errorMsg !== undefined) out.errorMsg = v.errorMsg;
  return out;
}

export function encodeResponseStatus(s: ResponseStatus): string {
  return JSON.stringify(s);
}

export interface DeviceInfo {
  deviceName: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  macAddress: string;
}

const DeviceInfoJson = z.object({
  DeviceInfo: z.object({
    deviceName: z.string().max(128).default(''),
    model: z.string().max(128),
    serialNumber: z.string().max(128),
    firmwareVersion: z.string().max(128),
    macAddress: z.string().max(64).default(''),
  }),
});

/** `GET /ISAPI/System/deviceInfo`: model, serial number, firmware (XML or JSON). */
export function parseDeviceInfo(payload: Uint8Array | string): Result<DeviceInfo> {
  const text = asText(payload, 64 * 1024);
  if (text === undefined) return fail(new ProtocolError(C.ISAPI_RESPONSE, 'deviceInfo too large'));
  const t = text.trim();
  if (t.startsWith('{')) {
    const r = parseJson(t, DeviceInfoJson, 64 * 1024);
    return r.ok ? ok(r.value.DeviceInfo) : r;
  }
  if (!t.startsWith('<') || !/<DeviceInfo[\s>]/.test(t))
    return fail(new ProtocolError(C.ISAPI_RESPONSE, 'not a DeviceInfo document'));
  const model = xmlTag(t, 'model');
  const serialNumber = xmlTag(t, 'serialNumber');
  const firmwareVersion = xmlTag(t, 'firmwareVersion');
  if (model === undefined || serialNumber === undefined || firmwareVersion === undefined)
    return fail(
      new ProtocolError(C.ISAPI_RESPONSE, 'DeviceInfo without model, serialNumber or firmwareVersion'),
    );
  return ok({
    deviceName: xmlTag(t, 'deviceName') ?? '',
    model: model.slice(0, 128),
    serialNumber: serialNumber.slice(0, 128),
    firmwareVersion: firmwareVersion.slice(0, 128),
    macAddress: (xmlTag(t, 'macAddress') ?? '').slice(0, 64),
  });
}

/** The XML DeviceInfo as firmwares serve it (the simulator's answer). */
export function encodeDeviceInfoXml(d: DeviceInfo): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n' +
    `<deviceName>${esc(d.deviceName)}</deviceName>\n<deviceID>1</deviceID>\n<model>${esc(d.model)}</model>\n` +
    `<serialNumber>${esc(d.serialNumber)}</serialNumber>\n<macAddress>${esc(d.macAddress)}</macAddress>\n` +
    `<firmwareVersion>${esc(d.firmwareVersion)}</firmwareVersion>\n<deviceType>ACS</deviceType>\n</DeviceInfo>\n`
  );
}

/**
 * The alert stream (`multipart/mixed`, endless): events as their parts complete. A part cut by a
 * dropped connection is no event (the terminal sends it again; the gate dedupes by serialNo).
 */
export class AlertStreamReader {
  private readonly mp: MultipartReader;

  private constructor(boundary: string) {
    this.mp = new MultipartReader({
      boundary,
      keep: (h) => h.contentType === 'application/json' || h.contentType === '',
      maxPartBytes: 64 * 1024,
      partLength: true,
    });
  }

  static forContentType(contentType: string | undefined): Result<AlertStreamReader> {
    const b = multipartBoundary(contentType);
    return b.ok ? ok(new AlertStreamReader(b.value)) : b;
  }

  /** Events (or per-part errors) completed by these bytes; a framing error ends the stream. */
  push(chunk: Uint8Array): Result<Array<Result<IsapiEvent>>> {
    const r = this.mp.push(chunk);
    if (!r.ok) return r;
    return ok(
      r.value
        .filter((p) => p.body !== undefined || p.oversized)
        .map((p) =>
          p.oversized || !p.body
            ? fail(new ProtocolError(C.ISAPI_TOO_LARGE, `stream part of ${p.size} bytes`))
            : parseIsapiEvent(p.body),
        ),
    );
  }
}

function asText(payload: Uint8Array | string, max: number): string | undefined {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > max) return undefined;
  return typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
}

function parseJson<S extends z.ZodType>(
  payload: Uint8Array | string,
  schema: S,
  max: number,
): Result<z.output<S>> {
  const text = asText(payload, max);
  if (text === undefined) return fail(new ProtocolError(C.ISAPI_TOO_LARGE, `over ${max} bytes`));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(new ProtocolError(C.ISAPI_RESPONSE, `not JSON: ${(e as Error).message}`));
  }
  const r = schema.safeParse(json);
  if (!r.success) return fail(new ProtocolError(C.ISAPI_RESPONSE, describeIssues(r.error.issues)));
  return ok(r.data);
}

/** Text of the first `<tag>…</tag>` (namespace prefixes and attributes tolerated), entities decoded. */
function xmlTag(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${tag}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${tag}>`).exec(xml);
  if (!m) return undefined;
  return (m[1] as string)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}
