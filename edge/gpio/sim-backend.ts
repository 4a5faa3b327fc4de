/**
 * Simulated gate I/O for machines without GPIO (devices.md §4): a TCP listener speaking
 * protocols/gate/gpio-sim.ts. Every client gets a snapshot on connect and every output change
 * after it; `in` messages from any client drive the inputs. Bad lines are logged and ignored.
 * Works with no client at all: the outputs simply have no observer.
 *
 * Inputs keep their last value when a client disconnects, as a real contact would.
 */
import net from 'node:net';
import {
  encodeLine,
  GpioSimClientMessage,
  type GpioSimServerMessage,
  LineSplitter,
} from '../../protocols/gate/gpio-sim.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { GpioError, GpioErrorCode as C } from './errors.ts';
import { INPUT_LINES, OUTPUT_LINES } from './lines.ts';
import type { GpioBackend, InputLine, Level, OutputLine } from './types.ts';

export interface SimBackendOptions {
  /** Default 127.0.0.1: the line set is a test and demo facility, not for the site network. */
  host?: string;
  /** 0 (default) = any free port; see `port` after listen(). */
  port?: number;
  clock?: Clock;
  log?: Logger;
}

export class SimGpioBackend implements GpioBackend {
  readonly name = 'sim';
  /** Client lines that were not valid messages. */
  badMessages = 0;
  private readonly outputs: Record<OutputLine, Level>;
  private readonly inputs: Record<InputLine, Level>;
  private readonly listeners: Array<(line: InputLine, value: Level) => void> = [];
  private readonly clients = new Set<net.Socket>();
  private readonly clock: Clock;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: SimBackendOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.outputs = Object.fromEntries(OUTPUT_LINES.map((l) => [l, 0])) as Record<OutputLine, Level>;
    this.inputs = Object.fromEntries(INPUT_LINES.map((l) => [l, 0])) as Record<InputLine, Level>;
    server.on('connection', (s) => this.accept(s));
  }

  /** Starts listening; rejects with TG_EDGE_GPIO_SIM_LISTEN_FAILED (port taken, bad host). */
  static async listen(opts: SimBackendOptions = {}): Promise<SimGpioBackend> {
    const server = net.createServer();
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new GpioError(C.SIM_LISTEN_FAILED, `cannot listen on ${host}:${opts.port ?? 0}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const backend = new SimGpioBackend(server, opts);
    server.on('error', (err) => opts.log?.error({ err: err.message }, 'gpio sim server error'));
    opts.log?.info({ host, port: backend.port }, 'simulated gpio listening');
    return backend;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get host(): string {
    return (this.server.address() as net.AddressInfo).address;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  write(line: OutputLine, value: Level): void {
    if (this.outputs[line] === value) return;
    this.outputs[line] = value;
    this.broadcast({ t: 'out', line, value, at: this.clock.now() });
  }

  read(line: InputLine): Level {
    return this.inputs[line];
  }

  /** Current outputs, for tests and the daemon's status. */
  outputState(): Readonly<Record<OutputLine, Level>> {
    return { ...this.outputs };
  }

  onInput(fn: (line: InputLine, value: Level) => void): void {
    this.listeners.push(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.clients) s.destroy();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.clients.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const splitter = new LineSplitter();
    socket.on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) this.onClientLine(line);
    });
    socket.on('error', (err) => this.opts.log?.debug({ err: err.message }, 'gpio sim client error'));
    socket.on('close', () => this.clients.delete(socket));
    socket.write(
      encodeLine({
        t: 'snapshot',
        outputs: { ...this.outputs },
        inputs: { ...this.inputs },
        at: this.clock.now(),
      }),
    );
  }

  private onClientLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      json = undefined;
    }
    const r = GpioSimClientMessage.safeParse(json);
    if (!r.success) {
      this.badMessages++;
      this.opts.log?.warn(
        { line: line.slice(0, 200) },
        'gpio sim: ignored a line that is not a valid "in" message',
      );
      return;
    }
    const { line: input, value } = r.data;
    // Edge-triggered like a real input: repeating the current level is no edge.
    if (this.inputs[input] === value) return;
    this.inputs[input] = value;
    for (const fn of this.listeners) fn(input, value);
  }

  private broadcast(m: GpioSimServerMessage): void {
    const text = encodeLine(m);
    for (const s of this.clients) if (!s.destroyed) s.write(text);
  }
}
