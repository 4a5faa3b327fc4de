/**
 * Remembers, across a crash, the seqs handed out to readings held in memory while the disk was
 * full. Those readings were published under their ids (decision, alerts) but never committed; if
 * the process ends before they are, the outbox's own counter is still below them, and without
 * this the next start would give the same ids to other people's readings.
 *
 * The outbox cannot record anything at that moment (the disk is full), so this is a small file
 * allocated up front (`SIZE` bytes, written out, not sparse) and overwritten in place, followed by
 * fdatasync: rewriting blocks a file already owns needs no free space on ext4, xfs or tmpfs. (On
 * copy-on-write filesystems such as btrfs or zfs it may; a failed write is logged, see README.)
 *
 * Content: JSON `{"v":1,"next":[[siteId, gateId, nextSeq], ...]}` padded with spaces. The outbox
 * never hands out a seq below `nextSeq` for that gate.
 */
import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs';
import { StorageError, StorageErrorCode } from './errors.ts';

export const SEQ_GUARD_SIZE = 4096;

/** Next allowed seq per gate, keyed by `${siteId}\0${gateId}`. */
export type SeqFloors = Map<string, number>;

export const floorKey = (siteId: string, gateId: string): string => `${siteId}\u0000${gateId}`;

export interface OpenedGuard {
  guard: SeqGuard | null;
  floors: SeqFloors;
  /** The file exists but does not hold a valid guard (a write torn by a power cut). */
  unreadable: boolean;
  /** Why the guard could not be opened or created (it is retried on the first write). */
  problem: string | null;
}

export class SeqGuard {
  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  /** Opens the guard, creating it (allocated in full) when missing. Never throws. */
  static open(path: string): OpenedGuard {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        return { guard: null, floors: new Map(), unreadable: false, problem: String(err) };
      const created = SeqGuard.create(path);
      return created instanceof SeqGuard
        ? { guard: created, floors: new Map(), unreadable: false, problem: null }
        : { guard: null, floors: new Map(), unreadable: false, problem: created };
    }
    const buf = Buffer.alloc(SEQ_GUARD_SIZE);
    let floors: SeqFloors | null = null;
    try {
      const n = readSync(fd, buf, 0, SEQ_GUARD_SIZE, 0);
      floors = parse(buf.subarray(0, n).toString('utf8'));
    } catch {
      floors = null;
    }
    return {
      guard: new SeqGuard(path, fd),
      floors: floors ?? new Map(),
      unreadable: floors === null,
      problem: null,
    };
  }

  /** A new guard file, written out in full so its blocks exist. Returns the error text on failure. */
  private static create(path: string): SeqGuard | string {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx+');
      writeSync(fd, encode(new Map()), 0, SEQ_GUARD_SIZE, 0);
      fdatasyncSync(fd);
      return new SeqGuard(path, fd);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      return String(err);
    }
  }

  /** Overwrites the guard with `floors` and waits for it to reach the disk. Throws TG_OUTBOX_SEQ_GUARD. */
  write(floors: SeqFloors): void {
    try {
      const buf = encode(floors);
      const n = writeSync(this.fd, buf, 0, SEQ_GUARD_SIZE, 0);
      if (n !== SEQ_GUARD_SIZE) throw new Error(`short write (${n} of ${SEQ_GUARD_SIZE} bytes)`);
      fdatasyncSync(this.fd);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(StorageErrorCode.OUTBOX_SEQ_GUARD, `cannot write ${this.path}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Opens (or creates) the guard at `path` for a write, for a guard that was missing at start. */
  static retry(path: string): SeqGuard {
    const opened = SeqGuard.open(path);
    if (opened.guard) return opened.guard;
    throw new StorageError(StorageErrorCode.OUTBOX_SEQ_GUARD, `cannot create ${path}: ${opened.problem}`);
  }
}

function encode(floors: SeqFloors): Buffer {
  const next = [...floors].map(([k, seq]) => [...k.split('\u0000'), seq]);
  const text = JSON.stringify({ v: 1, next });
  if (Buffer.byteLength(text) > SEQ_GUARD_SIZE - 1)
    throw new StorageError(
      StorageErrorCode.OUTBOX_SEQ_GUARD,
      `${floors.size} gates do not fit the seq guard`,
    );
  const buf = Buffer.alloc(SEQ_GUARD_SIZE, 0x20);
  buf.write(text, 0, 'utf8');
  buf[SEQ_GUARD_SIZE - 1] = 0x0a;
  return buf;
}

function parse(text: string): SeqFloors | null {
  // Created but never written (the process ended in between): nothing was handed out yet.
  if (text.replaceAll('\u0000', '').trim() === '') return new Map();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const next = (json as { v?: unknown; next?: unknown } | null)?.next;
  if ((json as { v?: unknown }).v !== 1 || !Array.isArray(next)) return null;
  const floors: SeqFloors = new Map();
  for (const entry of next) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 3 ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'string' ||
      !Number.isSafeInteger(entry[2])
    )
      return null;
    floors.set(floorKey(entry[0], entry[1]), entry[2] as number);
  }
  return floors;
}
