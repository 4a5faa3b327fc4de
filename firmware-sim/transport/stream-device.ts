/**
 * What a transport (serial port, TCP device server) needs from a byte-stream device: a place to
 * deliver incoming bytes and a way to hand the device its outgoing sink while a link is up.
 * Both the Modbus slave endpoint and the GY module implement it, so either runs on either transport.
 */
export type ByteSink = (bytes: Uint8Array) => void;

export interface StreamDevice {
  /** Short label for logs, e.g. `modbus-ir#1`. */
  readonly label: string;
  /** A link came up: the device writes through `sink` from now on. */
  attach(sink: ByteSink): void;
  /** The link went down: drop partial input, stop writing. */
  detach(): void;
  /** Bytes from the host, in whatever chunks the transport delivered them. */
  receive(chunk: Uint8Array): void;
  /** Timers off for good (continuous mode, pending answers). */
  dispose(): void;
}
