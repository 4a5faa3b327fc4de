/**
 * Work done at most once per turn of the event loop, however often a turn asks for it. The hub
 * batches its queue writes into one transaction per turn (hub/broker/sqlite-persistence.ts) and
 * holds a connection's second and later packets of a turn for one write (hub/broker/listeners.ts);
 * the dashboard publishes its retained alert list and the isolation plans of newly seen gates
 * once per turn (dashboard/alerts/service.ts): each had written its own flag and setImmediate.
 *
 * `request()` runs the work at the end of this turn (setImmediate: after the I/O callbacks of the
 * turn that asked); `flush()` runs it now if it is waiting (before a read that must see the
 * writes, before a stop); `now()` runs it whether or not it was asked for, which also answers a
 * request of this turn. The scheduled run after a `flush()` finds nothing waiting and does
 * nothing.
 */
export class OncePerTurn {
  private due = false;

  constructor(private readonly work: () => void) {}

  /** Asked for and not run yet. */
  get pending(): boolean {
    return this.due;
  }

  request(): void {
    if (this.due) return;
    this.due = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.due) this.now();
  }

  now(): void {
    this.due = false;
    this.work();
  }
}
