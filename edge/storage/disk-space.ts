/**
 * Free space of the filesystem that holds the outbox. A gate's disk fills for reasons of its own
 * (logs, a core dump, another program), long before the outbox reaches its capacity in readings;
 * this watches the space itself so the `outbox-filling` alert comes while there is still room.
 *
 * statfs is one syscall, but the outbox commits with an fsync per reading and this should add
 * nothing measurable to that: it is read at most every `everyRecords` writes or when `everyMs`
 * has passed since the last read (the recorder also reads it on a timer, so a quiet gate notices
 * a disk filling up or being cleaned).
 */
import { statfsSync } from 'node:fs';
import type { Clock } from '../clock.ts';
import { errorCode } from './errors.ts';
import { DiskGauge, type FillLevel } from './fill-level.ts';

/** The part of fs.statfsSync's answer used here (bigint or number, both are accepted). */
export type StatFs = (path: string) => { bavail: number | bigint; bsize: number | bigint };

export interface DiskWatchOptions {
  /** A directory on the filesystem to watch (the outbox's folder). */
  path: string;
  reserveBytes: number;
  clock: Clock;
  /** Read again after this many writes (default 100). */
  everyRecords?: number;
  /** ...or once this long has passed since the last read (default 5000 ms). */
  everyMs?: number;
  statfs?: StatFs;
}

export class DiskWatch {
  private readonly gauge: DiskGauge;
  private readonly statfs: StatFs;
  private readonly everyRecords: number;
  private readonly everyMs: number;
  private free: number | null = null;
  private lastAt = Number.NEGATIVE_INFINITY;
  private writes = 0;
  private failure: string | null = null;

  constructor(private readonly opts: DiskWatchOptions) {
    this.gauge = new DiskGauge(opts.reserveBytes);
    this.statfs = opts.statfs ?? statfsSync;
    this.everyRecords = opts.everyRecords ?? 100;
    this.everyMs = opts.everyMs ?? 5000;
  }

  get reserveBytes(): number {
    return this.opts.reserveBytes;
  }

  /** Free bytes at the last read (available to unprivileged writers); null before or on failure. */
  get freeBytes(): number | null {
    return this.free;
  }

  /** 'ok' | 'filling' | 'high' | 'critical' from free space; kept as it was while statfs fails. */
  get level(): FillLevel {
    return this.gauge.level;
  }

  /** The error code of the last failed read, null when the last read worked. */
  get error(): string | null {
    return this.failure;
  }

  /** Counts one write and reads when due. Returns true when the level changed. */
  tick(): boolean {
    this.writes += 1;
    if (this.writes < this.everyRecords && this.opts.clock.now() - this.lastAt < this.everyMs) return false;
    return this.sample();
  }

  /** Reads now. Returns true when the level changed. */
  sample(): boolean {
    this.writes = 0;
    this.lastAt = this.opts.clock.now();
    try {
      const s = this.statfs(this.opts.path);
      this.free = Number(s.bavail) * Number(s.bsize);
      this.failure = null;
    } catch (err) {
      this.free = null;
      this.failure = errorCode(err);
      return false;
    }
    return this.gauge.update(this.free);
  }
}
