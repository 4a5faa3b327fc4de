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
 *
 * A change is appended to a journal beside the copy (`<copy>.changes`, one validated JSON line
 * per change) before it is acknowledged; the copy is written whole at load, for a snapshot, and
 * off the event loop once the journal has grown (see `journal` for the failures that taught it).
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
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
  /** The whole-copy write in flight off the event loop (compaction), and whether it must run again. */
  private writing: Promise<void> | undefined;
  private dirty = false;
  /** Bytes appended to the change journal since the copy was last written whole. */
  private journalBytes = 0;
  /** Past this much journal the copy is written whole again (off the loop) and the journal dropped. */
  compactAfterBytes = 256 * 1024;
  /** A journal append or a whole-copy write that failed (the copy in memory is current). */
  onPersistError: (err: unknown) => void = () => undefined;
  /**
   * The file operations of a whole-copy write off the loop, one at a time: a test steps between
   * them to take the data folder as a crash would leave it (a copy taken while one runs on the
   * thread pool is no state a crash can leave).
   */
  fsAsync = { writeFile, rename, rm };

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
    if (this.persistPath) {
      this.lastLoad = this.loadPersisted(this.persistPath);
      this.replayJournal(this.persistPath);
    }
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
   * The copy in memory (what the gate decides with) changes at once, and the change is appended
   * to the journal before this returns, so it is on disk before the broker gets the ack.
   */
  applyChange(change: Change<E>): boolean {
    const kept: Change<K> = { ...change, upserts: change.upserts.map((e) => this.keep(e)) };
    if (!applyChange(this.entries, this.version, kept, this.key)) return false;
    this.version = change.toVersion;
    this.issuedAt = change.issuedAt;
    this.journal(kept);
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
   * Resolves once a whole-copy write under way off the event loop has ended (at once when none
   * is): a clean stop waits for it. Every change is on disk (the journal) when applyChange returns.
   */
  persisted(): Promise<void> {
    return this.writing?.catch(() => undefined) ?? Promise.resolve();
  }

  private get journalPath(): string {
    return `${this.persistPath}.changes`;
  }

  /** The journal a compaction under way covers; deleted once the whole copy holds it. */
  private get compactingPath(): string {
    return `${this.persistPath}.changes.old`;
  }

  /**
   * Appends a change (a few hundred bytes, one JSON line) to the journal: the persisted copy plus
   * its journal is the list. The whole copy was first rewritten per change, on the loop (a write
   * and a rename over the old file: ~10 ms each waiting on ext4's journal, which the outboxes'
   * fsyncs keep busy, stalling every gate of a process), then off the loop with the ack waiting
   * for it (the gate's next message, a face event, waited behind it: mqtt.js delivers the next
   * message only after the ack). An append is neither. Like the whole-copy write it is not
   * fsynced: a process crash keeps it, a power cut may lose the last changes (then the next
   * change does not follow the version held and the gate fetches the snapshot).
   */
  private journal(change: Change<K>): void {
    if (!this.persistPath) return;
    const line = `${JSON.stringify({
      fromVersion: change.fromVersion,
      toVersion: change.toVersion,
      issuedAt: change.issuedAt,
      upserts: change.upserts,
      removals: change.removals,
    })}\n`;
    try {
      appendFileSync(this.journalPath, line);
      this.journalBytes += line.length;
    } catch (err) {
      this.onPersistError(err);
    }
    if (this.journalBytes > this.compactAfterBytes) this.compactSoon();
  }

  /**
   * Replays the journal(s) on top of the copy just loaded, in order: a change the copy already
   * holds is skipped, one that does not follow the version reached ends the replay (a line cut by
   * a crash, or a gap: the next change from the hub then fetches the snapshot). Each line is
   * validated like a persisted copy. What was replayed is then written whole and the journals go.
   */
  private replayJournal(path: string): void {
    let replayed = 0;
    let found = false;
    for (const file of [this.compactingPath, this.journalPath]) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      found = true;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const c = this.parseJournalLine(line);
        if (!c || this.version === null) break;
        if (c.toVersion <= this.version) continue;
        if (!applyChange(this.entries, this.version, c, this.key)) break;
        this.version = c.toVersion;
        this.issuedAt = c.issuedAt;
        replayed++;
      }
    }
    if (!found) return;
    if (replayed > 0) this.changed();
    if (this.lastLoad.copy === 'trusted' || this.lastLoad.copy === 'validated')
      this.lastLoad = { ...this.lastLoad, entries: this.entries.size };
    // At load the loop may block: the copy whole again, stamped, and no journal left.
    if (this.version !== null) this.writeWholeSync(path);
  }

  private parseJournalLine(line: string): Change<K> | null {
    let j: {
      fromVersion?: unknown;
      toVersion?: unknown;
      issuedAt?: unknown;
      upserts?: unknown;
      removals?: unknown;
    };
    try {
      j = JSON.parse(line);
    } catch {
      return null;
    }
    const int = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
    if (!int(j.fromVersion) || !int(j.toVersion) || j.toVersion <= j.fromVersion) return null;
    if (!Array.isArray(j.removals) || !j.removals.every((k) => typeof k === 'string' && k.length <= 64))
      return null;
    // The entries as a persisted copy's: the same schema decides.
    const r = this.storedSchema.safeParse({
      v: 1,
      version: j.toVersion,
      issuedAt: j.issuedAt,
      entries: j.upserts,
    });
    if (!r.success) return null;
    return {
      v: 1,
      fromVersion: j.fromVersion,
      toVersion: r.data.version,
      issuedAt: r.data.issuedAt,
      upserts: r.data.entries,
      removals: j.removals as string[],
    };
  }

  /**
   * Writes the copy whole now, on the event loop (at load and for a snapshot, both rare), and
   * drops the journals it covers. While a compaction is under way off the loop it is left to that
   * one (one writer at a time, so the file never goes back to an older version).
   */
  protected persist(): void {
    if (!this.persistPath) return;
    if (this.writing) {
      this.dirty = true;
      return;
    }
    try {
      this.writeWholeSync(this.persistPath);
    } catch (err) {
      this.onPersistError(err);
    }
  }

  private writeWholeSync(path: string): void {
    const data = this.persistable();
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
    rmSync(this.compactingPath, { force: true });
    rmSync(this.journalPath, { force: true });
    this.journalBytes = 0;
  }

  /**
   * The journal has grown: the copy is written whole off the event loop. The journal so far is
   * set aside first (renamed to a name not in use: no wait on the filesystem's journal) and goes
   * once the whole copy is on disk; changes meanwhile start a new journal.
   */
  private compactSoon(): void {
    this.dirty = true;
    if (this.writing || !this.persistPath) return;
    const p = this.compactLoop(this.persistPath);
    this.writing = p;
    p.catch((err: unknown) => this.onPersistError(err));
  }

  private async compactLoop(path: string): Promise<void> {
    await undefined; // from here on, compactSoon has recorded this write as the one in flight
    try {
      while (this.dirty) {
        this.dirty = false;
        // A journal left by a failed compaction stays where it is (it is covered all the same).
        if (!existsSync(this.compactingPath))
          try {
            renameSync(this.journalPath, this.compactingPath);
          } catch {}
        this.journalBytes = 0;
        const data = this.persistable();
        await this.fsAsync.writeFile(`${path}.tmp-bg`, data);
        await this.fsAsync.rename(`${path}.tmp-bg`, path);
        await this.fsAsync.rm(this.compactingPath, { force: true });
      }
    } catch (err) {
      this.dirty = true;
      throw err;
    } finally {
      // No await between the last look at `dirty` and this: a change cannot fall in between.
      this.writing = undefined;
    }
  }

  private persistable(): Buffer {
    const snapshot: Snapshot<K> = {
      v: 1,
      version: this.version ?? 0,
      issuedAt: this.issuedAt,
      entries: [...this.entries.values()],
    };
    const body = Buffer.from(JSON.stringify(snapshot), 'utf8');
    const stamp: Stamp = { form: FORM, schema: this.fingerprintOf(), sha256: sha256(body) };
    // Written then renamed: a crash leaves the old list or the new one, never half of one.
    return Buffer.concat([Buffer.from(`${JSON.stringify(stamp)}\n`, 'utf8'), body]);
  }
}
