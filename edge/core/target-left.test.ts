/**
 * Found by the site soak: a measurement nobody claimed (its person's face event was recorded
 * offline while the hub restarted) stayed in the pairing buffer, and the next person, whose own
 * measurement was read a poll after their face event, got it: a 38.5 °C person released on the
 * previous person's 36.2 °C. When the thermometer sees its target leave, what is unclaimed goes.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  encodeInputRegisters,
  encodeResponse,
  pollRequest,
  encodeRequest,
} from '../../protocols/modbus-ir/index.ts';
import { parseEdgeConfig } from '../config/load.ts';
import { ModbusIrSession } from '../thermometer/modbus-ir-session.ts';
import type { Measurement } from '../thermometer/types.ts';
import { AccessList } from './access-list.ts';
import { FakeClock } from './fake-clock.ts';
import { Gate } from './gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from './test-doubles.ts';

describe('the target leaving the thermometer', () => {
  it('the Modbus session reports it once, on the poll where the target-present bit falls', () => {
    const s = new ModbusIrSession({ slave: 1, offlineAfterTimeouts: 3, readSettings: false });
    const answer = (statusBits: number, sequence: number) =>
      encodeResponse({
        slave: 1,
        fn: 4,
        registers: encodeInputRegisters({
          bodyTenths: 366,
          ambientTenths: 251,
          statusBits,
          sequence,
          distanceMm: 450,
        }),
      });
    const poll = () => {
      expect(s.nextRequest().frame).toEqual(encodeRequest(pollRequest(1)));
    };
    const left = (bits: number, seq: number) => {
      poll();
      return s.onFrame(answer(bits, seq), 0).targetLeft ?? false;
    };
    expect([
      left(0b011, 1),
      left(0b011, 1),
      left(0b000, 1),
      left(0b000, 1),
      left(0b011, 2),
      left(0b000, 2),
    ]).toEqual([false, false, true, false, false, true]);
  });

  it('the gate drops the unclaimed measurement, so the next person waits for their own', async () => {
    const cfg = parseEdgeConfig({
      siteId: 's',
      gateId: 'g',
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      thermometer: { protocol: 'modbus-ir', port: '/dev/null' },
      terminal: { deviceId: 'T1' },
      policy: { accessListRequired: false, maskRequired: false },
    });
    const clock = new FakeClock();
    const io = new FakeActuator();
    const recorder = new ArrayRecorder();
    const gate = new Gate({
      cfg,
      clock,
      log: pino({ level: 'silent' }),
      io,
      recorder,
      bus: new CapturingBus(),
      accessList: new AccessList(),
      thermometerState: () => 'online',
      requestMeasurement: () => {},
    });
    let seq = 0;
    const m = (rawTenths: number): Measurement => ({
      at: clock.now(),
      sensor: 'modbus-ir',
      rawTenths,
      ambientTenths: 251,
      sensorSeq: ++seq,
      valid: true,
      sensorFault: false,
      belowRange: false,
      aboveRange: false,
      distanceMm: 450,
    });
    // Person A is measured; their face event never reaches the gate as a realtime one. A leaves.
    gate.onMeasurement(m(362));
    clock.advance(300);
    gate.onTargetLeft();
    clock.advance(300);
    // Person B (38.5 °C): the face event comes before B's measurement has been read.
    const decided = gate.onFaceEvent(
      JSON.stringify({
        serialNo: 2,
        dateTime: new Date(clock.now()).toISOString(),
        employeeNoString: 'E2',
        similarity: 0.9,
        mask: 'yes',
        remoteCheck: true,
        isRealtime: true,
      }),
    );
    clock.advance(100);
    gate.onMeasurement(m(385));
    const r = await decided;
    expect(r?.record).toMatchObject({ decision: 'flagged', temperatureTenths: 385, released: false });
    expect(io.releases).toEqual([]);
    // A's measurement is kept as an unpaired reading, not lost.
    expect(recorder.records.filter((x) => x.decision === 'unpaired').map((x) => x.temperatureTenths)).toEqual(
      [362],
    );
  });
});
