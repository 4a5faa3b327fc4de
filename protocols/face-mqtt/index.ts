/**
 * The face-recognition terminal's MQTT messages (devices.md §3), field names exactly as the
 * vendor spells them, including `isAbnomalTemperature`. The edge reads events through
 * `parseFaceEvent`, which also converts the terminal's temperature to tenths of °C.
 */
import { z } from 'zod';
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { parsePayload } from '../parse.ts';
import { fail, ok, type Result } from '../result.ts';
import { TENTHS_MAX, TENTHS_MIN, toTenthsCelsius } from '../temperature.ts';

export const MaskState = z.enum(['yes', 'no', 'unknown']);
export const HealthCode = z.enum(['green', 'yellow', 'red']);
export const ThermometryUnit = z.enum(['celsius', 'fahrenheit', 'kelvin']);

/** Wire form of `face/{deviceId}/event`. Unknown extra vendor fields are ignored. */
export const FaceEventWire = z.object({
  serialNo: z.number().int().nonnegative(),
  dateTime: z.iso.datetime({ offset: true }),
  employeeNoString: z.string().max(64),
  name: z.string().max(128).optional(),
  similarity: z.number().min(0).max(1),
  mask: MaskState,
  currTemperature: z.number().optional(),
  thermometryUnit: ThermometryUnit.optional(),
  isAbnomalTemperature: z.boolean().optional(),
  /** The correct spelling, tolerated on input: some firmware versions fixed it. */
  isAbnormalTemperature: z.boolean().optional(),
  healthCode: HealthCode.optional(),
  remoteCheck: z.boolean(),
  isRealtime: z.boolean(),
});
export type FaceEventWire = z.infer<typeof FaceEventWire>;

/** An event as the edge uses it: time as epoch ms, temperature in tenths of °C. */
export interface FaceEvent {
  serialNo: number;
  /** Event time from the terminal (epoch ms). */
  at: number;
  /** The terminal's original timestamp text, offset included. */
  dateTime: string;
  /** "" when the face matched nobody. */
  employeeNo: string;
  name: string;
  similarity: number;
  mask: z.infer<typeof MaskState>;
  /** The terminal's own measurement, when it has a thermometer. */
  temperatureTenths?: number;
  /** The terminal's own verdict on the temperature: informative only, the edge decides. */
  terminalAbnormal?: boolean;
  healthCode?: z.infer<typeof HealthCode>;
  remoteCheck: boolean;
  isRealtime: boolean;
}

export function normalizeFaceEvent(w: FaceEventWire): Result<FaceEvent> {
  let temperatureTenths: number | undefined;
  if (w.currTemperature !== undefined) {
    temperatureTenths = toTenthsCelsius(w.currTemperature, w.thermometryUnit ?? 'celsius');
    // Out of range is refused here, where it can be answered with a code: accepted, it would only
    // fail later when the reading is stored, inside the MQTT callback, on every redelivery.
    if (temperatureTenths === undefined || temperatureTenths < TENTHS_MIN || temperatureTenths > TENTHS_MAX)
      return fail(new ProtocolError(C.MSG_BAD_TEMPERATURE, `currTemperature ${w.currTemperature}`));
  }
  const at = Date.parse(w.dateTime);
  if (!(at >= 0))
    return fail(new ProtocolError(C.MSG_SCHEMA, `dateTime: before 1970 (${w.dateTime.slice(0, 40)})`));
  const ev: FaceEvent = {
    serialNo: w.serialNo,
    at,
    dateTime: w.dateTime,
    employeeNo: w.employeeNoString,
    name: w.name ?? '',
    similarity: w.similarity,
    mask: w.mask,
    remoteCheck: w.remoteCheck,
    isRealtime: w.isRealtime,
  };
  if (temperatureTenths !== undefined) ev.temperatureTenths = temperatureTenths;
  const abnormal = w.isAbnomalTemperature ?? w.isAbnormalTemperature;
  if (abnormal !== undefined) ev.terminalAbnormal = abnormal;
  if (w.healthCode !== undefined) ev.healthCode = w.healthCode;
  return ok(ev);
}

export const FACE_EVENT_MAX_BYTES = 8 * 1024;

export function parseFaceEvent(payload: Uint8Array | string): Result<FaceEvent> {
  const r = parsePayload(FaceEventWire, payload, FACE_EVENT_MAX_BYTES);
  return r.ok ? normalizeFaceEvent(r.value) : r;
}

/** Display text on the terminal's screen: at most 64 characters (code points, not bytes). */
export const DISPLAY_MAX_CHARS = 64;

export const FaceVerdict = z.object({
  serialNo: z.number().int().nonnegative(),
  checkResult: z.enum(['success', 'failed']),
  open: z.boolean(),
  display: z
    .string()
    .refine((s) => [...s].length <= DISPLAY_MAX_CHARS, `at most ${DISPLAY_MAX_CHARS} characters`),
  lang: z.string().min(2).max(16),
});
export type FaceVerdict = z.infer<typeof FaceVerdict>;

/** Cuts display text to the terminal's limit without splitting a character. */
export function fitDisplay(text: string): string {
  const chars = [...text];
  return chars.length <= DISPLAY_MAX_CHARS ? text : chars.slice(0, DISPLAY_MAX_CHARS).join('');
}

export const FaceAck = z.object({ serialNo: z.number().int().nonnegative() });
export type FaceAck = z.infer<typeof FaceAck>;

export type FaceStatus = 'online' | 'offline';

/**
 * `face/{deviceId}/status` is a bare word, retained. Terminals differ on quoting it, so both
 * `online` and `"online"` are accepted.
 */
export function parseFaceStatus(payload: Uint8Array | string): Result<FaceStatus> {
  const text = (typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'))
    .trim()
    .replace(/^"(.*)"$/, '$1');
  if (text === 'online' || text === 'offline') return ok(text);
  return fail(
    new ProtocolError(
      C.MSG_SCHEMA,
      `status must be online or offline, got ${JSON.stringify(text.slice(0, 32))}`,
    ),
  );
}

export const encodeFaceStatus = (s: FaceStatus): string => s;

/** Builds the wire event from friendly fields (used by the simulator and tests). */
export function encodeFaceEvent(e: FaceEventWire): string {
  return JSON.stringify(FaceEventWire.parse(e));
}
