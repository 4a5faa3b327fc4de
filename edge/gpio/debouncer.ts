/**
 * Debounces one input on an injected Clock: a level counts once it has held for `ms` without
 * another edge. Contacts bounce for a few ms; a passage pulse shorter than `ms` is treated as bounce.
 */
import type { Clock, Timer } from '../clock.ts';
import type { Level } from './types.ts';

export class Debouncer {
  private stable: Level;
  private raw: Level;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    initial: Level,
    private readonly onStable: (value: Level) => void,
  ) {
    this.stable = initial;
    this.raw = initial;
  }

  get value(): Level {
    return this.stable;
  }

  input(value: Level): void {
    this.raw = value;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.ms <= 0) this.commit();
    else
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.commit();
      }, this.ms);
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private commit(): void {
    if (this.raw === this.stable) return;
    this.stable = this.raw;
    this.onStable(this.stable);
  }
}
