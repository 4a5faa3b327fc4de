/**
 * The terminal's access-control event over ISAPI (devices.md §5), read into the same `FaceEvent`
 * the MQTT terminal's events become (face-mqtt), so the gate handles both alike.
 *
 * Accepted as firmwares differ (public ISAPI material and the open-source integrations that
 * parse `AccessControllerEvent`):
 * - the access-control fields inside `AccessControllerEvent` (most), or at the top level beside
 *   `dateTime` (a JSON-only body from some firmwares);
 * - `isAbnomalTemperature` (the vendor's spelling) or `isAbnormalTemperature`;
 * - `employeeNoString`, or the older numeric `employeeNo`;
 * - `currTemperature` as the float the firmware prints (`36.600000`);
 * - `mask` absent or a value we do not know → `unknown` (a mask rule then refuses, never admits).
 *
 * Mapping: majorEventType 5 / subEventType 75 (face matched a person) and 76 (face matched
 * nobody) are face events; everything else is `other` (acknowledged, ignored, proof of life).
 * ISAPI events carry no similarity: the terminal matched with its own threshold, so a 75 counts
 * as 1 and a 76 as 0. A re-sent event (the terminal could not deliver it, `activePostCount` > 1;
 * or an explicit `isRealtime: false`) is not realtime: stored, never actuates (§5, as §3).
 *
 * Checked against public code (search of public repositories, December 2026; third-party
 * captures, not vendor documents):
 * - `isAbnomalTemperature` (sic), `currTemperature` printed as `36.600000`, `thermometryUnit:
 *   "celsius"`, `mask: "unknown"`, `employeeNoString`, `serialNo`, major 5 / minor 75: a captured
 *   `AcsEvent` answer in a PHP/HTML attendance page (search id 8884085028), the vendor SDK's
 *   `byIsAbnomalTemperature` / `fCurrTemperature` in Java and C# integrations, and the EZVIZ open
 *   platform's relayed `"currTemperature":37.2,"isAbnomalTemperature":false`.
 * - Health code: real devices send `"HealthInfo": {"healthCode": 1}`, a number, in the same capture.
 *   No public source found gives the numbers' meaning (the colour list of another vendor's cloud,
 *   HealthCodeVerifyRecord.healthStatus 1 green, 2 yellow, 3 red, is not this field), so it is not read: `healthCode` stays absent, and a
 *   policy that requires a green health code denies at such a terminal (never admits on a guess).
 *   §5's own `healthCode: "green" | "yellow" | "red"` string is not part of this event either.
 * - Re-sent events: `activePostCount` is the only marker found; on cameras it counts the posts of
 *   one ongoing alarm and appears as a string ("38" in node-red-contrib-hikvision-ultimate's
 *   sample, "0" in a Python alertStream client's docstring), so both forms are taken. No
 *   `isOfflineEvent` / `offlineEvent` field appears in any ISAPI material searched; `isRealtime:
 *   false` (§3's marker) is honoured when a firmware sends it.
 */
import { z } from 'zod';
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { type FaceEvent, normalizeFaceEvent, ThermometryUnit } from '../face-mqtt/index.ts';
import { describeIssues } from '../parse.ts';
import { fail, ok, type Result } from '../result.ts';

export const ISAPI_MAJOR_EVENT = 5;
export const ISAPI_SUB_FACE_MATCHED = 75;
export const ISAPI_SUB_FACE_UNKNOWN = 76;
/** Part names of the event JSON in a multipart push (§5: most firmwares, some firmwares). */
export const EVENT_PART_NAMES = ['event_log', 'AccessControllerEvent'] as const;
/** The event JSON is a few hundred bytes; anything near this is not an event. */
export const ISAPI_EVENT_MAX_BYTES = 64 * 1024;

const Inner = z.object({
  majorEventType: z.number().int().nonnegative(),
  subEventType: z.number().int().nonnegative(),
  serialNo: z.number().int().nonnegative().optional(),
  employeeNoString: z.string().max(64).optional(),
  employeeNo: z.union([z.string().max(64), z.number().int().nonnegative()]).optional(),
  name: z.string().max(128).optional(),
  deviceName: z.string().max(128).optional(),
  similarity: z.number().min(0).max(1).optional(),
  mask: z.string().max(32).optional(),
  currTemperature: z.number().optional(),
  thermometryUnit: ThermometryUnit.optional(),
  isAbnomalTemperature: z.boolean().optional(),
  isAbnormalTemperature: z.boolean().optional(),
  remoteCheck: z.boolean().optional(),
  isRealtime: z.boolean().optional(),
  picturesNumber: z.number().int().nonnegative().optional(),
});

const Outer = z.object({
  dateTime: z.iso.datetime({ offset: true }).optional(),
  eventType: z.string().max(128).optional(),
  // A number in most pushes; a string ("38", "0") where firmwares print it so (see the header).
  activePostCount: z
    .union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(/^\d{1,9}$/, 'a count')
        .transform(Number),
    ])
    .optional(),
  ipAddress: z.string().max(64).optional(),
  macAddress: z.string().max(64).optional(),
  AccessControllerEvent: z.unknown().optional(),
});

export interface IsapiFaceEvent {
  kind: 'face';
  event: FaceEvent;
  /** How many times the terminal has posted this event (1 = first delivery). */
  activePostCount: number;
  deviceName: string | undefined;
  ipAddress: string | undefined;
}

export interface IsapiOtherEvent {
  kind: 'other';
  eventType: string;
  majorEventType: number | null;
  subEventType: number | null;
}

export type IsapiEvent = IsapiFaceEvent | IsapiOtherEvent;

const MASKS = new Set(['yes', 'no', 'unknown']);

/** Reads one event JSON (bytes or text). Never throws. */
export function parseIsapiEvent(payload: Uint8Array | string): Result<IsapiEvent> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > ISAPI_EVENT_MAX_BYTES)
    return fail(
      new ProtocolError(C.ISAPI_TOO_LARGE, `event JSON of ${size} bytes > ${ISAPI_EVENT_MAX_BYTES}`),
    );
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (e) {
    return fail(new ProtocolError(C.ISAPI_NOT_JSON, (e as Error).message));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail(new ProtocolError(C.ISAPI_SCHEMA, '(root): expected an object'));
  const outer = Outer.safeParse(json);
  if (!outer.success) return fail(new ProtocolError(C.ISAPI_SCHEMA, describeIssues(outer.error.issues)));
  const o = outer.data;
  const nested = o.AccessControllerEvent !== undefined;
  const innerRaw = nested ? o.AccessControllerEvent : json;
  const eventType = o.eventType ?? (nested ? 'AccessControllerEvent' : '');
  const hasCodes =
    typeof innerRaw === 'object' &&
    innerRaw !== null &&
    'majorEventType' in innerRaw &&
    'subEventType' in innerRaw;
  // Heartbeats, door and tamper events: no access-control codes, nothing to decide.
  if (!hasCodes) return ok({ kind: 'other', eventType, majorEventType: null, subEventType: null });
  const inner = Inner.safeParse(innerRaw);
  if (!inner.success) {
    const prefix = nested ? 'AccessControllerEvent.' : '';
    return fail(
      new ProtocolError(
        C.ISAPI_SCHEMA,
        describeIssues(
          inner.error.issues.map((i) => ({
            ...i,
            path: [...(prefix ? [prefix.slice(0, -1)] : []), ...i.path],
          })),
        ),
      ),
    );
  }
  const e = inner.data;
  const face =
    e.majorEventType === ISAPI_MAJOR_EVENT &&
    (e.subEventType === ISAPI_SUB_FACE_MATCHED || e.subEventType === ISAPI_SUB_FACE_UNKNOWN);
  if (!face)
    return ok({ kind: 'other', eventType, majorEventType: e.majorEventType, subEventType: e.subEventType });
  if (e.serialNo === undefined)
    return fail(
      new ProtocolError(C.ISAPI_SCHEMA, `${nested ? 'AccessControllerEvent.' : ''}serialNo: required`),
    );
  if (o.dateTime === undefined)
    return fail(new ProtocolError(C.ISAPI_SCHEMA, 'dateTime: required, with offset'));
  const matched = e.subEventType === ISAPI_SUB_FACE_MATCHED;
  const employeeNo = matched
    ? (e.employeeNoString ?? (e.employeeNo !== undefined ? String(e.employeeNo) : ''))
    : '';
  const activePostCount = o.activePostCount ?? 1;
  const r = normalizeFaceEvent({
    serialNo: e.serialNo,
    dateTime: o.dateTime,
    employeeNoString: employeeNo,
    name: matched ? e.name : undefined,
    similarity: e.similarity ?? (matched && employeeNo !== '' ? 1 : 0),
    mask: e.mask !== undefined && MASKS.has(e.mask) ? (e.mask as 'yes' | 'no' | 'unknown') : 'unknown',
    currTemperature: e.currTemperature,
    thermometryUnit: e.thermometryUnit,
    isAbnomalTemperature: e.isAbnomalTemperature,
    isAbnormalTemperature: e.isAbnormalTemperature,
    remoteCheck: e.remoteCheck ?? false,
    isRealtime: activePostCount <= 1 && e.isRealtime !== false,
  });
  if (!r.ok)
    return fail(
      new ProtocolError(
        r.error.code === C.MSG_BAD_TEMPERATURE ? C.ISAPI_BAD_TEMPERATURE : C.ISAPI_SCHEMA,
        r.error.message.replace(/^TG_MSG_[A-Z_]+: /, ''),
      ),
    );
  return ok({
    kind: 'face',
    event: r.value,
    activePostCount,
    deviceName: e.deviceName,
    ipAddress: o.ipAddress,
  });
}

/** The fields of an access-control event as the simulator writes them (§5's example). */
export interface IsapiEventFields {
  ipAddress: string;
  portNo?: number;
  macAddress: string;
  dateTime: string;
  activePostCount: number;
  deviceName: string;
  majorEventType: number;
  subEventType: number;
  serialNo: number;
  name?: string;
  employeeNoString?: string;
  mask?: 'yes' | 'no' | 'unknown';
  currTemperature?: number;
  thermometryUnit?: 'celsius' | 'fahrenheit' | 'kelvin';
  isAbnomalTemperature?: boolean;
  remoteCheck: boolean;
  picturesNumber: number;
}

/** §5's JSON layout: envelope fields, then the access-control fields under `AccessControllerEvent`. */
export function encodeIsapiEvent(f: IsapiEventFields): string {
  const inner: Record<string, unknown> = {
    deviceName: f.deviceName,
    majorEventType: f.majorEventType,
    subEventType: f.subEventType,
  };
  if (f.name !== undefined) inner.name = f.name;
  if (f.employeeNoString !== undefined) inner.employeeNoString = f.employeeNoString;
  Object.assign(inner, {
    cardReaderNo: 1,
    serialNo: f.serialNo,
    userType: 'normal',
    currentVerifyMode: 'face',
  });
  if (f.mask !== undefined) inner.mask = f.mask;
  if (f.currTemperature !== undefined) {
    inner.currTemperature = f.currTemperature;
    inner.thermometryUnit = f.thermometryUnit ?? 'celsius';
    inner.isAbnomalTemperature = f.isAbnomalTemperature ?? false;
  }
  inner.remoteCheck = f.remoteCheck;
  inner.picturesNumber = f.picturesNumber;
  return JSON.stringify({
    ipAddress: f.ipAddress,
    portNo: f.portNo ?? 80,
    protocol: 'HTTP',
    macAddress: f.macAddress,
    channelID: 1,
    dateTime: f.dateTime,
    activePostCount: f.activePostCount,
    eventType: 'AccessControllerEvent',
    eventState: 'active',
    eventDescription: 'Access Controller Event',
    AccessControllerEvent: inner,
  });
}
