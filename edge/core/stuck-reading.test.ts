import { describe, expect, it } from 'vitest';
import type { Measurement } from '../thermometer/types.ts';
import { StuckReadingDetector } from './stuck-reading.ts';
import { testGate } from '../../test/doubles/edge/gate-io.ts';

let seq = 0;
const m = (rawTenths: number, extra: Partial<Measurement> = {}): Measurement => ({
  at: 0,
  sensor: 'modbus-ir',
  rawTenths,
  ambientTenths: 251,
  sensorSeq: ++seq,
  valid: true,
  sensorFault: false,
  belowRange: false,
  aboveRange: false,
  distanceMm: 450,
  ...extra,
});

describe('StuckReadingDetector', () => {
  it('the same value for `after` people in a row is stuck until a different value comes', () => {
    const d = new StuckReadingDetector(3);
    expect([366, 366].map((t) => d.observe(m(t)).stuck)).toEqual([false, false]);
    expect(d.observe(m(366))).toEqual({ stuck: true, changed: true, run: 3 });
    expect(d.observe(m(366))).toEqual({ stuck: true, changed: false, run: 4 });
    expect(d.observe(m(371))).toEqual({ stuck: false, changed: true, run: 1 });
  });

  it('varying healthy people never trip it', () => {
    const d = new StuckReadingDetector(3);
    for (const t of [366, 366, 365, 366, 366, 367, 366, 366, 364]) expect(d.observe(m(t)).stuck).toBe(false);
  });

  it('polls of one measurement (same sequence) count once; samples without a sequence never count', () => {
    const d = new StuckReadingDetector(2);
    const one = m(366);
    expect(d.observe(one).stuck).toBe(false);
    expect(d.observe({ ...one }).stuck).toBe(false);
    expect(d.observe(m(366, { sensorSeq: null })).stuck).toBe(false);
    expect(d.observe(m(366)).stuck).toBe(true);
  });

  it('invalid and faulty measurements neither extend nor break a run', () => {
    const d = new StuckReadingDetector(3);
    d.observe(m(366));
    d.observe(m(200, { valid: false, belowRange: true }));
    d.observe(m(366));
    expect(d.observe(m(366)).stuck).toBe(true);
  });

  it('0 turns the check off', () => {
    const d = new StuckReadingDetector(0);
    for (let i = 0; i < 20; i++) expect(d.observe(m(366)).stuck).toBe(false);
  });
});

describe('the gate with a stuck thermometer', () => {
  it('from the stuckAfter-th equal reading on, people re-measure (a fever is never waved through) and sensor-fault is raised, then cleared', async () => {
    const { gate, clock, io, bus, faceEvent } = testGate({
      thermometer: { stuckAfter: 3 },
      policy: { waitForMeasurementMs: 0 },
    });
    let serial = 0;
    // The sensor reports 36.6 whoever stands there; the fourth person truly has 38.5.
    const person = async (reported: number) => {
      gate.onMeasurement(m(reported, { at: clock.now() }));
      clock.advance(100);
      serial++;
      return gate.onFaceEvent(faceEvent(serial));
    };
    const outcomes = [];
    for (const t of [366, 366, 366, 366, 371]) outcomes.push((await person(t))?.record);
    expect(outcomes.map((r) => [r?.decision, r?.reason])).toEqual([
      ['pass', 'ok'],
      ['pass', 'ok'],
      ['remeasure', 'sensor-fault'],
      ['remeasure', 'sensor-fault'],
      ['pass', 'ok'],
    ]);
    expect(io.releases.length).toBe(3);
    const alerts = bus.on('tg/s/gate/g/alert') as Array<{ kind: string; active: boolean }>;
    expect(alerts.filter((a) => a.kind === 'sensor-fault').map((a) => a.active)).toEqual([true, false]);
  });
});
