import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { newReading } from '../../test/storage/records.ts';
import type { FillEvent } from './fill-level.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';

describe('Outbox', () => {
  let dir: string;
  let path: string;
  let clock: FakeClock;
  const open: Outbox[] = [];
  const openOutbox = (o: Partial<OutboxOptions> = {}) => {
    const ob = Outbox.open({ path, capacity: 100, clock, ...o });
    open.push(ob);
    return ob;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-outbox-'));
    path = join(dir, 'sub', 'outbox.sqlite');
    clock = new FakeClock(Date.UTC(2026, 0, 1));
  });
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers readings per gate, seeded from the clock, and commits them', () => {
    const ob = openOutbox();
    const a = ob.append(newReading());
    const b = ob.append(newReading());
    const c = ob.append(newReading({ gateId: 'gate-2' }));
    expect(a.seq).toBe(Date.UTC(2026, 0, 1));
    expect(b.seq).toBe(a.seq + 1);
    expect(c.seq).toBe(a.seq);
    expect(a).toMatchObject({ v: 1, id: `site-a:gate-1:${a.seq}`, gateId: 'gate-1' });
    expect(ob.peek(10)).toEqual([a, b, c]);
    expect(ob.depth()).toBe(3);
  });

  it('never reuses a seq: the counter survives draining and reopening', () => {
    let ob = openOutbox();
    const first = ob.append(newReading());
    ob.ack([first.id]);
    expect(ob.depth()).toBe(0);
    ob.close();
    clock.advance(-1_000_000); // a clock that went backwards must not matter either
    ob = openOutbox();
    expect(ob.append(newReading()).seq).toBe(first.seq + 1);
    expect(ob.nextSeq('site-a', 'gate-1')).toBe(first.seq + 2);
  });

  it('seeds no lower than 2024-01-01 on a board that booted at 1970', () => {
    const ob = openOutbox({ clock: new FakeClock(0) });
    expect(ob.append(newReading()).seq).toBe(Date.UTC(2024, 0, 1));
  });

  it('peeks oldest first and acks by id; depth and oldest age follow', () => {
    const ob = openOutbox();
    const rs = [0, 1, 2, 3].map(() => {
      const r = ob.append(newReading());
      clock.advance(1000);
      return r;
    });
    expect(ob.oldestQueuedAt()).toBe(Date.UTC(2026, 0, 1));
    expect(ob.peek(2).map((r) => r.id)).toEqual([rs[0]?.id, rs[1]?.id]);
    expect(ob.ack([rs[0]?.id as string, rs[1]?.id as string, 'not-there'])).toBe(2);
    expect(ob.depth()).toBe(2);
    expect(ob.oldestQueuedAt()).toBe(Date.UTC(2026, 0, 1) + 2000);
    ob.ack(ob.peek(10).map((r) => r.id));
    expect(ob.oldestQueuedAt()).toBeNull();
  });

  it('commits acks without an fsync of their own, and every record() after one still with synchronous=FULL', () => {
    const ob = openOutbox();
    expect(ob.commitSync()).toBe('FULL');
    const a = ob.append(newReading());
    expect(ob.ack([a.id])).toBe(1);
    expect(ob.commitSync()).toBe('FULL');
    const b = ob.append(newReading());
    expect(ob.commitSync()).toBe('FULL');
    expect(ob.peek(1).map((r) => r.id)).toEqual([b.id]);
  });

  it('refuses invalid readings with TG_OUTBOX_INVALID and stores only schema fields', () => {
    const ob = openOutbox();
    expect(() => ob.append(newReading({ temperatureTenths: 2001 }))).toThrow(
      /TG_OUTBOX_INVALID.*temperatureTenths/,
    );
    expect(() => ob.append(newReading({ siteId: 'bad/site' }))).toThrow(/TG_OUTBOX_INVALID/);
    const r = ob.append({ ...newReading(), name: 'Zhang San' } as never);
    expect(r).not.toHaveProperty('name');
    expect(ob.peek(10)).toEqual([r]);
  });

  it('one owner at a time: a second open fails with TG_OUTBOX_LOCKED', () => {
    openOutbox();
    expect(() => Outbox.open({ path, capacity: 100, lockTimeoutMs: 50 })).toThrow(/TG_OUTBOX_LOCKED/);
  });

  it("policy 'refuse' throws TG_OUTBOX_FULL at capacity; 'keep' goes on and reports full", () => {
    const refuse = openOutbox({ capacity: 3, policy: 'refuse' });
    for (let i = 0; i < 3; i++) refuse.append(newReading());
    expect(() => refuse.append(newReading())).toThrow(/TG_OUTBOX_FULL/);
    refuse.ack([refuse.peek(1)[0]?.id as string]);
    expect(() => refuse.append(newReading())).not.toThrow();
    refuse.close();

    const keep = openOutbox({ capacity: 3 });
    for (let i = 0; i < 5; i++) keep.append(newReading());
    expect(keep.depth()).toBe(8);
    expect(keep.level()).toBe('full');
  });

  it('raises fill levels at 50/80/95/100 % and clears them with hysteresis', () => {
    const ob = openOutbox({ capacity: 100 });
    const events: FillEvent[] = [];
    ob.on('fill', (e) => events.push(e));
    for (let i = 0; i < 100; i++) ob.append(newReading());
    expect(events.map((e) => [e.level, e.depth, e.severity, e.active])).toEqual([
      ['filling', 50, 'minor', true],
      ['high', 80, 'major', true],
      ['critical', 95, 'critical', true],
      ['full', 100, 'critical', true],
    ]);
    events.length = 0;
    const ids = ob.peek(100).map((r) => r.id);
    ob.ack(ids.slice(0, 1)); // 99: still within 2 % of full
    expect(events).toEqual([]);
    ob.ack(ids.slice(1, 3)); // 97
    expect(events.map((e) => e.level)).toEqual(['critical']);
    ob.ack(ids.slice(3, 60)); // 40
    expect(events.map((e) => e.level)).toEqual(['critical', 'ok']);
    expect(events[1]).toMatchObject({ active: false, previous: 'critical' });
  });

  it('quarantines refused readings on disk and can requeue them', () => {
    const ob = openOutbox();
    const [a, b] = [ob.append(newReading()), ob.append(newReading())];
    expect(ob.quarantine([{ id: a.id, code: 'TG_STORE_REJECTED', detail: 'bad' }])).toBe(1);
    expect(ob.depth()).toBe(1);
    expect(ob.quarantined()).toBe(1);
    ob.close();
    const again = openOutbox();
    expect(again.quarantined()).toBe(1);
    expect(again.listQuarantine()).toEqual([
      expect.objectContaining({ id: a.id, code: 'TG_STORE_REJECTED', detail: 'bad', record: a }),
    ]);
    expect(again.requeueQuarantine()).toBe(1);
    expect(again.peek(10).map((r) => r.id)).toEqual([b.id, a.id]);
    expect(again.quarantined()).toBe(0);
  });

  it('moves a row that is no longer JSON to quarantine instead of blocking the queue', () => {
    let ob = openOutbox();
    const a = ob.append(newReading());
    const b = ob.append(newReading());
    ob.close();
    const raw = new Database(path);
    raw.prepare('UPDATE outbox SET body = ? WHERE id = ?').run('{broken', a.id);
    raw.close();
    ob = openOutbox();
    expect(ob.peek(10)).toEqual([b]);
    expect(ob.depth()).toBe(1);
    expect(ob.listQuarantine()[0]).toMatchObject({
      id: a.id,
      code: 'TG_OUTBOX_CORRUPT_ROW',
      record: null,
      body: '{broken',
    });
  });

  it('refuses a file of a newer release, and record() after close', () => {
    const ob = openOutbox();
    ob.close();
    expect(() => ob.append(newReading())).toThrow(/TG_OUTBOX_CLOSED/);
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openOutbox()).toThrow(/TG_OUTBOX_OPEN.*newer/);
  });
});
