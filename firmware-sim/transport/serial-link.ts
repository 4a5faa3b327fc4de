/**
 * A device on a tty (a real adapter, or one end of a socat pty pair) through the `serialport`
 * package. When the port vanishes — adapter pulled, socat killed — it keeps trying to reopen the
 * same path every `reopenMs` until stopped, which is how a device behaves once re-plugged.
 *
 * The serialport binding does not always report a pty whose other end went away (seen in the
 * site soak: once in about 30 unplugs the old pty stayed "open" and silent for good), so an open
 * port also checks every second that its path still names the same device, and reopens if not.
 */
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import type { StreamDevice } from './stream-device.ts';

export interface SerialLinkOptions {
  path: string;
  /** 9600 by default; a pty ignores it, a real adapter does not. */
  baudRate?: number;
  /** Pause between reopen attempts, ms (default 200). */
  reopenMs?: number;
  logger?: Logger;
}

export interface DeviceLink {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The "cable pulled" fault: link down, no reconnection until replug(). */
  unplug(): Promise<void>;
  replug(): Promise<void>;
  readonly isUp: boolean;
  readonly description: string;
}

export class SerialLink extends EventEmitter implements DeviceLink {
  private port: SerialPort | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running = false;
  private plugged = true;
  private readonly log: Logger;
  private readonly reopenMs: number;
  private readonly baudRate: number;
  /** Open attempts that failed in a row: logged once, not every 200 ms. */
  private failures = 0;
  private watch: NodeJS.Timeout | undefined;

  constructor(
    private readonly device: StreamDevice,
    private readonly opts: SerialLinkOptions,
  ) {
    super();
    this.reopenMs = opts.reopenMs ?? 200;
    this.baudRate = opts.baudRate ?? 9600;
    this.log = opts.logger ?? childLogger('serial', { path: opts.path, device: device.label });
  }

  get description(): string {
    return `serial ${this.opts.path} @${this.baudRate}`;
  }

  get isUp(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Starts opening; resolves at once (the path may appear later). Use waitOpen() to wait. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  /** Resolves when the port is open, or rejects with TG_SIM_TIMEOUT. */
  waitOpen(timeoutMs = 5000): Promise<void> {
    if (this.isUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('open', onOpen);
        reject(new SimError(SimErrorCode.TIMEOUT, `${this.opts.path} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      const onOpen = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('open', onOpen);
    });
  }

  private open(): void {
    if (!this.running || !this.plugged || this.port) return;
    // lock: false — on a pty the default advisory lock makes a reopen after a hang-up fail.
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.baudRate,
      lock: false,
      autoOpen: false,
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.device.receive(chunk));
    // Errors also arrive as 'close' or open failures; swallow them here so none is unhandled.
    port.on('error', (err) => this.log.debug({ err: err.message }, 'serial error'));
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.port !== port) return;
      this.stopWatch();
      this.port = undefined;
      this.device.detach();
      this.emit('close');
      if (err?.disconnected) this.log.warn('port vanished; reopening');
      this.scheduleReopen();
    });
    port.open((err) => {
      if (this.port !== port) {
        if (!err) port.close();
        return;
      }
      if (err) {
        this.port = undefined;
        if (this.failures++ === 0) this.log.info({ err: err.message }, 'cannot open yet; retrying');
        this.scheduleReopen();
        return;
      }
      this.failures = 0;
      this.device.attach((bytes) => {
        if (port.isOpen) port.write(Buffer.from(bytes));
      });
      this.watchPath(port);
      this.log.info('port open');
      this.emit('open');
    });
  }

  /** The device number the path names now, or undefined when it names nothing. */
  private deviceOfPath(): number | undefined {
    try {
      return statSync(this.opts.path).rdev;
    } catch {
      return undefined;
    }
  }

  private watchPath(port: SerialPort): void {
    this.stopWatch();
    const opened = this.deviceOfPath();
    this.watch = setInterval(() => {
      if (this.port !== port || this.deviceOfPath() === opened) return;
      this.log.warn('path names another device now (re-plugged); reopening');
      this.stopWatch();
      this.port = undefined;
      this.device.detach();
      this.emit('close');
      if (port.isOpen) port.close(() => {});
      this.scheduleReopen();
    }, 1000);
    this.watch.unref();
  }

  private stopWatch(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }

  private scheduleReopen(): void {
    if (!this.running || !this.plugged || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.open();
    }, this.reopenMs);
  }

  private async closePort(): Promise<void> {
    this.stopWatch();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const port = this.port;
    this.port = undefined;
    this.device.detach();
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  async unplug(): Promise<void> {
    this.plugged = false;
    await this.closePort();
    this.log.info('unplugged');
  }

  async replug(): Promise<void> {
    this.plugged = true;
    this.log.info('replugged');
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.closePort();
  }
}
