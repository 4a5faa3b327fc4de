/**
 * Gets the current access list to the gates: when the file holds a newer version than the one
 * last published, publishes the change (QoS 1, for gates holding exactly the previous version)
 * and then the full snapshot, retained (QoS 1), which is what a gate that was offline, or missed
 * a change, gets when it (re)subscribes. The file may be replaced by the CLI while the hub runs:
 * the hub polls it.
 */
import { type AccessListChange, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { SiteTopic } from '../../protocols/topics.ts';
import type { Logger } from '../log.ts';
import { type AccessListStore, diff } from './store.ts';

export type Publish = (
  topic: string,
  payload: string,
  opts: { qos: 0 | 1; retain: boolean },
) => Promise<void>;

export class AccessListDistributor {
  private published: AccessListSnapshot | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly siteId: string,
    private readonly store: AccessListStore,
    private readonly publish: Publish,
    private readonly log: Logger,
  ) {}

  /** `retained`: the snapshot the broker already holds (persisted across restarts), if any. */
  async start(retained: Buffer | undefined): Promise<void> {
    if (retained) {
      const r = parsePayload(AccessListSnapshot, retained, 256 * 1024 * 1024);
      if (r.ok) this.published = r.value;
      else
        this.log.warn(
          { code: r.error.code, reason: r.error.message },
          'retained access list unreadable; republishing',
        );
    }
    await this.poll();
  }

  current(): AccessListSnapshot | null {
    return this.published;
  }

  /** Publishes the file's version if it is newer than the last one published. Calls run one at a time. */
  poll(): Promise<boolean> {
    const run = this.chain.then(() => this.publishIfNewer());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async publishIfNewer(): Promise<boolean> {
    let current: AccessListSnapshot | null;
    try {
      current = this.store.read();
    } catch (e) {
      this.log.error(
        { code: (e as { code?: string }).code, err: (e as Error).message },
        'access list file unreadable; gates keep their list',
      );
      return false;
    }
    if (!current) return false;
    const prev = this.published;
    if (prev && current.version <= prev.version) {
      if (current.version < prev.version)
        this.log.warn(
          { file: current.version, published: prev.version },
          'access list file is older than the published list; ignored',
        );
      return false;
    }
    if (prev) {
      const change: AccessListChange = {
        v: SCHEMA_VERSION,
        fromVersion: prev.version,
        toVersion: current.version,
        issuedAt: current.issuedAt,
        ...diff(prev.entries, current.entries),
      };
      await this.publish(SiteTopic.accessListChanges(this.siteId), JSON.stringify(change), {
        qos: 1,
        retain: false,
      });
    }
    await this.publish(SiteTopic.accessList(this.siteId), JSON.stringify(current), { qos: 1, retain: true });
    this.published = current;
    this.log.info(
      { version: current.version, from: prev?.version ?? null, entries: current.entries.length },
      'access list published',
    );
    return true;
  }
}
