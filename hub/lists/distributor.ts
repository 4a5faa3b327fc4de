/**
 * Gets a list the hub keeps (HR's access list, the person holds) to the gates: when the store holds
 * a newer version than the one last published, publishes the change (for gates holding exactly the
 * previous version; QoS 1 for the access list, 0 and retained for the holds: `change`) and then
 * the full snapshot, retained (QoS 1), which is what a gate that was offline, or missed a change,
 * gets when it (re)subscribes. The store may be changed by another process (the CLI) while the hub
 * runs: the hub polls it.
 *
 * A change goes to every gate of the site (1,000 deliveries), so changes close together travel as
 * one: a change published at most every `minGapMs`, the first after a quiet spell at once, and the
 * polls meanwhile answered by the one publish that covers them (a change spans any versions:
 * fromVersion → toVersion). At 1,000 gates and 5 fevers a second every hold and room change went
 * out on its own: 5–8 changes a second, more deliveries than the passages themselves
 * (bench/scale.ts, bench/NOTES.md § Scale, fifth round).
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { parsePayload } from '../../protocols/parse.ts';
import { type Change, diffEntries, type Snapshot } from '../../protocols/site/versioned-list.ts';
import { type Clock, systemClock } from '../../kernel/clock.ts';
import type { Logger } from '../log.ts';

export type Publish = (
  topic: string,
  payload: string,
  opts: { qos: 0 | 1; retain: boolean },
) => Promise<void>;

export interface ListSource<E> {
  /** What this list is, for the logs ("access list", "holds"). */
  what: string;
  schema: z.ZodType<Snapshot<E>, unknown>;
  key: (e: E) => string;
  snapshotTopic: string;
  changeTopic: string;
  /** The store's current snapshot (null: none yet). Throws a coded error when unreadable. */
  read: () => Snapshot<E> | null;
}

export interface DistributorOptions {
  /** Least time between two changes published; 0: each at once (the default). */
  minGapMs?: number;
  /**
   * How the changes travel. Default QoS 1, not retained: queued for a gate that is away. The holds:
   * QoS 0, retained: nothing is queued, and a gate coming back gets the last change when it
   * subscribes again; it applies it, already holds it, or sees that it missed one and fetches the
   * snapshot (edge/core/site-lists.ts). A change then costs one write per gate, not a queued row, a
   * packet id and a PUBACK each.
   */
  change?: { qos: 0 | 1; retain: boolean };
  clock?: Clock;
}

export class ListDistributor<E> {
  private published: Snapshot<E> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** A poll waiting for its turn: it reads the store when it starts, so later polls join it. */
  private queued: Promise<boolean> | null = null;
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private readonly minGapMs: number;
  private readonly changeOpts: { qos: 0 | 1; retain: boolean };
  private readonly clock: Clock;

  constructor(
    private readonly src: ListSource<E>,
    private readonly publish: Publish,
    private readonly log: Logger,
    opts: DistributorOptions = {},
  ) {
    this.minGapMs = opts.minGapMs ?? 0;
    this.changeOpts = opts.change ?? { qos: 1, retain: false };
    this.clock = opts.clock ?? systemClock;
  }

  /** `retained`: the snapshot the broker already holds (persisted across restarts), if any. */
  async start(retained: Buffer | undefined): Promise<void> {
    if (retained) {
      const r = parsePayload(this.src.schema, retained, 256 * 1024 * 1024);
      if (r.ok) this.published = r.value;
      else
        this.log.warn(
          { code: r.error.code, reason: r.error.message },
          `retained ${this.src.what} unreadable; republishing`,
        );
    }
    await this.poll();
  }

  current(): Snapshot<E> | null {
    return this.published;
  }

  /**
   * Publishes the store's version if it is newer than the last one published, not sooner than
   * `minGapMs` after the last change. Calls run one at a time; a call made while another waits for
   * its turn is answered by that one (true: it published, covering this call's change too).
   */
  poll(): Promise<boolean> {
    if (this.queued) return this.queued;
    const run = this.chain.then(async () => {
      const wait = this.lastChangeAt + this.minGapMs - this.clock.now();
      if (wait > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait).unref?.());
      this.queued = null;
      return this.publishIfNewer();
    });
    this.queued = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async publishIfNewer(): Promise<boolean> {
    let current: Snapshot<E> | null;
    try {
      current = this.src.read();
    } catch (e) {
      this.log.error(
        { code: (e as { code?: string }).code, err: (e as Error).message },
        `${this.src.what} unreadable; gates keep theirs`,
      );
      return false;
    }
    if (!current) return false;
    const prev = this.published;
    if (prev && current.version <= prev.version) {
      if (current.version < prev.version)
        this.log.warn(
          { store: current.version, published: prev.version },
          `${this.src.what} store is older than the published list; ignored`,
        );
      return false;
    }
    if (prev) {
      this.lastChangeAt = this.clock.now();
      const change: Change<E> = {
        v: 1,
        fromVersion: prev.version,
        toVersion: current.version,
        issuedAt: current.issuedAt,
        ...diffEntries(prev.entries, current.entries, this.src.key, isDeepStrictEqual),
      };
      await this.publish(this.src.changeTopic, JSON.stringify(change), this.changeOpts);
    }
    await this.publish(this.src.snapshotTopic, JSON.stringify(current), { qos: 1, retain: true });
    this.published = current;
    this.log.info(
      { version: current.version, from: prev?.version ?? null, entries: current.entries.length },
      `${this.src.what} published`,
    );
    return true;
  }
}
