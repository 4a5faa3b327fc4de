import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMOUS_WINDOW_MS } from './kinds.ts';
import {
  alertStates,
  fever,
  feverPassage,
  gateAlert,
  guard,
  type Harness,
  openHarness,
  room,
} from '../../test/doubles/dashboard/alerts.ts';

describe('one alert per person episode', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('a person retrying with fever is the same alert: occurrences, highest temperature, updatedAt', () => {
    h = openHarness({ rooms: [room('R1'), room('R2')], episodeWindowMs: 10 * 60_000 });
    const first = fever(h, { employeeNo: 'E1', tenths: 379 });
    h.clock.advance(60_000);
    const again = fever(h, { employeeNo: 'E1', tenths: 384 });
    h.clock.advance(60_000);
    // At another gate: still the same person, the same episode.
    const third = fever(h, { employeeNo: 'E1', tenths: 380, gateId: 'gate-b' });
    expect(again.id).toBe(first.id);
    expect(third.id).toBe(first.id);
    expect(h.svc.get(first.id)).toMatchObject({
      occurrences: 3,
      temperatureTenths: 384,
      updatedAt: h.clock.now(),
      raisedAt: first.raisedAt,
      roomId: 'R1',
    });
    expect(h.svc.list()).toHaveLength(1);
    // One person, one room.
    expect(h.svc.rooms().map((r) => r.occupants.length)).toEqual([1, 0]);
  });

  it('the decision and the alert of one passage, and redelivered messages, count once', () => {
    h = openHarness({ rooms: [room('R1')] });
    const p = feverPassage({ employeeNo: 'E2' });
    h.svc.onGateAlert(p.alert);
    h.svc.onDecision(p.decision);
    h.svc.onGateAlert(p.alert);
    h.svc.onDecision(p.decision);
    expect(h.svc.list()).toHaveLength(1);
    expect(h.svc.get(p.alert.id)).toMatchObject({ occurrences: 1, name: 'Zhang San' });
    // Nothing new: no further publication after the first one.
    expect(alertStates(h)).toHaveLength(1);
  });

  it('after the episode window, or once the episode is closed, a new fever is a new episode', async () => {
    h = openHarness({ rooms: [room('R1'), room('R2')], episodeWindowMs: 5 * 60_000 });
    const a = fever(h, { employeeNo: 'E3' });
    h.clock.advance(5 * 60_000 + 1);
    const b = fever(h, { employeeNo: 'E3' });
    expect(b.id).not.toBe(a.id);

    h.svc.confirmArrival(b.id, guard);
    await h.svc.recordRecheck(b.id, guard, { temperatureTenths: 366, instrument: 'handheld' });
    h.svc.close(b.id, guard, 'cleared-to-enter');
    h.clock.advance(1000);
    const c = fever(h, { employeeNo: 'E3' });
    expect(c.id).not.toBe(b.id);
    expect(c.occurrences).toBe(1);
  });

  it('repeated minor alerts of one person are one alert, across gates, until cleared', () => {
    h = openHarness();
    h.svc.onGateAlert(gateAlert('mask-missing', { id: 'mm1', employeeNo: 'E4' }));
    h.clock.advance(30_000);
    h.svc.onGateAlert(gateAlert('mask-missing', { id: 'mm2', employeeNo: 'E4', gateId: 'gate-b' }));
    h.svc.onGateAlert(gateAlert('not-on-access-list', { id: 'na1', employeeNo: 'E4' }));
    expect(h.svc.get('mm1')?.occurrences).toBe(2);
    expect(h.svc.list()).toHaveLength(2);
    h.svc.clear('mm1', guard);
    h.svc.onGateAlert(gateAlert('mask-missing', { id: 'mm3', employeeNo: 'E4' }));
    expect(h.svc.get('mm3')).toMatchObject({ id: 'mm3', occurrences: 1 });
  });

  it('unknown faces: the same gate within a short window is one alert; another gate or later is another', () => {
    h = openHarness({ episodeWindowMs: 30 * 60_000 });
    const unknown = (id: string, gateId = 'gate-a') =>
      h.svc.onGateAlert(gateAlert('unknown-person', { id, employeeNo: null, name: null, gateId }));
    unknown('u1');
    h.clock.advance(ANONYMOUS_WINDOW_MS - 1000);
    unknown('u2');
    unknown('u3', 'gate-b');
    expect(h.svc.get('u1')?.occurrences).toBe(2);
    expect(h.svc.get('u3')?.occurrences).toBe(1);
    h.clock.advance(ANONYMOUS_WINDOW_MS + 1);
    unknown('u4');
    expect(h.svc.get('u4')?.id).toBe('u4');
  });

  it('tailgating and repeated re-measures are deduplicated per gate and per person', () => {
    h = openHarness();
    h.svc.onGateAlert(gateAlert('tailgating', { id: 'tg1', employeeNo: null, readingId: null }));
    h.svc.onGateAlert(gateAlert('tailgating', { id: 'tg2', employeeNo: null, readingId: null }));
    h.svc.onGateAlert(gateAlert('remeasure-repeated', { id: 'rm1', employeeNo: 'E5', severity: 'major' }));
    h.svc.onGateAlert(gateAlert('remeasure-repeated', { id: 'rm2', employeeNo: 'E5', severity: 'major' }));
    expect(h.svc.get('tg1')).toMatchObject({ occurrences: 2, severity: 'minor' });
    expect(h.svc.get('rm1')).toMatchObject({ occurrences: 2, severity: 'major' });
  });
});
