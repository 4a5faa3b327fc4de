/**
 * Structural, so typed emitters (MqttClient, SerialPort) fit as well as node's EventEmitter.
 * Method syntax on purpose: its parameters are checked bivariantly.
 */
// biome-ignore lint/suspicious/noExplicitAny: each emitter library types its listeners differently
type AnyListener = (...args: any[]) => void;
export interface Emitterish {
  on(event: string | symbol, listener: AnyListener): unknown;
  off(event: string | symbol, listener: AnyListener): unknown;
}

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between polls (default 50 ms). */
  intervalMs?: number;
  /** Named in the timeout error so a failing test says what never happened. */
  what: string;
  /** Stops polling early (rejects with the abort reason), e.g. once the awaited process died. */
  signal?: AbortSignal;
}

/**
 * Polls until predicate returns a truthy value and resolves with it. A throwing predicate counts
 * as "not yet"; its last error is appended to the timeout message because that is usually the
 * real reason (e.g. ECONNREFUSED).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 50, what, signal }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resolves with the arguments of the next `event`. Unlike node:events.once it is time-bounded, so
 * a missing event fails the test with a readable message instead of hitting the global test
 * timeout. An 'error' event rejects (unless 'error' is the awaited event).
 */
export function once<T extends unknown[] = unknown[]>(
  emitter: Emitterish,
  event: string | symbol,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      cleanup();
      resolve(args as T);
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event '${String(event)}'`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (event !== 'error') emitter.off('error', onError);
    };
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}
