/**
 * Gets a list the hub keeps (HR's access list, the person holds) to the gates: when the store holds
 * a newer version than the one last published, publishes the change (QoS 1, for gates holding
 * exactly the previous version) and then the full snapshot, retained (QoS 1), which is what a gate
 * that was offline, or missed a change, gets when it (re)subscribes. The store may be changed by
 * another process (the CLI) while the hub runs: the hub polls it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { parsePayload } from '../../protocols/parse.ts';
import { type Change, diffEntries, type Snapshot } from '../../protocols/site/versioned-list.ts';
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

export class ListDistributor<E> {
  private published: Snapshot<E> | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly src: ListSource<E>,
    private readonly publish: Publish,
    private readonly log: Logger,
  ) {}

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

  /** Publishes the store's version if it is newer than the last one published. Calls run one at a time. */
  poll(): Promise<boolean> {
    const run = this.chain.then(() => this.publishIfNewer());
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
      const change: Change<E> = {
        v: 1,
        fromVersion: prev.version,
        toVersion: current.version,
        issuedAt: current.issuedAt,
        ...diffEntries(prev.entries, current.entries, this.src.key, isDeepStrictEqual),
      };
      await this.publish(this.src.changeTopic, JSON.stringify(change), { qos: 1, retain: false });
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
