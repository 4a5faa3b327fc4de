import { afterEach, describe, expect, it } from 'vitest';
import { AlertState } from '../../protocols/dashboard/messages.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import { AlertsError } from './errors.ts';
import {
  alertStates,
  condition,
  fever,
  gateAlert,
  guard,
  type Harness,
  openHarness,
  room,
  retainedList,
  SITE,
  status,
} from '../../test/doubles/dashboard/alerts.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AlertsError);
    return `${(e as AlertsError).statusCode} ${(e as AlertsError).code}`;
  }
  throw new Error('did not throw');
};

describe('alert lifecycle', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('person alert: active-unacknowledged → acknowledged → cleared by a guard; every change published', () => {
    h = openHarness();
    h.svc.onGateAlert(gateAlert('mask-missing', { id: 'm1', employeeNo: 'E7' }));
    expect(h.svc.get('m1')).toMatchObject({
      state: 'active-unacknowledged',
      severity: 'minor',
      kind: 'mask-missing',
      stage: null,
      occurrences: 1,
    });
    const acked = h.svc.acknowledge('m1', guard, 'on my way');
    expect(acked).toMatchObject({ state: 'active-acknowledged', acknowledgedBy: 'guard1' });
    expect(h.audits.at(-1)).toMatchObject({
      action: 'alert.acknowledge',
      target: 'm1',
      detail: { comment: 'on my way' },
    });
    const cleared = h.svc.clear('m1', guard, 'mask handed out');
    expect(cleared).toMatchObject({ state: 'cleared', clearedAt: h.clock.now() });
    expect(cleared.detail).toContain('mask handed out');

    const states = alertStates(h).filter((s) => s.id === 'm1');
    expect(states.map((s) => s.state)).toEqual(['active-unacknowledged', 'active-acknowledged', 'cleared']);
    const wire = h.published.filter((p) => p.topic === DashboardTopic.alert(SITE));
    expect(wire.every((p) => p.opts.qos === 1 && !p.opts.retain)).toBe(true);
    expect(retainedList(h)?.alerts).toEqual([]);
    expect(h.svc.counts()).toEqual({ 'active-unacknowledged': 0, 'active-acknowledged': 0, cleared: 1 });
  });

  it('acknowledging twice is a no-op: no second audit, no second publication', () => {
    h = openHarness();
    h.svc.onGateAlert(gateAlert('tailgating', { id: 't1', employeeNo: null }));
    h.svc.acknowledge('t1', guard);
    const published = h.published.length;
    const again = h.svc.acknowledge('t1', { username: 'guard2', role: 'guard' });
    expect(again.acknowledgedBy).toBe('guard1');
    expect(h.published.length).toBe(published);
    expect(h.audits.filter((a) => a.action === 'alert.acknowledge')).toHaveLength(1);
  });

  it('rejects unknown ids and illegal transitions with stable codes', () => {
    h = openHarness({ rooms: [room('R1')] });
    expect(code(() => h.svc.acknowledge('nope', guard))).toBe('404 TG_DASH_ALERT_NOT_FOUND');
    h.svc.onGateAlert(gateAlert('not-on-access-list', { id: 'n1' }));
    expect(code(() => h.svc.confirmArrival('n1', guard))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    expect(code(() => h.svc.close('n1', guard, 'sent-home'))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    h.svc.clear('n1', guard);
    expect(code(() => h.svc.clear('n1', guard))).toBe('409 TG_DASH_ALERT_BAD_STAGE');

    const f = fever(h);
    expect(f.stage).toBe('assigned');
    expect(code(() => h.svc.clear(f.id, guard))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    expect(code(() => h.svc.close(f.id, guard, 'sent-home'))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    h.svc.confirmArrival(f.id, guard);
    expect(code(() => h.svc.confirmArrival(f.id, guard))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    expect(code(() => h.svc.close(f.id, guard, 'sent-home'))).toBe('409 TG_DASH_ALERT_BAD_STAGE');
    expect(code(() => h.svc.close(f.id, guard, 'gone-fishing' as never))).toBe(
      '400 TG_DASH_ALERT_INPUT_INVALID',
    );
    // Nothing of the refused steps stuck.
    expect(h.svc.get(f.id)).toMatchObject({ stage: 'arrived', state: 'active-unacknowledged' });
  });

  it('fever episode: assigned → arrived → rechecked → closed; ack at any stage; close clears and frees the room', async () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 10 })] });
    const f = fever(h, { employeeNo: 'E42', tenths: 383 });
    expect(f).toMatchObject({
      severity: 'critical',
      stage: 'assigned',
      roomId: 'R1',
      temperatureTenths: 383,
    });
    expect(h.svc.confirmArrival(f.id, guard)).toMatchObject({
      stage: 'arrived',
      state: 'active-unacknowledged',
    });
    expect(h.svc.acknowledge(f.id, guard)).toMatchObject({ stage: 'arrived', state: 'active-acknowledged' });
    const { alert } = await h.svc.recordRecheck(f.id, guard, {
      temperatureTenths: 376,
      instrument: 'contact',
    });
    expect(alert).toMatchObject({ stage: 'rechecked', state: 'active-acknowledged' });
    expect(alert.detail).toContain('37.6 °C (contact) by guard1');
    expect(h.svc.rooms()[0]).toMatchObject({ free: 0, occupants: [{ alertId: f.id, employeeNo: 'E42' }] });
    const closed = h.svc.close(f.id, guard, 'referred-to-hospital', 'ambulance called');
    expect(closed).toMatchObject({
      stage: 'closed',
      state: 'cleared',
      disposition: 'referred-to-hospital',
      roomId: 'R1',
      clearedAt: h.clock.now(),
    });
    expect(h.svc.rooms()[0]).toMatchObject({ free: 1, occupants: [] });
    expect(h.audits.map((a) => a.action)).toEqual([
      'alert.arrival',
      'alert.acknowledge',
      'alert.recheck',
      'alert.close',
    ]);
    for (const s of alertStates(h)) expect(AlertState.safeParse(s).success).toBe(true);
  });

  it('closing an unacknowledged episode acknowledges it in the same step', async () => {
    h = openHarness({ rooms: [room('R1')] });
    const f = fever(h);
    h.svc.confirmArrival(f.id, guard);
    await h.svc.recordRecheck(f.id, guard, { temperatureTenths: 368, instrument: 'handheld' });
    expect(h.svc.close(f.id, guard, 'cleared-to-enter')).toMatchObject({
      state: 'cleared',
      acknowledgedBy: 'guard1',
    });
  });
});

describe('device conditions: clearing and acknowledging are independent', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('over before acknowledged: stays visible (active-unacknowledged, "condition over") until acked, then cleared', async () => {
    h = openHarness({ escalateAfterMs: 60_000 });
    h.svc.onGateAlert(condition('fire-alarm', true, { id: 'fa-on' }));
    expect(h.svc.get('fa-on')).toMatchObject({ severity: 'critical', state: 'active-unacknowledged' });
    h.clock.advance(10_000);
    // The gate sends a new id for the clear: matched on gate + kind.
    h.svc.onGateAlert(condition('fire-alarm', false, { id: 'fa-off', at: 10_000 }));
    const over = h.svc.get('fa-on');
    expect(over).toMatchObject({ state: 'active-unacknowledged', clearedAt: null });
    expect(over?.detail).toContain('condition over');
    expect(retainedList(h)?.alerts.map((a) => a.id)).toEqual(['fa-on']);
    // An ended condition pages nobody.
    h.clock.advance(120_000);
    await h.svc.tick();
    expect(h.svc.get('fa-on')?.escalated).toBe(false);
    expect(h.svc.acknowledge('fa-on', guard)).toMatchObject({ state: 'cleared', clearedAt: h.clock.now() });
    expect(retainedList(h)?.alerts).toEqual([]);
  });

  it('acknowledged first, cleared when the device says the condition is over', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('thermometer-offline', true, { id: 'to-1', at: 1000 }));
    expect(h.svc.acknowledge('to-1', guard).state).toBe('active-acknowledged');
    h.svc.onGateAlert(condition('thermometer-offline', false, { id: 'to-2', severity: 'info', at: 2000 }));
    expect(h.svc.get('to-1')).toMatchObject({ state: 'cleared', severity: 'major' });
  });

  it('a clear with nothing open (the gate sends "fault over" on every thermometer change) is ignored', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('sensor-fault', false, { id: 'sf-off', severity: 'info' }));
    expect(h.svc.list({ state: 'all' })).toEqual([]);
  });

  it("hub gate-offline: one id for raise and clear; a gate's terminal is a separate alert", () => {
    h = openHarness();
    const gateId = `${SITE}:gate-a:gate-offline:1000`;
    const termId = `${SITE}:terminal/t-1:gate-offline:1500`;
    const device = { kind: 'terminal' as const, id: 't-1' };
    h.svc.onGateAlert(condition('gate-offline', true, { id: gateId }));
    h.svc.onGateAlert(condition('gate-offline', true, { id: termId, device }));
    h.svc.onGateAlert(condition('gate-offline', true, { id: gateId })); // redelivered
    expect(
      h.svc
        .list()
        .map((a) => [a.id, a.occurrences])
        .sort(),
    ).toEqual([
      [gateId, 1],
      [termId, 1],
    ]);
    h.svc.acknowledge(gateId, guard);
    h.svc.onGateAlert(condition('gate-offline', false, { id: gateId }));
    expect(h.svc.get(gateId)?.state).toBe('cleared');
    expect(h.svc.get(termId)?.state).toBe('active-unacknowledged');
    // The board says which device it is from the message's device, not from parsing the id.
    expect(h.svc.get(termId)?.facts).toMatchObject({ device: 'terminal', deviceId: 't-1' });
    expect(h.svc.get(gateId)?.facts).toMatchObject({ device: 'gate', deviceId: 'gate-a' });
    // After a hub restart the clear has another id (another time): the condition key pairs them.
    h.svc.acknowledge(termId, guard);
    h.svc.onGateAlert(condition('gate-offline', false, { id: 'any-other-id', device }));
    expect(h.svc.get(termId)?.state).toBe('cleared');
  });

  it('a condition reported again while open is one alert with more occurrences', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('sensor-fault', true, { id: 'sf-1' }));
    h.svc.onGateAlert(condition('sensor-fault', false, { id: 'sf-2' }));
    h.svc.onGateAlert(condition('sensor-fault', true, { id: 'sf-3' }));
    expect(h.svc.list()).toHaveLength(1);
    expect(h.svc.get('sf-1')).toMatchObject({ occurrences: 2, state: 'active-unacknowledged' });
    expect(h.svc.get('sf-1')?.detail).not.toContain('condition over');
    // sf-3 names the same alert.
    expect(h.svc.get('sf-3')?.id).toBe('sf-1');
  });

  it('outbox-filling keeps the severity the gate gives it', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('outbox-filling', true, { id: 'ob-1', severity: 'minor' }));
    expect(h.svc.get('ob-1')?.severity).toBe('minor');
    h.svc.onGateAlert(condition('outbox-filling', true, { id: 'ob-2', severity: 'critical' }));
    expect(h.svc.get('ob-1')?.severity).toBe('critical');
  });

  it('a newer gate status ends a condition whose end was missed; an older one or the last will does not', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('thermometer-offline', true, { id: 'to-1', at: 5000 }));
    h.svc.acknowledge('to-1', guard);
    h.svc.onGateStatus(status('gate-a', { at: 4000, thermometer: 'online' }));
    h.svc.onGateStatus(status('gate-a', { at: 6000, online: false, thermometer: 'online' }));
    h.svc.onGateStatus(status('gate-a', { at: 6000, thermometer: 'offline' }));
    expect(h.svc.get('to-1')?.state).toBe('active-acknowledged');
    h.svc.onGateStatus(status('gate-a', { at: 7000, thermometer: 'online' }));
    expect(h.svc.get('to-1')?.state).toBe('cleared');
  });

  it('a refused site list: a status still naming a refused list keeps it; one naming none (a restarted gate too) ends it', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('site-list-rejected', true, { id: 'sl-1', at: 5000 }));
    expect(h.svc.get('sl-1')).toMatchObject({ severity: 'major', state: 'active-unacknowledged' });
    h.svc.onGateStatus(status('gate-a', { at: 6000, listsRejected: ['holds'] }));
    expect(h.svc.get('sl-1')?.facts?.conditionActive).toBe(true);
    h.svc.onGateStatus(status('gate-a', { at: 7000, listsRejected: [] }));
    expect(h.svc.get('sl-1')?.facts?.conditionActive).toBe(false);
  });

  it('a condition still reported cannot be cleared (issue #18); once over it can, and a later report raises a new alert', () => {
    h = openHarness();
    h.svc.onGateAlert(condition('sensor-fault', true, { id: 'sf-1' }));
    expect(() => h.svc.clear('sf-1', guard, 'sensor replaced')).toThrow(
      expect.objectContaining({ code: 'TG_DASH_ALERT_CONDITION_ACTIVE', statusCode: 409 }),
    );
    expect(h.svc.get('sf-1')).toMatchObject({
      state: 'active-unacknowledged',
      facts: { conditionActive: true },
    });
    h.svc.onGateAlert(condition('sensor-fault', false, { id: 'sf-2' }));
    h.svc.clear('sf-1', guard, 'sensor replaced');
    expect(h.svc.get('sf-1')).toMatchObject({ state: 'cleared', facts: { userNote: 'sensor replaced' } });
    h.svc.onGateAlert(condition('sensor-fault', true, { id: 'sf-3' }));
    expect(h.svc.list().map((a) => a.id)).toEqual(['sf-3']);
  });
});

describe('acknowledgements from OPC UA (dashboard/alert-ack)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('applies, audits as a system actor, publishes; a repeat is a no-op; an unknown id is logged', () => {
    h = openHarness({ rooms: [room('R1')] });
    const f = fever(h);
    const req = { v: 1 as const, alertId: f.id, by: 'opcua:operator1', comment: 'seen on HMI', at: 1 };
    h.svc.onAckRequest(req);
    expect(h.svc.get(f.id)).toMatchObject({
      state: 'active-acknowledged',
      acknowledgedBy: 'opcua:operator1',
    });
    expect(h.audits).toEqual([
      {
        by: { username: 'opcua:operator1', role: 'system' },
        action: 'alert.acknowledge',
        target: f.id,
        detail: expect.objectContaining({ comment: 'seen on HMI', via: 'mqtt alert-ack' }),
      },
    ]);
    expect(alertStates(h).at(-1)).toMatchObject({ id: f.id, state: 'active-acknowledged' });
    h.svc.onAckRequest(req);
    expect(h.audits).toHaveLength(1);
    expect(() => h.svc.onAckRequest({ ...req, alertId: 'ghost' })).not.toThrow();
    expect(h.logs.at(-1)).toMatchObject({
      level: 'warn',
      o: { code: 'TG_DASH_ALERT_NOT_FOUND', alertId: 'ghost' },
    });
  });
});

describe('retained alert list', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('a burst of changes in one turn (a site’s gates dropping off together) is one retained list, with all of them', async () => {
    h = openHarness();
    const lists = () => h.published.filter((p) => p.topic === DashboardTopic.alerts(SITE)).length;
    const before = lists();
    // 50: what fits the list's 60 KB budget (the test below is about what does not).
    for (let i = 0; i < 50; i++)
      h.svc.onGateAlert(condition('thermometer-offline', true, { id: `off-${i}`, gateId: `gate-${i}` }));
    // Each change goes out at once on its own topic; the list of open alerts waits for the turn's end.
    expect(alertStates(h).filter((a) => a.id.startsWith('off-'))).toHaveLength(50);
    expect(lists()).toBe(before);
    await new Promise((r) => setImmediate(r));
    expect(lists()).toBe(before + 1);
    expect(retainedList(h)?.alerts.filter((a) => a.id.startsWith('off-'))).toHaveLength(50);
  });

  it('stays under the broker payload budget, keeping the most severe alerts, and says it left some out', () => {
    h = openHarness({ maxListBytes: 4000 });
    for (let i = 0; i < 20; i++)
      h.svc.onGateAlert(
        gateAlert('mask-missing', { id: `mm${i}`, employeeNo: `E${i}`, detail: 'x'.repeat(100) }),
      );
    h.svc.onGateAlert(condition('fire-alarm', true, { id: 'fire' }));
    h.svc.flushAlertList();
    const last = h.published.filter((p) => p.topic === DashboardTopic.alerts(SITE)).at(-1);
    expect(Buffer.byteLength(last?.payload ?? '')).toBeLessThanOrEqual(4000);
    const list = retainedList(h);
    expect(list?.alerts[0]?.id).toBe('fire');
    expect(list?.alerts.length).toBeLessThan(21);
    expect(h.logs.some((l) => (l.o as { code?: string }).code === 'TG_DASH_ALERT_LIST_TRUNCATED')).toBe(true);
  });
});
