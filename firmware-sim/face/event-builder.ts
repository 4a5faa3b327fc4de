/**
 * Builds the terminal's `face/{id}/event` payload (devices.md §3) from a person in front of it.
 * Pure, so the exact wire shape is unit-testable without a broker.
 */
import { FaceEventWire } from '../../protocols/face-mqtt/index.ts';
import { describeIssues } from '../../protocols/parse.ts';
import { DEFAULT_FEVER_THRESHOLD_TENTHS, type ThermometryUnit } from '../../protocols/temperature.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { formatIsoWithOffset } from '../time.ts';

export type MaskState = 'yes' | 'no' | 'unknown';
export type HealthCodeColour = 'green' | 'yellow' | 'red';

/** Who stands in front of the terminal. */
export interface FacePerson {
  /** HR's employee number. Sent as `employeeNoString` only when the face is recognised. */
  employeeNo: string;
  name?: string;
  /** Whether the terminal's face library matches this person (default: employeeNo is not empty). */
  recognised?: boolean;
  /** Match score 0..1 (default 0.93 recognised, 0.42 not). */
  similarity?: number;
  mask?: MaskState;
  /** The body temperature the terminal's own thermometer reads, tenths °C (built-in only). */
  temperatureTenths?: number;
  healthCode?: HealthCodeColour;
}

/** A terminal model with its own thermometer (the optional currTemperature fields). */
export interface BuiltInThermometer {
  unit?: ThermometryUnit;
  /** The terminal's own abnormal threshold, tenths °C (default 373). */
  abnormalTenths?: number;
}

export interface BuildEventInput {
  person: FacePerson;
  serialNo: number;
  atMs: number;
  utcOffsetMinutes: number;
  remoteCheck: boolean;
  isRealtime: boolean;
  thermometer?: BuiltInThermometer;
}

/** Tenths °C in the terminal's unit, rounded the way the edge's toTenthsCelsius inverts exactly. */
export function fromTenthsCelsius(tenths: number, unit: ThermometryUnit): number {
  switch (unit) {
    case 'celsius':
      return tenths / 10;
    case 'fahrenheit':
      // One decimal in °F: round-trips to the same tenths of °C (0.05 °F < 0.05 °C).
      return Math.round(tenths * 1.8 + 320) / 10;
    case 'kelvin':
      return (tenths * 10 + 27315) / 100;
  }
}

export function isRecognised(p: FacePerson): boolean {
  return p.recognised ?? p.employeeNo !== '';
}

export function buildFaceEvent(input: BuildEventInput): FaceEventWire {
  const { person, thermometer } = input;
  const recognised = isRecognised(person);
  const ev: FaceEventWire = {
    serialNo: input.serialNo,
    dateTime: formatIsoWithOffset(input.atMs, input.utcOffsetMinutes),
    employeeNoString: recognised ? person.employeeNo : '',
    similarity: person.similarity ?? (recognised ? 0.93 : 0.42),
    mask: person.mask ?? 'yes',
    remoteCheck: input.remoteCheck,
    isRealtime: input.isRealtime,
  };
  // An unmatched face has no name in the terminal's library; sending one would leak the scenario.
  if (recognised && person.name) ev.name = person.name;
  if (thermometer && person.temperatureTenths !== undefined) {
    const unit = thermometer.unit ?? 'celsius';
    ev.currTemperature = fromTenthsCelsius(person.temperatureTenths, unit);
    ev.thermometryUnit = unit;
    ev.isAbnomalTemperature =
      person.temperatureTenths >= (thermometer.abnormalTenths ?? DEFAULT_FEVER_THRESHOLD_TENTHS);
  }
  if (person.healthCode) ev.healthCode = person.healthCode;
  const checked = FaceEventWire.safeParse(ev);
  if (!checked.success)
    throw new SimError(SimErrorCode.WIRE_SCHEMA, `face event: ${describeIssues(checked.error.issues)}`);
  return ev;
}
