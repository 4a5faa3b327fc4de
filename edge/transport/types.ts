/**
 * Byte transports for serial devices: a tty (serialport), a serial device server over TCP, or a
 * mock in tests all plug into the same drivers through this interface.
 */
export interface TransportEvents {
  data: Uint8Array;
  /** The link went away (port vanished, socket closed). Reopening is the caller's policy. */
  close: { reason: string };
  error: Error;
}

export interface ByteTransport {
  /** Human-readable address for logs: "/dev/ttyUSB0@9600" or "tcp://10.0.0.5:4001". */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  on<K extends keyof TransportEvents>(event: K, fn: (e: TransportEvents[K]) => void): () => void;
}
