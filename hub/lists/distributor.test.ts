import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../kernel/clock.ts';
import {
  applyChange,
  type Change,
  type Snapshot,
  versionedSnapshot,
} from '../../protocols/site/versioned-list.ts';
import { createLogger } from '../log.ts';
import { ListDistributor } from './distributor.ts';

type Entry = { id: string; n: number };
const Entry = z.object({ id: z.string(), n: z.number() });

/** A store the test changes, and what a gate holding the list sees on the wire. */
function setup(minGapMs: number) {
  const clock = new ManualClock();
  let store: Snapshot<Entry> = { v: 1, version: 1, issuedAt: 0, entries: [] };
  const sent: { topic: string; body: { fromVersion?: number; toVersion?: number; version?: number } }[] = [];
  const d = new ListDistributor<Entry>(
    {
      what: 'test list',
      schema: versionedSnapshot(Entry) as never,
      key: (e) => e.id,
      snapshotTopic: 'list',
      changeTopic: 'list/changes',
      read: () => store,
    },
    async (topic, payload) => {
      sent.push({ topic, body: JSON.parse(payload) });
    },
    createLogger('test', 'silent'),
    { minGapMs, clock },
  );
  const change = (id: string, n: number) => {
    store = {
      ...store,
      version: store.version + 1,
      entries: [...store.entries.filter((e) => e.id !== id), { id, n }],
    };
  };
  const changes = () => sent.filter((s) => s.topic === 'list/changes').map((s) => s.body);
  // Lets the distributor's promise chain run (no timers involved).
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { clock, d, change, changes, settle, store: () => store, sent };
}

describe('ListDistributor: changes close together travel as one', () => {
  it('the first change after a quiet spell goes at once; the next within the gap waits for it and carries every version since', async () => {
    const t = setup(1000);
    await t.d.start(undefined);
    t.change('a', 1);
    const first = t.d.poll();
    await t.settle();
    expect(t.changes()).toEqual([expect.objectContaining({ fromVersion: 1, toVersion: 2 })]);
    expect(await first).toBe(true);

    // Three changes 100 ms apart, each polled, all within the gap.
    const polls: Promise<boolean>[] = [];
    for (const [id, n] of [
      ['b', 1],
      ['a', 2],
      ['c', 1],
    ] as const) {
      t.clock.advance(100);
      t.change(id, n);
      polls.push(t.d.poll());
      await t.settle();
    }
    expect(t.changes()).toHaveLength(1);
    // The gap ends 1 s after the first change: one change from version 2 to 5.
    t.clock.advance(699);
    await t.settle();
    expect(t.changes()).toHaveLength(1);
    t.clock.advance(1);
    await t.settle();
    expect(t.changes()).toEqual([
      expect.objectContaining({ fromVersion: 1, toVersion: 2 }),
      expect.objectContaining({ fromVersion: 2, toVersion: 5 }),
    ]);
    // Every caller learns its change is out (the hub answers a dashboard's request after this).
    expect(await Promise.all(polls)).toEqual([true, true, true]);
    // A gate applying the changes in order ends with the store's list.
    const copy = new Map<string, Entry>();
    let held = 1;
    for (const c of t.changes()) {
      expect(applyChange(copy, held, c as Change<Entry>, (e) => e.id)).toBe(true);
      held = c.toVersion as number;
    }
    expect(held).toBe(t.store().version);
    expect([...copy.values()].sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a', n: 2 },
      { id: 'b', n: 1 },
      { id: 'c', n: 1 },
    ]);
    // The retained snapshot follows each change.
    expect(t.sent.at(-1)).toEqual({ topic: 'list', body: expect.objectContaining({ version: 5 }) });
  });

  it('after the gap has passed a change goes at once again; with no gap each goes on its own', async () => {
    const t = setup(1000);
    await t.d.start(undefined);
    t.change('a', 1);
    await t.d.poll();
    t.clock.advance(1000);
    t.change('a', 2);
    void t.d.poll();
    await t.settle();
    expect(t.changes().map((c) => c.toVersion)).toEqual([2, 3]);

    const u = setup(0);
    await u.d.start(undefined);
    for (let n = 1; n <= 3; n++) {
      u.change('a', n);
      await u.d.poll();
    }
    expect(u.changes().map((c) => [c.fromVersion, c.toVersion])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
  });
});
