/**
 * Finds Modbus RTU frames in a byte stream that may carry garbage, split frames or bad CRCs.
 *
 * RTU delimits frames by silence, which a TCP serial server does not preserve, so this decoder
 * frames by content instead: the function code gives the length, the CRC confirms it. On a
 * mismatch it drops one byte and tries again (resync). It never throws; it counts what it drops.
 * Callers on a real serial line should also call `flush()` after an inter-frame silence.
 */
import { crcMatches } from './crc16.ts';
import { FunctionCode } from './rtu.ts';

export type RtuDirection = 'request' | 'response';

export interface RtuStreamStats {
  frames: number;
  /** Frames that looked framed but failed the CRC, counted once per loss of sync. */
  badFrames: number;
  droppedBytes: number;
}

/** Longest RTU frame (Modbus ADU limit). */
const MAX_FRAME = 256;

export class RtuStreamDecoder {
  readonly stats: RtuStreamStats = { frames: 0, badFrames: 0, droppedBytes: 0 };
  private buf = new Uint8Array(0);
  private inSync = true;

  constructor(private readonly direction: RtuDirection) {}

  /** Feeds bytes; returns every complete frame (CRC included) found so far. */
  push(chunk: Uint8Array): Uint8Array[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    let start = 0;
    const frames: Uint8Array[] = [];
    for (;;) {
      const len = this.candidateLength(merged, start);
      if (len === 'need-more') break;
      if (len !== 'unframeable' && crcMatches(merged, start, start + len)) {
        frames.push(merged.slice(start, start + len));
        start += len;
        this.stats.frames++;
        this.inSync = true;
        continue;
      }
      if (this.inSync) this.stats.badFrames++;
      this.inSync = false;
      start++;
      this.stats.droppedBytes++;
    }
    this.buf = merged.slice(start);
    return frames;
  }

  /** Discards a partial frame (after silence on the line, or a transport reconnect). */
  flush(): void {
    if (this.buf.length > 0) {
      this.stats.droppedBytes += this.buf.length;
      this.stats.badFrames++;
    }
    this.buf = new Uint8Array(0);
    this.inSync = true;
  }

  get pending(): number {
    return this.buf.length;
  }

  private candidateLength(b: Uint8Array, i: number): number | 'need-more' | 'unframeable' {
    const avail = b.length - i;
    if (avail < 2) return 'need-more';
    const fn = b[i + 1] as number;
    if (this.direction === 'response') {
      if (fn & 0x80) return avail >= 5 ? 5 : 'need-more';
      if (fn === FunctionCode.ReadHoldingRegisters || fn === FunctionCode.ReadInputRegisters) {
        if (avail < 3) return 'need-more';
        const len = 5 + (b[i + 2] as number);
        return avail >= len ? len : 'need-more';
      }
      if (fn === FunctionCode.WriteSingleRegister) return avail >= 8 ? 8 : 'need-more';
      return 'unframeable';
    }
    if (
      fn === FunctionCode.ReadHoldingRegisters ||
      fn === FunctionCode.ReadInputRegisters ||
      fn === FunctionCode.WriteSingleRegister
    )
      return avail >= 8 ? 8 : 'need-more';
    // Function codes 0 and 0x80.. never start a request.
    if (fn === 0 || fn & 0x80) return 'unframeable';
    // An unknown function has no length rule: the shortest prefix whose CRC matches is the frame.
    // A slave must still see it to answer "illegal function".
    for (let len = 4; len <= Math.min(avail, MAX_FRAME); len++) if (crcMatches(b, i, i + len)) return len;
    // No match yet. If a well-formed known request starts further on, what lies before it is
    // garbage: resync now instead of waiting for 256 bytes or a silence (TCP has none).
    for (let k = i + 1; k + 8 <= b.length; k++) if (isKnownRequestAt(b, k)) return 'unframeable';
    return avail >= MAX_FRAME ? 'unframeable' : 'need-more';
  }
}

function isKnownRequestAt(b: Uint8Array, k: number): boolean {
  const fn = b[k + 1];
  const known =
    fn === FunctionCode.ReadHoldingRegisters ||
    fn === FunctionCode.ReadInputRegisters ||
    fn === FunctionCode.WriteSingleRegister;
  return known && crcMatches(b, k, k + 8);
}
