/**
 * In-memory ByteTransport for tests. Everything is synchronous: a write reaches the write handler
 * (or the peer of a pair) before write() returns, and feed() delivers to listeners at once, so
 * tests with a fake clock never need to wait for I/O.
 */
import { Emitter } from '../../../edge/events.ts';
import { TransportError, TransportErrorCode as C } from '../../../edge/transport/errors.ts';
import type { ByteTransport, TransportEvents } from '../../../edge/transport/types.ts';

export class MockTransport
  extends Emitter<Pick<TransportEvents, keyof TransportEvents>>
  implements ByteTransport
{
  /** Every write since the last takeWritten(), copied. */
  written: Uint8Array[] = [];
  openCalls = 0;
  /** While false, open() fails like a missing tty (see unplug/replug). */
  plugged = true;
  /** Called for every write: a test-local device answers from here (e.g. with feed()). */
  onWrite: ((bytes: Uint8Array) => void) | undefined;
  private open_ = false;
  private peer: MockTransport | undefined;

  constructor(readonly description = 'mock') {
    super();
  }

  /** Two connected ends: what one writes, the other receives. */
  static pair(): [MockTransport, MockTransport] {
    const a = new MockTransport('mock-a');
    const b = new MockTransport('mock-b');
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    this.openCalls++;
    if (!this.plugged) throw new TransportError(C.OPEN_FAILED, `${this.description}: no such device`);
    this.open_ = true;
  }

  async close(): Promise<void> {
    this.open_ = false;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.open_) return Promise.reject(new TransportError(C.NOT_OPEN, `${this.description} is not open`));
    const copy = Uint8Array.from(bytes);
    this.written.push(copy);
    this.onWrite?.(copy);
    if (this.peer?.open_) this.peer.emit('data', copy);
    return Promise.resolve();
  }

  /** Bytes arriving from the device side. Ignored while closed, as a closed port reads nothing. */
  feed(bytes: Uint8Array): void {
    if (this.open_) this.emit('data', Uint8Array.from(bytes));
  }

  /** Returns and forgets what was written so far. */
  takeWritten(): Uint8Array[] {
    const w = this.written;
    this.written = [];
    return w;
  }

  /** The device vanishes: the port closes on its own and cannot be reopened until replug(). */
  unplug(reason = 'unplugged'): void {
    this.plugged = false;
    if (!this.open_) return;
    this.open_ = false;
    this.emit('close', { reason });
  }

  replug(): void {
    this.plugged = true;
  }

  /** Test hook: raise an error as the OS would. */
  fail(err: Error): void {
    this.emit('error', err);
  }
}
