/**
 * The durable outbox: every reading is committed to a local SQLite file before record() returns,
 * and stays there until a sink has accepted it. The file is the gate's memory of what it still
 * owes the store; it is opened once, never recreated, and owned by one process at a time.
 *
 * Durability: WAL with synchronous=FULL, i.e. an fsync of the WAL on every commit. With NORMAL a
 * power cut may roll back the last commits even though record() had returned and the person had
 * walked through; a health record must survive that. The cost (one fsync per reading, measured
 * in bench/storage.ts) is far below the gate's pace of about one reading per second.
 * Acks (a sink accepted readings) are the exception: they commit without an fsync of their own
 * (see ack()), since losing one only means sending its readings again to an idempotent sink.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type Clock, systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import { FillGauge, type FillEvent, type FillLevel } from './fill-level.ts';
import { floorKey, type SeqFloors, SeqGuard } from './seq-guard.ts';
import type { SpilledReading } from './spill.ts';
import type { NewReading } from './types.ts';
import { numberReading, validateReading } from './validate.ts';

/**
 * What happens at capacity. 'keep' (default): capacity is an alarm line, not a wall; readings
 * keep being committed while the disk has room, and the `full` level stays raised. 'refuse':
 * append() throws TG_OUTBOX_FULL, for sites that would rather stop the gate than pass people
 * unrecorded (the recorder holds such readings in memory and the gate, asking
 * `recorder.accepting()` first, releases nobody meanwhile). There is deliberately no "drop oldest".
 */
export type OutboxPolicy = 'keep' | 'refuse';

export interface OutboxOptions {
  path: string;
  capacity: number;
  policy?: OutboxPolicy;
  clock?: Clock;
  /** FULL unless a benchmark wants to compare. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long to wait for a previous owner's lock to go away (default 2000 ms). */
  lockTimeoutMs?: number;
}

export interface QuarantinedRecord {
  id: string;
  code: string;
  detail: string;
  quarantinedAt: number;
  record: ReadingRecord | null;
  /** The stored text, for rows that are no longer valid JSON. */
  body: string;
}

const OUTBOX_VERSION = 1;
const OUTBOX_DDL = `
CREATE TABLE IF NOT EXISTS seq_counter (
  site_id  TEXT    NOT NULL,
  gate_id  TEXT    NOT NULL,
  next_seq INTEGER NOT NULL,
  PRIMARY KEY (site_id, gate_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  pos       INTEGER PRIMARY KEY,
  id        TEXT    NOT NULL UNIQUE,
  queued_at INTEGER NOT NULL,
  body      TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS handled_events (
  key        TEXT    PRIMARY KEY,
  handled_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
  pos            INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL,
  queued_at      INTEGER NOT NULL,
  body           TEXT    NOT NULL,
  code           TEXT    NOT NULL,
  detail         TEXT    NOT NULL,
  quarantined_at INTEGER NOT NULL
);
`;

/**
 * A new gate's first seq is the wall clock in ms (never below 2024-01-01, for boards that boot
 * at 1970). If the outbox file is ever lost or replaced, the gate then continues far above any
 * seq it used before instead of reusing ids the store already holds, which INSERT OR IGNORE /
 * point overwrite would turn into silently lost readings. Seqs stay dense from there on.
 */
const SEQ_SEED_FLOOR = Date.UTC(2024, 0, 1);

export interface OutboxEvents extends Record<string, unknown> {
  fill: FillEvent;
  error: unknown;
}

interface Row {
  pos: number;
  id: string;
  body: string;
}

/**
 * Seqs that readings held in memory had been given when the previous process ended: those
 * readings are lost, and their seqs are skipped, never given to other readings. `from` is null
 * when not known: the gate had never committed a reading, or the guard was unreadable (a torn
 * write), in which case the counter jumps to the wall clock in ms.
 */
export interface SkippedSeqs {
  siteId: string;
  gateId: string;
  from: number | null;
  to: number;
}

export class Outbox extends Emitter<OutboxEvents> {
  readonly path: string;
  readonly capacity: number;
  readonly policy: OutboxPolicy;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly gauge: FillGauge;
  private depthNow: number;
  private quarantinedNow: number;
  private closed = false;
  private readonly synchronous: 'FULL' | 'NORMAL';
  private readonly appendTx: Database.Transaction<
    (r: NewReading, eventKey: string | undefined) => ReadingRecord | undefined
  >;
  private readonly commitTx: Database.Transaction<(items: readonly SpilledReading[]) => ReadingRecord[]>;
  private readonly stmt: ReturnType<typeof prepare>;
  private readonly guardPath: string;
  private guard: SeqGuard | null;
  /** No seq below these is handed out (see seq-guard.ts). */
  private readonly floors: SeqFloors;
  private readonly skipped: SkippedSeqs[] = [];
  private readonly guardProblem: string | null;

  private constructor(db: Database.Database, opts: OutboxOptions) {
    super();
    this.db = db;
    this.path = opts.path;
    this.capacity = opts.capacity;
    this.policy = opts.policy ?? 'keep';
    this.clock = opts.clock ?? systemClock;
    this.synchronous = opts.synchronous ?? 'FULL';
    this.stmt = prepare(db);
    this.depthNow = (this.stmt.count.get() as { n: number }).n;
    this.quarantinedNow = (this.stmt.countQuarantine.get() as { n: number }).n;
    this.gauge = new FillGauge(this.capacity, this.depthNow);
    this.guardPath = `${opts.path}.seq-guard`;
    const g = SeqGuard.open(this.guardPath);
    this.guard = g.guard;
    this.floors = g.floors;
    this.guardProblem = g.problem;
    this.applyFloors(g.unreadable);
    // The source event's key is committed with the reading it produced: a crash can leave both or
    // neither, so a redelivered event is recognised exactly when its reading is already stored.
    this.commitTx = db.transaction((items: readonly SpilledReading[]) => {
      const done: ReadingRecord[] = [];
      for (const { record, eventKey } of items) {
        // The counter moves past every seq handed out, stored or not: the id was published.
        const row = this.stmt.getSeq.get(record.siteId, record.gateId) as { next_seq: number } | undefined;
        this.stmt.putSeq.run(record.siteId, record.gateId, Math.max(row?.next_seq ?? 0, record.seq + 1));
        // Already produced a reading (cannot happen through the recorder, which checks first).
        if (eventKey !== undefined && this.stmt.addEvent.run(eventKey, this.clock.now()).changes === 0)
          continue;
        this.stmt.insert.run(record.id, this.clock.now(), JSON.stringify(record));
        done.push(record);
      }
      return done;
    });
    this.appendTx = db.transaction((reading: NewReading, eventKey: string | undefined) => {
      if (eventKey !== undefined && this.stmt.addEvent.run(eventKey, this.clock.now()).changes === 0)
        return undefined;
      const seq = this.nextSeqFor(reading.siteId, reading.gateId);
      this.stmt.putSeq.run(reading.siteId, reading.gateId, seq + 1);
      const record = numberReading(reading, seq);
      this.stmt.insert.run(record.id, this.clock.now(), JSON.stringify(record));
      return record;
    });
  }

  /** Opens (creating on first use) the outbox file and takes the exclusive lock on it. */
  static open(opts: OutboxOptions): Outbox {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new StorageError(StorageErrorCode.STORE_CONFIG, `outbox capacity must be a positive integer`);
    }
    let db: Database.Database;
    try {
      mkdirSync(dirname(opts.path), { recursive: true });
      db = new Database(opts.path, { timeout: opts.lockTimeoutMs ?? 2000 });
    } catch (err) {
      throw new StorageError(StorageErrorCode.OUTBOX_OPEN, `cannot open ${opts.path}: ${String(err)}`, {
        cause: err,
      });
    }
    try {
      // EXCLUSIVE before WAL: no shared-memory index, and the lock taken below is held until
      // close, so a second gate process on the same file fails instead of reusing seqs.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
      db.exec('BEGIN EXCLUSIVE; COMMIT;');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > OUTBOX_VERSION) {
        throw new StorageError(
          StorageErrorCode.OUTBOX_OPEN,
          `${opts.path} has outbox schema ${version}, newer than ${OUTBOX_VERSION}`,
        );
      }
      db.exec(OUTBOX_DDL);
      db.pragma(`user_version = ${OUTBOX_VERSION}`);
      return new Outbox(db, opts);
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new StorageError(StorageErrorCode.OUTBOX_LOCKED, `${opts.path} is in use by another process`, {
          cause: err,
        });
      }
      throw new StorageError(StorageErrorCode.OUTBOX_OPEN, `cannot open ${opts.path}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Validates, numbers and commits one reading. Synchronous: when it returns, the reading is on
   * disk. Throws TG_OUTBOX_INVALID, TG_OUTBOX_FULL (policy 'refuse' only), TG_OUTBOX_WRITE or
   * TG_OUTBOX_CLOSED, never anything untyped.
   */
  append(reading: NewReading): ReadingRecord {
    return this.appendOnce(reading, undefined) as ReadingRecord;
  }

  /** Whether the source event with this key has already produced a stored reading. */
  hasEvent(key: string): boolean {
    return this.stmt.hasEvent.get(key) !== undefined;
  }

  /** Forgets event keys older than `olderThanMs` (terminals re-send within days, not months). */
  pruneEvents(olderThanMs: number): number {
    return this.stmt.pruneEvents.run(this.clock.now() - olderThanMs).changes;
  }

  /** Appends unless the event key was already recorded (then returns undefined, writes nothing). */
  appendOnce(reading: NewReading, eventKey: string | undefined): ReadingRecord | undefined {
    if (this.closed) throw new StorageError(StorageErrorCode.OUTBOX_CLOSED, 'outbox is closed');
    const clean = validateReading(reading);
    if (this.policy === 'refuse' && this.depthNow >= this.capacity) {
      throw new StorageError(
        StorageErrorCode.OUTBOX_FULL,
        `outbox holds ${this.depthNow} of ${this.capacity} readings`,
      );
    }
    let record: ReadingRecord | undefined;
    try {
      record = this.appendTx.immediate(clean, eventKey);
    } catch (err) {
      throw new StorageError(StorageErrorCode.OUTBOX_WRITE, `commit failed: ${String(err)}`, { cause: err });
    }
    if (!record) return undefined;
    this.depthNow += 1;
    this.updateLevel();
    return record;
  }

  /**
   * Commits readings that were numbered while the outbox could not take them (the recorder's
   * spill), in order, in one transaction, each with its event key; the gate's counter moves past
   * them. Throws TG_OUTBOX_WRITE (nothing committed) or TG_OUTBOX_CLOSED.
   */
  commitNumbered(items: readonly SpilledReading[]): ReadingRecord[] {
    if (this.closed) throw new StorageError(StorageErrorCode.OUTBOX_CLOSED, 'outbox is closed');
    let done: ReadingRecord[];
    try {
      done = this.commitTx.immediate(items);
    } catch (err) {
      throw new StorageError(StorageErrorCode.OUTBOX_WRITE, `commit failed: ${String(err)}`, { cause: err });
    }
    this.depthNow += done.length;
    this.updateLevel();
    return done;
  }

  /**
   * The seq this gate's next reading gets. Reads only: a reading held in memory is numbered with
   * it while nothing can be written.
   */
  nextSeqFor(siteId: string, gateId: string): number {
    const row = this.stmt.getSeq.get(siteId, gateId) as { next_seq: number } | undefined;
    const seq = row ? row.next_seq : Math.max(this.clock.now(), SEQ_SEED_FLOOR);
    return Math.max(seq, this.floors.get(floorKey(siteId, gateId)) ?? 0);
  }

  /**
   * Records, durably and without needing free space, that seqs below `next` are handed out for
   * this gate (readings held in memory). Throws TG_OUTBOX_SEQ_GUARD when the guard file cannot
   * be written.
   */
  guardSeqs(siteId: string, gateId: string, next: number): void {
    const key = floorKey(siteId, gateId);
    if ((this.floors.get(key) ?? 0) >= next) return;
    this.floors.set(key, next);
    this.guard ??= SeqGuard.retry(this.guardPath);
    this.guard.write(this.floors);
  }

  /** Seqs skipped at open because readings held in memory were lost with the previous process. */
  skippedAtOpen(): readonly SkippedSeqs[] {
    return this.skipped;
  }

  /** Why the seq guard could not be opened at start (retried on first use), or null. */
  seqGuardProblem(): string | null {
    return this.guardProblem;
  }

  /** The oldest `limit` readings, in the order they were recorded. */
  peek(limit: number): ReadingRecord[] {
    return this.peekAfter(0, limit).records;
  }

  /**
   * The oldest `limit` readings queued after position `after` (0: from the start), and the
   * position of the last one, so a caller with batches in flight can ask for the next batch.
   */
  peekAfter(after: number, limit: number): { records: ReadingRecord[]; last: number } {
    const rows = this.stmt.peek.all(after, limit) as Row[];
    const out: ReadingRecord[] = [];
    const corrupt: Row[] = [];
    for (const row of rows) {
      try {
        out.push(JSON.parse(row.body) as ReadingRecord);
      } catch {
        corrupt.push(row);
      }
    }
    if (corrupt.length > 0) {
      this.quarantineRows(
        corrupt.map((r) => ({ id: r.id, code: StorageErrorCode.OUTBOX_CORRUPT_ROW, detail: 'not JSON' })),
      );
    }
    return { records: out, last: rows.length > 0 ? (rows[rows.length - 1] as Row).pos : after };
  }

  /**
   * Removes readings a sink has accepted. Returns how many were still queued.
   *
   * Committed with synchronous=NORMAL, so without an fsync of its own: a power cut may undo the
   * last acks (the readings come back and are sent again; sinks are idempotent by id, so nothing
   * is doubled), never a reading. WAL frames are appended in order and the next FULL commit (a
   * record()) syncs them with its own; a checkpoint syncs the WAL first. During a replay the
   * fsync of every ack blocked the event loop, the gate's own included (bench/NOTES.md § Storage).
   */
  ack(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    let removed = 0;
    this.withoutFsync(() =>
      this.db.transaction(() => {
        for (const id of ids) removed += this.stmt.remove.run(id).changes;
      })(),
    );
    this.depthNow -= removed;
    this.updateLevel();
    return removed;
  }

  /** The synchronous setting commits run with now: FULL (or NORMAL for a benchmark) outside ack(). */
  commitSync(): 'FULL' | 'NORMAL' | 'OTHER' {
    const n = this.db.pragma('synchronous', { simple: true }) as number;
    return n === 2 ? 'FULL' : n === 1 ? 'NORMAL' : 'OTHER';
  }

  private withoutFsync<T>(fn: () => T): T {
    if (this.synchronous === 'NORMAL') return fn();
    this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** Moves readings a sink refused for good out of the queue, keeping them on disk with the reason. */
  quarantine(items: ReadonlyArray<{ id: string; code: string; detail: string }>): number {
    return this.quarantineRows(items);
  }

  /** What is in quarantine, oldest first. */
  listQuarantine(limit = 1000): QuarantinedRecord[] {
    const rows = this.stmt.listQuarantine.all(limit) as Array<{
      id: string;
      body: string;
      code: string;
      detail: string;
      quarantined_at: number;
    }>;
    return rows.map((r) => {
      let record: ReadingRecord | null = null;
      try {
        record = JSON.parse(r.body) as ReadingRecord;
      } catch {
        /* kept as text */
      }
      return {
        id: r.id,
        code: r.code,
        detail: r.detail,
        quarantinedAt: r.quarantined_at,
        record,
        body: r.body,
      };
    });
  }

  /** Puts quarantined readings back in the queue (after the cause was fixed). Returns how many. */
  requeueQuarantine(): number {
    const moved = this.db.transaction(() => {
      const n = this.stmt.requeue.run().changes;
      this.stmt.clearQuarantine.run();
      return n;
    })();
    this.depthNow += moved;
    this.quarantinedNow = 0;
    this.updateLevel();
    return moved;
  }

  depth(): number {
    return this.depthNow;
  }

  quarantined(): number {
    return this.quarantinedNow;
  }

  level(): FillLevel {
    return this.gauge.level;
  }

  /** When the oldest queued reading was committed (epoch ms), or null when empty. */
  oldestQueuedAt(): number | null {
    const row = this.stmt.oldest.get() as { queued_at: number } | undefined;
    return row ? row.queued_at : null;
  }

  /** The seq the next reading of this gate will get (for diagnostics and tests). */
  nextSeq(siteId: string, gateId: string): number | null {
    const row = this.stmt.getSeq.get(siteId, gateId) as { next_seq: number } | undefined;
    return row ? row.next_seq : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    this.guard?.close();
  }

  /**
   * Compares the guard with the counters: a floor above a gate's counter means readings were
   * held in memory when the previous process ended. An unreadable guard (torn by a power cut)
   * tells nothing, so every gate continues at the wall clock in ms, as a lost outbox would.
   */
  private applyFloors(unreadable: boolean): void {
    const rows = this.stmt.allSeqs.all() as Array<{ site_id: string; gate_id: string; next_seq: number }>;
    const counters = new Map(rows.map((r) => [floorKey(r.site_id, r.gate_id), r.next_seq]));
    if (unreadable) {
      const jump = Math.max(this.clock.now(), SEQ_SEED_FLOOR);
      for (const r of rows) {
        if (r.next_seq >= jump) continue;
        this.floors.set(floorKey(r.site_id, r.gate_id), jump);
        this.skipped.push({ siteId: r.site_id, gateId: r.gate_id, from: null, to: jump - 1 });
      }
      try {
        this.guard?.write(this.floors);
      } catch {
        /* the floors hold for this process; the next spill writes them again */
      }
      return;
    }
    for (const [key, next] of this.floors) {
      const counter = counters.get(key);
      if (counter !== undefined && counter >= next) continue;
      const [siteId = '', gateId = ''] = key.split('\u0000');
      this.skipped.push({ siteId, gateId, from: counter ?? null, to: next - 1 });
    }
  }

  private quarantineRows(items: ReadonlyArray<{ id: string; code: string; detail: string }>): number {
    const now = this.clock.now();
    let moved = 0;
    this.db.transaction(() => {
      for (const it of items) {
        const n = this.stmt.toQuarantine.run(it.code, it.detail.slice(0, 2000), now, it.id).changes;
        if (n > 0) moved += this.stmt.remove.run(it.id).changes;
      }
    })();
    this.depthNow -= moved;
    this.quarantinedNow += moved;
    this.updateLevel();
    return moved;
  }

  private updateLevel(): void {
    const ev = this.gauge.update(this.depthNow, this.clock.now());
    if (ev) this.emit('fill', ev);
  }
}

function prepare(db: Database.Database) {
  return {
    count: db.prepare('SELECT count(*) AS n FROM outbox'),
    countQuarantine: db.prepare('SELECT count(*) AS n FROM quarantine'),
    getSeq: db.prepare('SELECT next_seq FROM seq_counter WHERE site_id = ? AND gate_id = ?'),
    allSeqs: db.prepare('SELECT site_id, gate_id, next_seq FROM seq_counter'),
    putSeq: db.prepare(
      'INSERT INTO seq_counter (site_id, gate_id, next_seq) VALUES (?, ?, ?) ' +
        'ON CONFLICT (site_id, gate_id) DO UPDATE SET next_seq = excluded.next_seq',
    ),
    insert: db.prepare('INSERT INTO outbox (id, queued_at, body) VALUES (?, ?, ?)'),
    addEvent: db.prepare('INSERT OR IGNORE INTO handled_events (key, handled_at) VALUES (?, ?)'),
    hasEvent: db.prepare('SELECT 1 FROM handled_events WHERE key = ?'),
    pruneEvents: db.prepare('DELETE FROM handled_events WHERE handled_at < ?'),
    peek: db.prepare('SELECT pos, id, body FROM outbox WHERE pos > ? ORDER BY pos LIMIT ?'),
    remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
    oldest: db.prepare('SELECT queued_at FROM outbox ORDER BY pos LIMIT 1'),
    toQuarantine: db.prepare(
      'INSERT INTO quarantine (id, queued_at, body, code, detail, quarantined_at) ' +
        'SELECT id, queued_at, body, ?, ?, ? FROM outbox WHERE id = ?',
    ),
    listQuarantine: db.prepare(
      'SELECT id, body, code, detail, quarantined_at FROM quarantine ORDER BY pos LIMIT ?',
    ),
    requeue: db.prepare(
      'INSERT INTO outbox (id, queued_at, body) SELECT id, queued_at, body FROM quarantine ORDER BY pos',
    ),
    clearQuarantine: db.prepare('DELETE FROM quarantine'),
  };
}
