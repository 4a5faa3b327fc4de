/**
 * The gate's copy of a list the hub keeps (HR's access list, the site's person holds): it decides
 * with the last version it holds, persisted in the data folder, while the hub is unreachable, and
 * takes a newer snapshot, or a change on top of exactly its version, whenever one arrives.
 *
 * The persisted copy was validated when it arrived, so a restart trusts it instead of validating
 * 50,000 entries again (seconds under `--lite-mode`): the file carries an integrity stamp (its
 * form, a fingerprint of the schema it was written for, and a SHA-256 of the list), and only a
 * file whose stamp matches loads without per-entry validation. Anything else (an older form, a
 * changed schema, a torn or corrupted file, a file edited by hand) is validated in full; a file
 * that fails is rejected, the gate holds no copy of that list and fetches the hub's snapshot on
 * connect. The stamp guards against corruption and schema drift, not against someone who can
 * write the data folder (docs/SECURITY.md).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { describeIssues } from '../../protocols/parse.ts';
import { applyChange, type Change, type Snapshot } from '../../protocols/site/versioned-list.ts';

/** The persisted file's layout: one stamp line, then the snapshot's JSON. Bump when it changes. */
const FORM = 'tg-versioned-copy/2';

interface Stamp {
  form: string;
  schema: string;
  sha256: string;
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

interface StampedFile {
  stamp: Partial<Stamp> | null;
  body: string;
  bodySha256: string;
}

/**
 * Reads a persisted copy in small chunks (hashing the body as it goes) rather than into one
 * buffer of the file's size: glibc keeps a freed multi-MB buffer, which would stay in the gate's
 * resident memory for good.
 */
function readStamped(path: string): StampedFile {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafeSlow(64 * 1024);
    const decoder = new StringDecoder('utf8');
    const hash = createHash('sha256');
    const parts: string[] = [];
    let stamp: Partial<Stamp> | null = null;
    let first = true;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let bytes = chunk.subarray(0, n);
      if (first) {
        first = false;
        const nl = bytes.indexOf(0x0a);
        if (nl > 0 && bytes.subarray(0, 8).toString('latin1') === '{"form":') {
          try {
            stamp = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as Partial<Stamp>;
            bytes = bytes.subarray(nl + 1);
          } catch {}
        }
      }
      hash.update(bytes);
      parts.push(decoder.write(bytes));
    }
    parts.push(decoder.end());
    return { stamp, body: parts.join(''), bodySha256: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** The schema's fingerprint: any change to the stored entries' schema makes old stamps not match. */
function fingerprint(schema: z.ZodType): string {
  return sha256(JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }))).slice(0, 16);
}

/** How the last `load` went (for the daemon's log and the tests). */
export type LoadOutcome =
  /** No persisted copy. */
  | { copy: 'none' }
  /** The stamp matched: loaded without per-entry validation. */
  | { copy: 'trusted'; entries: number }
  /** No stamp or a stamp that did not match (older form or schema): validated in full, valid, rewritten stamped. */
  | { copy: 'validated'; entries: number; why: string }
  /** Validated in full and invalid (or unreadable): not used; the hub's snapshot is fetched on connect. */
  | { copy: 'rejected'; code: string; reason: string };

/**
 * `K` is what the copy keeps per entry, `E` what arrives from the hub: a subclass may keep less
 * of an entry than arrives (`keep`), and the persisted copy holds what is kept (`storedSchema`).
 */
export class VersionedCopy<K, E extends K = K> {
  protected entries = new Map<string, K>();
  version: number | null = null;
  issuedAt = 0;
  private readonly listeners = new Set<() => void>();
  lastLoad: LoadOutcome = { copy: 'none' };
  private schemaFingerprint: string | undefined;
  /** The write in flight off the event loop (persistSoon), and whether the list changed since it began. */
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    /** What a seed file (an operator's) is validated with: the hub's snapshot. */
    private readonly schema: z.ZodType<Snapshot<E>, unknown>,
    private readonly key: (e: K) => string,
    /** The error code a bad persisted or seed file is reported with. */
    private readonly invalidCode: string,
    private readonly persistPath?: string,
    /** What the persisted copy is validated with in full; the hub's snapshot schema when K is E. */
    private readonly storedSchema: z.ZodType<Snapshot<K>, unknown> = schema as unknown as z.ZodType<
      Snapshot<K>,
      unknown
    >,
  ) {}

  /**
   * Loads the persisted copy, then an optional seed file; keeps whichever is newer. A persisted
   * copy that fails validation is rejected (`lastLoad`), a bad seed file (the operator's) throws.
   */
  load(seedFile?: string): LoadOutcome {
    if (this.persistPath) this.lastLoad = this.loadPersisted(this.persistPath);
    // (a seed that is the persisted copy itself was loaded above)
    if (seedFile && resolve(seedFile) !== (this.persistPath && resolve(this.persistPath))) {
      let text: string | undefined;
      try {
        text = readFileSync(seedFile, 'utf8');
      } catch {}
      if (text !== undefined) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new Error(`${this.invalidCode}: ${seedFile}: ${(e as Error).message}`);
        }
        const r = this.schema.safeParse(json);
        if (!r.success)
          throw new Error(`${this.invalidCode}: ${seedFile}: ${describeIssues(r.error.issues)}`);
        this.apply(r.data, true);
      }
    }
    return this.lastLoad;
  }

  private loadPersisted(path: string): LoadOutcome {
    let file: StampedFile;
    try {
      file = readStamped(path);
    } catch {
      return { copy: 'none' };
    }
    const { stamp, body, bodySha256 } = file;
    let why: string;
    if (!stamp || typeof stamp.form !== 'string') why = 'no integrity stamp';
    else if (stamp.form !== FORM) why = `written as ${stamp.form}`;
    else if (stamp.schema !== this.fingerprintOf()) why = 'written for another schema';
    else if (stamp.sha256 !== bodySha256) why = 'contents do not match the stamp';
    else {
      // Written by this gate (persist) from entries it validated when they arrived.
      const s = JSON.parse(body) as Snapshot<K>;
      this.take(s.entries, s.version, s.issuedAt);
      return { copy: 'trusted', entries: this.entries.size };
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (e) {
      return { copy: 'rejected', code: this.invalidCode, reason: `${path}: ${why}; ${(e as Error).message}` };
    }
    const r = this.storedSchema.safeParse(json);
    if (!r.success)
      return {
        copy: 'rejected',
        code: this.invalidCode,
        reason: `${path}: ${why}; ${describeIssues(r.error.issues)}`,
      };
    this.take(r.data.entries, r.data.version, r.data.issuedAt);
    this.persist(); // stamped: the next start trusts it
    return { copy: 'validated', entries: this.entries.size, why };
  }

  /** Returns true when the snapshot replaced the current list. */
  apply(snapshot: Snapshot<E>, persist = true): boolean {
    if (this.version !== null && snapshot.version <= this.version) return false;
    this.take(
      snapshot.entries.map((e) => this.keep(e)),
      snapshot.version,
      snapshot.issuedAt,
    );
    if (persist) this.persist();
    this.notify(); // take() has called changed()
    return true;
  }

  /**
   * A change made on top of exactly the version held; anything else waits for the next snapshot.
   * The copy in memory (what the gate decides with) changes at once; the persisted copy is
   * written off the event loop (`persisted()` says when it is on disk).
   */
  applyChange(change: Change<E>): boolean {
    const kept: Change<K> = { ...change, upserts: change.upserts.map((e) => this.keep(e)) };
    if (!applyChange(this.entries, this.version, kept, this.key)) return false;
    this.version = change.toVersion;
    this.issuedAt = change.issuedAt;
    this.persistSoon();
    this.changed();
    this.notify();
    return true;
  }

  lookup(key: string): K | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<K> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Called after every new version (a snapshot or a change): for what mirrors the list elsewhere
   * (an ISAPI terminal's person list). Returns the unsubscribe.
   */
  onNewVersion(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** What the copy keeps of an entry that arrives (all of it, unless a subclass says less). */
  protected keep(e: E): K {
    return e;
  }

  /** Hook for subclasses that keep derived state. */
  protected changed(): void {}

  private take(entries: readonly K[], version: number, issuedAt: number): void {
    const m = new Map<string, K>();
    for (const e of entries) m.set(this.key(e), e);
    this.entries = m;
    this.version = version;
    this.issuedAt = issuedAt;
    this.changed();
  }

  private fingerprintOf(): string {
    this.schemaFingerprint ??= fingerprint(this.storedSchema);
    return this.schemaFingerprint;
  }

  /**
   * Resolves once the persisted copy holds everything applied so far (at once when it already
   * does); rejects when that write failed. The site's lists acknowledge a change to the broker
   * only then, so a gate that dies before its copy is on disk gets the change again.
   */
  persisted(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  /**
   * Writes the copy now, on the event loop: at load and for a snapshot (rare). While a write off
   * the loop is in flight it is left to that one (one writer at a time, so the file never goes
   * back to an older version).
   */
  protected persist(): void {
    if (!this.persistPath) return;
    if (this.writing) {
      this.dirty = true;
      return;
    }
    const { tmp, data } = this.persistable(this.persistPath);
    writeFileSync(tmp, data);
    renameSync(tmp, this.persistPath);
  }

  /**
   * Writes the copy off the event loop (a change: one per hold opened, moved or lifted, at every
   * gate of the site). Opening and renaming a file wait for the filesystem's journal, which the
   * outbox's fsyncs keep busy: done on the loop, each write stalled every gate of a process by
   * ~10 ms (bench/NOTES.md § Latency under load). Changes that arrive meanwhile are written
   * together by the next write.
   */
  private persistSoon(): void {
    if (!this.persistPath) return;
    this.dirty = true;
    if (this.writing) return;
    const p = this.writeLoop(this.persistPath);
    this.writing = p;
    // Reported to whoever awaits persisted(); the next change writes the whole copy again.
    p.catch(() => undefined);
  }

  private async writeLoop(path: string): Promise<void> {
    await undefined; // from here on, persistSoon has recorded this write as the one in flight
    try {
      while (this.dirty) {
        this.dirty = false;
        const { tmp, data } = this.persistable(path);
        await writeFile(tmp, data);
        await rename(tmp, path);
      }
    } catch (err) {
      this.dirty = true;
      throw err;
    } finally {
      // No await between the last look at `dirty` and this: a change cannot fall in between.
      this.writing = undefined;
    }
  }

  private persistable(path: string): { tmp: string; data: Buffer } {
    const snapshot: Snapshot<K> = {
      v: 1,
      version: this.version ?? 0,
      issuedAt: this.issuedAt,
      entries: [...this.entries.values()],
    };
    const body = Buffer.from(JSON.stringify(snapshot), 'utf8');
    const stamp: Stamp = { form: FORM, schema: this.fingerprintOf(), sha256: sha256(body) };
    // Write-then-rename: a power cut leaves the old list or the new one, never half of one.
    return {
      tmp: `${path}.tmp`,
      data: Buffer.concat([Buffer.from(`${JSON.stringify(stamp)}\n`, 'utf8'), body]),
    };
  }
}
