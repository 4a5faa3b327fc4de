/** The feed's event store: ids never reused (pruning, reopening), keepEvents honoured. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.ts';
import { FeedStore } from './store.ts';

describe('FeedStore', () => {
  it('keeps the last keepEvents events, ids keep growing across pruning and a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-feed-'));
    let db = openDatabase(dir);
    let s = new FeedStore(db, 100);
    for (let i = 1; i <= 250; i++) expect(s.append('decision', `{"n":${i}}`, i).id).toBe(i);
    s.prune();
    expect(s.oldest()).toBe(151);
    expect(s.since(0).map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));
    expect(s.since(248)).toEqual([
      { id: 249, at: 249, type: 'decision', data: '{"n":249}' },
      { id: 250, at: 250, type: 'decision', data: '{"n":250}' },
    ]);
    db.close();
    db = openDatabase(dir);
    s = new FeedStore(db, 100);
    expect(s.head()).toBe(250);
    expect(s.append('alert', '{}', 1).id).toBe(251);
    db.close();
  });

  it('rows are written at the end of the turn, in one go; every read sees them before; close writes what waits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-feed-'));
    let db = openDatabase(dir);
    let s = new FeedStore(db, 100);
    const rows = () => (db.prepare('SELECT COUNT(*) AS n FROM feed_events').get() as { n: number }).n;
    expect([s.append('decision', '{"n":1}', 1).id, s.append('alert', '{"n":2}', 2).id]).toEqual([1, 2]);
    expect(rows()).toBe(0);
    expect(s.head()).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(rows()).toBe(2);
    s.append('decision', '{"n":3}', 3);
    // A reader in the same turn (a browser resuming) gets it.
    expect(s.since(2).map((e) => e.id)).toEqual([3]);
    s.append('decision', '{"n":4}', 4);
    s.close();
    db.close();
    db = openDatabase(dir);
    s = new FeedStore(db, 100);
    expect(s.since(0).map((e) => e.data)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(s.append('alert', '{}', 5).id).toBe(5);
    s.close();
    db.close();
  });

  it('head is 0 and nothing is pending on a new database', () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'tg-feed-')));
    const s = new FeedStore(db, 100);
    expect(s.head()).toBe(0);
    expect(s.oldest()).toBe(1);
    expect(s.since(0)).toEqual([]);
    db.close();
  });
});
