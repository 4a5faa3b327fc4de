/**
 * Request/answer pacing for a polled device, on an injected Clock: one request in flight at a time,
 * a request every `intervalMs` (measured from the previous request), never sooner than `gapMs` after
 * the previous transaction ended (the line's inter-frame silence), and a timeout per request.
 *
 * pollNow() sends at once when idle; while a request is in flight it asks for another right after
 * the answer instead of putting a second request on the bus.
 */
import type { Clock, Timer } from '../clock.ts';

export interface PollLoopOptions {
  clock: Clock;
  intervalMs: number;
  gapMs: number;
  timeoutMs: number;
  /** Puts one request on the wire. Must not throw; a failed write simply times out. */
  send: () => void;
  /** The request in flight got no answer in time. */
  onTimeout: () => void;
}

export class PollLoop {
  private running = false;
  private busy = false;
  private pending = false;
  private sentAt = Number.NEGATIVE_INFINITY;
  private endedAt = Number.NEGATIVE_INFINITY;
  private next: Timer | undefined;
  private deadline: Timer | undefined;

  constructor(private readonly o: PollLoopOptions) {}

  get inFlight(): boolean {
    return this.busy;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts polling; the first request goes out at once (after the line gap). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pending = true;
    this.scheduleNext(true);
  }

  /** Stops polling and forgets the request in flight. */
  stop(): void {
    this.running = false;
    this.busy = false;
    this.pending = false;
    this.next?.cancel();
    this.next = undefined;
    this.deadline?.cancel();
    this.deadline = undefined;
  }

  pollNow(): void {
    if (!this.running) return;
    this.pending = true;
    if (!this.busy) this.scheduleNext(true);
  }

  /** The request in flight was answered. Ignored when none is. */
  complete(): void {
    if (!this.busy) return;
    this.busy = false;
    this.deadline?.cancel();
    this.deadline = undefined;
    this.endedAt = this.o.clock.now();
    this.scheduleNext();
  }

  /**
   * `now` lets a caller's own request go out synchronously; after an answer or a timeout the next
   * request always goes through a timer, so a device answering synchronously (a test double)
   * cannot recurse into us.
   */
  private scheduleNext(now = false): void {
    const t = this.o.clock.now();
    const earliest = this.endedAt + this.o.gapMs;
    const due = this.pending ? earliest : Math.max(this.sentAt + this.o.intervalMs, earliest);
    this.next?.cancel();
    this.next = undefined;
    if (now && due <= t) this.fire();
    else this.next = this.o.clock.setTimeout(() => this.fire(), Math.max(0, Math.ceil(due - t)));
  }

  private fire(): void {
    this.next = undefined;
    if (!this.running || this.busy) return;
    this.busy = true;
    this.pending = false;
    this.sentAt = this.o.clock.now();
    this.deadline = this.o.clock.setTimeout(() => this.expire(), this.o.timeoutMs);
    this.o.send();
  }

  private expire(): void {
    this.deadline = undefined;
    if (!this.busy) return;
    this.busy = false;
    this.endedAt = this.o.clock.now();
    this.o.onTimeout();
    if (this.running) this.scheduleNext();
  }
}
