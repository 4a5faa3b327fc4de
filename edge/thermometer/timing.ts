/**
 * Serial line timing, from the baud rate: how long bytes take on the wire, the RTU inter-frame
 * silence, and how long a master waits for an answer before calling the device silent.
 */

/** 8N1: start bit + 8 data bits + stop bit. */
export const BITS_PER_CHAR = 10;

export const charTimeMs = (baudRate: number): number => (BITS_PER_CHAR * 1000) / baudRate;

/** Time `bytes` take on the wire. */
export const transmitMs = (bytes: number, baudRate: number): number => bytes * charTimeMs(baudRate);

/**
 * Modbus RTU t3.5: the silence a frame must be followed by before the next one. Above 19200 baud the
 * Modbus spec fixes it at 1.75 ms instead of scaling with the rate.
 */
export function interFrameGapMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * charTimeMs(baudRate);
}

export interface ResponseTimeoutInput {
  baudRate: number;
  requestBytes: number;
  /** Largest answer expected. */
  responseBytes: number;
  /** The device's own answer bound (devices.md §1: 20 ms). */
  answerBoundMs: number;
  /**
   * Slack for what sits between us and the wire: a USB adapter's latency timer (FTDI: 16 ms), a
   * device server's packing delay and the network, the event loop.
   */
  marginMs: number;
}

/** Request out + device's bound + answer back + margin, rounded up to whole ms. */
export function responseTimeoutMs(t: ResponseTimeoutInput): number {
  return Math.ceil(t.answerBoundMs + transmitMs(t.requestBytes + t.responseBytes, t.baudRate) + t.marginMs);
}
