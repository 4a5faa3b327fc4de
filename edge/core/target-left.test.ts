import { describe, expect, it } from 'vitest';
import {
  encodeInputRegisters,
  encodeResponse,
  pollRequest,
  encodeRequest,
} from '../../protocols/modbus-ir/index.ts';
import { ModbusIrSession } from '../thermometer/modbus-ir-session.ts';
import { testGate } from '../../test/doubles/edge/gate-io.ts';

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
    // It says when the target was last seen: the previous poll's time, not this one's.
    poll();
    s.onFrame(answer(0b011, 3), 1000);
    poll();
    expect(s.onFrame(answer(0b000, 3), 1200)).toMatchObject({ targetLeft: true, targetSeenAt: 1000 });
  });

  it('the gate drops the unclaimed measurement, so the next person waits for their own', async () => {
    const { clock, io, recorder, gate, measurement: m, faceEvent } = testGate();
    // Person A is measured; their face event never reaches the gate as a realtime one. A leaves.
    gate.onMeasurement(m(362));
    clock.advance(300);
    gate.onTargetLeft();
    clock.advance(300);
    // Person B (38.5 °C): the face event comes before B's measurement has been read.
    const decided = gate.onFaceEvent(faceEvent(2));
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

/**
 * Found by the edge-kill soak (22 readings in 50 restarts): a face event held by the broker while
 * the gate restarted arrived 2.4 s old. Its person's measurement had been taken before the restart
 * (the first poll is only a baseline), so the event waited, and took the NEXT person's measurement:
 * a 38.6 °C person recorded as a 36.7 °C pass.
 */
describe('a face event whose person is gone never takes the next measurement', () => {
  const setup = () => {
    const t = testGate({ policy: { waitForMeasurementMs: 1200, verdictDeadlineMs: 3000 } });
    return { ...t, m: t.measurement, event: t.faceEvent };
  };

  it('a held event waits only until the terminal deadline of its own time', async () => {
    const { clock, io, recorder, gate, m, event } = setup();
    // Shown to the terminal 2.4 s ago (the gate was restarting): 0.6 s left of the 3 s deadline.
    const decided = gate.onFaceEvent(event(7, clock.now() - 2400));
    clock.advance(1000);
    // The next person's measurement, within the configured 1.2 s wait but past the deadline.
    gate.onMeasurement(m(367));
    const r = await decided;
    expect(r?.record).toMatchObject({ employeeNo: 'E7', temperatureTenths: null, released: false });
    expect(io.releases).toEqual([]);
    // The next person's measurement is theirs to claim, not gone.
    const next = await gate.onFaceEvent(event(8, clock.now()));
    expect(next?.record).toMatchObject({ employeeNo: 'E8', temperatureTenths: 367, decision: 'pass' });
    expect(recorder.records.map((x) => x.temperatureTenths)).toEqual([null, 367]);
  });

  it('the person leaving the thermometer ends the wait of a face event from before they were last seen', async () => {
    const { clock, io, gate, m, event } = setup();
    const decided = gate.onFaceEvent(event(7, clock.now()));
    clock.advance(200);
    const seenAt = clock.now(); // the poll that still saw person 7
    clock.advance(200);
    gate.onTargetLeft(seenAt);
    const r = await decided;
    expect(r?.record).toMatchObject({ employeeNo: 'E7', temperatureTenths: null, released: false });
    clock.advance(100);
    gate.onMeasurement(m(390));
    expect(io.releases).toEqual([]);
  });

  it('but not the wait of the next person, whose face came after the previous one was last seen', async () => {
    const { clock, gate, m, event } = setup();
    const seenAt = clock.now(); // person 6 last seen
    clock.advance(100);
    const decided = gate.onFaceEvent(event(7, clock.now())); // person 7 recognised
    clock.advance(100);
    gate.onTargetLeft(seenAt); // the poll after person 6 left
    clock.advance(100);
    gate.onMeasurement(m(365));
    const r = await decided;
    expect(r?.record).toMatchObject({
      employeeNo: 'E7',
      temperatureTenths: 365,
      decision: 'pass',
      released: true,
    });
  });
});
