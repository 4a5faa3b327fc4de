/**
 * A fever episode and the person's hold at the hub: closing must agree with the recorded re-check
 * (against the site policy's threshold, not a fixed 37.3), and what a close or a move means for the
 * hold is asked of the hub (lift with the episode's flagged readings, stage, room). Also the fever
 * notification's text, in the site's language.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSitePolicy, type SitePolicy } from '../../protocols/site/policy.ts';
import type { AlertsError } from './errors.ts';
import { feverPassage, guard, type Harness, openHarness, room } from '../../test/doubles/dashboard/alerts.ts';
import { raisedText } from './webhooks.ts';

let h: Harness;
afterEach(() => h?.close());

const thrown = (fn: () => unknown): AlertsError => {
  try {
    fn();
  } catch (e) {
    return e as AlertsError;
  }
  throw new Error('did not throw');
};

function policyWith(threshold: number): SitePolicy {
  const p = defaultSitePolicy();
  return { ...p, version: 3, rules: { ...p.rules, feverThresholdTenths: threshold } };
}

/** A fever episode at arrival, its passage's two messages fed; returns the alert id and reading id. */
function episode(employeeNo = 'E1', told: string | null = 'R1') {
  const p = feverPassage({ employeeNo, told, tenths: 386 });
  h.svc.onDecision(p.decision);
  h.svc.onGateAlert(p.alert);
  h.svc.confirmArrival(p.alert.id, guard);
  return { id: p.alert.id, readingId: p.decision.reading.id };
}

describe('closing a fever episode agrees with the re-check', () => {
  it('a 37.5 °C re-check refuses cleared-to-enter (409, stable code, Chinese message); sent-home is accepted', async () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 5 })] });
    const e = episode();
    await h.svc.recordRecheck(e.id, guard, { temperatureTenths: 375, instrument: 'contact' });
    const err = thrown(() => h.svc.close(e.id, guard, 'cleared-to-enter'));
    expect(err.code).toBe('TG_DASH_ALERT_RECHECK_NOT_NORMAL');
    expect(err.statusCode).toBe(409);
    expect(err.message).toContain('复测体温 37.5 °C');
    // Nothing changed: the episode is still open, in its room; no hold request went out.
    expect(h.svc.get(e.id)).toMatchObject({ stage: 'rechecked', roomId: 'R1', disposition: null });
    expect(h.svc.get(e.id)?.state).not.toBe('cleared');
    expect(h.holdRequests).toEqual([]);

    expect(h.svc.close(e.id, guard, 'sent-home', '家属接回')).toMatchObject({ stage: 'closed' });
    expect(h.holdRequests).toEqual([
      {
        by: guard,
        request: { action: 'stage', employeeNo: 'E1', stage: 'sent-home', note: '家属接回' },
      },
    ]);
  });

  it('exactly the threshold (37.3) is not normal; 37.2 clears, and the hold is lifted with the flagged readings', async () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 5 })] });
    const e = episode();
    await h.svc.recordRecheck(e.id, guard, { temperatureTenths: 373, instrument: 'contact' });
    expect(thrown(() => h.svc.close(e.id, guard, 'cleared-to-enter')).code).toBe(
      'TG_DASH_ALERT_RECHECK_NOT_NORMAL',
    );
    await h.svc.recordRecheck(e.id, guard, { temperatureTenths: 372, instrument: 'contact' });
    expect(h.svc.close(e.id, guard, 'cleared-to-enter')).toMatchObject({
      stage: 'closed',
      disposition: 'cleared-to-enter',
    });
    expect(h.holdRequests).toEqual([
      {
        by: guard,
        request: {
          action: 'lift',
          employeeNo: 'E1',
          reason: 'recheck-normal',
          note: '',
          readingIds: [e.readingId],
        },
      },
    ]);
    expect(h.audits.find((a) => a.action === 'alert.close')?.detail).toMatchObject({
      recheckTenths: 372,
      thresholdTenths: 373,
    });
  });

  it("follows the site policy's threshold: at 38.0 a 37.5 re-check clears; at 37.0 a 37.1 one does not", async () => {
    let policy = policyWith(380);
    h = openHarness({
      rooms: [room('R1', { 'gate-a': 5 }), room('R2', { 'gate-a': 6 })],
      policy: () => policy,
    });
    const a = episode('E1');
    await h.svc.recordRecheck(a.id, guard, { temperatureTenths: 375, instrument: 'contact' });
    expect(h.svc.close(a.id, guard, 'cleared-to-enter').disposition).toBe('cleared-to-enter');

    policy = policyWith(370);
    const b = episode('E2', 'R2');
    await h.svc.recordRecheck(b.id, guard, { temperatureTenths: 371, instrument: 'contact' });
    expect(thrown(() => h.svc.close(b.id, guard, 'cleared-to-enter')).message).toContain('37.0 °C');
  });

  it('a second flag of the same episode is in the lift: the hub lifts only what the closer has seen', async () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 5 })] });
    const p1 = feverPassage({ employeeNo: 'E1', told: 'R1' });
    h.svc.onDecision(p1.decision);
    const p2 = feverPassage({ employeeNo: 'E1', told: 'R1' });
    h.svc.onDecision(p2.decision);
    const id = h.svc.list({ state: 'open' })[0]?.id as string;
    h.svc.confirmArrival(id, guard);
    await h.svc.recordRecheck(id, guard, { temperatureTenths: 365, instrument: 'contact' });
    h.svc.close(id, guard, 'cleared-to-enter');
    const lift = h.holdRequests[0]?.request as { readingIds: string[] };
    expect(lift.readingIds.sort()).toEqual([p1.decision.reading.id, p2.decision.reading.id].sort());
  });
});

describe('the room on the hold', () => {
  it('the room the gate named is not sent again; a guard moving the person sends the new room', () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 5 }), room('R2', { 'gate-a': 9 })] });
    const e = episode('E1', 'R1');
    expect(h.holdRequests).toEqual([]);
    expect(h.svc.moveToRoom(e.id, guard, 'R2')).toMatchObject({ roomId: 'R2', stage: 'assigned' });
    expect(h.holdRequests).toEqual([
      { by: guard, request: { action: 'room', employeeNo: 'E1', room: { id: 'R2', name: 'Room R2' } } },
    ]);
    expect(h.svc.rooms().map((r) => [r.id, r.free])).toEqual([
      ['R1', 1],
      ['R2', 0],
    ]);
    // A full room refuses the move.
    const other = episode('E2', 'R1');
    expect(thrown(() => h.svc.moveToRoom(other.id, guard, 'R2')).code).toBe('TG_DASH_ROOM_OCCUPIED');
  });

  it('a person who waited for a room (none named by the gate) gets one when it frees: the hub is told', async () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 5 })] });
    const first = episode('E1', 'R1');
    const p = feverPassage({ employeeNo: 'E2', told: null });
    h.svc.onDecision(p.decision);
    expect(h.svc.get(p.alert.id)?.stage).toBe('waiting-for-room');
    await h.svc.recordRecheck(first.id, guard, { temperatureTenths: 380, instrument: 'contact' });
    h.svc.close(first.id, guard, 'referred-to-hospital');
    expect(h.holdRequests.map((r) => r.request)).toEqual([
      { action: 'stage', employeeNo: 'E1', stage: 'referred-to-hospital', note: '' },
      { action: 'room', employeeNo: 'E2', room: { id: 'R1', name: 'Room R1' } },
    ]);
  });
});

describe('the fever notification text', () => {
  const alert = {
    v: 1 as const,
    id: 'a1',
    siteId: 'site-1',
    gateId: 'gate-1',
    kind: 'fever' as const,
    severity: 'critical' as const,
    state: 'active-unacknowledged' as const,
    raisedAt: 0,
    updatedAt: 0,
    occurrences: 1,
    employeeNo: 'E10031',
    name: '李娜',
    temperatureTenths: 382,
    roomId: 'r-a2',
    stage: 'assigned' as const,
    acknowledgedBy: null,
    acknowledgedAt: null,
    clearedAt: null,
    disposition: null,
    escalated: false,
    detail: '',
  };
  it('zh-CN names the person, number, department, gate, temperature and room in the plans’ words', () => {
    const text = raisedText(alert, {
      language: 'zh-CN',
      siteName: '一号厂区',
      department: '总装车间',
      roomName: '隔离室 A2',
      time: '08:01:14',
    });
    expect(text).toBe(
      '【体温异常】一号厂区；人员：李娜（工号 E10031）；部门：总装车间；闸机：gate-1（08:01:14）；体温：38.2 °C；已安排至临时隔离室：隔离室 A2，请立即复测（水银/电子体温计）',
    );
  });
  it('no room free: says so instead of a room', () => {
    const text = raisedText(alert, {
      language: 'zh-CN',
      siteName: '',
      department: null,
      roomName: null,
      time: null,
    });
    expect(text).toContain('临时隔离室已满');
    expect(text).not.toContain('部门');
  });
});
