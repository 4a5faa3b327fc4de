/**
 * Modbus RTU application frames for the three functions the thermometer supports, as pure
 * encode/decode on whole frames (CRC included). Stream framing lives in rtu-stream.ts.
 */
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { crcMatches, withCrc } from './crc16.ts';

export const FunctionCode = {
  ReadHoldingRegisters: 0x03,
  ReadInputRegisters: 0x04,
  WriteSingleRegister: 0x06,
} as const;

export const ExceptionCode = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
} as const;

/** Largest quantity a read may ask for (Modbus limit: 125 registers in one 256-byte frame). */
export const MAX_READ_QUANTITY = 125;

export type ReadFunction = typeof FunctionCode.ReadHoldingRegisters | typeof FunctionCode.ReadInputRegisters;

export type ModbusRequest =
  | { slave: number; fn: ReadFunction; address: number; quantity: number }
  | { slave: number; fn: typeof FunctionCode.WriteSingleRegister; address: number; value: number }
  /** Any other function: a slave must still be able to see it to answer "illegal function". */
  | { slave: number; fn: number; data: Uint8Array };

export type ModbusResponse =
  | { slave: number; fn: ReadFunction; registers: number[] }
  | { slave: number; fn: typeof FunctionCode.WriteSingleRegister; address: number; value: number }
  /** `fn` is the function that failed (without the 0x80 bit). */
  | { slave: number; fn: number; exception: number };

const isRead = (fn: number): fn is ReadFunction =>
  fn === FunctionCode.ReadHoldingRegisters || fn === FunctionCode.ReadInputRegisters;

const u16 = (b: Uint8Array, i: number) => ((b[i] as number) << 8) | (b[i + 1] as number);

export function encodeRequest(req: ModbusRequest): Uint8Array {
  if ('data' in req) return withCrc(Uint8Array.of(req.slave, req.fn, ...req.data));
  const second = 'quantity' in req ? req.quantity : req.value;
  return withCrc(
    Uint8Array.of(
      req.slave,
      req.fn,
      req.address >>> 8,
      req.address & 0xff,
      (second >>> 8) & 0xff,
      second & 0xff,
    ),
  );
}

export function encodeResponse(res: ModbusResponse): Uint8Array {
  if ('exception' in res) return withCrc(Uint8Array.of(res.slave, res.fn | 0x80, res.exception));
  if ('registers' in res) {
    const body = new Uint8Array(3 + res.registers.length * 2);
    body[0] = res.slave;
    body[1] = res.fn;
    body[2] = res.registers.length * 2;
    res.registers.forEach((r, i) => {
      body[3 + i * 2] = (r >>> 8) & 0xff;
      body[4 + i * 2] = r & 0xff;
    });
    return withCrc(body);
  }
  return withCrc(
    Uint8Array.of(
      res.slave,
      res.fn,
      res.address >>> 8,
      res.address & 0xff,
      (res.value >>> 8) & 0xff,
      res.value & 0xff,
    ),
  );
}

function checkFrame(frame: Uint8Array, min: number): ProtocolError | undefined {
  if (frame.length < min) return new ProtocolError(C.MODBUS_TRUNCATED, `frame of ${frame.length} bytes`);
  if (!crcMatches(frame, 0, frame.length)) return new ProtocolError(C.MODBUS_BAD_CRC, 'CRC mismatch');
  return undefined;
}

export function decodeRequest(frame: Uint8Array): Result<ModbusRequest> {
  const bad = checkFrame(frame, 4);
  if (bad) return fail(bad);
  const slave = frame[0] as number;
  const fn = frame[1] as number;
  if (isRead(fn) || fn === FunctionCode.WriteSingleRegister) {
    if (frame.length !== 8)
      return fail(new ProtocolError(C.MODBUS_MALFORMED, `function ${fn} request of ${frame.length} bytes`));
    const address = u16(frame, 2);
    const second = u16(frame, 4);
    return ok(isRead(fn) ? { slave, fn, address, quantity: second } : { slave, fn, address, value: second });
  }
  return ok({ slave, fn, data: frame.slice(2, frame.length - 2) });
}

export function decodeResponse(frame: Uint8Array): Result<ModbusResponse> {
  const bad = checkFrame(frame, 5);
  if (bad) return fail(bad);
  const slave = frame[0] as number;
  const fn = frame[1] as number;
  if (fn & 0x80) {
    if (frame.length !== 5)
      return fail(new ProtocolError(C.MODBUS_MALFORMED, `exception frame of ${frame.length} bytes`));
    return ok({ slave, fn: fn & 0x7f, exception: frame[2] as number });
  }
  if (isRead(fn)) {
    const count = frame[2] as number;
    if (count % 2 !== 0 || frame.length !== 5 + count)
      return fail(
        new ProtocolError(C.MODBUS_MALFORMED, `byte count ${count} in a ${frame.length}-byte frame`),
      );
    const registers: number[] = [];
    for (let i = 0; i < count; i += 2) registers.push(u16(frame, 3 + i));
    return ok({ slave, fn, registers });
  }
  if (fn === FunctionCode.WriteSingleRegister) {
    if (frame.length !== 8)
      return fail(new ProtocolError(C.MODBUS_MALFORMED, `write echo of ${frame.length} bytes`));
    return ok({ slave, fn, address: u16(frame, 2), value: u16(frame, 4) });
  }
  return fail(new ProtocolError(C.MODBUS_UNSUPPORTED_FUNCTION, `function 0x${fn.toString(16)}`));
}

/** Expected response length for a request, so a master knows when an answer is complete. */
export function expectedResponseLength(req: ModbusRequest): number {
  if ('quantity' in req) return 5 + req.quantity * 2;
  return 8;
}
