/**
 * The tiles' passages and the feed's rows are written once per turn (dashboard/wire/gate-board.ts,
 * dashboard/feed/store.ts), outside the message's handler: a write that fails there (a full disk,
 * played by a trigger that aborts) is reported and dropped, never thrown out of the turn (that
 * would end the process), and the next turn's writes go through.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../dashboard/db/open.ts';
import { FeedStore } from '../../dashboard/feed/store.ts';
import { GateBoard } from '../../dashboard/wire/gate-board.ts';
import { decision, T0 } from './fixture.ts';

const turn = () => new Promise((r) => setImmediate(r));
const failing = (table: string) =>
  `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`;

describe('writes at the end of a turn', () => {
  it('the tiles: a failed write is reported with its count, the next ones are kept', async () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'tg-board-')));
    const errors: Array<[string, number]> = [];
    const board = new GateBoard(db, {
      timeZone: 'Asia/Shanghai',
      now: () => T0,
      onWriteError: (err, n) => errors.push([String(err), n]),
    });
    db.exec(failing('gate_passages'));
    expect(board.onDecision(decision({ gateId: 'gate-a', at: T0 - 2000 }))).toBe(true);
    expect(board.onDecision(decision({ gateId: 'gate-a', at: T0 - 1000 }))).toBe(true);
    await turn();
    expect(errors).toEqual([[expect.stringContaining('disk full (test)'), 2]]);
    db.exec('DROP TRIGGER fail_gate_passages');
    board.onDecision(decision({ gateId: 'gate-a', at: T0 - 500 }));
    await turn();
    expect(board.todayCounts().get('gate-a')).toEqual({ passed: 1, flagged: 0 });
    board.close();
    db.close();
  });

  it('the feed: a failed write is reported, ids keep growing, the next events are kept', async () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'tg-feed-')));
    const errors: number[] = [];
    const store = new FeedStore(db, 100, (_err, n) => errors.push(n));
    db.exec(failing('feed_events'));
    store.append('decision', '{"n":1}', 1);
    await turn();
    expect(errors).toEqual([1]);
    db.exec('DROP TRIGGER fail_feed_events');
    expect(store.append('decision', '{"n":2}', 2).id).toBe(2);
    await turn();
    expect(store.since(0).map((e) => e.data)).toEqual(['{"n":2}']);
    store.close();
    db.close();
  });
});
