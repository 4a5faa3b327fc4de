/** Small time helpers shared by the devices and the scenario runner. */
import { SimError, SimErrorCode } from './errors.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Parses a UTC offset such as `+08:00`, `-05:30` or `Z` into minutes east of UTC. */
export function parseUtcOffset(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m)
    throw new SimError(
      SimErrorCode.BAD_OPTION,
      `UTC offset must look like +08:00, got ${JSON.stringify(text)}`,
    );
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[2]) > 14 || Number(m[3]) > 59)
    throw new SimError(SimErrorCode.BAD_OPTION, `UTC offset out of range: ${text}`);
  return m[1] === '-' ? -minutes : minutes;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * ISO 8601 local time with the site's offset and milliseconds, the way terminals write `dateTime`:
 * `2026-11-29T08:01:02.345+08:00`. Terminals never write `Z`, so neither do we (offset 0 → +00:00).
 */
export function formatIsoWithOffset(epochMs: number, offsetMinutes: number): string {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Resolves after `ms`, or rejects early when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return sleep(ms);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with the promise's value, or with `fallback` after `ms` (never rejects on timeout). */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((r) => {
    t = setTimeout(() => r(fallback), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
