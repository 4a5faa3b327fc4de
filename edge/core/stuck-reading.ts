/**
 * A thermometer that reports the same value for every person is broken, not a queue of identical
 * healthy people: a frozen sensor would wave a fever through at 36.6 °C. This watches the discrete
 * measurements (each a new device sequence, i.e. a new person) and calls the run stuck once
 * `after` of them in a row carry exactly the same raw value. Healthy temperatures spread over
 * several tenths, so the chance of five equal in a row is small (about 1 in 10,000 per person for
 * a spread of 0.5 °C); a false alarm costs one person a re-measure, a missed one lets fevers in.
 */
import type { Measurement } from '../thermometer/types.ts';

export interface StuckVerdict {
  /** This measurement belongs to a stuck run: do not decide on it. */
  stuck: boolean;
  /** The stuck state changed with this measurement (raise or clear the alert). */
  changed: boolean;
  /** Length of the current run of equal values. */
  run: number;
}

export class StuckReadingDetector {
  private value: number | undefined;
  private lastSeq: number | undefined;
  private run = 0;
  private stuck = false;

  /** @param after measurements in a row with the same value that make a fault; 0 turns the check off. */
  constructor(private readonly after: number) {}

  observe(m: Measurement): StuckVerdict {
    // Streamed samples (no sequence) repeat by nature, and a repeated sequence is the same person.
    if (this.after <= 0 || m.sensorSeq === null || !m.valid || m.sensorFault || m.sensorSeq === this.lastSeq)
      return { stuck: this.stuck && m.sensorSeq === this.lastSeq, changed: false, run: this.run };
    this.lastSeq = m.sensorSeq;
    this.run = m.rawTenths === this.value ? this.run + 1 : 1;
    this.value = m.rawTenths;
    const was = this.stuck;
    this.stuck = this.run >= this.after;
    return { stuck: this.stuck, changed: this.stuck !== was, run: this.run };
  }
}
