/**
 * Found by the site soak: an event the terminal had given up on (held by the broker while the gate
 * restarted) was acted on seconds later; it took the next person's measurement and opened the
 * turnstile for whoever stood there. Past the terminal's deadline an event is stored, never acted on.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../config/load.ts';
import type { Measurement } from '../thermometer/types.ts';
import { AccessList } from './access-list.ts';
import { FakeClock } from './fake-clock.ts';
import { Gate } from './gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from './test-doubles.ts';

function setup() {
  const cfg = parseEdgeConfig({
    siteId: 's',
    gateId: 'g',
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    thermometer: { protocol: 'modbus-ir', port: '/dev/null' },
    terminal: { deviceId: 'T1' },
    policy: { accessListRequired: false, maskRequired: false, waitForMeasurementMs: 2000 },
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
  const measure = (tenths: number) =>
    gate.onMeasurement({
      at: clock.now(),
      sensor: 'modbus-ir',
      rawTenths: tenths,
      ambientTenths: 251,
      sensorSeq: ++seq,
      valid: true,
      sensorFault: false,
      belowRange: false,
      aboveRange: false,
      distanceMm: 450,
    } satisfies Measurement);
  const event = (serialNo: number, ageMs: number) =>
    JSON.stringify({
      serialNo,
      dateTime: new Date(clock.now() - ageMs).toISOString(),
      employeeNoString: `E${serialNo}`,
      similarity: 0.9,
      mask: 'yes',
      remoteCheck: true,
      isRealtime: true,
    });
  return { gate, clock, io, recorder, measure, event };
}

describe('the terminal deadline (policy.verdictDeadlineMs, default 3 s)', () => {
  it('an event older than the deadline is stored, takes no measurement and opens nothing', async () => {
    const t = setup();
    t.measure(366); // the next person's measurement, already here
    const late = await t.gate.onFaceEvent(t.event(1, 3500));
    expect(late).toMatchObject({ kind: 'offline-record', released: false });
    expect(t.io.releases).toEqual([]);
    // The measurement is still there for its own person.
    const next = await t.gate.onFaceEvent(t.event(2, 100));
    expect(next?.record).toMatchObject({ decision: 'pass', temperatureTenths: 366, released: true });
    expect(t.io.releases.length).toBe(1);
  });

  it("a wait for the measurement ends at the deadline: what comes later is the next person's", async () => {
    const t = setup();
    const pending = t.gate.onFaceEvent(t.event(1, 1500));
    t.clock.advance(1600);
    t.measure(366);
    const r = await pending;
    expect(r?.record).toMatchObject({ temperatureTenths: null, released: false });
    expect(r?.record?.decision).not.toBe('pass');
    expect(t.io.releases).toEqual([]);
    // The late measurement is left for its own person.
    const next = await t.gate.onFaceEvent(t.event(2, 100));
    expect(next?.record).toMatchObject({ decision: 'pass', temperatureTenths: 366, released: true });
  });

  it('an event decided in the last moments before the deadline opens nothing: the release would land on the next person', async () => {
    const t = setup();
    t.measure(366);
    const r = await t.gate.onFaceEvent(t.event(1, 2700));
    expect(r).toMatchObject({ released: false });
    expect(t.io.releases).toEqual([]);
  });

  it('within the deadline nothing changes', async () => {
    const t = setup();
    t.measure(366);
    const r = await t.gate.onFaceEvent(t.event(1, 2500));
    expect(r?.record).toMatchObject({ decision: 'pass', released: true });
  });
});
