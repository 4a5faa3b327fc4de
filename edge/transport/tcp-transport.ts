/**
 * ByteTransport to a serial device server in "TCP server" mode: the device's bytes carried raw
 * over one TCP connection (devices.md §1, port 4001 by default).
 *
 * noDelay: a Modbus request is 8 bytes and must leave at once, not wait for Nagle.
 * keepAlive: a server that lost power sends no FIN; keepalive (and the driver's own
 * silence detection) notices the dead connection.
 */
import net from 'node:net';
import { Emitter } from '../events.ts';
import { TransportError, TransportErrorCode as C } from './errors.ts';
import type { ByteTransport, TransportEvents } from './types.ts';

export const DEFAULT_DEVICE_SERVER_PORT = 4001;

export interface TcpTransportOptions {
  host: string;
  port?: number;
  /** Give up a connect attempt after this long (default 3000 ms); the reconnect policy retries. */
  connectTimeoutMs?: number;
  /** Idle time before the first keepalive probe (default 5000 ms). */
  keepAliveInitialDelayMs?: number;
}

export class TcpTransport
  extends Emitter<Pick<TransportEvents, keyof TransportEvents>>
  implements ByteTransport
{
  private socket: net.Socket | undefined;
  private readonly port: number;

  constructor(private readonly opts: TcpTransportOptions) {
    super();
    this.port = opts.port ?? DEFAULT_DEVICE_SERVER_PORT;
  }

  get description(): string {
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `tcp://${host}:${this.port}`;
  }

  get isOpen(): boolean {
    const s = this.socket;
    return s !== undefined && !s.destroyed && s.readyState === 'open';
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const socket = net.connect({
      host: this.opts.host,
      port: this.port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: this.opts.keepAliveInitialDelayMs ?? 5000,
    });
    const timeoutMs = this.opts.connectTimeoutMs ?? 3000;
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new TransportError(C.OPEN_FAILED, `cannot connect to ${this.description}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve();
      });
    });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    let lastError: Error | undefined;
    socket.on('error', (err) => {
      lastError = err;
      this.emit('error', err);
    });
    socket.on('close', () => this.socketClosed(socket, lastError));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.isOpen)
      return Promise.reject(new TransportError(C.NOT_OPEN, `${this.description} is not connected`));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (err) =>
        err
          ? reject(new TransportError(C.WRITE_FAILED, `${this.description}: ${err.message}`, { cause: err }))
          : resolve(),
      );
    });
  }

  private socketClosed(socket: net.Socket, err: Error | undefined): void {
    if (socket !== this.socket) return; // our own close()
    this.socket = undefined;
    this.emit('close', { reason: `${this.description}: ${err ? err.message : 'closed by peer'}` });
  }
}
