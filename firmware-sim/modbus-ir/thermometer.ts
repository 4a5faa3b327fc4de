/**
 * The Modbus RTU infrared body thermometer (devices.md §1), device side, as a state machine with no
 * I/O: `handleRequestFrame(bytes)` returns the answer bytes or undefined (no answer). Transports
 * (serial, TCP) and timing (answer delay, inter-frame silence) live in slave-endpoint.ts.
 *
 * Model of a measurement: a person steps up (`presentTarget`) → b0 set, b1 cleared while the sensor
 * settles; after `settleMs` the measurement completes: the reading is latched, the sequence register
 * goes +1 and b1 is set (or b2/b3 when the reading is outside the measurable range). The person
 * leaves (`removeTarget`) → b0 and b1 cleared; the body register keeps the last reading.
 */
import {
  ExceptionCode,
  FunctionCode,
  HOLDING_REGISTER_COUNT,
  HOLDING_REGISTER_FIRST,
  HoldingRange,
  HoldingRegister,
  INPUT_REGISTER_COUNT,
  MAX_READ_QUANTITY,
  StatusBit,
  crcMatches,
  decodeRequest,
  encodeResponse,
  toInt16,
  toUint16,
  type ModbusRequest,
  type ModbusResponse,
} from '../../protocols/modbus-ir/index.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import type { Random } from '../rng.ts';

export type RangeFault = 'below' | 'above';

export interface ModbusIrThermometerOptions {
  /** Slave address, 1..247 (default 1). */
  slave?: number;
  /** What the sensor sees on the next measurement, raw (before the offset), tenths °C. Default 366. */
  bodyTenths?: number;
  /** Ambient temperature, tenths °C. Default 251. */
  ambientTenths?: number;
  /** Target distance reported while a target is present, mm. Default 450. */
  distanceMm?: number;
  /** Initial value of the sequence register (default 0). */
  sequence?: number;
  /** Time from target present to completed measurement, ms (default 300; 0 = immediate). */
  settleMs?: number;
  /**
   * Raw readings outside this range complete with b2/b3 instead of b1. Default 32.0..42.9 °C, the
   * usual span of body IR thermometers; the datasheet gives no numbers.
   */
  measurableRange?: { minTenths: number; maxTenths: number };
  /** Initial holding registers (validated against HoldingRange). */
  emissivity?: number;
  offsetTenths?: number;
  averagingWindow?: number;
  /** Source of randomness for the CRC-corruption rate (default Math.random). */
  random?: Random;
  logger?: Logger;
}

/** Result of one measurement cycle started by presentTarget/measureNow. */
export interface MeasurementResult {
  /** false when the cycle was aborted (target removed, sensor fault) before it completed. */
  completed: boolean;
  /** Sequence register after completion (unchanged when not completed). */
  sequence: number;
  /** Raw value the sensor latched, tenths °C. */
  rawTenths: number;
  /** Body register as a master reads it right after completion (offset applied), tenths °C. */
  reportedTenths: number;
  /** Status register right after completion. */
  statusBits: number;
  /** Why it did not complete. */
  abortedBy?: 'target-removed' | 'sensor-fault' | 'superseded';
}

export interface ThermometerFaults {
  sensorFault: boolean;
  range: RangeFault | undefined;
  silent: boolean;
  /** Answers still to be sent with a corrupted CRC. */
  corruptNext: number;
  /** Probability (0..1) that any answer gets a corrupted CRC. */
  corruptRate: number;
  /** Extra delay before each answer, ms (the datasheet bound is 20 ms; more is a fault). */
  answerDelayMs: number;
}

export interface ThermometerStats {
  requests: number;
  answers: number;
  exceptions: number;
  /** Frames for another slave or with a bad CRC. */
  ignored: number;
  /** Answers swallowed by the silent fault. */
  silenced: number;
  corrupted: number;
  measurements: number;
}

interface Pending {
  timer: NodeJS.Timeout | undefined;
  done: (r: MeasurementResult) => void;
  bodyTenths: number;
}

const DEFAULT_RANGE = { minTenths: 320, maxTenths: 429 };

export class ModbusIrThermometer {
  readonly slave: number;
  readonly stats: ThermometerStats = {
    requests: 0,
    answers: 0,
    exceptions: 0,
    ignored: 0,
    silenced: 0,
    corrupted: 0,
    measurements: 0,
  };
  private readonly faults: ThermometerFaults = {
    sensorFault: false,
    range: undefined,
    silent: false,
    corruptNext: 0,
    corruptRate: 0,
    answerDelayMs: 0,
  };
  private readonly log: Logger;
  private readonly random: Random;
  private readonly range: { minTenths: number; maxTenths: number };
  private settleMs: number;
  private bodyTenths: number;
  private ambientTenths: number;
  private distanceMm: number;
  private sequence: number;
  /** Raw reading of the last completed measurement. */
  private latchedRaw = 0;
  private targetPresent = false;
  private measurementValid = false;
  private belowRange = false;
  private aboveRange = false;
  private readonly holding = new Map<number, number>();
  private pending: Pending | undefined;

  constructor(opts: ModbusIrThermometerOptions = {}) {
    this.slave = opts.slave ?? 1;
    if (!Number.isInteger(this.slave) || this.slave < 1 || this.slave > 247)
      throw new SimError(SimErrorCode.BAD_OPTION, `slave address must be 1..247, got ${opts.slave}`);
    this.bodyTenths = opts.bodyTenths ?? 366;
    this.ambientTenths = opts.ambientTenths ?? 251;
    this.distanceMm = opts.distanceMm ?? 450;
    this.sequence = (opts.sequence ?? 0) & 0xffff;
    this.settleMs = opts.settleMs ?? 300;
    this.range = opts.measurableRange ?? DEFAULT_RANGE;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger ?? childLogger('modbus-ir', { slave: this.slave });
    for (const [addr, r] of Object.entries(HoldingRange)) this.holding.set(Number(addr), r.default);
    if (opts.emissivity !== undefined) this.setHolding(HoldingRegister.Emissivity, opts.emissivity);
    if (opts.offsetTenths !== undefined)
      this.setHolding(HoldingRegister.CompensationOffset, opts.offsetTenths);
    if (opts.averagingWindow !== undefined)
      this.setHolding(HoldingRegister.AveragingWindow, opts.averagingWindow);
  }

  // ---- wire side -------------------------------------------------------------------------------

  /**
   * One whole request frame (CRC included) in, the answer frame out, or undefined when the device
   * stays quiet (other slave, bad CRC, malformed, silent fault). Never throws.
   */
  handleRequestFrame(frame: Uint8Array): Uint8Array | undefined {
    // Address first: on a shared RS-485 bus a slave must not even count other slaves' traffic as bad.
    if (frame.length < 4 || !crcMatches(frame, 0, frame.length) || frame[0] !== this.slave) {
      this.stats.ignored++;
      return undefined;
    }
    const decoded = decodeRequest(frame);
    if (!decoded.ok) {
      // Right function, wrong length: a garbled frame that happened to pass the CRC. Stay quiet.
      this.stats.ignored++;
      this.log.debug({ err: decoded.error.message }, 'malformed request ignored');
      return undefined;
    }
    this.stats.requests++;
    const res = this.answer(decoded.value);
    if ('exception' in res) this.stats.exceptions++;
    return this.deliver(encodeResponse(res));
  }

  private answer(req: ModbusRequest): ModbusResponse {
    const slave = this.slave;
    const exception = (code: number): ModbusResponse => ({ slave, fn: req.fn, exception: code });
    if ('quantity' in req) {
      if (req.quantity < 1 || req.quantity > MAX_READ_QUANTITY)
        return exception(ExceptionCode.IllegalDataValue);
      const input = req.fn === FunctionCode.ReadInputRegisters;
      const first = input ? 0 : HOLDING_REGISTER_FIRST;
      const count = input ? INPUT_REGISTER_COUNT : HOLDING_REGISTER_COUNT;
      // The whole requested range must lie inside the map; a partial overlap is still 0x02.
      if (req.address < first || req.address + req.quantity > first + count)
        return exception(ExceptionCode.IllegalDataAddress);
      const regs = input ? this.inputRegisters() : this.holdingRegisters();
      return {
        slave,
        fn: req.fn,
        registers: regs.slice(req.address - first, req.address - first + req.quantity),
      };
    }
    if ('value' in req) {
      const range = HoldingRange[req.address as keyof typeof HoldingRange];
      if (!range) return exception(ExceptionCode.IllegalDataAddress);
      const v = range.signed ? toInt16(req.value) : req.value;
      if (v < range.min || v > range.max) return exception(ExceptionCode.IllegalDataValue);
      this.holding.set(req.address, v);
      this.log.info({ register: req.address, value: v }, 'holding register written');
      return { slave, fn: req.fn, address: req.address, value: req.value };
    }
    return exception(ExceptionCode.IllegalFunction);
  }

  /** Applies the answer-side faults (silence, CRC corruption) to a correct answer. */
  private deliver(answer: Uint8Array): Uint8Array | undefined {
    if (this.faults.silent) {
      this.stats.silenced++;
      return undefined;
    }
    let corrupt = false;
    if (this.faults.corruptNext > 0) {
      this.faults.corruptNext--;
      corrupt = true;
    } else if (this.faults.corruptRate > 0 && this.random() < this.faults.corruptRate) corrupt = true;
    if (corrupt) {
      // Flip the CRC's high byte: the frame keeps its length, so a master times out on the CRC
      // check rather than on framing — the usual symptom of a noisy RS-485 line.
      answer[answer.length - 1] = (answer[answer.length - 1] as number) ^ 0xff;
      this.stats.corrupted++;
    }
    this.stats.answers++;
    return answer;
  }

  /** The five input registers as a master would read them now. */
  inputRegisters(): number[] {
    return [
      toUint16(this.latchedRaw + this.offsetTenths),
      toUint16(this.ambientTenths),
      this.statusBits(),
      this.sequence,
      this.targetPresent ? this.distanceMm & 0xffff : 0,
    ];
  }

  holdingRegisters(): number[] {
    const out: number[] = [];
    for (let a = HOLDING_REGISTER_FIRST; a < HOLDING_REGISTER_FIRST + HOLDING_REGISTER_COUNT; a++)
      out.push(toUint16(this.holding.get(a) ?? 0));
    return out;
  }

  statusBits(): number {
    return (
      (this.targetPresent ? StatusBit.TargetPresent : 0) |
      (this.measurementValid && !this.faults.sensorFault ? StatusBit.MeasurementValid : 0) |
      (this.belowRange ? StatusBit.BelowRange : 0) |
      (this.aboveRange ? StatusBit.AboveRange : 0) |
      (this.faults.sensorFault ? StatusBit.SensorFault : 0)
    );
  }

  get offsetTenths(): number {
    return this.holding.get(HoldingRegister.CompensationOffset) ?? 0;
  }

  get currentSequence(): number {
    return this.sequence;
  }

  // ---- physical side ---------------------------------------------------------------------------

  /** Sets what the sensor will read on the next measurement (raw, before offset). */
  setTemperature(bodyTenths: number, ambientTenths?: number): void {
    this.bodyTenths = bodyTenths;
    if (ambientTenths !== undefined) this.ambientTenths = ambientTenths;
  }

  setAmbient(ambientTenths: number): void {
    this.ambientTenths = ambientTenths;
  }

  setDistance(mm: number): void {
    this.distanceMm = mm;
  }

  setSettleMs(ms: number): void {
    this.settleMs = ms;
  }

  /** Writes a holding register as the panel/installer would (same range check as 0x06). */
  setHolding(address: number, value: number): void {
    const range = HoldingRange[address as keyof typeof HoldingRange];
    if (!range)
      throw new SimError(SimErrorCode.BAD_OPTION, `0x${address.toString(16)} is not a holding register`);
    if (!Number.isInteger(value) || value < range.min || value > range.max)
      throw new SimError(
        SimErrorCode.BAD_OPTION,
        `register 0x${address.toString(16)} accepts ${range.min}..${range.max}, got ${value}`,
      );
    this.holding.set(address, value);
  }

  /**
   * A person steps up. Resolves when the measurement completes (after settleMs) or is aborted.
   * A target already present is measured again (a new cycle supersedes the pending one).
   */
  presentTarget(
    opts: { bodyTenths?: number; distanceMm?: number; settleMs?: number } = {},
  ): Promise<MeasurementResult> {
    return new Promise((resolve) => this.startCycle(opts, resolve));
  }

  /** Target present and measured at once (no settle): the synchronous form for tests and the CLI. */
  measureNow(bodyTenths?: number): MeasurementResult {
    let result: MeasurementResult | undefined;
    this.startCycle({ bodyTenths, settleMs: 0 }, (r) => {
      result = r;
    });
    return result as MeasurementResult; // settle 0: the cycle finished synchronously
  }

  private startCycle(
    opts: { bodyTenths?: number; distanceMm?: number; settleMs?: number },
    done: (r: MeasurementResult) => void,
  ): void {
    if (opts.bodyTenths !== undefined) this.bodyTenths = opts.bodyTenths;
    if (opts.distanceMm !== undefined) this.distanceMm = opts.distanceMm;
    this.abortPending('superseded');
    this.targetPresent = true;
    this.measurementValid = false;
    this.belowRange = false;
    this.aboveRange = false;
    const settle = opts.settleMs ?? this.settleMs;
    const p: Pending = { timer: undefined, done, bodyTenths: this.bodyTenths };
    this.pending = p;
    if (settle <= 0) this.complete(p);
    else p.timer = setTimeout(() => this.complete(p), settle);
  }

  /** The person leaves: no target, no valid measurement; the body register keeps its last value. */
  removeTarget(): void {
    this.abortPending('target-removed');
    this.targetPresent = false;
    this.measurementValid = false;
    this.belowRange = false;
    this.aboveRange = false;
  }

  get hasTarget(): boolean {
    return this.targetPresent;
  }

  private complete(p: Pending): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    if (this.faults.sensorFault) {
      p.done(this.lastResult(false, 'sensor-fault'));
      return;
    }
    this.latchedRaw = p.bodyTenths;
    const forced = this.faults.range;
    this.belowRange = forced === 'below' || (forced === undefined && p.bodyTenths < this.range.minTenths);
    this.aboveRange = forced === 'above' || (forced === undefined && p.bodyTenths > this.range.maxTenths);
    this.measurementValid = !this.belowRange && !this.aboveRange;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.stats.measurements++;
    const r = this.lastResult(true);
    this.log.debug(
      { sequence: r.sequence, reported: r.reportedTenths, status: r.statusBits },
      'measurement completed',
    );
    p.done(r);
  }

  private lastResult(completed: boolean, abortedBy?: MeasurementResult['abortedBy']): MeasurementResult {
    const r: MeasurementResult = {
      completed,
      sequence: this.sequence,
      rawTenths: this.latchedRaw,
      reportedTenths: this.latchedRaw + this.offsetTenths,
      statusBits: this.statusBits(),
    };
    if (abortedBy) r.abortedBy = abortedBy;
    return r;
  }

  private abortPending(why: NonNullable<MeasurementResult['abortedBy']>): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    p.done(this.lastResult(false, why));
  }

  // ---- fault injection -------------------------------------------------------------------------

  /** b4 on: measurements stop completing and b1 reads 0 until the fault clears. */
  setSensorFault(on: boolean): void {
    this.faults.sensorFault = on;
    this.log.info({ on }, 'fault: sensor fault');
  }

  /** Forces every completed measurement below/above range (b2/b3, no b1); undefined = natural. */
  setRangeFault(range: RangeFault | undefined): void {
    this.faults.range = range;
    this.log.info({ range: range ?? 'none' }, 'fault: range');
  }

  /** No answer to anything while on (the device still hears and applies writes). */
  setSilent(on: boolean): void {
    this.faults.silent = on;
    this.log.info({ on }, 'fault: silent');
  }

  /** The next `n` answers go out with a wrong CRC. */
  corruptNextAnswers(n: number): void {
    this.faults.corruptNext = Math.max(0, Math.floor(n));
    this.log.info({ n }, 'fault: corrupt next answers');
  }

  /** Each answer gets a wrong CRC with this probability (0 disables). */
  setCorruptRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1))
      throw new SimError(SimErrorCode.BAD_OPTION, `corrupt rate must be 0..1, got ${rate}`);
    this.faults.corruptRate = rate;
    this.log.info({ rate }, 'fault: corrupt rate');
  }

  /** Delay before each answer, ms; above 20 ms the device breaks its own datasheet on purpose. */
  setAnswerDelay(ms: number): void {
    this.faults.answerDelayMs = Math.max(0, ms);
    this.log.info({ ms }, 'fault: answer delay');
  }

  get answerDelayMs(): number {
    return this.faults.answerDelayMs;
  }

  /** Clears every injected fault. */
  clearFaults(): void {
    Object.assign(this.faults, {
      sensorFault: false,
      range: undefined,
      silent: false,
      corruptNext: 0,
      corruptRate: 0,
      answerDelayMs: 0,
    } satisfies ThermometerFaults);
  }

  faultState(): Readonly<ThermometerFaults> {
    return { ...this.faults };
  }

  /** Stops the settle timer so a stopped simulator leaves no timer behind. */
  dispose(): void {
    this.abortPending('target-removed');
  }
}
