import { afterEach, describe, expect, it } from 'vitest';
import { ReadingRecord } from '../../protocols/gate/messages.ts';
import { AlertsError } from './errors.ts';
import { recheckReadingId } from './recheck.ts';
import { fever, guard, type Harness, openHarness, room, SITE } from '../../test/doubles/dashboard/alerts.ts';

const rejects = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlertsError);
    return `${(e as AlertsError).statusCode} ${(e as AlertsError).code}`;
  }
  throw new Error('did not reject');
};

describe('handheld re-check', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is stored as a manual handheld reading with the guard’s name, valid for the readings schema', async () => {
    h = openHarness({ rooms: [room('R1')] });
    const f = fever(h, { employeeNo: 'E77', gateId: 'gate-b' });
    h.svc.confirmArrival(f.id, guard);
    h.clock.advance(90_000);
    const takenAt = h.clock.now() - 5000;
    const { reading, alert } = await h.svc.recordRecheck(f.id, guard, {
      temperatureTenths: 377,
      instrument: 'handheld',
      at: takenAt,
    });
    expect(ReadingRecord.safeParse(reading).success).toBe(true);
    expect(reading).toEqual({
      v: 1,
      id: `${SITE}:manual:${f.id}:1`,
      siteId: SITE,
      gateId: 'gate-b',
      seq: 1,
      at: takenAt,
      recordedAt: h.clock.now(),
      employeeNo: 'E77',
      temperatureTenths: 377,
      rawTenths: 377,
      offsetTenths: 0,
      ambientTenths: null,
      source: 'handheld',
      sensor: 'manual',
      sensorSeq: null,
      decision: 'manual',
      reason: 'manual-entry',
      mask: 'unknown',
      pairingDelayMs: null,
      terminalId: null,
      terminalSerialNo: null,
      realtime: false,
      released: false,
      enteredBy: 'guard1',
      policyVersion: null,
      thresholdTenths: null,
    });
    expect(h.readings).toEqual([reading]);
    expect(alert).toMatchObject({ stage: 'rechecked', temperatureTenths: 381 });
    expect(h.audits.at(-1)).toMatchObject({
      action: 'alert.recheck',
      detail: { readingId: reading.id, instrument: 'handheld', temperatureTenths: 377 },
    });

    // A second re-check is a second reading.
    const second = await h.svc.recordRecheck(f.id, guard, { temperatureTenths: 371, instrument: 'contact' });
    expect(second.reading.id).toBe(`${SITE}:manual:${f.id}:2`);
    expect(h.readings).toHaveLength(2);
  });

  it('refuses a re-check before arrival, and out-of-range input, without storing anything', async () => {
    h = openHarness({ rooms: [room('R1')] });
    const f = fever(h);
    expect(
      await rejects(h.svc.recordRecheck(f.id, guard, { temperatureTenths: 370, instrument: 'handheld' })),
    ).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    h.svc.confirmArrival(f.id, guard);
    for (const bad of [3700, 37, 370.5])
      expect(
        await rejects(h.svc.recordRecheck(f.id, guard, { temperatureTenths: bad, instrument: 'handheld' })),
      ).toBe('400 TG_DASH_ALERT_INPUT_INVALID');
    expect(
      await rejects(h.svc.recordRecheck(f.id, guard, { temperatureTenths: 370, instrument: 'ear' as never })),
    ).toBe('400 TG_DASH_ALERT_INPUT_INVALID');
    expect(h.readings).toEqual([]);
    expect(h.svc.get(f.id)?.stage).toBe('arrived');
  });

  it('when the readings store fails: 503, the episode unchanged, and a retry stores it under a fresh id', async () => {
    h = openHarness({ rooms: [room('R1')], failWrites: 1 });
    const f = fever(h);
    h.svc.confirmArrival(f.id, guard);
    expect(
      await rejects(h.svc.recordRecheck(f.id, guard, { temperatureTenths: 369, instrument: 'handheld' })),
    ).toBe('503 TG_DASH_READINGS_UNAVAILABLE');
    expect(h.svc.get(f.id)?.stage).toBe('arrived');
    expect(
      h.logs.some(
        (l) => l.level === 'error' && (l.o as { code?: string }).code === 'TG_DASH_READINGS_UNAVAILABLE',
      ),
    ).toBe(true);
    const { reading } = await h.svc.recordRecheck(f.id, guard, {
      temperatureTenths: 369,
      instrument: 'handheld',
    });
    expect(reading.id).toBe(`${SITE}:manual:${f.id}:2`);
    expect(h.svc.get(f.id)?.stage).toBe('rechecked');
  });

  it('keeps reading ids within the schema’s 160 characters for long alert ids', () => {
    const id = recheckReadingId(SITE, 'x'.repeat(160), 3);
    expect(id.length).toBeLessThanOrEqual(160);
    expect(id).toMatch(/^site-1:manual:[0-9a-f]{32}:3$/);
  });
});
