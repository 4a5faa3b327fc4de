/**
 * The rows a dashboard store writes once per turn of the event loop, in one transaction, instead
 * of one per message (the tiles' passages, the live feed's events: db/open.ts's second
 * connection). At 1,000 gates a transaction per decision and an INSERT per feed event were a
 * quarter of the dashboard's busiest turns (bench/NOTES.md, sixth round). The store keeps what waits and reads it first where it must
 * (`flush` before a read); what a process killed within the turn loses is that turn's rows.
 *
 * The write runs at the end of the turn, outside the message handler that asked for it: thrown
 * there it would end the process, so a failed batch (a full disk) is dropped and reported
 * (`onError`), as a failing write in the handler was before. After `close()` each batch is
 * written when asked (a message during a shutdown).
 */
import { OncePerTurn } from '../../kernel/turn.ts';
import type { Db } from './open.ts';

export interface Batch {
  /** Rows waiting (0: nothing to write). */
  size(): number;
  /** Writes them (inside the transaction). */
  write(): void;
  clear(): void;
}

export class TurnWrites {
  private readonly turn = new OncePerTurn(() => this.run());
  private direct = false;

  constructor(
    private readonly db: Db,
    private readonly batch: Batch,
    private readonly o: {
      /** After a batch committed (rows written). */
      afterWrite?: (rows: number) => void;
      /** A batch that could not be written; not given: thrown. */
      onError?: (err: unknown, rows: number) => void;
    } = {},
  ) {}

  /** Something was added to the batch: written at the end of this turn (at once after close). */
  request(): void {
    if (this.direct) this.turn.now();
    else this.turn.request();
  }

  /** Writes what waits now (before a read of the rows). */
  flush(): void {
    this.turn.flush();
  }

  /** Writes what waits; from now on each batch is written when asked. */
  close(): void {
    this.direct = true;
    this.flush();
  }

  private run(): void {
    const n = this.batch.size();
    if (!this.db.open || n === 0) return;
    try {
      this.db.transaction(() => this.batch.write())();
      this.batch.clear();
      this.o.afterWrite?.(n);
    } catch (err) {
      this.batch.clear();
      if (!this.o.onError) throw err;
      this.o.onError(err, n);
    }
  }
}
