/**
 * Readings the outbox could not commit (disk full, I/O error, TG_OUTBOX_FULL under 'refuse'),
 * held in memory in the order they were recorded until the outbox takes them again. Each is
 * numbered when it arrives here, continuing the gate's seq where the outbox left off, so the
 * gate can publish it at once under the id it will be stored with. Bounded: a spill that grew
 * without limit would trade a full disk for an out-of-memory kill that loses all of it.
 */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';

export interface SpilledReading {
  record: ReadingRecord;
  /** The source event's key, committed with the reading (see Outbox.appendOnce). */
  eventKey: string | undefined;
  /** When it was held (epoch ms). */
  heldAt: number;
}

const gateKey = (siteId: string, gateId: string) => `${siteId}\u0000${gateId}`;

export class Spill {
  private readonly items: SpilledReading[] = [];
  private readonly keys = new Set<string>();
  /** The seq after the last reading held, per gate: the next one continues from there. */
  private readonly next = new Map<string, number>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('spill limit must be a positive integer');
  }

  get size(): number {
    return this.items.length;
  }

  isFull(): boolean {
    return this.items.length >= this.limit;
  }

  hasEvent(key: string): boolean {
    return this.keys.has(key);
  }

  /** The seq the next reading of this gate gets when held here, or undefined when none is held. */
  nextSeq(siteId: string, gateId: string): number | undefined {
    return this.next.get(gateKey(siteId, gateId));
  }

  push(item: SpilledReading): void {
    if (this.isFull()) throw new RangeError('spill is full');
    this.items.push(item);
    if (item.eventKey !== undefined) this.keys.add(item.eventKey);
    this.next.set(gateKey(item.record.siteId, item.record.gateId), item.record.seq + 1);
  }

  /** The oldest `n`, in the order they were recorded. */
  peek(n: number): SpilledReading[] {
    return this.items.slice(0, n);
  }

  /** Forgets the oldest `n` (they are committed now). */
  drop(n: number): void {
    for (const it of this.items.splice(0, n)) if (it.eventKey !== undefined) this.keys.delete(it.eventKey);
    // Once empty the outbox's own counter is past every seq handed out here.
    if (this.items.length === 0) this.next.clear();
  }

  all(): readonly SpilledReading[] {
    return this.items;
  }
}
