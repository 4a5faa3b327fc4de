import { describe, expect, it } from 'vitest';
import type { Measurement } from '../thermometer/types.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { MeasurementPairing } from './pairing.ts';

const m = (at: number, rawTenths: number, valid = true): Measurement => ({
  at,
  sensor: 'modbus-ir',
  rawTenths,
  ambientTenths: 250,
  sensorSeq: rawTenths,
  valid,
  sensorFault: false,
  belowRange: false,
  aboveRange: false,
  distanceMm: 400,
});

describe('MeasurementPairing', () => {
  it('pairs the freshest measurement inside the window and never reuses it', () => {
    const clock = new FakeClock();
    const p = new MeasurementPairing({ beforeMs: 2000, waitMs: 1000 }, clock);
    const t = clock.now();
    p.add(m(t - 3000, 360)); // too old
    p.add(m(t - 1500, 361));
    p.add(m(t - 200, 362));
    const r = p.take(t);
    expect(r.measurement?.rawTenths).toBe(362);
    expect(r.delayMs).toBe(-200);
    expect(p.take(t).measurement).toBeUndefined(); // 361 belonged to someone already served
  });

  it('prefers a valid measurement over a fresher invalid one', () => {
    const clock = new FakeClock();
    const p = new MeasurementPairing({ beforeMs: 2000, waitMs: 0 }, clock);
    const t = clock.now();
    p.add(m(t - 500, 365));
    p.add(m(t - 100, 0, false));
    expect(p.take(t).measurement?.rawTenths).toBe(365);
  });

  it('waits for a late measurement, then gives up after the bound', async () => {
    const clock = new FakeClock();
    const p = new MeasurementPairing({ beforeMs: 2000, waitMs: 1500 }, clock);
    let asked = 0;
    const late = p.pair(clock.now(), () => asked++);
    clock.advance(800);
    p.add(m(clock.now(), 366));
    expect((await late).measurement?.rawTenths).toBe(366);
    expect((await late).delayMs).toBe(800);
    expect(asked).toBe(1);

    const none = p.pair(clock.now());
    clock.advance(1500);
    expect((await none).measurement).toBeUndefined();
    expect(p.pendingWaiters).toBe(0);
  });

  it('two people in quick succession each get their own measurement', async () => {
    const clock = new FakeClock();
    const p = new MeasurementPairing({ beforeMs: 2000, waitMs: 1500 }, clock);
    p.add(m(clock.now(), 366)); // person A measured
    clock.advance(200);
    const a = p.pair(clock.now()); // A's face
    clock.advance(100);
    const b = p.pair(clock.now()); // B's face before B is measured
    clock.advance(300);
    p.add(m(clock.now(), 380)); // B measured
    expect((await a).measurement?.rawTenths).toBe(366);
    expect((await b).measurement?.rawTenths).toBe(380);
  });

  it('a measurement taken after the event is not taken synchronously', () => {
    const clock = new FakeClock();
    const p = new MeasurementPairing({ beforeMs: 2000, waitMs: 0 }, clock);
    p.add(m(clock.now() + 50, 366));
    expect(p.take(clock.now()).measurement).toBeUndefined();
  });
});
