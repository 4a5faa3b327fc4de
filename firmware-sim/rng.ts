/**
 * Seeded pseudo-random numbers (mulberry32). Fault rates and random scenarios take a seed so a run
 * that found a bug can be repeated exactly.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, max] (both inclusive). */
export const randomInt = (rnd: Random, min: number, max: number): number =>
  min + Math.floor(rnd() * (max - min + 1));

export function pick<T>(rnd: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rnd() * items.length)] as T;
}
