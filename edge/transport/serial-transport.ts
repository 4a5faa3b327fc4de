/**
 * ByteTransport over a tty through the `serialport` package: an RS-485/USB adapter on a real gate,
 * one end of a socat pty pair in tests. 8N1 at the configured baud rate (a pty ignores the rate).
 *
 * `close` is emitted only when the port goes away on its own (adapter pulled, I/O error), never
 * for our own close(). Note: a tty whose far end vanished is often noticed only on the next write
 * (a pty hang-up does not wake a pending read), which is why the drivers keep polling.
 */
import { SerialPort } from 'serialport';
import { Emitter } from '../events.ts';
import { TransportError, TransportErrorCode as C } from './errors.ts';
import type { ByteTransport, TransportEvents } from './types.ts';

export interface SerialTransportOptions {
  path: string;
  /** 9600 by default (devices.md §1/§2). */
  baudRate?: number;
  /**
   * Exclusive lock on the tty (default true) so a second process cannot interleave bytes on the
   * bus. Turn off only for ptys shared in tests.
   */
  lock?: boolean;
}

export class SerialTransport
  extends Emitter<Pick<TransportEvents, keyof TransportEvents>>
  implements ByteTransport
{
  private port: SerialPort | undefined;
  private readonly baudRate: number;

  constructor(private readonly opts: SerialTransportOptions) {
    super();
    this.baudRate = opts.baudRate ?? 9600;
  }

  get description(): string {
    return `${this.opts.path}@${this.baudRate}`;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.port?.isOpen) return;
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      lock: this.opts.lock ?? true,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) =>
        err
          ? reject(
              new TransportError(C.OPEN_FAILED, `cannot open ${this.description}: ${err.message}`, {
                cause: err,
              }),
            )
          : resolve(),
      );
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', (err: Error) => this.emit('error', err));
    // serialport may emit 'close' twice for one hang-up (plain, then with a DisconnectedError):
    // the identity check reports it once.
    port.on('close', (err?: Error | null) => this.portClosed(port, err ?? undefined));
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen)
      return Promise.reject(new TransportError(C.NOT_OPEN, `${this.description} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) =>
        err
          ? reject(new TransportError(C.WRITE_FAILED, `${this.description}: ${err.message}`, { cause: err }))
          : resolve(),
      );
    });
  }

  private portClosed(port: SerialPort, err: Error | undefined): void {
    if (port !== this.port) return; // our own close(), or a repeat event
    this.port = undefined;
    this.emit('close', { reason: err?.message ?? `${this.description} closed` });
  }
}
