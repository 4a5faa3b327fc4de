/**
 * Found by the site soak: an event the terminal had given up on (held by the broker while the gate
 * restarted) was acted on seconds later; it took the next person's measurement and opened the
 * turnstile for whoever stood there. Past the terminal's deadline an event is stored, never acted on.
 */
import { describe, expect, it } from 'vitest';
import { testGate } from '../../test/doubles/edge/gate-io.ts';

function setup() {
  const t = testGate({ policy: { waitForMeasurementMs: 2000 } });
  const measure = (tenths: number) => t.gate.onMeasurement(t.measurement(tenths));
  const event = (serialNo: number, ageMs: number) => t.faceEvent(serialNo, t.clock.now() - ageMs);
  return { ...t, measure, event };
}

describe('the terminal deadline (policy.verdictDeadlineMs, default 3 s)', () => {
  it('an event older than the deadline is stored, takes no measurement and opens nothing', async () => {
    const t = setup();
    t.measure(366); // the next person's measurement, already here
    const late = await t.gate.onFaceEvent(t.event(1, 3500));
    expect(late).toMatchObject({
      kind: 'decided',
      released: false,
      record: { decision: 'denied', reason: 'late' },
    });
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
