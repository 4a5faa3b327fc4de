/**
 * Test-only fake devices built from the protocol codecs (not from firmware-sim/, so the drivers are
 * checked against the datasheet's encoding rather than against another implementation of it).
 */
import {
  decodeRequest,
  encodeInputRegisters,
  encodeResponse,
  encodeStatus,
  FunctionCode,
  HOLDING_REGISTER_FIRST,
  type IrStatus,
  RtuStreamDecoder,
} from '../../../protocols/modbus-ir/index.ts';

export interface IrDeviceState {
  slave: number;
  bodyTenths: number;
  ambientTenths: number;
  status: Partial<IrStatus>;
  sequence: number;
  distanceMm: number;
  holding: [number, number, number];
  /** When false the device stays silent (cable cut on the bus). */
  answering: boolean;
  /** Answer every poll with this exception code instead. */
  exception?: number;
}

/** A Modbus IR thermometer: feed it request bytes, it returns the answer bytes (or nothing). */
export class FakeIrDevice {
  readonly state: IrDeviceState = {
    slave: 1,
    bodyTenths: 366,
    ambientTenths: 251,
    status: { targetPresent: true, measurementValid: true },
    sequence: 258,
    distanceMm: 450,
    holding: [9800, 0, 4],
    answering: true,
  };
  requests = 0;
  private readonly decoder = new RtuStreamDecoder('request');

  /** A completed measurement: new value, sequence + 1 (wrapping). */
  measure(
    bodyTenths: number,
    status: Partial<IrStatus> = { targetPresent: true, measurementValid: true },
  ): void {
    this.state.bodyTenths = bodyTenths;
    this.state.status = status;
    this.state.sequence = (this.state.sequence + 1) & 0xffff;
  }

  receive(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const frame of this.decoder.push(bytes)) {
      const r = decodeRequest(frame);
      if (!r.ok || r.value.slave !== this.state.slave) continue;
      this.requests++;
      if (!this.state.answering) continue;
      const req = r.value;
      const slave = this.state.slave;
      if (this.state.exception !== undefined) {
        out.push(encodeResponse({ slave, fn: req.fn, exception: this.state.exception }));
      } else if (req.fn === FunctionCode.ReadInputRegisters && 'quantity' in req) {
        const s = this.state;
        const regs = encodeInputRegisters({
          bodyTenths: s.bodyTenths,
          ambientTenths: s.ambientTenths,
          statusBits: encodeStatus(s.status),
          sequence: s.sequence,
          distanceMm: s.distanceMm,
        });
        out.push(
          encodeResponse({
            slave,
            fn: FunctionCode.ReadInputRegisters,
            registers: regs.slice(req.address, req.address + req.quantity),
          }),
        );
      } else if (
        req.fn === FunctionCode.ReadHoldingRegisters &&
        'quantity' in req &&
        req.address === HOLDING_REGISTER_FIRST
      ) {
        out.push(
          encodeResponse({
            slave,
            fn: FunctionCode.ReadHoldingRegisters,
            registers: this.state.holding.slice(0, req.quantity),
          }),
        );
      } else {
        out.push(encodeResponse({ slave, fn: req.fn, exception: 0x01 }));
      }
    }
    return out;
  }
}
