/**
 * The live feed's memory: every event with a persistent, strictly increasing id (SQLite
 * AUTOINCREMENT never reuses an id, even after old rows are pruned or the dashboard restarts), so a
 * browser that reconnects with `Last-Event-ID: n` gets exactly the events after n.
 */
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';

/** What the feed carries; `fleet` and `lag` are state (broadcast, never stored), the rest history. */
export const FEED_TYPES = ['decision', 'alert', 'fleet', 'rooms', 'command', 'holds', 'lag'] as const;
export type FeedType = (typeof FEED_TYPES)[number];

export interface FeedEvent {
  id: number;
  at: number;
  type: FeedType;
  /** JSON text, as sent. */
  data: string;
}

const STEPS = [
  `CREATE TABLE feed_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL
   )`,
];

/** Prune in batches rather than on every insert. */
const PRUNE_EVERY = 100;

export class FeedStore {
  private readonly insert;
  private readonly after;
  private readonly seq;
  private sincePrune = 0;

  constructor(
    private readonly db: Db,
    private readonly keep: number,
  ) {
    migrate(db, 'feed', STEPS);
    this.insert = db.prepare('INSERT INTO feed_events (at, type, data) VALUES (?, ?, ?)');
    this.after = db.prepare('SELECT id, at, type, data FROM feed_events WHERE id > ? ORDER BY id LIMIT ?');
    this.seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'feed_events'");
    this.prune();
  }

  append(type: FeedType, data: string, at: number): FeedEvent {
    const id = Number(this.insert.run(at, type, data).lastInsertRowid);
    if (++this.sincePrune >= PRUNE_EVERY) this.prune();
    return { id, at, type, data };
  }

  /** Events after `id`, oldest first (at most `limit`). */
  since(id: number, limit = this.keep): FeedEvent[] {
    return this.after.all(id, limit) as FeedEvent[];
  }

  /** The id of the last event ever appended (0 before the first). */
  head(): number {
    return (this.seq.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  /** The oldest id still kept (head + 1 when empty). */
  oldest(): number {
    const r = this.db.prepare('SELECT MIN(id) AS id FROM feed_events').get() as { id: number | null };
    return r.id ?? this.head() + 1;
  }

  prune(): void {
    this.sincePrune = 0;
    this.db.prepare('DELETE FROM feed_events WHERE id <= ?').run(this.head() - this.keep);
  }
}
