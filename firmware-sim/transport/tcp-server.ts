/**
 * The "serial device server" in TCP server mode: the device's bytes on a raw TCP socket
 * (devices.md §1, port 4001 by default). One host at a time, like the serial line behind it:
 * a new connection takes over from the previous one, so a host that restarted without closing its
 * old socket (half-open after a crash) is never locked out.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { DEFAULT_TCP_PORT } from '../../protocols/modbus-ir/index.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import type { DeviceLink } from './serial-link.ts';
import type { StreamDevice } from './stream-device.ts';

export interface TcpServerOptions {
  /** Default 127.0.0.1; use 0.0.0.0 to be reachable from another machine. */
  host?: string;
  /** Default 4001; 0 lets the OS choose (tests), kept across unplug/replug. */
  port?: number;
  logger?: Logger;
}

export class TcpDeviceServer extends EventEmitter implements DeviceLink {
  private server: net.Server | undefined;
  private client: net.Socket | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly host: string;
  private port: number;
  private readonly log: Logger;
  private running = false;

  constructor(
    private readonly device: StreamDevice,
    opts: TcpServerOptions = {},
  ) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? DEFAULT_TCP_PORT;
    this.log = opts.logger ?? childLogger('tcp', { device: device.label });
  }

  get description(): string {
    return `tcp ${this.host}:${this.port}`;
  }

  /** True while listening (whether or not a host is connected). */
  get isUp(): boolean {
    return this.server?.listening ?? false;
  }

  get hasClient(): boolean {
    return this.client !== undefined;
  }

  /** The bound address; `port` is the real one after listening on port 0. */
  address(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen();
  }

  private listen(): Promise<void> {
    const server = net.createServer((sock) => this.onConnection(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.server = undefined;
        reject(
          new SimError(
            SimErrorCode.TCP_LISTEN,
            `cannot listen on ${this.host}:${this.port}: ${err.message}`,
            { cause: err },
          ),
        );
      });
      server.listen(this.port, this.host, () => {
        this.port = (server.address() as net.AddressInfo).port;
        server.on('error', (err) => this.log.warn({ err: err.message }, 'server error'));
        this.log.info({ host: this.host, port: this.port }, 'listening');
        this.emit('listening', this.port);
        resolve();
      });
    });
  }

  private onConnection(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true); // answers are tiny and latency-bound (20 ms)
    const previous = this.client;
    this.client = sock;
    if (previous) {
      this.log.info('new host connected; dropping the previous one');
      this.device.detach();
      previous.destroy();
    }
    this.device.attach((bytes) => {
      if (this.client === sock && !sock.destroyed) sock.write(bytes);
    });
    this.log.info({ remote: `${sock.remoteAddress}:${sock.remotePort}` }, 'host connected');
    this.emit('connection');
    sock.on('data', (chunk) => {
      if (this.client === sock) this.device.receive(chunk);
    });
    sock.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    sock.on('close', () => {
      this.sockets.delete(sock);
      if (this.client !== sock) return;
      this.client = undefined;
      this.device.detach();
      this.log.info('host disconnected');
      this.emit('disconnect');
    });
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.client = undefined;
    this.device.detach();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server?.listening) await new Promise<void>((r) => server.close(() => r()));
  }

  /** The "unplugged" fault: every socket closed, not listening, until replug(). */
  async unplug(): Promise<void> {
    await this.shutdown();
    this.log.info('unplugged');
  }

  async replug(): Promise<void> {
    if (!this.running || this.server) return;
    await this.listen();
    this.log.info('replugged');
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.shutdown();
  }
}
