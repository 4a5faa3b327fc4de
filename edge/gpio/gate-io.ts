/**
 * The turnstile's behaviour above any GpioBackend (devices.md §4), on an injected Clock:
 *
 * - release(openMs): `release` high, low again after openMs; a release while open extends it.
 * - showPass / showDeny / showFlag: green or red lamp for lampMs; the buzzer sounds on deny and flag.
 * - passage input, debounced here too (the sim backend does not), rising edge = one person. Each
 *   release allows one passage; a passage beyond that, or with no release, emits `tailgating`.
 *   Passages up to passageGraceMs after the pulse ends still count against it (a slow walker).
 * - fireAlarm input, active high: every output to its released state (release high, green on, red
 *   and buzzer off) and held there whatever else is called, until the alarm clears.
 * - lockdown(on): release() is refused while on, and an open pulse is cut; the fire alarm still wins.
 *
 * Every method is synchronous: the gate's decision path never waits on I/O here. A backend write
 * that throws is logged and emitted as `error`, never thrown into the decision path.
 */
import { type Clock, systemClock, type Timer } from '../clock.ts';
import { Emitter } from '../events.ts';
import type { Logger } from '../log.ts';
import { Debouncer } from './debouncer.ts';
import type { GpioBackend, InputLine, Level, OutputLine } from './types.ts';

export type GateIoState = 'locked' | 'released' | 'lockdown' | 'fire';
export type SignalKind = 'pass' | 'deny' | 'flag';

export interface GateIoOptions {
  backend: GpioBackend;
  clock?: Clock;
  log?: Logger;
  /** Default release pulse (3000 ms, devices.md §4). */
  openMs?: number;
  /** How long a lamp stays on after a decision (default 2000 ms). */
  lampMs?: number;
  /** Buzzer on a denied passage (default 500 ms). */
  denyBuzzerMs?: number;
  /** Buzzer on a flagged passage, e.g. fever (default 1500 ms). */
  flagBuzzerMs?: number;
  /** Input debounce (default 20 ms); 0 when the backend already debounces and latency matters. */
  debounceMs?: number;
  /** Passages this long after the pulse still belong to it (default 1000 ms). */
  passageGraceMs?: number;
}

export interface GateIoEvents {
  /** One person walked through; `authorized` false means it was also reported as tailgating. */
  passage: { at: number; authorized: boolean };
  /** More passages than releases: `extra-passage` during/just after a release, `no-release` otherwise. */
  tailgating: { at: number; reason: 'extra-passage' | 'no-release'; passagesThisRelease: number };
  fireAlarm: { active: boolean };
  state: GateIoState;
  error: Error;
}

export interface GateIoCounters {
  releases: number;
  /** release() calls refused by lockdown. */
  refused: number;
  passages: number;
  tailgating: number;
}

export class GateIo extends Emitter<Pick<GateIoEvents, keyof GateIoEvents>> {
  readonly counters: GateIoCounters = { releases: 0, refused: 0, passages: 0, tailgating: 0 };
  private readonly clock: Clock;
  private readonly backend: GpioBackend;
  private readonly o: Required<Omit<GateIoOptions, 'backend' | 'clock' | 'log'>>;
  private readonly passage: Debouncer;
  private readonly fire: Debouncer;
  private fireActive: boolean;
  private locked = false;
  private releaseHigh = false;
  private releaseUntil = 0;
  private releaseTimer: Timer | undefined;
  /** Passages still allowed by the releases of the current window (pulse + grace). */
  private allowance = 0;
  private windowPassages = 0;
  private graceTimer: Timer | undefined;
  private lampTimer: Timer | undefined;
  private buzzerTimer: Timer | undefined;
  private lastState: GateIoState;
  private closed = false;

  constructor(private readonly opts: GateIoOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.backend = opts.backend;
    this.o = {
      openMs: opts.openMs ?? 3000,
      lampMs: opts.lampMs ?? 2000,
      denyBuzzerMs: opts.denyBuzzerMs ?? 500,
      flagBuzzerMs: opts.flagBuzzerMs ?? 1500,
      debounceMs: opts.debounceMs ?? 20,
      passageGraceMs: opts.passageGraceMs ?? 1000,
    };
    // The alarm may already be active when the daemon starts: read it, do not wait for an edge.
    this.fireActive = this.readInput('fireAlarm') === 1;
    this.passage = new Debouncer(this.clock, this.o.debounceMs, this.readInput('passage'), (v) => {
      if (v === 1) this.onPassage();
    });
    this.fire = new Debouncer(this.clock, this.o.debounceMs, this.fireActive ? 1 : 0, (v) =>
      this.onFireAlarm(v === 1),
    );
    this.backend.onInput((line, value) => this.onInput(line, value));
    if (this.fireActive) this.applyFireOutputs();
    else for (const line of ['release', 'green', 'red', 'buzzer'] as const) this.write(line, 0);
    this.lastState = this.state;
  }

  get state(): GateIoState {
    if (this.fireActive) return 'fire';
    if (this.locked) return 'lockdown';
    return this.releaseHigh ? 'released' : 'locked';
  }

  get fireAlarm(): boolean {
    return this.fireActive;
  }

  get lockedDown(): boolean {
    return this.locked;
  }

  get backendName(): string {
    return this.backend.name;
  }

  /**
   * Opens the turnstile for openMs (extends an open pulse). Returns false when refused (lockdown).
   * During a fire alarm the gate is open anyway; the call is accepted and changes nothing.
   */
  release(openMs: number = this.o.openMs): boolean {
    if (this.closed) return false;
    if (this.fireActive) return true;
    if (this.locked) {
      this.counters.refused++;
      this.opts.log?.info('release refused: lockdown');
      return false;
    }
    this.counters.releases++;
    this.grant();
    this.releaseHigh = true;
    this.write('release', 1);
    const until = this.clock.now() + openMs;
    if (until > this.releaseUntil || !this.releaseTimer) {
      this.releaseUntil = until;
      this.releaseTimer?.cancel();
      this.releaseTimer = this.clock.setTimeout(() => this.endPulse(), openMs);
    }
    this.stateChanged();
    return true;
  }

  /**
   * Counts one authorised passage without driving `release`: for turnstiles opened by the
   * terminal's own relay (turnstile.drive 'verdict'), so their passages are not taken for tailgating.
   */
  allowPassage(windowMs: number = this.o.openMs): void {
    if (this.closed || this.fireActive || this.locked) return;
    this.grant();
    if (!this.releaseHigh) this.scheduleGrace(windowMs + this.o.passageGraceMs);
  }

  showPass(): void {
    this.lamps(1, 0, 0);
  }

  showDeny(): void {
    this.lamps(0, 1, this.o.denyBuzzerMs);
  }

  showFlag(): void {
    this.lamps(0, 1, this.o.flagBuzzerMs);
  }

  /** The core's GateActuator spelling of showPass/showDeny/showFlag. */
  signal(kind: SignalKind): void {
    if (kind === 'pass') this.showPass();
    else if (kind === 'deny') this.showDeny();
    else this.showFlag();
  }

  lockdown(on: boolean): void {
    if (this.closed || this.locked === on) return;
    this.locked = on;
    this.opts.log?.warn({ lockdown: on }, 'gate lockdown');
    if (on) {
      this.allowance = 0;
      this.cancelGrace();
      if (!this.fireActive) this.cutPulse();
    }
    this.stateChanged();
  }

  /** The core's GateActuator spelling of lockdown(). */
  setLockdown(on: boolean): void {
    this.lockdown(on);
  }

  /**
   * Stops timers, turns lamps and buzzer off and closes the backend. `release` goes low, except
   * during a fire alarm: a stopping daemon must not lock people in.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of [this.releaseTimer, this.graceTimer, this.lampTimer, this.buzzerTimer]) t?.cancel();
    this.passage.cancel();
    this.fire.cancel();
    if (!this.fireActive) this.write('release', 0);
    this.write('green', 0);
    this.write('red', 0);
    this.write('buzzer', 0);
    this.closed = true;
    await this.backend.close();
  }

  /** One more passage allowed; a window that had fully closed starts afresh. */
  private grant(): void {
    const windowOpen = this.releaseHigh || this.graceTimer !== undefined;
    if (!windowOpen) {
      this.allowance = 0;
      this.windowPassages = 0;
    }
    this.allowance++;
    this.cancelGrace();
  }

  private endPulse(): void {
    this.releaseTimer = undefined;
    if (this.fireActive) return;
    this.releaseHigh = false;
    this.write('release', 0);
    this.scheduleGrace(this.o.passageGraceMs);
    this.stateChanged();
  }

  /** Ends an open pulse at once (lockdown), without a grace period. */
  private cutPulse(): void {
    this.releaseTimer?.cancel();
    this.releaseTimer = undefined;
    this.releaseUntil = 0;
    if (this.releaseHigh) {
      this.releaseHigh = false;
      this.write('release', 0);
    }
  }

  private scheduleGrace(ms: number): void {
    this.cancelGrace();
    this.graceTimer = this.clock.setTimeout(() => {
      this.graceTimer = undefined;
      this.allowance = 0;
    }, ms);
  }

  private cancelGrace(): void {
    this.graceTimer?.cancel();
    this.graceTimer = undefined;
  }

  private onInput(line: InputLine, value: Level): void {
    if (this.closed) return;
    if (line === 'passage') this.passage.input(value);
    else if (line === 'fireAlarm') this.fire.input(value);
  }

  private onPassage(): void {
    const at = this.clock.now();
    this.counters.passages++;
    // During a fire alarm everyone leaves: nobody is tailgating.
    if (this.fireActive || this.allowance > 0) {
      if (!this.fireActive) {
        this.allowance--;
        this.windowPassages++;
      }
      this.emit('passage', { at, authorized: true });
      return;
    }
    const inWindow = this.releaseHigh || this.graceTimer !== undefined;
    this.windowPassages = inWindow ? this.windowPassages + 1 : 1;
    this.counters.tailgating++;
    this.emit('passage', { at, authorized: false });
    this.emit('tailgating', {
      at,
      reason: inWindow ? 'extra-passage' : 'no-release',
      passagesThisRelease: inWindow ? this.windowPassages : 0,
    });
  }

  private onFireAlarm(active: boolean): void {
    if (active === this.fireActive) return;
    this.fireActive = active;
    this.opts.log?.warn({ active }, 'fire alarm input');
    if (active) {
      this.releaseTimer?.cancel();
      this.releaseTimer = undefined;
      this.cancelGrace();
      this.applyFireOutputs();
    } else {
      this.releaseHigh = false;
      this.releaseUntil = 0;
      this.allowance = 0;
      this.write('release', 0);
      this.write('green', 0);
    }
    this.emit('fireAlarm', { active });
    this.stateChanged();
  }

  private applyFireOutputs(): void {
    this.lampTimer?.cancel();
    this.buzzerTimer?.cancel();
    this.lampTimer = this.buzzerTimer = undefined;
    this.releaseHigh = true;
    this.write('release', 1);
    this.write('green', 1);
    this.write('red', 0);
    this.write('buzzer', 0);
  }

  private lamps(green: Level, red: Level, buzzerMs: number): void {
    // During a fire alarm the lamps show "go" and stay that way.
    if (this.closed || this.fireActive) return;
    this.lampTimer?.cancel();
    this.buzzerTimer?.cancel();
    this.write('green', green);
    this.write('red', red);
    this.write('buzzer', buzzerMs > 0 ? 1 : 0);
    this.lampTimer = this.clock.setTimeout(() => {
      this.lampTimer = undefined;
      this.write('green', 0);
      this.write('red', 0);
    }, this.o.lampMs);
    this.buzzerTimer =
      buzzerMs > 0
        ? this.clock.setTimeout(() => {
            this.buzzerTimer = undefined;
            this.write('buzzer', 0);
          }, buzzerMs)
        : undefined;
  }

  private readInput(line: InputLine): Level {
    try {
      return this.backend.read(line);
    } catch (err) {
      this.report(err as Error);
      return 0;
    }
  }

  private write(line: OutputLine, value: Level): void {
    if (this.closed) return;
    try {
      this.backend.write(line, value);
    } catch (err) {
      this.report(err as Error);
    }
  }

  private report(err: Error): void {
    this.opts.log?.error({ err: err.message }, 'gate io');
    this.emit('error', err);
  }

  private stateChanged(): void {
    const s = this.state;
    if (s === this.lastState) return;
    this.lastState = s;
    this.emit('state', s);
  }
}
