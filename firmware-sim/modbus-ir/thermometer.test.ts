import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocols/hex.ts';
import {
  decodeInputRegisters,
  decodeResponse,
  encodeRequest,
  FunctionCode,
  StatusBit,
  withCrc,
} from '../../protocols/modbus-ir/index.ts';
import { ModbusIrThermometer } from './thermometer.ts';
import { ModbusSlaveEndpoint } from './slave-endpoint.ts';

const POLL = fromHex('01 04 00 00 00 05 30 09');

/** A thermometer in the state of the datasheet's answer vector: 36.6 / 25.1 / seq 258 / 450 mm. */
function specThermometer(): ModbusIrThermometer {
  const t = new ModbusIrThermometer({ bodyTenths: 366, ambientTenths: 251, distanceMm: 450, sequence: 257 });
  t.measureNow();
  return t;
}

const hex = (b: Uint8Array | undefined) => (b ? toHex(b) : undefined);

describe('ModbusIrThermometer (datasheet vectors)', () => {
  it('answers the poll with the datasheet bytes', () => {
    const t = specThermometer();
    expect(hex(t.handleRequestFrame(POLL))).toBe('01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28');
  });

  it('a new measurement of 37.3 gives the second answer vector (sequence 259)', () => {
    const t = specThermometer();
    const r = t.measureNow(373);
    expect(r).toMatchObject({ completed: true, sequence: 259, reportedTenths: 373, statusBits: 3 });
    expect(hex(t.handleRequestFrame(POLL))).toBe('01 04 0A 01 75 00 FB 00 03 01 03 01 C2 A5 18');
  });

  it('reads the holding registers with their defaults 9800 / 0 / 4', () => {
    const t = specThermometer();
    const res = decodeResponse(t.handleRequestFrame(fromHex('01 03 00 10 00 03 04 0E')) as Uint8Array);
    expect(res).toEqual({ ok: true, value: { slave: 1, fn: 3, registers: [9800, 0, 4] } });
  });

  it('echoes the offset write of -0.5 and applies it to the body register', () => {
    const t = specThermometer();
    const write = fromHex('01 06 00 11 FF FB D9 BC');
    expect(hex(t.handleRequestFrame(write))).toBe(toHex(write));
    expect(t.offsetTenths).toBe(-5);
    const snap = decodeInputRegisters(
      (decodeResponse(t.handleRequestFrame(POLL) as Uint8Array) as { value: { registers: number[] } }).value
        .registers,
    );
    expect(snap?.bodyTenths).toBe(361);
    const holding = decodeResponse(t.handleRequestFrame(fromHex('01 03 00 10 00 03 04 0E')) as Uint8Array);
    expect(holding.ok && 'registers' in holding.value && holding.value.registers[1]).toBe(0xfffb);
  });

  it('answers a read at an unmapped address with exception 02 (datasheet bytes)', () => {
    const t = specThermometer();
    const req = encodeRequest({ slave: 1, fn: FunctionCode.ReadInputRegisters, address: 0x20, quantity: 1 });
    expect(hex(t.handleRequestFrame(req))).toBe('01 84 02 C2 C1');
  });

  it('a read range only partly inside the map is exception 02', () => {
    const t = specThermometer();
    const over = encodeRequest({ slave: 1, fn: FunctionCode.ReadInputRegisters, address: 3, quantity: 3 });
    expect(hex(t.handleRequestFrame(over))).toBe('01 84 02 C2 C1');
    const holdingAtZero = encodeRequest({
      slave: 1,
      fn: FunctionCode.ReadHoldingRegisters,
      address: 0,
      quantity: 1,
    });
    expect(hex(t.handleRequestFrame(holdingAtZero))).toBe(toHex(withCrc(fromHex('01 83 02'))));
    const inputAtHolding = encodeRequest({
      slave: 1,
      fn: FunctionCode.ReadInputRegisters,
      address: 0x10,
      quantity: 1,
    });
    expect(hex(t.handleRequestFrame(inputAtHolding))).toBe('01 84 02 C2 C1');
    const partHolding = encodeRequest({
      slave: 1,
      fn: FunctionCode.ReadHoldingRegisters,
      address: 0x11,
      quantity: 3,
    });
    expect(hex(t.handleRequestFrame(partHolding))).toBe(toHex(withCrc(fromHex('01 83 02'))));
  });

  it('reads a sub-range inside the map', () => {
    const t = specThermometer();
    const res = decodeResponse(
      t.handleRequestFrame(encodeRequest({ slave: 1, fn: 4, address: 3, quantity: 2 })) as Uint8Array,
    );
    expect(res).toEqual({ ok: true, value: { slave: 1, fn: 4, registers: [258, 450] } });
  });

  it('gives no answer to another slave or a bad CRC', () => {
    const t = specThermometer();
    expect(t.handleRequestFrame(encodeRequest({ slave: 2, fn: 4, address: 0, quantity: 5 }))).toBeUndefined();
    const bad = fromHex('01 04 00 00 00 05 30 08');
    expect(t.handleRequestFrame(bad)).toBeUndefined();
    expect(t.stats.ignored).toBe(2);
  });

  it('rejects out-of-range writes with exception 03 and leaves the register alone', () => {
    const t = specThermometer();
    const window0 = encodeRequest({ slave: 1, fn: 6, address: 0x12, value: 0 });
    expect(hex(t.handleRequestFrame(window0))).toBe(toHex(withCrc(fromHex('01 86 03'))));
    const window17 = encodeRequest({ slave: 1, fn: 6, address: 0x12, value: 17 });
    expect(hex(t.handleRequestFrame(window17))).toBe(toHex(withCrc(fromHex('01 86 03'))));
    const offsetTooLow = encodeRequest({ slave: 1, fn: 6, address: 0x11, value: -101 & 0xffff });
    expect(hex(t.handleRequestFrame(offsetTooLow))).toBe(toHex(withCrc(fromHex('01 86 03'))));
    expect(t.holdingRegisters()).toEqual([9800, 0, 4]);
    const window16 = encodeRequest({ slave: 1, fn: 6, address: 0x12, value: 16 });
    expect(hex(t.handleRequestFrame(window16))).toBe(toHex(window16));
    expect(t.holdingRegisters()).toEqual([9800, 0, 16]);
  });

  it('a write to an input register or an unmapped address is exception 02', () => {
    const t = specThermometer();
    expect(hex(t.handleRequestFrame(encodeRequest({ slave: 1, fn: 6, address: 0, value: 1 })))).toBe(
      toHex(withCrc(fromHex('01 86 02'))),
    );
  });

  it('a read quantity of 0 or above 125 is exception 03', () => {
    const t = specThermometer();
    expect(hex(t.handleRequestFrame(encodeRequest({ slave: 1, fn: 4, address: 0, quantity: 0 })))).toBe(
      toHex(withCrc(fromHex('01 84 03'))),
    );
    expect(hex(t.handleRequestFrame(encodeRequest({ slave: 1, fn: 3, address: 0x10, quantity: 126 })))).toBe(
      toHex(withCrc(fromHex('01 83 03'))),
    );
  });

  it('answers an unknown function with exception 01', () => {
    const t = specThermometer();
    // 0x10 Write Multiple Registers, not supported by this device.
    const req = withCrc(fromHex('01 10 00 10 00 01 02 00 05'));
    expect(hex(t.handleRequestFrame(req))).toBe(toHex(withCrc(fromHex('01 90 01'))));
    expect(hex(t.handleRequestFrame(withCrc(fromHex('01 2B 0E 01 00'))))).toBe(
      toHex(withCrc(fromHex('01 AB 01'))),
    );
  });

  it('wraps the sequence from 65535 to 0', () => {
    const t = new ModbusIrThermometer({ sequence: 65534 });
    expect(t.measureNow().sequence).toBe(65535);
    expect(t.measureNow().sequence).toBe(0);
    expect(t.measureNow().sequence).toBe(1);
  });
});

describe('ModbusIrThermometer measurement cycle and faults', () => {
  const status = (t: ModbusIrThermometer) => t.inputRegisters()[2];

  it('present → settle → valid with sequence+1; remove clears b0/b1 and keeps the reading', async () => {
    const t = new ModbusIrThermometer({ settleMs: 30, sequence: 10 });
    expect(status(t)).toBe(0);
    const p = t.presentTarget({ bodyTenths: 365 });
    expect(status(t)).toBe(StatusBit.TargetPresent);
    expect(t.inputRegisters()[3]).toBe(10);
    const r = await p;
    expect(r).toMatchObject({ completed: true, sequence: 11, reportedTenths: 365 });
    expect(status(t)).toBe(StatusBit.TargetPresent | StatusBit.MeasurementValid);
    t.removeTarget();
    expect(t.inputRegisters()).toEqual([365, 251, 0, 11, 0]);
  });

  it('removing the target before the settle time aborts the measurement', async () => {
    const t = new ModbusIrThermometer({ settleMs: 50 });
    const p = t.presentTarget({ bodyTenths: 370 });
    t.removeTarget();
    expect(await p).toMatchObject({ completed: false, abortedBy: 'target-removed', sequence: 0 });
  });

  it('sensor fault: b4 set, b1 cleared, measurements do not complete', () => {
    const t = specThermometer();
    t.setSensorFault(true);
    expect(status(t)).toBe(StatusBit.TargetPresent | StatusBit.SensorFault);
    expect(t.measureNow(366)).toMatchObject({ completed: false, abortedBy: 'sensor-fault', sequence: 258 });
    t.setSensorFault(false);
    expect(t.measureNow(366)).toMatchObject({ completed: true, sequence: 259 });
  });

  it('readings outside the measurable range complete with b2/b3 and without b1', () => {
    const t = new ModbusIrThermometer();
    expect(t.measureNow(300).statusBits).toBe(StatusBit.TargetPresent | StatusBit.BelowRange);
    expect(t.measureNow(450).statusBits).toBe(StatusBit.TargetPresent | StatusBit.AboveRange);
    t.setRangeFault('above');
    const r = t.measureNow(366);
    expect(r).toMatchObject({
      completed: true,
      sequence: 3,
      statusBits: StatusBit.TargetPresent | StatusBit.AboveRange,
    });
  });

  it('corrupts the CRC of the next N answers, then answers correctly', () => {
    const t = specThermometer();
    t.corruptNextAnswers(2);
    for (let i = 0; i < 2; i++) {
      const a = t.handleRequestFrame(POLL) as Uint8Array;
      expect(a).toHaveLength(15);
      expect(decodeResponse(a).ok).toBe(false);
    }
    expect(decodeResponse(t.handleRequestFrame(POLL) as Uint8Array).ok).toBe(true);
  });

  it('corrupts answers at a rate', () => {
    let n = 0;
    const t = new ModbusIrThermometer({ random: () => (n++ % 2 === 0 ? 0.1 : 0.9) });
    t.setCorruptRate(0.5);
    const ok = [0, 1, 2, 3].map(() => decodeResponse(t.handleRequestFrame(POLL) as Uint8Array).ok);
    expect(ok).toEqual([false, true, false, true]);
  });

  it('silent: no answers, but writes are still applied', () => {
    const t = specThermometer();
    t.setSilent(true);
    expect(t.handleRequestFrame(POLL)).toBeUndefined();
    expect(t.handleRequestFrame(fromHex('01 06 00 11 FF FB D9 BC'))).toBeUndefined();
    expect(t.offsetTenths).toBe(-5);
    t.setSilent(false);
    expect(t.handleRequestFrame(POLL)).toBeDefined();
  });
});

describe('ModbusSlaveEndpoint framing', () => {
  it('answers a poll split across chunks', () => {
    const t = specThermometer();
    const out: string[] = [];
    const ep = new ModbusSlaveEndpoint(t);
    ep.attach((b) => out.push(toHex(b)));
    ep.receive(fromHex('01 04 00'));
    ep.receive(fromHex('00 00 05 30 09'));
    expect(out).toEqual(['01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28']);
    ep.dispose();
  });

  it('noise then silence is dropped like a real RTU slave does; the next frame is answered', async () => {
    const t = specThermometer();
    const out: string[] = [];
    const ep = new ModbusSlaveEndpoint(t, { silenceMs: 5 });
    ep.attach((b) => out.push(toHex(b)));
    ep.receive(fromHex('FF 00 13'));
    await new Promise((r) => setTimeout(r, 30));
    ep.receive(POLL);
    // A truncated request, silence, then a good one.
    ep.receive(fromHex('01 04 00 00 00'));
    await new Promise((r) => setTimeout(r, 30));
    ep.receive(POLL);
    expect(out).toEqual([
      '01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28',
      '01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28',
    ]);
    ep.dispose();
  });

  it('answers two back-to-back requests in one chunk, in order', () => {
    const t = specThermometer();
    const out: string[] = [];
    const ep = new ModbusSlaveEndpoint(t);
    ep.attach((b) => out.push(toHex(b)));
    ep.receive(Uint8Array.from([...POLL, ...fromHex('01 03 00 10 00 03 04 0E')]));
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(toHex(withCrc(fromHex('01 03 06 26 48 00 00 00 04'))));
    ep.dispose();
  });

  it('drops a partial frame after inter-frame silence', async () => {
    const t = specThermometer();
    const out: string[] = [];
    const ep = new ModbusSlaveEndpoint(t, { silenceMs: 5 });
    ep.attach((b) => out.push(toHex(b)));
    ep.receive(fromHex('01 04 00'));
    await new Promise((r) => setTimeout(r, 30));
    expect(ep.framing.droppedBytes).toBe(3);
    ep.receive(POLL);
    expect(out).toHaveLength(1);
    ep.dispose();
  });

  it('delays answers by the injected delay', async () => {
    const t = specThermometer();
    const got: number[] = [];
    const ep = new ModbusSlaveEndpoint(t);
    ep.attach(() => got.push(Date.now()));
    t.setAnswerDelay(60);
    const t0 = Date.now();
    ep.receive(POLL);
    expect(got).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(got).toHaveLength(1);
    expect((got[0] as number) - t0).toBeGreaterThanOrEqual(55);
    ep.dispose();
  });
});
