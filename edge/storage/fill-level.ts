/**
 * How full the outbox is, as discrete levels with hysteresis, so the gate can publish an
 * `outbox-filling` alert well before the outbox is full and clear it once drained, without
 * flapping around a threshold.
 */
export type FillLevel = 'ok' | 'filling' | 'high' | 'critical' | 'full';
export type FillSeverity = 'info' | 'minor' | 'major' | 'critical';

/** Fractions of capacity at which each level starts. */
export const FILL_THRESHOLDS: ReadonlyArray<readonly [Exclude<FillLevel, 'ok'>, number]> = [
  ['filling', 0.5],
  ['high', 0.8],
  ['critical', 0.95],
  ['full', 1],
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
  depth: number;
  capacity: number;
  at: number;
}

const RANK: Record<FillLevel, number> = { ok: 0, filling: 1, high: 2, critical: 3, full: 4 };

export function levelFor(depth: number, capacity: number): FillLevel {
  let level: FillLevel = 'ok';
  for (const [name, fraction] of FILL_THRESHOLDS) if (depth >= Math.ceil(capacity * fraction)) level = name;
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
    if (RANK[raw] > RANK[this.current]) next = raw;
    else if (RANK[raw] < RANK[this.current]) {
      // Step down only as far as the depth is clearly below the threshold.
      const damped = levelFor(depth + Math.floor(this.capacity * this.hysteresis), this.capacity);
      if (RANK[damped] < RANK[this.current]) next = damped;
    }
    if (next === this.current) return null;
    const previous = this.current;
    this.current = next;
    return {
      level: next,
      previous,
      severity: FILL_SEVERITY[next],
      active: next !== 'ok',
      depth,
      capacity: this.capacity,
      at,
    };
  }
}
