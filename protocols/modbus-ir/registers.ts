/**
 * Register map of the Modbus infrared body thermometer (devices.md §1) as typed values.
 * Temperatures stay integers in tenths of a degree Celsius from the wire to the decision.
 */
export const InputRegister = {
  BodyTemperature: 0x0000,
  AmbientTemperature: 0x0001,
  Status: 0x0002,
  Sequence: 0x0003,
  TargetDistance: 0x0004,
} as const;
export const INPUT_REGISTER_COUNT = 5;

export const HoldingRegister = {
  Emissivity: 0x0010,
  CompensationOffset: 0x0011,
  AveragingWindow: 0x0012,
} as const;
export const HOLDING_REGISTER_FIRST = 0x0010;
export const HOLDING_REGISTER_COUNT = 3;

export const StatusBit = {
  TargetPresent: 1 << 0,
  MeasurementValid: 1 << 1,
  BelowRange: 1 << 2,
  AboveRange: 1 << 3,
  SensorFault: 1 << 4,
} as const;

export const DEFAULT_SLAVE = 1;
export const DEFAULT_BAUD = 9600;
export const DEFAULT_TCP_PORT = 4001;
export const SUPPORTED_BAUD_RATES = [4800, 9600, 19200, 38400, 57600, 115200] as const;
/** The device answers within this bound; a master waits a little longer before calling it silent. */
export const ANSWER_BOUND_MS = 20;

/**
 * Accepted ranges of the holding registers; a write outside them gets exception 0x03.
 * The datasheet fixes only the averaging window; the other two bounds are physical sense
 * (emissivity 0.1..1.0, offset within ±10.0 °C).
 */
export const HoldingRange = {
  [HoldingRegister.Emissivity]: { min: 1000, max: 10000, default: 9800, signed: false },
  [HoldingRegister.CompensationOffset]: { min: -100, max: 100, default: 0, signed: true },
  [HoldingRegister.AveragingWindow]: { min: 1, max: 16, default: 4, signed: false },
} as const;

export const toInt16 = (u: number): number => (u & 0x8000 ? (u & 0xffff) - 0x10000 : u & 0xffff);
export const toUint16 = (i: number): number => i & 0xffff;

export interface IrStatus {
  targetPresent: boolean;
  measurementValid: boolean;
  belowRange: boolean;
  aboveRange: boolean;
  sensorFault: boolean;
}

/** One poll of input registers 0..4. */
export interface IrSnapshot {
  bodyTenths: number;
  ambientTenths: number;
  statusBits: number;
  status: IrStatus;
  sequence: number;
  distanceMm: number;
}

export function decodeStatus(bits: number): IrStatus {
  return {
    targetPresent: (bits & StatusBit.TargetPresent) !== 0,
    measurementValid: (bits & StatusBit.MeasurementValid) !== 0,
    belowRange: (bits & StatusBit.BelowRange) !== 0,
    aboveRange: (bits & StatusBit.AboveRange) !== 0,
    sensorFault: (bits & StatusBit.SensorFault) !== 0,
  };
}

export function encodeStatus(s: Partial<IrStatus>): number {
  return (
    (s.targetPresent ? StatusBit.TargetPresent : 0) |
    (s.measurementValid ? StatusBit.MeasurementValid : 0) |
    (s.belowRange ? StatusBit.BelowRange : 0) |
    (s.aboveRange ? StatusBit.AboveRange : 0) |
    (s.sensorFault ? StatusBit.SensorFault : 0)
  );
}

/** Decodes the five input registers; returns undefined when fewer were read. */
export function decodeInputRegisters(regs: readonly number[]): IrSnapshot | undefined {
  if (regs.length < INPUT_REGISTER_COUNT) return undefined;
  const [body, ambient, status, sequence, distance] = regs as [number, number, number, number, number];
  return {
    bodyTenths: toInt16(body),
    ambientTenths: toInt16(ambient),
    statusBits: status,
    status: decodeStatus(status),
    sequence,
    distanceMm: distance,
  };
}

export function encodeInputRegisters(s: Omit<IrSnapshot, 'status'>): number[] {
  return [
    toUint16(s.bodyTenths),
    toUint16(s.ambientTenths),
    s.statusBits & 0xffff,
    s.sequence & 0xffff,
    s.distanceMm & 0xffff,
  ];
}

/** True when a poll carries a measurement the previous poll did not (datasheet rule). */
export function isNewMeasurement(prev: IrSnapshot | undefined, next: IrSnapshot): boolean {
  return next.status.measurementValid && (prev === undefined || prev.sequence !== next.sequence);
}

export interface IrSettings {
  /** 0.0001 units. */
  emissivity: number;
  offsetTenths: number;
  averagingWindow: number;
}

export function decodeHoldingRegisters(regs: readonly number[]): IrSettings | undefined {
  if (regs.length < HOLDING_REGISTER_COUNT) return undefined;
  const [e, o, a] = regs as [number, number, number];
  return { emissivity: e, offsetTenths: toInt16(o), averagingWindow: a };
}
