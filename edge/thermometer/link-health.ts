/**
 * The link state a thermometer reports, as a pure state machine: 'online' while answers come,
 * 'fault' while the device says its sensor failed, 'offline' after N misses in a row or while the
 * transport is down. Each input returns the new state when it changed, so the driver emits once.
 */
import type { ThermometerLinkState } from './types.ts';

export class LinkHealth {
  private current: ThermometerLinkState = 'offline';
  private misses = 0;

  constructor(private readonly offlineAfterMisses: number) {
    if (!Number.isInteger(offlineAfterMisses) || offlineAfterMisses < 1)
      throw new RangeError(`offlineAfterMisses must be a positive integer, got ${offlineAfterMisses}`);
  }

  get state(): ThermometerLinkState {
    return this.current;
  }

  /** Misses since the last answer. */
  get missesInRow(): number {
    return this.misses;
  }

  answered(sensorFault: boolean): ThermometerLinkState | undefined {
    this.misses = 0;
    return this.set(sensorFault ? 'fault' : 'online');
  }

  missed(): ThermometerLinkState | undefined {
    this.misses++;
    return this.misses >= this.offlineAfterMisses ? this.set('offline') : undefined;
  }

  down(): ThermometerLinkState | undefined {
    this.misses = 0;
    return this.set('offline');
  }

  private set(s: ThermometerLinkState): ThermometerLinkState | undefined {
    if (s === this.current) return undefined;
    this.current = s;
    return s;
  }
}
