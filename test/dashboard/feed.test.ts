/**
 * The live feed over a real socket: events with persistent ids, resume with Last-Event-ID (exactly
 * the missed events, also across a restart on the same data dir), the fleet snapshot on connect,
 * heartbeats, streams closed at logout and at app close, guards and admins only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { decision, fleet, SITE, startApp, T0, type TestApp, wire } from './fixture.ts';
import { openSse, type SseStream } from './sse.ts';

let t: TestApp | undefined;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.drop();
  await t?.close();
  t = undefined;
});

async function listen(x: TestApp): Promise<number> {
  await x.app.listen({ host: '127.0.0.1', port: 0 });
  const a = x.app.server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

async function connect(port: number, cookie: string, lastEventId?: string): Promise<SseStream> {
  const s = await openSse(port, '/api/feed', {
    cookie,
    ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
  });
  streams.push(s);
  return s;
}

const pass = (employeeNo: string) => decision({ employeeNo }, employeeNo);
const employees = (s: SseStream) =>
  s.events.filter((e) => e.event === 'decision').map((e) => JSON.parse(e.data).reading.employeeNo);
const ids = (s: SseStream) =>
  s.events.filter((e) => e.id !== undefined && e.event !== 'hello').map((e) => Number(e.id));

describe('live feed', () => {
  it('resumes with exactly the missed events after a drop, and across a restart', async () => {
    t = await startApp();
    let port = await listen(t);
    const guard = await t.login('guard');

    const first = await connect(port, guard.cookie);
    expect(first.status).toBe(200);
    await first.waitFor('hello', 1);
    for (const e of ['E1', 'E2', 'E3']) wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass(e));
    await first.waitFor('decision', 3);
    expect(employees(first)).toEqual(['E1', 'E2', 'E3']);
    const seen = ids(first);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const last = String(seen.at(-1));

    first.drop();
    await waitFor(() => t?.core.feed.clientCount === 0, { what: 'the server to notice the drop' });
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass('E4'));
    const cmd = await t.call(guard, 'POST', '/api/gates/gate-a/commands', { kind: 'lockdown' });
    expect(cmd.statusCode).toBe(202);

    const second = await connect(port, guard.cookie, last);
    await second.waitFor('command', 1);
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass('E5'));
    await second.waitFor('decision', 2);
    expect(second.events.map((e) => e.event)).toEqual(['decision', 'command', 'decision']);
    expect(employees(second)).toEqual(['E4', 'E5']);
    expect(ids(second)[0]).toBe(Number(last) + 1);
    const last2 = String(ids(second).at(-1));

    // Dropped again; an event while away; the dashboard restarts; another event after the restart.
    second.drop();
    await waitFor(() => t?.core.feed.clientCount === 0, { what: 'the server to notice the drop' });
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass('E6'));
    const { dir, clock } = t;
    await t.close();
    t = await startApp({ dir, clock, seedUsers: false });
    port = await listen(t);
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass('E7'));
    // The session survived the restart too (it lives in the database).
    const third = await connect(port, guard.cookie, last2);
    expect(third.status).toBe(200);
    await third.waitFor('decision', 2);
    expect(employees(third)).toEqual(['E6', 'E7']);
    expect(ids(third)).toEqual([Number(last2) + 1, Number(last2) + 2]);
  });

  it('a fresh connection gets a resume point and the current fleet (without an id)', async () => {
    t = await startApp();
    wire(t.core, `tg/${SITE}/gate/gate-a/decision`, pass('E1'));
    wire(t.core, `tg/${SITE}/fleet`, fleet([{ gateId: 'gate-a', online: true }]));
    const port = await listen(t);
    const admin = await t.login('admin');
    const s = await connect(port, admin.cookie);
    await s.waitFor('fleet', 1);
    const hello = s.events.find((e) => e.event === 'hello');
    expect(hello?.id).toBe('1'); // the head: the E1 decision is history, not replayed to a fresh client
    expect(s.events.filter((e) => e.event === 'decision')).toHaveLength(0);
    const f = s.events.find((e) => e.event === 'fleet');
    expect(f?.id).toBeUndefined();
    expect(JSON.parse(f?.data ?? '{}').gates[0].gateId).toBe('gate-a');
    // A new fleet snapshot that changes nothing but its time is not pushed again; a change is.
    wire(t.core, `tg/${SITE}/fleet`, fleet([{ gateId: 'gate-a', online: true }], Date.now() + 1));
    wire(t.core, `tg/${SITE}/fleet`, fleet([{ gateId: 'gate-a', online: false }]));
    await s.waitFor('fleet', 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.of<{ gates: Array<{ online: boolean }> }>('fleet').map((x) => x.gates[0]?.online)).toEqual([
      true,
      false,
    ]);
    // The ?lastEventId= form works like the header (for clients that cannot set headers).
    const q = await openSse(port, '/api/feed?lastEventId=0', { cookie: admin.cookie });
    streams.push(q);
    await q.waitFor('decision', 1);
  });

  it('sends heartbeats, closes a stream whose session ended, and closes all streams with the app', async () => {
    t = await startApp({ feedHeartbeatMs: 50 });
    const port = await listen(t);
    const guard = await t.login('guard');
    const admin = await t.login('admin');
    const a = await connect(port, guard.cookie);
    const b = await connect(port, admin.cookie);
    await waitFor(() => a.comments.includes('hb'), { what: 'a heartbeat comment' });
    expect((await t.call(guard, 'POST', '/api/logout', {})).statusCode).toBe(200);
    await a.waitEnd();
    expect(b.ended).toBe(false);
    await t.app.close();
    await b.waitEnd();
  });

  it('says when it is behind the site (to open streams, and at once to one that connects), and when it caught up', async () => {
    t = await startApp({ feedLagWindowMs: 50 });
    const port = await listen(t);
    const guard = await t.login('guard');
    const s = await connect(port, guard.cookie);
    await s.waitFor('hello', 1);
    const topic = `tg/${SITE}/gate/gate-a/decision`;
    // Passages that reach the feed 30 s after they happened: the dashboard (or the broker before
    // it) cannot keep up with the site. Nothing is lost, but a fever shown now is not live.
    for (const e of ['E1', 'E2', 'E3']) wire(t.core, topic, decision({ employeeNo: e, at: T0 - 30_000 }, e));
    await s.waitFor('lag', 1);
    expect(s.of('lag')).toEqual([{ behindS: 30 }]);
    expect(s.events.find((e) => e.event === 'lag')?.id).toBeUndefined();
    const later = await connect(port, guard.cookie);
    await later.waitFor('lag', 1);
    expect(later.of('lag')).toEqual([{ behindS: 30 }]);
    // Caught up: live passages again (one gate whose clock is a minute behind does not decide it).
    wire(t.core, topic, decision({ employeeNo: 'E4', at: T0 }, 'E4'));
    wire(t.core, topic, decision({ employeeNo: 'E5', at: T0 - 100 }, 'E5'));
    wire(
      t.core,
      `tg/${SITE}/gate/gate-b/decision`,
      decision({ gateId: 'gate-b', employeeNo: 'E6', at: T0 - 60_000 }, 'E6'),
    );
    await s.waitFor('lag', 2);
    expect(s.of('lag')).toEqual([{ behindS: 30 }, { behindS: null }]);
    // Offline records are old by nature: they do not count (counted, these would say an hour).
    for (const e of ['E7', 'E8', 'E9', 'E10'])
      wire(t.core, topic, decision({ employeeNo: e, at: T0 - 3_600_000, realtime: false }, e));
    for (const e of ['E11', 'E12', 'E13'])
      wire(t.core, topic, decision({ employeeNo: e, at: T0 - 10_000 }, e));
    await s.waitFor('lag', 3);
    expect(s.of('lag')).toEqual([{ behindS: 30 }, { behindS: null }, { behindS: 10 }]);
  });

  it('is for guards and admins only', async () => {
    t = await startApp();
    expect((await t.call(null, 'GET', '/api/feed')).statusCode).toBe(401);
    const r = await t.call(await t.login('hr'), 'GET', '/api/feed');
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('TG_DASH_FORBIDDEN');
    const bad = await t.call(await t.login('guard'), 'GET', '/api/feed', undefined, {
      'last-event-id': 'abc',
    });
    expect(bad.statusCode).toBe(400);
  });
});
