/**
 * ThermometerDriver for the Modbus RTU infrared body thermometer (devices.md §1).
 *
 * Wiring: transport (kept open by ReconnectingTransport) → RtuStreamDecoder('response') → the
 * protocol session (pure) → events. PollLoop paces the requests: one in flight, input registers
 * 0..4 every pollIntervalMs, requestMeasurement() polls at once. Nothing on the wire throws:
 * exceptions, foreign slaves and bad frames are counted in `stats`.
 */
import {
  ANSWER_BOUND_MS,
  expectedResponseLength,
  HOLDING_REGISTER_COUNT,
  type IrSettings,
  pollRequest,
  RtuStreamDecoder,
} from '../../protocols/modbus-ir/index.ts';
import { type Clock, systemClock } from '../clock.ts';
import { Emitter } from '../events.ts';
import type { Logger } from '../log.ts';
import { ReconnectingTransport, type ReconnectOptions } from '../transport/reconnecting.ts';
import type { ByteTransport } from '../transport/types.ts';
import { checkInt } from './errors.ts';
import { type FrameOutcome, ModbusIrSession } from './modbus-ir-session.ts';
import { PollLoop } from './poll-loop.ts';
import { interFrameGapMs, responseTimeoutMs } from './timing.ts';
import type {
  ThermometerDriver,
  ThermometerEvents,
  ThermometerLinkState,
  ThermometerStats,
} from './types.ts';

export interface ModbusIrDriverOptions {
  /** Usually transportFromUrl(cfg.thermometer.port, ...); the driver keeps it open. */
  transport: ByteTransport;
  clock?: Clock;
  log?: Logger;
  /** Slave address 1..247 (default 1). */
  slave?: number;
  /** Line rate, for timing only (default 9600); the transport sets the rate itself. */
  baudRate?: number;
  /** Default 200 ms. */
  pollIntervalMs?: number;
  /** Added to the computed response timeout (default 50 ms): adapter latency, device server, network. */
  responseMarginMs?: number;
  /** Overrides the computed response timeout altogether. */
  responseTimeoutMs?: number;
  /** Consecutive timeouts before the state is 'offline' (default 3). */
  offlineAfterTimeouts?: number;
  /**
   * Drop and reopen the link after this many consecutive timeouts (default 25, 0 = never): a TCP
   * connection to a device server that lost power stays "open" until keepalive gives up.
   */
  recycleAfterTimeouts?: number;
  /** Read holding registers 0x10..0x12 once after each (re)connect (default true). */
  readSettings?: boolean;
  /** Reopen backoff (defaults: 250 ms doubling to 5 s, 50 % jitter). */
  reconnect?: Omit<ReconnectOptions, 'clock' | 'log'>;
}

export interface ModbusIrStats extends ThermometerStats {
  /** Frames decoded. */
  frames: number;
  /** Exception responses from our slave. */
  exceptions: number;
  /** Frames from another slave address. */
  wrongSlave: number;
  /** Frames from our slave that answer nothing we ask. */
  unexpected: number;
  /** Measurements emitted. */
  measurements: number;
}

export type ModbusIrEvents = Pick<ThermometerEvents, keyof ThermometerEvents> & {
  /** Holding registers read after a (re)connect: provenance for stored readings. */
  settings: IrSettings;
};

export class ModbusIrDriver extends Emitter<ModbusIrEvents> implements ThermometerDriver {
  readonly sensor = 'modbus-ir' as const;
  readonly stats: ModbusIrStats = {
    badFrames: 0,
    droppedBytes: 0,
    timeouts: 0,
    reconnects: 0,
    frames: 0,
    exceptions: 0,
    wrongSlave: 0,
    unexpected: 0,
    measurements: 0,
  };
  /** The timeout in use, ms (computed from the baud rate unless given). */
  readonly responseTimeoutMs: number;
  readonly slave: number;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly link: ReconnectingTransport;
  private readonly decoder = new RtuStreamDecoder('response');
  private readonly session: ModbusIrSession;
  private readonly loop: PollLoop;
  private readonly recycleAfter: number;
  private malformed = 0;
  private started = false;

  constructor(opts: ModbusIrDriverOptions) {
    super();
    this.slave = checkInt('slave', opts.slave ?? 1, 1, 247);
    const baudRate = checkInt('baudRate', opts.baudRate ?? 9600, 1200, 921_600);
    const pollIntervalMs = checkInt('pollIntervalMs', opts.pollIntervalMs ?? 200, 1, 60_000);
    this.recycleAfter = checkInt('recycleAfterTimeouts', opts.recycleAfterTimeouts ?? 25, 0, 1_000_000);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.responseTimeoutMs =
      opts.responseTimeoutMs ??
      responseTimeoutMs({
        baudRate,
        requestBytes: 8,
        // The larger of the two answers we ask for (poll: 15 bytes, settings: 11).
        responseBytes: Math.max(
          expectedResponseLength(pollRequest(this.slave)),
          5 + 2 * HOLDING_REGISTER_COUNT,
        ),
        answerBoundMs: ANSWER_BOUND_MS,
        marginMs: opts.responseMarginMs ?? 50,
      });
    checkInt('responseTimeoutMs', this.responseTimeoutMs, 1, 60_000);
    this.session = new ModbusIrSession({
      slave: this.slave,
      offlineAfterTimeouts: checkInt('offlineAfterTimeouts', opts.offlineAfterTimeouts ?? 3, 1, 1000),
      readSettings: opts.readSettings ?? true,
    });
    this.link = new ReconnectingTransport(opts.transport, {
      ...opts.reconnect,
      clock: this.clock,
      log: opts.log,
    });
    this.loop = new PollLoop({
      clock: this.clock,
      intervalMs: pollIntervalMs,
      gapMs: interFrameGapMs(baudRate),
      timeoutMs: this.responseTimeoutMs,
      send: () => this.send(),
      onTimeout: () => this.onTimeout(),
    });
    this.link.on('data', (d) => this.onData(d));
    this.link.on('up', () => this.onUp());
    this.link.on('down', () => this.onDown());
    this.link.on('error', (e) => this.log?.debug({ err: e.message }, 'thermometer transport error'));
  }

  get state(): ThermometerLinkState {
    return this.session.state;
  }

  /** Emissivity / offset / averaging as last read from the device; null until read. */
  get deviceSettings(): IrSettings | null {
    return this.session.settings;
  }

  get description(): string {
    return `modbus-ir slave ${this.slave} on ${this.link.description}`;
  }

  /** Opens the link (or starts retrying it) and starts polling; never rejects for a missing device. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.link.open();
  }

  /** Stops polling and closes the link. The state becomes 'offline' silently: a stop is no outage. */
  async stop(): Promise<void> {
    this.started = false;
    this.loop.stop();
    this.session.onLinkDown();
    await this.link.close();
  }

  requestMeasurement(): void {
    this.loop.pollNow();
  }

  private send(): void {
    const { frame } = this.session.nextRequest();
    // A failed write is not handled here: the request times out, and a vanished port closes the link.
    this.link
      .write(frame)
      .catch((e: Error) => this.log?.debug({ err: e.message }, 'thermometer write failed'));
  }

  private onData(chunk: Uint8Array): void {
    const at = this.clock.now();
    for (const frame of this.decoder.push(chunk)) this.handle(this.session.onFrame(frame, at));
    this.syncStats();
  }

  private handle(o: FrameOutcome): void {
    if (o.kind === 'malformed') this.malformed++;
    else if (o.kind === 'exception') {
      this.stats.exceptions++;
      if (this.stats.exceptions === 1)
        this.log?.warn({ exception: o.exception }, 'thermometer answered with an exception');
    } else if (o.kind === 'wrong-slave') this.stats.wrongSlave++;
    else if (o.kind === 'unexpected') this.stats.unexpected++;
    // Completing first lets a listener's requestMeasurement() see the bus as free.
    if (o.completes) this.loop.complete();
    if (o.state) this.emitState(o.state);
    if (o.settings) {
      this.log?.info({ settings: o.settings }, 'thermometer settings');
      this.emit('settings', o.settings);
    }
    if (o.measurement) {
      this.stats.measurements++;
      this.emit('measurement', o.measurement);
    }
    if (o.targetLeft) this.emit('targetLeft', o.targetSeenAt ?? this.clock.now());
  }

  private onTimeout(): void {
    // Whatever partial answer is buffered belongs to the request that died.
    this.decoder.flush();
    this.stats.timeouts++;
    const { state } = this.session.onTimeout();
    this.syncStats();
    if (state) this.emitState(state);
    const misses = this.session.health.missesInRow;
    if (this.recycleAfter > 0 && misses > 0 && misses % this.recycleAfter === 0)
      this.link.recycle(`no answer to ${misses} requests in a row`);
  }

  private onUp(): void {
    this.decoder.flush();
    this.session.onLinkUp();
    this.syncStats();
    if (this.started) this.loop.start();
  }

  private onDown(): void {
    this.loop.stop();
    this.decoder.flush();
    const { state } = this.session.onLinkDown();
    this.syncStats();
    if (state) this.emitState(state);
  }

  private emitState(state: ThermometerLinkState): void {
    this.log?.info({ state }, 'thermometer state');
    this.emit('state', state);
  }

  private syncStats(): void {
    this.stats.frames = this.decoder.stats.frames;
    this.stats.badFrames = this.decoder.stats.badFrames + this.malformed;
    this.stats.droppedBytes = this.decoder.stats.droppedBytes;
    this.stats.reconnects = this.link.stats.reconnects;
  }
}
