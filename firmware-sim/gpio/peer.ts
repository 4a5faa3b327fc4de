/**
 * The turnstile's side of the edge's simulated gate I/O (devices.md §4, wire in
 * protocols/gate/gpio-sim.ts): a TCP client of the edge. It records every output change the edge
 * reports (release, lamps, buzzer) with timestamps and drives the inputs: a passage pulse per person
 * walking through, and the fire-alarm contact. It reconnects when the edge restarts and re-asserts
 * the inputs it holds (a fire alarm stays active across an edge restart).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  encodeLine,
  GpioSimServerMessage,
  type InputLine,
  LineSplitter,
  type OutputLine,
} from '../../protocols/gate/gpio-sim.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import { sleep } from '../time.ts';

export type Level = 0 | 1;

export interface GpioPeerOptions {
  host?: string;
  port: number;
  /** Pause between connection attempts, ms (default 200). */
  reconnectMs?: number;
  /** Length of a passage pulse, ms (default 60: longer than the edge's 20 ms debounce). */
  passagePulseMs?: number;
  logger?: Logger;
}

export interface OutputChange {
  line: OutputLine;
  value: Level;
  /** Edge's timestamp of the change (epoch ms). */
  at: number;
  /** When this peer received it (epoch ms). */
  receivedAt: number;
  /** true when learnt from a snapshot rather than an `out` message. */
  fromSnapshot: boolean;
}

export interface ReleasePulse {
  start: number;
  /** undefined while the release line is still high. */
  end: number | undefined;
  durationMs: number | undefined;
}

const OUTPUTS: OutputLine[] = ['release', 'green', 'red', 'buzzer'];

/** Events: 'connect', 'disconnect', 'output' (OutputChange), 'snapshot'. */
export class GpioPeer extends EventEmitter {
  private sock: net.Socket | undefined;
  private running = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly outputs = new Map<OutputLine, Level>();
  private readonly inputs: Record<InputLine, Level> = { passage: 0, fireAlarm: 0 };
  private readonly changes: OutputChange[] = [];
  private connected = false;

  constructor(private readonly opts: GpioPeerOptions) {
    super();
    this.log = opts.logger ?? childLogger('gpio-peer', { port: opts.port });
  }

  get description(): string {
    return `gpio ${this.opts.host ?? '127.0.0.1'}:${this.opts.port}`;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  waitConnected(timeoutMs = 5000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('snapshot', on);
        reject(new SimError(SimErrorCode.TIMEOUT, `${this.description}: no snapshot within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = () => {
        clearTimeout(t);
        resolve();
      };
      // Connected means "has the edge's snapshot": before that the outputs are unknown.
      this.once('snapshot', on);
    });
  }

  private connect(): void {
    if (!this.running || this.sock) return;
    const sock = net.connect({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port });
    this.sock = sock;
    const splitter = new LineSplitter();
    sock.setEncoding('utf8');
    sock.setNoDelay(true);
    sock.on('connect', () => {
      this.log.info('connected to edge gpio');
      this.emit('connect');
      // An input we hold (fire alarm) must survive an edge restart: say it again.
      if (this.inputs.fireAlarm) this.sendInput('fireAlarm', 1);
    });
    sock.on('data', (text: string) => {
      for (const line of splitter.push(text)) this.onLine(line);
    });
    sock.on('error', (err) => this.log.debug({ err: err.message }, 'gpio socket error'));
    sock.on('close', () => {
      if (this.sock !== sock) return;
      this.sock = undefined;
      if (this.connected) {
        this.connected = false;
        this.log.info('edge gpio connection lost');
        this.emit('disconnect');
      }
      if (this.running)
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.connect();
        }, this.opts.reconnectMs ?? 200);
    });
  }

  private onLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.log.warn({ line: line.slice(0, 80) }, 'gpio: not JSON, ignored');
      return;
    }
    const r = GpioSimServerMessage.safeParse(json);
    if (!r.success) {
      this.log.warn({ line: line.slice(0, 80) }, 'gpio: unknown message, ignored');
      return;
    }
    const m = r.data;
    const now = Date.now();
    if (m.t === 'snapshot') {
      for (const l of OUTPUTS) {
        const v = m.outputs[l];
        if (v !== undefined) this.record(l, v, m.at, now, true);
      }
      this.connected = true;
      this.emit('snapshot');
    } else this.record(m.line, m.value, m.at, now, false);
  }

  private record(
    line: OutputLine,
    value: Level,
    at: number,
    receivedAt: number,
    fromSnapshot: boolean,
  ): void {
    // A snapshot repeats what we already know after a reconnect; only real changes go in history.
    if (this.outputs.get(line) === value) return;
    this.outputs.set(line, value);
    const change: OutputChange = { line, value, at, receivedAt, fromSnapshot };
    this.changes.push(change);
    this.emit('output', change);
  }

  private sendInput(line: InputLine, value: Level): boolean {
    const sock = this.sock;
    if (!sock || sock.destroyed || !sock.writable) return false;
    sock.write(encodeLine({ t: 'in', line, value }));
    return true;
  }

  // ---- inputs ----------------------------------------------------------------------------------

  /** One person walks through: a pulse on `passage`. Resolves false when the edge is unreachable. */
  async passage(pulseMs = this.opts.passagePulseMs ?? 60): Promise<boolean> {
    if (!this.sendInput('passage', 1)) {
      this.log.warn('passage pulse lost: edge gpio not connected');
      return false;
    }
    this.inputs.passage = 1;
    await sleep(pulseMs);
    this.inputs.passage = 0;
    return this.sendInput('passage', 0);
  }

  /** Fire-alarm dry contact (active high); held across reconnects. */
  setFireAlarm(on: boolean): boolean {
    this.inputs.fireAlarm = on ? 1 : 0;
    return this.sendInput('fireAlarm', this.inputs.fireAlarm);
  }

  // ---- outputs ---------------------------------------------------------------------------------

  /** Current level of an output as last reported (undefined before the first snapshot). */
  output(line: OutputLine): Level | undefined {
    return this.outputs.get(line);
  }

  /** Every output change received, oldest first. */
  history(line?: OutputLine): OutputChange[] {
    return line ? this.changes.filter((c) => c.line === line) : [...this.changes];
  }

  /** The release line's high periods, from its rising and falling edges (receive times). */
  releasePulses(since = 0): ReleasePulse[] {
    const pulses: ReleasePulse[] = [];
    let open: ReleasePulse | undefined;
    for (const c of this.changes) {
      if (c.line !== 'release') continue;
      if (c.value === 1 && !open) {
        open = { start: c.receivedAt, end: undefined, durationMs: undefined };
        pulses.push(open);
      } else if (c.value === 0 && open) {
        open.end = c.receivedAt;
        open.durationMs = open.end - open.start;
        open = undefined;
      }
    }
    return pulses.filter((p) => p.start >= since || p.end === undefined || p.end >= since);
  }

  /** Position in the change history; pass it as `after` to wait only for changes from now on. */
  cursor(): number {
    return this.changes.length;
  }

  /**
   * Resolves true once `line` is at `value`, false after `timeoutMs`.
   * - no option: true at once if the line already is at `value`;
   * - `after` (a cursor()): only a change recorded after that point counts — unambiguous;
   * - `since` (epoch ms): a change received at or after that time counts (ms resolution: a change
   *   in the same millisecond as `since` counts too).
   */
  waitForOutput(
    line: OutputLine,
    value: Level,
    timeoutMs: number,
    opts: { since?: number; after?: number } = {},
  ): Promise<boolean> {
    const { since, after } = opts;
    const matches = (c: OutputChange) => c.line === line && c.value === value;
    let seen: boolean;
    if (after !== undefined) seen = this.changes.slice(after).some(matches);
    else if (since !== undefined) seen = this.changes.some((c) => matches(c) && c.receivedAt >= since);
    else seen = this.outputs.get(line) === value;
    if (seen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.off('output', on);
        resolve(false);
      }, timeoutMs);
      const on = (c: OutputChange) => {
        if (!matches(c)) return;
        clearTimeout(t);
        this.off('output', on);
        resolve(true);
      };
      this.on('output', on);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const sock = this.sock;
    this.sock = undefined;
    this.connected = false;
    if (sock && !sock.destroyed) {
      await new Promise<void>((r) => {
        sock.once('close', () => r());
        sock.destroy();
      });
    }
  }
}
