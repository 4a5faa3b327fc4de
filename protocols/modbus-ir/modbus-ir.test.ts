import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../hex.ts';
import {
  crc16,
  decodeHoldingRegisters,
  decodeInputRegisters,
  decodeRequest,
  decodeResponse,
  encodeInputRegisters,
  encodeRequest,
  encodeResponse,
  ExceptionCode,
  FunctionCode,
  HoldingRegister,
  isNewMeasurement,
  pollRequest,
  readSettingsRequest,
  RtuStreamDecoder,
  writeRegisterRequest,
} from './index.ts';

// Every vector of devices.md §1, bytes in wire order.
const V = {
  poll: '01 04 00 00 00 05 30 09',
  answer366: '01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28',
  answer373: '01 04 0A 01 75 00 FB 00 03 01 03 01 C2 A5 18',
  readHolding: '01 03 00 10 00 03 04 0E',
  writeOffset: '01 06 00 11 FF FB D9 BC',
  exception: '01 84 02 C2 C1',
};

describe('CRC-16/MODBUS', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x4b37);
  });
});

describe('modbus-ir spec vectors, both ways', () => {
  it('poll request', () => {
    expect(toHex(encodeRequest(pollRequest(1)))).toBe(V.poll);
    const r = decodeRequest(fromHex(V.poll));
    expect(r).toEqual({ ok: true, value: { slave: 1, fn: 4, address: 0, quantity: 5 } });
  });

  it('answer 36.6 °C, ambient 25.1, status 3, sequence 258, 450 mm', () => {
    const snap = { bodyTenths: 366, ambientTenths: 251, statusBits: 3, sequence: 258, distanceMm: 450 };
    const bytes = encodeResponse({
      slave: 1,
      fn: FunctionCode.ReadInputRegisters,
      registers: encodeInputRegisters(snap),
    });
    expect(toHex(bytes)).toBe(V.answer366);
    const r = decodeResponse(fromHex(V.answer366));
    if (!r.ok || !('registers' in r.value)) throw new Error('expected registers');
    const s = decodeInputRegisters(r.value.registers);
    expect(s).toMatchObject({
      ...snap,
      status: { targetPresent: true, measurementValid: true, sensorFault: false },
    });
  });

  it('answer 37.3 °C with sequence 259 is a new measurement after 258', () => {
    const snap = { bodyTenths: 373, ambientTenths: 251, statusBits: 3, sequence: 259, distanceMm: 450 };
    expect(toHex(encodeResponse({ slave: 1, fn: 4, registers: encodeInputRegisters(snap) }))).toBe(
      V.answer373,
    );
    const r366 = decodeResponse(fromHex(V.answer366));
    const r373 = decodeResponse(fromHex(V.answer373));
    if (!r366.ok || !r373.ok || !('registers' in r366.value) || !('registers' in r373.value))
      throw new Error('decode');
    const a = decodeInputRegisters(r366.value.registers);
    const b = decodeInputRegisters(r373.value.registers);
    if (!a || !b) throw new Error('snapshot');
    expect(b.bodyTenths).toBe(373);
    expect(isNewMeasurement(a, b)).toBe(true);
    expect(isNewMeasurement(b, b)).toBe(false);
    expect(
      isNewMeasurement(a, { ...b, statusBits: 1, status: { ...b.status, measurementValid: false } }),
    ).toBe(false);
  });

  it('read holding registers 0x10..0x12', () => {
    expect(toHex(encodeRequest(readSettingsRequest(1)))).toBe(V.readHolding);
    expect(decodeRequest(fromHex(V.readHolding))).toEqual({
      ok: true,
      value: { slave: 1, fn: 3, address: 0x10, quantity: 3 },
    });
  });

  it('write offset −0.5 °C (request and its echo)', () => {
    expect(toHex(encodeRequest(writeRegisterRequest(1, HoldingRegister.CompensationOffset, -5)))).toBe(
      V.writeOffset,
    );
    expect(decodeRequest(fromHex(V.writeOffset))).toEqual({
      ok: true,
      value: { slave: 1, fn: 6, address: 0x11, value: 0xfffb },
    });
    const echo = decodeResponse(fromHex(V.writeOffset));
    expect(echo).toEqual({ ok: true, value: { slave: 1, fn: 6, address: 0x11, value: 0xfffb } });
  });

  it('exception: illegal data address on function 4', () => {
    expect(toHex(encodeResponse({ slave: 1, fn: 4, exception: ExceptionCode.IllegalDataAddress }))).toBe(
      V.exception,
    );
    expect(decodeResponse(fromHex(V.exception))).toEqual({
      ok: true,
      value: { slave: 1, fn: 4, exception: 2 },
    });
  });

  it('holding registers decode signed offset', () => {
    expect(decodeHoldingRegisters([9800, 0xfffb, 4])).toEqual({
      emissivity: 9800,
      offsetTenths: -5,
      averagingWindow: 4,
    });
  });

  it('negative temperatures round-trip as int16', () => {
    const regs = encodeInputRegisters({
      bodyTenths: -12,
      ambientTenths: -200,
      statusBits: 0,
      sequence: 65535,
      distanceMm: 0,
    });
    expect(decodeInputRegisters(regs)).toMatchObject({
      bodyTenths: -12,
      ambientTenths: -200,
      sequence: 65535,
    });
  });
});

describe('modbus-ir bad frames never throw', () => {
  it('bad CRC', () => {
    const bytes = fromHex(V.answer366);
    bytes[5] = (bytes[5] as number) ^ 0x01;
    const r = decodeResponse(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TG_MODBUS_BAD_CRC');
  });

  it('truncated', () => {
    const r = decodeResponse(fromHex('01 04'));
    expect(r.ok ? undefined : r.error.code).toBe('TG_MODBUS_TRUNCATED');
  });

  it('byte count that disagrees with the frame length', () => {
    // Valid CRC over a body whose byte count says 4 but carries 2.
    const r = decodeResponse(
      encodeResponse({ slave: 1, fn: 4, registers: [1] }).map((b, i) => (i === 2 ? 4 : b)),
    );
    expect(r.ok).toBe(false);
  });

  it('unknown function in a request is still decoded so the slave can refuse it', () => {
    const frame = encodeRequest({ slave: 1, fn: 0x10, data: Uint8Array.of(0, 0x10, 0, 1, 2, 0, 5) });
    const r = decodeRequest(frame);
    expect(r.ok && r.value.fn).toBe(0x10);
  });
});

describe('RtuStreamDecoder', () => {
  it('finds a response split across many chunks', () => {
    const d = new RtuStreamDecoder('response');
    const bytes = fromHex(V.answer366);
    const found: Uint8Array[] = [];
    for (const b of bytes) found.push(...d.push(Uint8Array.of(b)));
    expect(found.map(toHex)).toEqual([V.answer366]);
    expect(d.stats).toEqual({ frames: 1, badFrames: 0, droppedBytes: 0 });
  });

  it('resyncs after a garbage prefix and counts it', () => {
    const d = new RtuStreamDecoder('response');
    const stream = new Uint8Array([
      ...fromHex('FF 00 13 37'),
      ...fromHex(V.answer366),
      ...fromHex(V.answer373),
    ]);
    expect(d.push(stream).map(toHex)).toEqual([V.answer366, V.answer373]);
    expect(d.stats.droppedBytes).toBe(4);
    expect(d.stats.badFrames).toBe(1);
  });

  it('drops a frame with a bad CRC and still finds the next one', () => {
    const d = new RtuStreamDecoder('response');
    const bad = fromHex(V.answer366);
    bad[4] = (bad[4] as number) ^ 0xff;
    const out = d.push(new Uint8Array([...bad, ...fromHex(V.exception), ...fromHex(V.answer373)]));
    expect(out.map(toHex)).toEqual([V.exception, V.answer373]);
    expect(d.stats.badFrames).toBe(1);
    expect(d.stats.droppedBytes).toBe(bad.length);
  });

  it('request direction frames polls, writes and unknown functions', () => {
    const d = new RtuStreamDecoder('request');
    const unknown = encodeRequest({ slave: 1, fn: 0x2b, data: Uint8Array.of(0x0e, 1, 0) });
    const out = d.push(new Uint8Array([...fromHex(V.poll), ...unknown, ...fromHex(V.writeOffset)]));
    expect(out.map(toHex)).toEqual([V.poll, toHex(unknown), V.writeOffset]);
  });

  it('request direction: junk that looks like an unknown function does not hide the poll behind it', () => {
    const d = new RtuStreamDecoder('request');
    // 0x01 0x2B ... would be an unknown function 0x2B with no CRC match: the poll must still be found.
    const out = d.push(new Uint8Array([0x01, 0x2b, 0x99, ...fromHex(V.poll)]));
    expect(out.map(toHex)).toEqual([V.poll]);
    expect(d.stats.droppedBytes).toBe(3);
  });

  it('flush discards a partial frame and counts it', () => {
    const d = new RtuStreamDecoder('response');
    expect(d.push(fromHex('01 04 0A 01'))).toEqual([]);
    d.flush();
    expect(d.stats).toMatchObject({ badFrames: 1, droppedBytes: 4 });
    expect(d.push(fromHex(V.exception)).length).toBe(1);
  });
});
