/**
 * The Modbus IR thermometer's protocol state, without I/O or timers: which request goes next, what
 * an answer means (new measurement, settings, exception, someone else's frame) and the link state.
 * The driver feeds it frames, timeouts and link changes and carries out what it returns.
 *
 * Measurement rule (devices.md §1): new when the sequence register changed since the previous poll
 * and the valid bit is set. Answers whose status says fault / below / above range are also reported
 * when the sequence changed, so the gate can ask for a re-measure. The first poll after (re)connect
 * or after an outage is only a baseline: its reading may be minutes old and must not be paired with
 * whoever stands at the gate now.
 */
import {
  decodeHoldingRegisters,
  decodeInputRegisters,
  decodeResponse,
  encodeRequest,
  FunctionCode,
  HOLDING_REGISTER_COUNT,
  INPUT_REGISTER_COUNT,
  type IrSettings,
  type IrSnapshot,
  isNewMeasurement,
  pollRequest,
  readSettingsRequest,
} from '../../protocols/modbus-ir/index.ts';
import { LinkHealth } from './link-health.ts';
import type { Measurement, ThermometerLinkState } from './types.ts';

export type RequestKind = 'poll' | 'settings';

export type FrameKind =
  /** Input registers 0..4 from our slave. */
  | 'data'
  /** Holding registers 0x10..0x12 from our slave. */
  | 'settings'
  /** Exception response from our slave. */
  | 'exception'
  /** A well-formed frame from another slave address. */
  | 'wrong-slave'
  /** Framed and CRC-correct but inconsistent (see decodeResponse). */
  | 'malformed'
  /** From our slave but not an answer we ask for (wrong function or register count). */
  | 'unexpected';

export interface FrameOutcome {
  kind: FrameKind;
  /** Ends the request in flight (the answer matches what was asked). */
  completes: boolean;
  measurement?: Measurement;
  settings?: IrSettings;
  /** Exception code, for 'exception'. */
  exception?: number;
  /** New link state, when it changed. */
  state?: ThermometerLinkState;
  /** The target (a person) was present at the previous poll and is gone now. */
  targetLeft?: boolean;
  /** With targetLeft: when that previous poll's answer came (the last time the target was seen). */
  targetSeenAt?: number;
}

export interface ModbusIrSessionOptions {
  slave: number;
  offlineAfterTimeouts: number;
  /** Read emissivity/offset/averaging once after each (re)connect, for provenance. */
  readSettings: boolean;
}

export class ModbusIrSession {
  readonly health: LinkHealth;
  /** Last settings read from the device; null until read (or when the read failed). */
  settings: IrSettings | null = null;
  private prev: IrSnapshot | undefined;
  private prevAt = 0;
  private lastFault = false;
  private expecting: RequestKind | undefined;
  private settingsWanted = false;
  private readonly frames: Record<RequestKind, Uint8Array>;

  constructor(private readonly o: ModbusIrSessionOptions) {
    this.health = new LinkHealth(o.offlineAfterTimeouts);
    this.frames = {
      poll: encodeRequest(pollRequest(o.slave)),
      settings: encodeRequest(readSettingsRequest(o.slave)),
    };
  }

  get state(): ThermometerLinkState {
    return this.health.state;
  }

  /** The request to send now; settings are read once the device has answered a poll. */
  nextRequest(): { kind: RequestKind; frame: Uint8Array } {
    const kind: RequestKind = this.settingsWanted && this.health.state !== 'offline' ? 'settings' : 'poll';
    this.expecting = kind;
    return { kind, frame: this.frames[kind] };
  }

  onFrame(frame: Uint8Array, at: number): FrameOutcome {
    const r = decodeResponse(frame);
    if (!r.ok) return { kind: 'malformed', completes: false };
    const res = r.value;
    if (res.slave !== this.o.slave) return { kind: 'wrong-slave', completes: false };
    const expecting = this.expecting;

    if ('exception' in res) {
      const askedFn =
        expecting === 'settings' ? FunctionCode.ReadHoldingRegisters : FunctionCode.ReadInputRegisters;
      const completes = expecting !== undefined && res.fn === askedFn;
      if (completes) this.finish(expecting);
      // An exception still proves the device is there; keep the last known fault bit.
      return {
        kind: 'exception',
        completes,
        exception: res.exception,
        state: this.health.answered(this.lastFault),
      };
    }

    if (
      res.fn === FunctionCode.ReadInputRegisters &&
      'registers' in res &&
      res.registers.length === INPUT_REGISTER_COUNT
    ) {
      const completes = expecting === 'poll';
      if (completes) this.finish('poll');
      const snap = decodeInputRegisters(res.registers) as IrSnapshot;
      this.lastFault = snap.status.sensorFault;
      const state = this.health.answered(snap.status.sensorFault);
      const prev = this.prev;
      const prevAt = this.prevAt;
      this.prev = snap;
      this.prevAt = at;
      const measurement = prev && this.isReportable(prev, snap) ? toMeasurement(snap, at) : undefined;
      const targetLeft = (prev?.status.targetPresent ?? false) && !snap.status.targetPresent;
      return {
        kind: 'data',
        completes,
        state,
        measurement,
        ...(targetLeft ? { targetLeft, targetSeenAt: prevAt } : {}),
      };
    }

    if (
      res.fn === FunctionCode.ReadHoldingRegisters &&
      'registers' in res &&
      res.registers.length === HOLDING_REGISTER_COUNT
    ) {
      const completes = expecting === 'settings';
      if (completes) this.finish('settings');
      this.settings = decodeHoldingRegisters(res.registers) ?? null;
      return {
        kind: 'settings',
        completes,
        settings: this.settings ?? undefined,
        state: this.health.answered(this.lastFault),
      };
    }

    return { kind: 'unexpected', completes: false };
  }

  /** The request in flight got no answer. */
  onTimeout(): { state?: ThermometerLinkState } {
    // A device that cannot answer the settings read is not asked again until the next connect.
    if (this.expecting === 'settings') this.settingsWanted = false;
    this.expecting = undefined;
    const state = this.health.missed();
    if (state === 'offline') {
      // Whatever answers next may be another device (or the same one, re-configured).
      this.prev = undefined;
      this.settingsWanted = this.o.readSettings;
    }
    return { state };
  }

  onLinkUp(): void {
    this.prev = undefined;
    this.expecting = undefined;
    this.settingsWanted = this.o.readSettings;
  }

  onLinkDown(): { state?: ThermometerLinkState } {
    this.prev = undefined;
    this.expecting = undefined;
    return { state: this.health.down() };
  }

  private finish(kind: RequestKind): void {
    this.expecting = undefined;
    if (kind === 'settings') this.settingsWanted = false;
  }

  private isReportable(prev: IrSnapshot, next: IrSnapshot): boolean {
    if (isNewMeasurement(prev, next)) return true;
    const s = next.status;
    return prev.sequence !== next.sequence && (s.sensorFault || s.belowRange || s.aboveRange);
  }
}

function toMeasurement(s: IrSnapshot, at: number): Measurement {
  return {
    at,
    sensor: 'modbus-ir',
    rawTenths: s.bodyTenths,
    ambientTenths: s.ambientTenths,
    sensorSeq: s.sequence,
    valid: s.status.measurementValid,
    sensorFault: s.status.sensorFault,
    belowRange: s.status.belowRange,
    aboveRange: s.status.aboveRange,
    distanceMm: s.distanceMm,
  };
}
