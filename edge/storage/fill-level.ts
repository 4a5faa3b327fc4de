/**
 * How full the outbox is, as discrete levels with hysteresis, so the gate can publish an
 * `outbox-filling` alert well before anything could be lost and clear it once drained, without
 * flapping around a threshold. Three things feed the one level: the readings queued against
 * `capacity`, the free space of the filesystem holding the outbox against `diskReserveMB`, and
 * readings held in memory because a commit failed (always 'full').
 */
export type FillLevel = 'ok' | 'filling' | 'high' | 'critical' | 'full';
export type FillSeverity = 'info' | 'minor' | 'major' | 'critical';
/** What drives the level: queued readings, free disk space, or readings held in memory. */
export type FillCause = 'readings' | 'disk' | 'spill';

/** Fractions of capacity at which each level starts. */
export const FILL_THRESHOLDS: ReadonlyArray<readonly [Exclude<FillLevel, 'ok'>, number]> = [
  ['filling', 0.5],
  ['high', 0.8],
  ['critical', 0.95],
  ['full', 1],
];

/**
 * Free space, as multiples of the reserve, below which each level starts. 'full' is not a
 * free-space level: it is raised when a commit actually fails (the readings are then spilled).
 */
export const DISK_RESERVE_MULTIPLES: ReadonlyArray<readonly [Exclude<FillLevel, 'ok' | 'full'>, number]> = [
  ['filling', 4],
  ['high', 2],
  ['critical', 1],
];

/** Alert severity per level (the protocol's Severity values); 'ok' means "clear the alert". */
export const FILL_SEVERITY: Record<FillLevel, FillSeverity> = {
  ok: 'info',
  filling: 'minor',
  high: 'major',
  critical: 'critical',
  full: 'critical',
};

export interface FillEvent {
  level: FillLevel;
  previous: FillLevel;
  severity: FillSeverity;
  /** true while an alert should be shown (level above 'ok'). */
  active: boolean;
  /** What raised the level; null when 'ok'. */
  cause: FillCause | null;
  depth: number;
  capacity: number;
  /** Free bytes of the outbox's filesystem at the last check; null when unknown. */
  freeBytes: number | null;
  /** storage.diskReserveMB in bytes; null where no disk is watched (memory recorder). */
  reserveBytes: number | null;
  /** Readings held in memory, not yet committed. */
  spilled: number;
  /** Why the last commit failed (SQLITE_FULL, SQLITE_IOERR_…, TG_OUTBOX_FULL) while spilling. */
  writeError: string | null;
  at: number;
}

export const FILL_RANK: Record<FillLevel, number> = { ok: 0, filling: 1, high: 2, critical: 3, full: 4 };

export function levelFor(depth: number, capacity: number): FillLevel {
  let level: FillLevel = 'ok';
  for (const [name, fraction] of FILL_THRESHOLDS) if (depth >= Math.ceil(capacity * fraction)) level = name;
  return level;
}

export function diskLevelFor(freeBytes: number, reserveBytes: number): FillLevel {
  let level: FillLevel = 'ok';
  for (const [name, multiple] of DISK_RESERVE_MULTIPLES)
    if (freeBytes < reserveBytes * multiple) level = name;
  return level;
}

export class FillGauge {
  private current: FillLevel;

  /** @param hysteresis fraction of capacity the depth must fall below a threshold to step down. */
  constructor(
    readonly capacity: number,
    depth = 0,
    private readonly hysteresis = 0.02,
  ) {
    this.current = levelFor(depth, capacity);
  }

  get level(): FillLevel {
    return this.current;
  }

  /** Returns an event when the level changed, else null. */
  update(depth: number, at: number): FillEvent | null {
    const raw = levelFor(depth, this.capacity);
    let next = this.current;
    if (FILL_RANK[raw] > FILL_RANK[this.current]) next = raw;
    else if (FILL_RANK[raw] < FILL_RANK[this.current]) {
      // Step down only as far as the depth is clearly below the threshold.
      const damped = levelFor(depth + Math.floor(this.capacity * this.hysteresis), this.capacity);
      if (FILL_RANK[damped] < FILL_RANK[this.current]) next = damped;
    }
    if (next === this.current) return null;
    const previous = this.current;
    this.current = next;
    return {
      level: next,
      previous,
      severity: FILL_SEVERITY[next],
      active: next !== 'ok',
      cause: next === 'ok' ? null : 'readings',
      depth,
      capacity: this.capacity,
      freeBytes: null,
      reserveBytes: null,
      spilled: 0,
      writeError: null,
      at,
    };
  }
}

/**
 * Free-space level with hysteresis: it rises as soon as free space drops below a threshold and
 * steps down only once free space is `hysteresisBytes` above it (default a quarter of the
 * reserve), so a disk hovering at a threshold does not flap the alert.
 */
export class DiskGauge {
  private current: FillLevel = 'ok';
  readonly hysteresisBytes: number;

  constructor(
    readonly reserveBytes: number,
    hysteresisBytes?: number,
  ) {
    this.hysteresisBytes = hysteresisBytes ?? Math.floor(reserveBytes / 4);
  }

  get level(): FillLevel {
    return this.current;
  }

  /** Returns true when the level changed. */
  update(freeBytes: number): boolean {
    const raw = diskLevelFor(freeBytes, this.reserveBytes);
    let next = this.current;
    if (FILL_RANK[raw] > FILL_RANK[this.current]) next = raw;
    else if (FILL_RANK[raw] < FILL_RANK[this.current]) {
      const damped = diskLevelFor(Math.max(0, freeBytes - this.hysteresisBytes), this.reserveBytes);
      if (FILL_RANK[damped] < FILL_RANK[this.current]) next = damped;
    }
    if (next === this.current) return false;
    this.current = next;
    return true;
  }
}

const MB = 1024 * 1024;

/** Megabytes for people: one decimal below 10 MB (a small disk), whole numbers above. */
export function formatMB(bytes: number): string {
  const mb = bytes / MB;
  return mb < 10 ? `${(Math.floor(mb * 10) / 10).toFixed(1)} MB` : `${Math.floor(mb)} MB`;
}

/**
 * The `outbox-filling` alert's text: says which of the three raised it, so whoever reads it knows
 * whether to look at the database link (readings) or at the gate's disk (free space, spill).
 */
export function describeFill(
  e: Pick<
    FillEvent,
    'level' | 'cause' | 'depth' | 'capacity' | 'freeBytes' | 'reserveBytes' | 'spilled' | 'writeError'
  >,
): string {
  const free = e.freeBytes === null ? 'free space unknown' : `${formatMB(e.freeBytes)} free`;
  const reserve = e.reserveBytes === null ? '' : ` (reserve ${formatMB(e.reserveBytes)})`;
  const queued = `outbox ${e.depth} of ${e.capacity} readings`;
  const held = `${e.spilled} reading${e.spilled === 1 ? '' : 's'} held in memory`;
  switch (e.cause) {
    case 'spill':
      return e.writeError === 'TG_OUTBOX_FULL'
        ? `${queued}, policy refuse: ${held} until the sink drains the outbox; the gate releases nobody meanwhile`
        : `gate disk full: the outbox cannot commit (${e.writeError ?? 'write failed'}), ${held}, not yet on disk; ${free}${reserve}; free space on the gate's data disk now`;
    case 'disk':
      return `gate disk nearly full (${e.level}): ${free} on the outbox's filesystem${reserve}; free space on the gate's data disk; ${queued}`;
    case 'readings':
      return queued;
    default:
      return e.freeBytes === null ? queued : `${queued}; ${free} on the gate's data disk`;
  }
}
