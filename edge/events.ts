/**
 * A small typed event emitter: drivers expose events without callers guessing payload shapes.
 * Listener errors are caught and reported, so one bad subscriber cannot stop a driver.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private listeners: { [K in keyof Events]?: Array<(e: Events[K]) => void> } = {};

  on<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    const list = this.listeners[event] ?? [];
    list.push(fn);
    this.listeners[event] = list;
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): void {
    this.listeners[event] = (this.listeners[event] ?? []).filter((f) => f !== fn);
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const fn of this.listeners[event] ?? []) {
      try {
        fn(payload);
      } catch (err) {
        if (event !== 'error') (this as Emitter<Record<string, unknown>>).emit('error', err);
      }
    }
  }
}
