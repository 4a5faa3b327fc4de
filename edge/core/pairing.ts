/**
 * Pairs a face event with the measurement of that same person. A lane serves one person at a
 * time, so the right measurement is the freshest one taken shortly before the face event, or the
 * next one to arrive shortly after it. A measurement is consumed by the person it is paired with and
 * never given to a second person. Times are the edge's own clock (the terminal's clock may be off).
 */
import type { Clock, Timer } from '../clock.ts';
import type { Measurement } from '../thermometer/types.ts';

export interface PairingConfig {
  /** How old a measurement may be when the face event arrives. */
  beforeMs: number;
  /** How long to wait for a measurement after the face event. */
  waitMs: number;
  /** Measurements kept for pairing; older ones fall out. */
  capacity?: number;
}

export interface PairingResult {
  measurement: Measurement | undefined;
  /** Measurement time minus event time: negative when measured first. */
  delayMs: number | null;
}

interface Waiter {
  eventAt: number;
  resolve: (r: PairingResult) => void;
  timer: Timer;
}

export class MeasurementPairing {
  private buffer: Measurement[] = [];
  private waiters: Waiter[] = [];
  private readonly capacity: number;

  constructor(
    private readonly cfg: PairingConfig,
    private readonly clock: Clock,
    /** Called with every measurement dropped without being paired with anyone. */
    private readonly onDiscard: (m: Measurement) => void = () => {},
  ) {
    this.capacity = cfg.capacity ?? 32;
  }

  add(m: Measurement): void {
    // The oldest waiting person is the one in front of the thermometer.
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.timer.cancel();
      waiter.resolve({ measurement: m, delayMs: m.at - waiter.eventAt });
      return;
    }
    this.buffer.push(m);
    if (this.buffer.length > this.capacity) this.discard(this.buffer.splice(0, 1));
  }

  /** Synchronous pairing with what is already here. */
  take(eventAt: number): PairingResult {
    const from = eventAt - this.cfg.beforeMs;
    let pick = -1;
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const m = this.buffer[i] as Measurement;
      if (m.at < from) break;
      if (m.at > eventAt) continue;
      if (pick === -1) pick = i;
      if (m.valid && !m.sensorFault) {
        pick = i;
        break;
      }
    }
    if (pick === -1) return { measurement: undefined, delayMs: null };
    const m = this.buffer[pick] as Measurement;
    // Older readings belong to people already served or gone: they leave the buffer unpaired.
    this.discard(this.buffer.splice(0, pick));
    this.buffer.shift();
    // Fresher but unusable readings up to the event were the same person's: not for the next one.
    let same = 0;
    while (same < this.buffer.length && (this.buffer[same] as Measurement).at <= eventAt) same++;
    this.discard(this.buffer.splice(0, same));
    return { measurement: m, delayMs: m.at - eventAt };
  }

  /**
   * Pairs now, or waits up to `waitMs` (default the configured wait) for the next measurement.
   * Never rejects.
   */
  pair(
    eventAt: number,
    onWait?: () => void,
    waitMs = this.cfg.waitMs,
  ): Promise<PairingResult> | PairingResult {
    const now = this.take(eventAt);
    if (now.measurement || waitMs <= 0) return now;
    onWait?.();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        eventAt,
        resolve,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve({ measurement: undefined, delayMs: null });
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Gives up on the people whose face event came before `seenAt`, the last moment the thermometer
   * saw someone in front of it: that person has walked away unmeasured, so the next measurement
   * is somebody else's. Found by the soak: an event held by the broker while the gate restarted
   * waited, and took the next person's temperature.
   */
  abandonWaitersBefore(seenAt: number): number {
    const gone = this.waiters.filter((w) => w.eventAt <= seenAt);
    if (gone.length === 0) return 0;
    this.waiters = this.waiters.filter((w) => w.eventAt > seenAt);
    for (const w of gone) {
      w.timer.cancel();
      w.resolve({ measurement: undefined, delayMs: null });
    }
    return gone.length;
  }

  /** Drops everything (thermometer went offline: old readings must not pair with new people). */
  clear(): void {
    this.discard(this.buffer);
    this.buffer = [];
  }

  /** Drops measurements too old to pair with anyone who arrives from now on. */
  sweep(now: number): void {
    const keepFrom = now - this.cfg.beforeMs;
    let n = 0;
    while (n < this.buffer.length && (this.buffer[n] as Measurement).at < keepFrom) n++;
    if (n > 0) this.discard(this.buffer.splice(0, n));
  }

  private discard(ms: Measurement[]): void {
    for (const m of ms) this.onDiscard(m);
  }

  get pendingWaiters(): number {
    return this.waiters.length;
  }
}
