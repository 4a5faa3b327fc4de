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
import { checkInt } from './errors.ts';
import { type FrameOutcome, ModbusIrSession } from './modbus-ir-session.ts';
import { PollLoop } from './poll-loop.ts';
import { SerialThermometerDriver, type SerialDriverOptions } from './serial-driver.ts';
import { interFrameGapMs, responseTimeoutMs } from './timing.ts';
import type { ThermometerEvents, ThermometerLinkState, ThermometerStats } from './types.ts';

export interface ModbusIrDriverOptions extends SerialDriverOptions {
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

export class ModbusIrDriver extends SerialThermometerDriver<ModbusIrEvents, ModbusIrStats> {
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
  private readonly decoder = new RtuStreamDecoder('response');
  private readonly session: ModbusIrSession;
  private readonly loop: PollLoop;
  private readonly recycleAfter: number;
  private malformed = 0;

  constructor(opts: ModbusIrDriverOptions) {
    super(opts);
    this.slave = checkInt('slave', opts.slave ?? 1, 1, 247);
    const baudRate = checkInt('baudRate', opts.baudRate ?? 9600, 1200, 921_600);
    const pollIntervalMs = checkInt('pollIntervalMs', opts.pollIntervalMs ?? 200, 1, 60_000);
    this.recycleAfter = checkInt('recycleAfterTimeouts', opts.recycleAfterTimeouts ?? 25, 0, 1_000_000);
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
    this.loop = new PollLoop({
      clock: this.clock,
      intervalMs: pollIntervalMs,
      gapMs: interFrameGapMs(baudRate),
      timeoutMs: this.responseTimeoutMs,
      send: () => this.send(this.session.nextRequest().frame),
      onTimeout: () => this.onTimeout(),
    });
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

  requestMeasurement(): void {
    this.loop.pollNow();
  }

  /** The state becomes 'offline' silently: a stop is no outage. */
  protected async beforeClose(): Promise<void> {
    this.loop.stop();
    this.session.onLinkDown();
  }

  protected onData(chunk: Uint8Array): void {
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

  protected onUp(): void {
    this.decoder.flush();
    this.session.onLinkUp();
    this.syncStats();
    if (this.started) this.loop.start();
  }

  protected onDown(): void {
    this.loop.stop();
    this.decoder.flush();
    const { state } = this.session.onLinkDown();
    this.syncStats();
    if (state) this.emitState(state);
  }

  private syncStats(): void {
    this.stats.frames = this.decoder.stats.frames;
    this.stats.badFrames = this.decoder.stats.badFrames + this.malformed;
    this.stats.droppedBytes = this.decoder.stats.droppedBytes;
    this.stats.reconnects = this.link.stats.reconnects;
  }
}
