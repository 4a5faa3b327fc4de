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

  it('head is 0 and nothing is pending on a new database', () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'tg-feed-')));
    const s = new FeedStore(db, 100);
    expect(s.head()).toBe(0);
    expect(s.oldest()).toBe(1);
    expect(s.since(0)).toEqual([]);
    db.close();
  });
});
