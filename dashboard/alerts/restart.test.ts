import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALERT_STORE_STEPS } from './store.ts';
import {
  admin,
  condition,
  fever,
  gateAlert,
  guard,
  type Harness,
  type HarnessOptions,
  ManualClock,
  openHarness,
  plans,
  retainedList,
  room,
} from '../../test/doubles/dashboard/alerts.ts';

describe('restart on the same database', () => {
  let dir: string;
  let path: string;
  let clock: ManualClock;
  const open: Harness[] = [];
  const start = (o: Partial<HarnessOptions> = {}) => {
    const h = openHarness({
      path,
      clock,
      gates: ['gate-a', 'gate-b'],
      escalateAfterMs: 60_000,
      webhookRetry: { attempts: 5, baseDelayMs: 1000, timeoutMs: 1000 },
      webhooks: [{ kind: 'generic', url: 'http://receiver.invalid/hook' }],
      ...o,
    });
    open.push(h);
    return h;
  };
  const stop = (h: Harness) => {
    open.splice(open.indexOf(h), 1);
    h.close();
  };
  const bodies: string[] = [];
  const working = (async (_u: string, init: RequestInit) => {
    bodies.push(String(init.body));
    return new Response('ok');
  }) as typeof fetch;
  const broken = (async () => {
    throw new Error('network down');
  }) as typeof fetch;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-alerts-restart-'));
    path = join(dir, 'dashboard.db');
    clock = new ManualClock();
    bodies.length = 0;
  });
  afterEach(() => {
    for (const h of open.splice(0)) h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gate-offline alerts an older release keyed by the hub's message id still pair after the upgrade", () => {
    const a = start();
    const device = { kind: 'terminal' as const, id: 't-1' };
    a.svc.onGateAlert(
      condition('gate-offline', true, { id: 'site-1:terminal/t-1:gate-offline:1000', device }),
    );
    a.svc.onGateAlert(
      condition('gate-offline', true, { id: 'site-1:gate-b:gate-offline:1000', gateId: 'gate-b' }),
    );
    stop(a);
    // What the release before issue #21 stored: the hub's id without its time, at schema 2.
    const db = new Database(path);
    db.exec(`UPDATE alert SET dedupe_key = 'gate-offline|' || substr(id, 1, length(id) - 5)`);
    db.prepare("UPDATE schema_versions SET version = ? WHERE module = 'alerts'").run(
      ALERT_STORE_STEPS.length - 1,
    );
    db.close();
    const b = start();
    expect(b.svc.get('site-1:terminal/t-1:gate-offline:1000')?.facts).toMatchObject({
      device: 'terminal',
      deviceId: 't-1',
    });
    // The hub restarted meanwhile: its clears carry new ids; the condition key finds the raises.
    b.svc.acknowledge('site-1:terminal/t-1:gate-offline:1000', guard);
    b.svc.onGateAlert(
      condition('gate-offline', false, { id: 'site-1:terminal/t-1:gate-offline:2000', device }),
    );
    expect(b.svc.get('site-1:terminal/t-1:gate-offline:1000')?.state).toBe('cleared');
    b.svc.acknowledge('site-1:gate-b:gate-offline:1000', guard);
    b.svc.onGateAlert(
      condition('gate-offline', false, { id: 'site-1:gate-b:gate-offline:2000', gateId: 'gate-b' }),
    );
    expect(b.svc.get('site-1:gate-b:gate-offline:1000')?.state).toBe('cleared');
  });

  it('keeps open alerts, episode stages, room occupancy and escalation timing; rooms are not seeded again', async () => {
    const a = start({
      rooms: [room('R1', { 'gate-a': 5 }), room('S', { 'gate-b': 5 }, 2)],
      fetch: working,
    });
    const e1 = fever(a, { employeeNo: 'E1', gateId: 'gate-a' });
    a.svc.confirmArrival(e1.id, guard);
    a.svc.removeRoom('S', admin);
    clock.advance(10_000);
    const e2 = fever(a, { employeeNo: 'E2', gateId: 'gate-b' });
    a.svc.onGateAlert(gateAlert('mask-missing', { id: 'mm', employeeNo: 'E3' }));
    a.svc.acknowledge('mm', guard);
    a.svc.onGateAlert(condition('fire-alarm', true, { id: 'fa' }));
    clock.advance(30_000);
    await a.svc.tick();
    const before = a.svc.list({ state: 'all' });
    const roomsBefore = a.svc.rooms();
    // Only the one waiting for a room (escalated at once); the others are not due yet.
    expect(before.filter((x) => x.escalated).map((x) => x.id)).toEqual([e2.id]);
    expect(roomsBefore).toHaveLength(1);
    stop(a);

    // Another seed list in the config: ignored, the admins' rooms stay.
    const b = start({ rooms: [room('OTHER')], fetch: working });
    expect(b.svc.list({ state: 'all' })).toEqual(before);
    expect(b.svc.rooms()).toEqual(roomsBefore);
    expect(b.svc.get(e1.id)).toMatchObject({ stage: 'arrived', roomId: 'R1' });
    expect(b.svc.get(e2.id)).toMatchObject({ stage: 'waiting-for-room', escalated: true });
    // Said again once the broker link is up: the retained list and the plans.
    b.svc.republish();
    expect(
      retainedList(b)
        ?.alerts.map((x) => x.id)
        .sort(),
    ).toEqual([e1.id, e2.id, 'fa', 'mm'].sort());
    expect(plans(b).get('gate-a')?.room).toBeNull();

    // E1 was raised 40 s before the restart: it escalates at 60 s after it was raised, not later.
    clock.advance(19_999);
    await b.svc.tick();
    expect(b.svc.get(e1.id)?.escalated).toBe(false);
    clock.advance(1);
    await b.svc.tick();
    expect(b.svc.get(e1.id)?.escalated).toBe(true);
    expect(b.svc.get('fa')?.escalated).toBe(false);
    clock.advance(10_000);
    await b.svc.tick();
    expect(b.svc.get('fa')?.escalated).toBe(true);

    // The episode carries on where it stood; its room goes to the one waiting.
    await b.svc.recordRecheck(e1.id, guard, { temperatureTenths: 372, instrument: 'handheld' });
    b.svc.close(e1.id, guard, 'sent-home');
    expect(b.svc.get(e2.id)).toMatchObject({ stage: 'assigned', roomId: 'R1' });
  });

  it('a webhook delivery that failed before the restart is retried after it', async () => {
    const a = start({ rooms: [room('R1')], fetch: broken });
    const f = fever(a);
    clock.advance(60_000);
    await a.svc.tick();
    expect(a.svc.get(f.id)?.escalated).toBe(true);
    expect(a.logs.some((l) => l.m === 'escalation webhook failed, will retry')).toBe(true);
    stop(a);

    const b = start({ rooms: [room('R1')], fetch: working });
    // The fever's own notification (sent when raised) failed too and is retried alike; only escalations here.
    const escalated = () => bodies.map((x) => JSON.parse(x)).filter((x) => x.reason === 'unacknowledged');
    await b.svc.tick();
    expect(escalated()).toHaveLength(0);
    clock.advance(1000);
    await b.svc.tick();
    expect(escalated().map((x) => x.alert.id)).toEqual([f.id]);
    clock.advance(60_000);
    await b.svc.tick();
    expect(escalated()).toHaveLength(1);
    expect(
      bodies
        .map((x) => JSON.parse(x))
        .filter((x) => x.reason === 'raised')
        .map((x) => x.alert.id),
    ).toEqual([f.id]);
  });
});
