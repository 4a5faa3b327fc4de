import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { AlertsError } from './errors.ts';
import {
  admin,
  fever,
  feverPassage,
  guard,
  type Harness,
  openHarness,
  plans,
  room,
  status,
} from '../../test/doubles/dashboard/alerts.ts';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

async function closeEpisode(h: Harness, id: string): Promise<AlertState> {
  h.svc.confirmArrival(id, guard);
  await h.svc.recordRecheck(id, guard, { temperatureTenths: 365, instrument: 'handheld' });
  return h.svc.close(id, guard, 'sent-home');
}

const thrown = (fn: () => unknown): AlertsError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof AlertsError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('room assignment', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('nearest to the gate first, then the least full; a non-shared room takes one person, a shared one up to its capacity', () => {
    h = openHarness({
      gates: ['gate-a'],
      rooms: [room('FAR', { 'gate-a': 200 }), room('S', { 'gate-a': 30 }, 2), room('N', { 'gate-a': 30 })],
    });
    const got = ['E1', 'E2', 'E3', 'E4', 'E5'].map((e) => fever(h, { employeeNo: e }));
    // S and N are equally near: S (listed first) then N (less full than S with one), then S's 2nd place.
    expect(got.map((a) => a.roomId)).toEqual(['S', 'N', 'S', 'FAR', null]);
    expect(got[4]?.stage).toBe('waiting-for-room');
    expect(h.svc.rooms().map((r) => [r.id, r.occupants.length, r.free])).toEqual([
      ['FAR', 1, 0],
      ['S', 2, 0],
      ['N', 1, 0],
    ]);
  });

  it('follows the room the gate named to the person (its plan) while that room has space', () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 10 }), room('R2', { 'gate-a': 90 })] });
    expect(fever(h, { employeeNo: 'E1', told: 'R2' }).roomId).toBe('R2');
    // R2 full: the gate's word cannot be kept; the nearest free room instead.
    expect(fever(h, { employeeNo: 'E2', told: 'R2' }).roomId).toBe('R1');
  });

  it('an episode opened by the alert moves to the room the decision then names, before arrival', () => {
    h = openHarness({ rooms: [room('R1', { 'gate-a': 10 }), room('R2', { 'gate-a': 90 })] });
    const p = feverPassage({ told: 'R2' });
    h.svc.onGateAlert(p.alert);
    expect(h.svc.get(p.alert.id)?.roomId).toBe('R1');
    h.svc.onDecision(p.decision);
    expect(h.svc.get(p.alert.id)).toMatchObject({ roomId: 'R2', stage: 'assigned', occurrences: 1 });
    expect(h.svc.rooms().map((r) => r.free)).toEqual([1, 0]);
  });

  it('every room full: waiting-for-room, the detail says so, escalated at once; placed when a room frees', async () => {
    const calls: string[] = [];
    h = openHarness({
      rooms: [room('R1', { 'gate-a': 5 })],
      webhooks: [{ kind: 'generic', url: 'http://127.0.0.1:9/hook' }],
      fetch: (async (_url: string, init: RequestInit) => {
        calls.push(String(init.body));
        return new Response('ok');
      }) as typeof fetch,
    });
    const first = fever(h, { employeeNo: 'E1' });
    const waiting = fever(h, { employeeNo: 'E2' });
    expect(waiting).toMatchObject({ stage: 'waiting-for-room', roomId: null, escalated: true });
    expect(waiting.detail).toContain('every isolation room is full');
    await h.svc.tick();
    const sent = calls.map((c) => JSON.parse(c) as { reason: string; alert: { id: string } });
    expect(sent.filter((c) => c.reason === 'rooms-full')).toEqual([
      expect.objectContaining({ reason: 'rooms-full', alert: expect.objectContaining({ id: waiting.id }) }),
    ]);
    // Both fevers were told when raised.
    expect(sent.filter((c) => c.reason === 'raised').map((c) => c.alert.id)).toEqual([first.id, waiting.id]);

    await closeEpisode(h, first.id);
    expect(h.svc.get(waiting.id)).toMatchObject({ stage: 'assigned', roomId: 'R1' });
    expect(h.svc.get(waiting.id)?.detail).toContain('go to isolation room Room R1 (R1)');
  });

  it('no isolation room set up: the guard confirms the person at the isolation area, re-checks and closes', async () => {
    h = openHarness({ rooms: [] });
    const e = fever(h, { employeeNo: 'E1' });
    expect(e).toMatchObject({ stage: 'waiting-for-room', roomId: null });
    expect(thrown(() => h.svc.close(e.id, guard, 'sent-home')).code).toBe('TG_DASH_ALERT_BAD_STAGE');
    expect(h.svc.confirmArrival(e.id, guard)).toMatchObject({ stage: 'arrived', roomId: null });
    await h.svc.recordRecheck(e.id, guard, { temperatureTenths: 379, instrument: 'contact' });
    expect(h.svc.close(e.id, guard, 'referred-to-hospital')).toMatchObject({
      state: 'cleared',
      stage: 'closed',
      disposition: 'referred-to-hospital',
    });
    // Nothing is left waiting for a room, and no room is counted as taken.
    expect(h.svc.rooms()).toEqual([]);
  });

  it('waiting episodes are placed oldest first when a room is added', () => {
    h = openHarness({ rooms: [] });
    const a = fever(h, { employeeNo: 'E1' });
    h.clock.advance(1000);
    const b = fever(h, { employeeNo: 'E2' });
    expect(a.detail).toContain('no isolation room is set up');
    h.svc.upsertRoom(room('NEW', {}), admin);
    expect(h.svc.get(a.id)?.roomId).toBe('NEW');
    expect(h.svc.get(b.id)?.stage).toBe('waiting-for-room');
    h.svc.upsertRoom({ ...room('NEW', {}, 2) }, admin);
    expect(h.svc.get(b.id)?.roomId).toBe('NEW');
  });
});

describe('isolation plans', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('retained per gate, different rooms for different gates, recomputed after each assignment; null when full', async () => {
    h = openHarness({
      gates: ['gate-a', 'gate-b'],
      rooms: [room('RA', { 'gate-a': 10, 'gate-b': 80 }), room('RB', { 'gate-a': 60, 'gate-b': 20 })],
    });
    expect(plans(h).size).toBe(0);
    h.svc.republish(); // the server does so once the broker link is up
    expect([...plans(h)].map(([g, p]) => [g, p.room?.id])).toEqual([
      ['gate-a', 'RA'],
      ['gate-b', 'RB'],
    ]);
    expect(plans(h).get('gate-a')).toMatchObject({
      v: 1,
      siteId: 'site-1',
      room: { id: 'RA', name: 'Room RA' },
    });

    const f = fever(h, { gateId: 'gate-a', told: 'RA' });
    // Plans follow at the end of the turn (below).
    await nextTurn();
    // One free room left: both gates name it (a room with space beats "wait for a guard").
    expect(plans(h).get('gate-a')?.room?.id).toBe('RB');
    expect(plans(h).get('gate-b')?.room?.id).toBe('RB');
    fever(h, { gateId: 'gate-b', employeeNo: 'E9', told: 'RB' });
    await nextTurn();
    expect(plans(h).get('gate-a')?.room).toBeNull();
    expect(plans(h).get('gate-b')?.room).toBeNull();

    await closeEpisode(h, f.id);
    await nextTurn();
    expect(plans(h).get('gate-a')?.room?.id).toBe('RA');
  });

  it('room changes of one turn send each gate its last plan once, not one per change', async () => {
    // A dashboard catching up on a backlog takes many fevers in one turn; with a plan per change a
    // 1,000-gate site published thousands of retained plans at once and the hub cut the dashboard
    // off for its publish rate (bench/scale.ts).
    h = openHarness({
      gates: ['gate-a', 'gate-b'],
      rooms: [room('RA', { 'gate-a': 10, 'gate-b': 80 }), room('RB', { 'gate-a': 60, 'gate-b': 20 })],
    });
    h.svc.republish();
    const isolation = () => h.published.filter((p) => p.topic.endsWith('/isolation'));
    const before = isolation().length;
    // Both rooms fill in one turn: gate-a's plan would go RA → RB → none.
    fever(h, { gateId: 'gate-a', told: 'RA' });
    fever(h, { gateId: 'gate-b', employeeNo: 'E9', told: 'RB' });
    expect(isolation()).toHaveLength(before);
    await nextTurn();
    expect(
      isolation()
        .slice(before)
        .map((p) => p.topic),
    ).toEqual(['tg/site-1/gate/gate-a/isolation', 'tg/site-1/gate/gate-b/isolation']);
    expect(plans(h).get('gate-a')?.room).toBeNull();
    expect(plans(h).get('gate-b')?.room).toBeNull();
  });

  it('a gate seen for the first time gets its plan; republish() re-sends every plan', async () => {
    h = openHarness({ gates: [], rooms: [room('R1')] });
    expect(plans(h).size).toBe(0);
    h.svc.onGateStatus(status('gate-new'));
    // Made at the end of the turn, once for every gate first seen in it.
    await waitFor(() => plans(h).get('gate-new'), { what: 'the new gate’s plan' });
    expect(plans(h).get('gate-new')?.room?.id).toBe('R1');
    const before = h.published.length;
    h.svc.onGateStatus(status('gate-new'));
    expect(h.published.length).toBe(before);
    h.svc.republish();
    expect(h.published.slice(before).map((p) => p.topic)).toEqual([
      'tg/site-1/dashboard/alerts',
      'tg/site-1/gate/gate-new/isolation',
    ]);
  });
});

describe('room management', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('validates rooms, refuses to remove or shrink an occupied room, audits every change and tells listeners', () => {
    h = openHarness({ rooms: [room('R1')] });
    const seen: number[] = [];
    h.svc.onRoomsChange((rooms) => seen.push(rooms.length));
    const bad = thrown(() => h.svc.upsertRoom({ ...room('R2'), capacity: 3, shared: false }, admin));
    expect([bad.statusCode, bad.code, bad.issues[0]?.where]).toEqual([
      400,
      'TG_DASH_ROOM_INVALID',
      'capacity',
    ]);
    expect(thrown(() => h.svc.upsertRoom({ ...room('R2'), capacity: 5, shared: true }, admin)).code).toBe(
      'TG_DASH_ROOM_INVALID',
    );
    expect(thrown(() => h.svc.upsertRoom({ ...room('bad id!') }, admin)).code).toBe('TG_DASH_ROOM_INVALID');

    const view = h.svc.upsertRoom(room('S', { 'gate-a': 1 }, 2), admin);
    expect(view).toMatchObject({ id: 'S', capacity: 2, shared: true, free: 2, occupants: [] });
    fever(h, { employeeNo: 'E1' });
    fever(h, { employeeNo: 'E2' });
    expect(h.svc.rooms().find((r) => r.id === 'S')?.free).toBe(0);
    const shrink = thrown(() => h.svc.upsertRoom({ ...room('S', {}, 1) }, admin));
    expect([shrink.statusCode, shrink.code]).toEqual([409, 'TG_DASH_ROOM_OCCUPIED']);
    const occupied = thrown(() => h.svc.removeRoom('S', admin));
    expect([occupied.statusCode, occupied.code]).toEqual([409, 'TG_DASH_ROOM_OCCUPIED']);
    expect(thrown(() => h.svc.removeRoom('ghost', admin)).statusCode).toBe(404);
    h.svc.removeRoom('R1', admin);
    expect(h.svc.rooms().map((r) => r.id)).toEqual(['S']);
    expect(h.audits.filter((a) => a.action.startsWith('room.')).map((a) => [a.action, a.target])).toEqual([
      ['room.upsert', 'S'],
      ['room.remove', 'R1'],
    ]);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)).toBe(1);
  });

  it('property: a room never holds more open episodes than its capacity, whatever happens', async () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('fever' as const),
        gate: fc.constantFrom('gate-a', 'gate-b'),
        person: fc.integer({ min: 0, max: 7 }),
        told: fc.constantFrom(null, 'R1', 'R2', 'R3'),
      }),
      fc.record({ t: fc.constant('close' as const), pick: fc.nat() }),
      fc.record({
        t: fc.constant('resize' as const),
        room: fc.constantFrom('R1', 'R2', 'R3'),
        capacity: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({ t: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40 * 60_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const hh = openHarness({
          gates: ['gate-a', 'gate-b'],
          rooms: [room('R1', { 'gate-a': 5 }), room('R2', { 'gate-b': 5 }, 2), room('R3', {})],
        });
        try {
          for (const o of ops) {
            if (o.t === 'fever') fever(hh, { gateId: o.gate, employeeNo: `E${o.person}`, told: o.told });
            else if (o.t === 'time') hh.clock.advance(o.ms);
            else if (o.t === 'close') {
              const open = hh.svc.list().filter((a) => a.kind === 'fever' && a.stage !== 'waiting-for-room');
              const a = open[o.pick % Math.max(1, open.length)];
              if (a?.stage === 'assigned') await closeEpisode(hh, a.id);
            } else {
              try {
                hh.svc.upsertRoom(room(o.room, {}, o.capacity), admin);
              } catch (e) {
                expect((e as AlertsError).code).toBe('TG_DASH_ROOM_OCCUPIED');
              }
            }
            for (const r of hh.svc.rooms()) {
              expect(r.occupants.length).toBeLessThanOrEqual(r.capacity);
              expect(r.free).toBe(r.capacity - r.occupants.length);
            }
            // Nobody waits while a place is free.
            const free = hh.svc.rooms().some((r) => r.free > 0);
            if (free) expect(hh.svc.list().some((a) => a.stage === 'waiting-for-room')).toBe(false);
          }
        } finally {
          hh.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
