/**
 * The isolation rooms in the dashboard's database. Seeded once from the configuration; from then on
 * admins manage them through the API, so a room an admin removed does not come back on restart.
 * Who is in a room is not stored here: it is the open fever episodes that name the room (one source
 * of truth, so occupancy can never disagree with the episodes).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Room } from '../alerts/types.ts';
import { migrate } from '../db/migrate.ts';

/** Append-only (db/migrate.ts). */
const STEPS = [
  `
CREATE TABLE IF NOT EXISTS isolation_room (
  id        TEXT    PRIMARY KEY,
  name      TEXT    NOT NULL,
  capacity  INTEGER NOT NULL,
  shared    INTEGER NOT NULL,
  distances TEXT    NOT NULL,
  position  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS isolation_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
];

interface Row {
  id: string;
  name: string;
  capacity: number;
  shared: number;
  distances: string;
}

const fromRow = (r: Row): Room => ({
  id: r.id,
  name: r.name,
  capacity: r.capacity,
  shared: r.shared === 1,
  distances: JSON.parse(r.distances) as Record<string, number>,
});

export class RoomStore {
  private readonly s: {
    all: Statement;
    get: Statement;
    upsert: Statement;
    remove: Statement;
    seeded: Statement;
    markSeeded: Statement;
  };

  constructor(db: Database) {
    migrate(db, 'isolation', STEPS);
    this.s = {
      all: db.prepare('SELECT * FROM isolation_room ORDER BY position, id'),
      get: db.prepare('SELECT * FROM isolation_room WHERE id = ?'),
      upsert: db.prepare(
        `INSERT INTO isolation_room (id, name, capacity, shared, distances, position)
         VALUES (@id, @name, @capacity, @shared, @distances,
                 (SELECT COALESCE(MAX(position), 0) + 1 FROM isolation_room))
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, capacity = excluded.capacity,
           shared = excluded.shared, distances = excluded.distances`,
      ),
      remove: db.prepare('DELETE FROM isolation_room WHERE id = ?'),
      seeded: db.prepare(`SELECT value FROM isolation_meta WHERE key = 'seeded'`),
      markSeeded: db.prepare(`INSERT OR REPLACE INTO isolation_meta (key, value) VALUES ('seeded', '1')`),
    };
  }

  /** Puts the configured rooms in on the very first start only. */
  seedOnce(rooms: readonly Room[]): boolean {
    if (this.s.seeded.get()) return false;
    if (this.all().length === 0) for (const r of rooms) this.upsert(r);
    this.s.markSeeded.run();
    return true;
  }

  all(): Room[] {
    return (this.s.all.all() as Row[]).map(fromRow);
  }

  get(id: string): Room | undefined {
    const row = this.s.get.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  upsert(r: Room): void {
    this.s.upsert.run({
      id: r.id,
      name: r.name,
      capacity: r.capacity,
      shared: r.shared ? 1 : 0,
      distances: JSON.stringify(r.distances),
    });
  }

  remove(id: string): boolean {
    return this.s.remove.run(id).changes > 0;
  }
}
