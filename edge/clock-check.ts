/**
 * Compares the gate's clock with the hub's (`tg/{site}/hub/clock`, protocols/hub/clock.ts). A gate
 * whose clock is off dates its readings wrongly, and HR's twice-daily log (morning / afternoon,
 * first reading of the day) is built from those dates: the gate keeps working, but says so loudly
 * (TG_EDGE_CLOCK_SKEW) so the site fixes its time sync (chrony, docs/DEPLOY-GATE.md).
 *
 * The measured skew includes the message's trip through the broker (milliseconds on a site LAN),
 * which is why the threshold is in seconds. The warning repeats at most every `repeatMs` while the
 * skew lasts; the return to agreement is logged once.
 */
import { HubClock } from '../protocols/hub/clock.ts';
import { parsePayload } from '../protocols/parse.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';

export const CLOCK_SKEW_CODE = 'TG_EDGE_CLOCK_SKEW';

export interface ClockCheckOptions {
  siteId: string;
  /** The clock the gate stamps readings with. */
  clock: Clock;
  log: Logger;
  /** Warn when |gate − hub| exceeds this, ms; 0 turns the check off. */
  thresholdMs: number;
  /** While the skew lasts, repeat the warning at most this often (default 10 min). */
  repeatMs?: number;
}

export class ClockCheck {
  /** Gate minus hub at the last hub clock message, ms (positive: the gate is ahead); null before the first. */
  skewMs: number | null = null;
  /** Hub clock messages received and understood. */
  received = 0;
  /** TG_EDGE_CLOCK_SKEW warnings logged. */
  warnings = 0;
  private skewed = false;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: ClockCheckOptions) {}

  get inSync(): boolean | null {
    return this.skewMs === null ? null : !this.skewed;
  }

  /** Handler for `tg/{site}/hub/clock`. Never throws. */
  onMessage(payload: Uint8Array | string): void {
    const r = parsePayload(HubClock, payload);
    if (!r.ok || r.value.siteId !== this.o.siteId) {
      this.o.log.debug({ reason: r.ok ? 'other site' : r.error.message }, 'hub clock message ignored');
      return;
    }
    if (this.o.thresholdMs === 0) return;
    const now = this.o.clock.now();
    const skew = now - r.value.at;
    this.received++;
    this.skewMs = skew;
    if (Math.abs(skew) > this.o.thresholdMs) {
      if (!this.skewed || now - this.lastWarnAt >= (this.o.repeatMs ?? 600_000)) {
        this.warnings++;
        this.lastWarnAt = now;
        this.o.log.warn(
          {
            code: CLOCK_SKEW_CODE,
            skewMs: skew,
            gateAt: now,
            hubAt: r.value.at,
            thresholdMs: this.o.thresholdMs,
          },
          `gate clock ${skew > 0 ? 'ahead of' : 'behind'} the hub's by ${Math.abs(skew)} ms: one of them is wrong, so readings may be misdated; check time sync (chrony) on both`,
        );
      }
      this.skewed = true;
    } else if (this.skewed) {
      this.skewed = false;
      this.o.log.info({ skewMs: skew }, 'gate clock agrees with the hub again');
    }
  }
}
