/**
 * Puts a ModbusIrThermometer on a byte stream: frames incoming bytes with the protocols' stream
 * decoder, answers through the current link, applies the answer-delay fault, and drops a partial
 * frame after inter-frame silence (RTU's own delimiter) so line noise cannot wedge the framer.
 */
import { RtuStreamDecoder } from '../../protocols/modbus-ir/index.ts';
import { toHex } from '../../protocols/hex.ts';
import { childLogger, type Logger } from '../log.ts';
import type { ByteSink, StreamDevice } from '../transport/stream-device.ts';
import type { ModbusIrThermometer } from './thermometer.ts';

export interface ModbusSlaveEndpointOptions {
  /**
   * Silence after which a partial frame is discarded, ms. Default: 3.5 character times at `baudRate`
   * but at least 5 ms, because node's timers cannot resolve 4 ms reliably and a pty may deliver one
   * write in two reads. On TCP, where silence means nothing, pass a larger value (devices.ts does).
   */
  silenceMs?: number;
  baudRate?: number;
  /** Called for every answered frame (the CLI prints these with --verbose). */
  onExchange?: (request: Uint8Array, answer: Uint8Array | undefined) => void;
  logger?: Logger;
}

/** 3.5 characters of 11 bits (start + 8 data + parity-or-stop + stop), the RTU worst case, in ms. */
export const interFrameMs = (baudRate: number): number => (3.5 * 11 * 1000) / baudRate;

export class ModbusSlaveEndpoint implements StreamDevice {
  readonly label: string;
  private readonly decoder = new RtuStreamDecoder('request');
  private readonly silenceMs: number;
  private readonly log: Logger;
  private sink: ByteSink | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly delayed = new Set<NodeJS.Timeout>();

  constructor(
    readonly thermometer: ModbusIrThermometer,
    private readonly opts: ModbusSlaveEndpointOptions = {},
  ) {
    this.label = `modbus-ir#${thermometer.slave}`;
    this.silenceMs = opts.silenceMs ?? Math.max(5, Math.ceil(interFrameMs(opts.baudRate ?? 9600)));
    this.log = opts.logger ?? childLogger('modbus-endpoint', { slave: thermometer.slave });
  }

  attach(sink: ByteSink): void {
    this.decoder.flush();
    this.sink = sink;
  }

  detach(): void {
    this.sink = undefined;
    this.decoder.flush();
    this.clearTimers();
  }

  receive(chunk: Uint8Array): void {
    for (const frame of this.decoder.push(chunk)) {
      const answer = this.thermometer.handleRequestFrame(frame);
      this.opts.onExchange?.(frame, answer);
      this.log.debug({ rx: toHex(frame), tx: answer ? toHex(answer) : null }, 'request');
      if (answer) this.send(answer);
    }
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    if (this.decoder.pending > 0) {
      this.silenceTimer = setTimeout(() => {
        this.silenceTimer = undefined;
        if (this.decoder.pending > 0) {
          this.log.debug({ bytes: this.decoder.pending }, 'partial frame dropped after silence');
          this.decoder.flush();
        }
      }, this.silenceMs);
    }
  }

  private send(answer: Uint8Array): void {
    const sink = this.sink;
    if (!sink) return;
    const delay = this.thermometer.answerDelayMs;
    // Answer synchronously when there is no delay fault: the datasheet bound is 20 ms and a
    // timer hop would spend part of it for nothing.
    if (delay <= 0) {
      sink(answer);
      return;
    }
    const t = setTimeout(() => {
      this.delayed.delete(t);
      // Only on the link that asked: after a reconnect the answer would confuse the next master.
      if (this.sink === sink) sink(answer);
    }, delay);
    this.delayed.add(t);
  }

  /** Decoder counters (frames, bad frames, dropped bytes) for tests and logs. */
  get framing() {
    return this.decoder.stats;
  }

  private clearTimers(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
  }

  dispose(): void {
    this.detach();
    this.thermometer.dispose();
  }
}
