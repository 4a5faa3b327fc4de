/**
 * The live feed's memory: every event with a persistent, strictly increasing id (SQLite
 * AUTOINCREMENT never reuses an id, even after old rows are pruned or the dashboard restarts), so a
 * browser that reconnects with `Last-Event-ID: n` gets exactly the events after n.
 *
 * Ids are given when an event is appended and the rows written once per turn of the event loop
 * (db/turn-writes.ts; an INSERT of its own per decision was a tenth of the dashboard's CPU at
 * 1,000 gates). Every read writes the waiting rows first, so a reader never sees a gap.
 */
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import { TurnWrites } from '../db/turn-writes.ts';

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
  private readonly waiting: FeedEvent[] = [];
  private readonly writes: TurnWrites;
  /** The id the next event gets. */
  private nextId: number;

  constructor(
    private readonly db: Db,
    private readonly keep: number,
    /**
     * A turn's events could not be written (a full disk): they were sent live but a browser that
     * resumes will not get them; reported, not thrown (not given: thrown).
     */
    onWriteError?: (err: unknown, events: number) => void,
  ) {
    migrate(db, 'feed', STEPS);
    this.writes = new TurnWrites(
      db,
      {
        size: () => this.waiting.length,
        write: () => {
          for (const e of this.waiting) this.insert.run(e.id, e.at, e.type, e.data);
        },
        clear: () => {
          this.waiting.length = 0;
        },
      },
      {
        afterWrite: (n) => {
          this.sincePrune += n;
          if (this.sincePrune >= PRUNE_EVERY) this.prune();
        },
        ...(onWriteError ? { onError: onWriteError } : {}),
      },
    );
    this.insert = db.prepare('INSERT INTO feed_events (id, at, type, data) VALUES (?, ?, ?, ?)');
    this.after = db.prepare('SELECT id, at, type, data FROM feed_events WHERE id > ? ORDER BY id LIMIT ?');
    this.seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'feed_events'");
    this.nextId = this.storedHead() + 1;
    this.prune();
  }

  append(type: FeedType, data: string, at: number): FeedEvent {
    const e: FeedEvent = { id: this.nextId++, at, type, data };
    this.waiting.push(e);
    this.writes.request();
    return e;
  }

  /** Writes the waiting events now. */
  flush(): void {
    this.writes.flush();
  }

  /** Writes what waits; from now on each event is written when it comes. */
  close(): void {
    this.writes.close();
  }

  /** Events after `id`, oldest first (at most `limit`). */
  since(id: number, limit = this.keep): FeedEvent[] {
    this.flush();
    return this.after.all(id, limit) as FeedEvent[];
  }

  /** The id of the last event ever appended (0 before the first). */
  head(): number {
    return this.nextId - 1;
  }

  private storedHead(): number {
    return (this.seq.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  /** The oldest id still kept (head + 1 when empty). */
  oldest(): number {
    this.flush();
    const r = this.db.prepare('SELECT MIN(id) AS id FROM feed_events').get() as { id: number | null };
    return r.id ?? this.head() + 1;
  }

  prune(): void {
    this.flush();
    this.sincePrune = 0;
    this.db.prepare('DELETE FROM feed_events WHERE id <= ?').run(this.head() - this.keep);
  }
}
