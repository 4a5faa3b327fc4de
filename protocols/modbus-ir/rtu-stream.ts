/**
 * Finds Modbus RTU frames in a byte stream that may carry garbage, split frames or bad CRCs.
 *
 * RTU delimits frames by silence, which a TCP serial server does not preserve, so this decoder
 * frames by content instead: the function code gives the length, the CRC confirms it. On a
 * mismatch it drops one byte and tries again (resync). It never throws; it counts what it drops.
 * Callers on a real serial line should also call `flush()` after an inter-frame silence.
 */
import { crc16Update, crcMatches } from './crc16.ts';
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
      const len = responseLength(b, i);
      if (len === undefined) return 'unframeable';
      if (len <= avail) return len;
      // Not all of the claimed length is here. When a whole answer with a good CRC starts further
      // on, what lies before it is noise (a byte count that noise made up can claim 260 bytes):
      // resync now instead of losing that answer to the master's timeout.
      for (let k = i + 1; k + 4 <= b.length; k++) {
        const next = responseLength(b, k);
        if (next !== undefined && k + next <= b.length && crcMatches(b, k, k + next)) return 'unframeable';
      }
      return 'need-more';
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
    // A slave must still see it to answer "illegal function". One running CRC tests every length
    // (work per start byte is bounded by MAX_FRAME, not its square).
    let crc = crc16Update(crc16Update(0xffff, b[i] as number), fn);
    for (let len = 4; len <= Math.min(avail, MAX_FRAME); len++) {
      if (b[i + len - 2] === (crc & 0xff) && b[i + len - 1] === crc >>> 8) return len;
      crc = crc16Update(crc, b[i + len - 2] as number);
    }
    if (avail >= MAX_FRAME) return 'unframeable';
    // No match yet. If a well-formed known request starts further on, what lies before it is
    // garbage: resync now instead of waiting for 256 bytes or a silence (TCP has none). The
    // buffer holds fewer than MAX_FRAME bytes from i here, so this scan is bounded too.
    for (let k = i + 1; k + 8 <= b.length; k++) if (isKnownRequestAt(b, k)) return 'unframeable';
    return 'need-more';
  }
}

/** Length of the response that would start at i (from its function code and byte count), if any. */
function responseLength(b: Uint8Array, i: number): number | undefined {
  if (b.length - i < 2) return undefined;
  const fn = b[i + 1] as number;
  if (fn & 0x80) return 5;
  if (fn === FunctionCode.ReadHoldingRegisters || fn === FunctionCode.ReadInputRegisters)
    return b.length - i < 3 ? MAX_FRAME + 4 : 5 + (b[i + 2] as number);
  if (fn === FunctionCode.WriteSingleRegister) return 8;
  return undefined;
}

function isKnownRequestAt(b: Uint8Array, k: number): boolean {
  const fn = b[k + 1];
  const known =
    fn === FunctionCode.ReadHoldingRegisters ||
    fn === FunctionCode.ReadInputRegisters ||
    fn === FunctionCode.WriteSingleRegister;
  return known && crcMatches(b, k, k + 8);
}
