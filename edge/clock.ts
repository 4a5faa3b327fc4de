/**
 * Time as a dependency: state machines take a Clock so tests drive time without sleeping and
 * benchmarks measure only our own work.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    return { cancel: () => clearInterval(t) };
  },
};
